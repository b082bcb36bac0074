package tzdata_test

import (
	"fmt"
	"log"

	"github.com/minimage/minimage/tzdata"
)

// Files lists the regular files the layer holds, with the bytes a bill of
// materials hashes: a link (US/Eastern) brings in its zone's file, and
// the link itself, a symlink, is not listed. Release names the data.
func ExampleFiles() {
	files, err := tzdata.Files(tzdata.Options{Zones: []string{"Europe/Paris", "US/Eastern"}})
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range files {
		fmt.Println(f.Path, len(f.Data) > 0)
	}
	// Output:
	// /usr/share/zoneinfo/America/New_York true
	// /usr/share/zoneinfo/Europe/Paris true
}

package tzdata_test

import (
	"context"
	"fmt"
	"log"

	"github.com/minimage/minimage/tzdata"
)

// A layer with the zones a program loads, and the local time zone.
func ExampleLayer() {
	opts := tzdata.Options{
		Zones:     []string{"Europe/*", "US/Eastern"},
		Localtime: "Europe/Paris",
	}
	l, err := tzdata.Layer(context.Background(), opts)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(l.MediaType())
	// Output: application/vnd.oci.image.layer.v1.tar+gzip
}

// For a Go-only image: one zip file and the variable that points Go at it.
func ExampleEnv() {
	opts := tzdata.Options{Zones: []string{"UTC", "Asia/Tokyo"}, Zip: true}
	fmt.Println(tzdata.Env(opts))
	// Output: [ZONEINFO=/usr/share/zoneinfo.zip]
}

func ExampleSelect() {
	names, err := tzdata.Select("US/*", "Asia/Calcutta")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(names)

	_, err = tzdata.Select("europe/paris")
	fmt.Println(err)
	// Output:
	// [Asia/Calcutta US/Alaska US/Aleutian US/Arizona US/Central US/East-Indiana US/Eastern US/Hawaii US/Indiana-Starke US/Michigan US/Mountain US/Pacific US/Samoa]
	// tzdata: unknown time zone "europe/paris"; did you mean "Europe/Paris"?
}

func ExampleCanonical() {
	for _, name := range []string{"US/Eastern", "Asia/Calcutta", "UTC", "Europe/Paris"} {
		zone, err := tzdata.Canonical(name)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(name, "->", zone)
	}
	// Output:
	// US/Eastern -> America/New_York
	// Asia/Calcutta -> Asia/Kolkata
	// UTC -> Etc/UTC
	// Europe/Paris -> Europe/Paris
}

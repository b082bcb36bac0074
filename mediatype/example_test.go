package mediatype_test

import (
	"fmt"

	"github.com/minimage/minimage/mediatype"
)

// A Docker manifest list is an index, as OCI's is.
func ExampleIsIndex() {
	fmt.Println(mediatype.IsIndex(mediatype.DockerManifestList), mediatype.IsIndex(mediatype.DockerManifest))
	// Output: true false
}

package base_test

import (
	"context"
	"fmt"
	"log"

	"github.com/minimage/minimage/base"
)

func ExampleLayer() {
	l, err := base.Layer(context.Background(), base.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(l.MediaType())
	fmt.Println("user:", base.DefaultUser, "workdir:", base.NonrootHome)
	// Output:
	// application/vnd.oci.image.layer.v1.tar+gzip
	// user: 65532:65532 workdir: /home/nonroot
}

func ExampleFiles() {
	for _, f := range base.Files() {
		fmt.Printf("%-20s %-11v %d:%d\n", f.Path, f.Mode, f.UID, f.GID)
	}
	// Output:
	// /etc/group           -rw-r--r--  0:0
	// /etc/nsswitch.conf   -rw-r--r--  0:0
	// /etc/os-release      -rw-r--r--  0:0
	// /etc/passwd          -rw-r--r--  0:0
	// /home                drwxr-xr-x  0:0
	// /home/nonroot        drwx------  65532:65532
	// /root                drwx------  0:0
	// /tmp                 dtrwxrwxrwx 0:0
}

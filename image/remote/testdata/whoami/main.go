// Command whoami prints the user and group it runs as: the program that
// image/remote's tests push, pull back with skopeo and run.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Printf("pulled back and running as uid=%d gid=%d\n", os.Getuid(), os.Getgid())
}

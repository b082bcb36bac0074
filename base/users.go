package base

// User and group ids. They match distroless (GoogleContainerTools/distroless,
// common/variables.bzl: ROOT = 0, NONROOT = 65532, NOBODY = 65534).
const (
	// RootUID and RootGID are the superuser's ids.
	RootUID, RootGID = 0, 0
	// NonrootUID and NonrootGID are the ids of "nonroot", the
	// unprivileged user images run as by default.
	NonrootUID, NonrootGID = 65532, 65532
	// NobodyUID and NobodyGID are the ids of "nobody", which owns nothing.
	NobodyUID, NobodyGID = 65534, 65534
)

// The user strings an image config's User field takes.
const (
	// DefaultUser is the user images run as unless the caller asks for
	// another: nonroot, as "uid:gid".
	DefaultUser = "65532:65532"
	// RootUser runs as root, for the images that need it.
	RootUser = "0:0"
)

// NonrootHome is nonroot's home directory (mode 0700), which package build
// makes the working directory of images that run as DefaultUser.
const NonrootHome = "/home/nonroot"

// passwd and group hold /etc/passwd and /etc/group, in the order and with
// the fields distroless writes them (GoogleContainerTools/distroless,
// common/BUILD.bazel: the passwd and group rules). The "x" says the
// password is in a shadow file, which does not exist: no one can log in.
const (
	passwd = "root:x:0:0:root:/root:/sbin/nologin\n" +
		"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n" +
		"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	group = "root:x:0:\n" +
		"nobody:x:65534:\n" +
		"tty:x:5:\n" +
		"staff:x:50:\n" +
		"nonroot:x:65532:\n"
)

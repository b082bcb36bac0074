// Package base provides the files every minimage image starts from: a
// distroless "static" equivalent with no shell, no package manager and no
// C library.
//
// [Files] lists them and [Layer] puts them in a layer:
//
//	/etc/passwd         root 0, nobody 65534, nonroot 65532; no login shells
//	/etc/group          root 0, nobody 65534, tty 5, staff 50, nonroot 65532
//	/etc/nsswitch.conf  hosts: files dns, read by Go's and glibc's resolvers
//	/etc/os-release     ID=minimage
//	/root               0700, owned by 0:0
//	/home               0755, owned by 0:0
//	/home/nonroot       0700, owned by 65532:65532, the nonroot user's home
//	/tmp                1777, as programs expect
//
// The users, groups, homes and shells are those of the distroless static
// image, so an image can move between the two without changing owners. The
// CA bundle and time zones, which distroless puts in its base too, are
// layers of their own here (packages certs and tzdata), so that an image
// carries only what it uses.
//
// This package provides files, not an image config. Package build, which
// "minimage build" runs, makes images of these files run as [DefaultUser],
// the unprivileged nonroot user, with [NonrootHome] as the working
// directory, as distroless's nonroot images do (static.bzl: user 65532,
// workdir /home/nonroot; its root images work in /). An image that runs as
// root or another user gets no working directory (runtimes take "/"), since
// /home/nonroot is closed to everyone but nonroot.
package base

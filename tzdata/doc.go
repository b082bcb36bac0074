// Package tzdata provides IANA time zone data, embedded in the program, as
// a layer that holds the zones an image needs and nothing more.
//
// The data is the zoneinfo.zip of the Go toolchain that ran go generate
// (release [Release]), copied into this package by
//
//	go generate ./tzdata
//
// which also checks the list of links against the zip's bytes.
//
// # Names, links and patterns
//
// [Names] lists every zone: the zones IANA defines and the links it keeps
// for former or alternative names (US/Eastern for America/New_York,
// Asia/Calcutta for Asia/Kolkata, UTC for Etc/UTC). [Canonical] maps a name
// to the zone that holds its data.
//
// [Select] and [Options.Zones] take exact names and patterns:
//
//   - "all" selects every name.
//   - A pattern with any of * ? [ \ matches names with [path.Match]: * and
//     ? never match a slash, so "America/*" matches America/New_York but not
//     America/Argentina/Salta.
//   - A pattern that ends in "/**" matches every name below the directory
//     its first part matches, at any depth: "America/**" matches both of
//     the above. "**" anywhere else acts as *.
//   - Anything else is an exact, case-sensitive name.
//
// An unknown name, or a pattern that matches nothing, is an error wrapping
// [ErrUnknownZone] that suggests the names closest to it.
//
// # The layer
//
// [Layer] writes each selected zone under [Dir] as a regular file (mode
// 0644, owned by 0:0) and each selected link as a relative symlink to its
// zone, as Debian does; a link brings its zone in with it, so both names
// load. [Options.Localtime] adds /etc/localtime, a symlink to the zone under
// [Dir], and selects that zone.
//
// For images whose programs are all written in Go, [Options.Zip] writes
// the zones as one zip file instead, [ZipPath], in the form Go's time
// package reads through the ZONEINFO environment variable ([Env] returns
// the entry). Links are plain copies there, and /etc/localtime is a copy of
// its zone's file.
//
// All functions are safe for concurrent use; the embedded data is read
// once per process.
package tzdata

//go:generate go run ./internal/gen

package certs

import "runtime/debug"

// bundleModule is the module whose bundle package this package embeds.
const bundleModule = "golang.org/x/crypto/x509roots/fallback"

// pinnedVersion is bundleModule's version in this module's go.mod. A test
// keeps the two equal; update both together.
const pinnedVersion = "v0.0.0-20261030153154-30a33513ff6d"

// Version returns the module version of golang.org/x/crypto/x509roots/fallback
// that the program was built with, as the build information records it
// (the version a replace directive points to, when there is one). Where
// the build information does not list it (test binaries, a replace with a
// local directory) it returns the version this module's go.mod pins.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return pinnedVersion
	}
	for _, d := range bi.Deps {
		if d.Path != bundleModule {
			continue
		}
		if d.Replace != nil {
			d = d.Replace
		}
		if d.Version != "" && d.Version != "(devel)" {
			return d.Version
		}
	}
	return pinnedVersion
}

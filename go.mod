module github.com/minimage/minimage

go 1.26.0

require (
	github.com/klauspost/compress v1.20.4
	github.com/opencontainers/go-digest v1.0.0
	github.com/opencontainers/image-spec v1.1.1
	golang.org/x/crypto/x509roots/fallback v0.0.0-20261030153154-30a33513ff6d
	golang.org/x/sync v0.24.0
	golang.org/x/sys v0.50.0
	oras.land/oras-go/v2 v2.7.0
)

require golang.org/x/crypto v0.59.0

require golang.org/x/term v0.48.0

package sbom

import "errors"

// ErrInvalidInput is wrapped by the errors Generate returns for an Input
// that is incomplete or malformed; the message says which field and how to
// fix it.
var ErrInvalidInput = errors.New("invalid input")

package registry

import (
	"encoding/json"
	"errors"
	"net/http"
)

// Error codes of the OCI distribution spec, in the "code" field of an
// error response.
const (
	CodeBlobUnknown         = "BLOB_UNKNOWN"
	CodeBlobUploadInvalid   = "BLOB_UPLOAD_INVALID"
	CodeBlobUploadUnknown   = "BLOB_UPLOAD_UNKNOWN"
	CodeDigestInvalid       = "DIGEST_INVALID"
	CodeManifestBlobUnknown = "MANIFEST_BLOB_UNKNOWN"
	CodeManifestInvalid     = "MANIFEST_INVALID"
	CodeManifestUnknown     = "MANIFEST_UNKNOWN"
	CodeNameInvalid         = "NAME_INVALID"
	CodeNameUnknown         = "NAME_UNKNOWN"
	CodeSizeInvalid         = "SIZE_INVALID"
	CodeUnauthorized        = "UNAUTHORIZED"
	CodeDenied              = "DENIED"
	CodeUnsupported         = "UNSUPPORTED"
	CodeTooManyRequests     = "TOOMANYREQUESTS"
)

// ErrNotFound is returned, wrapped, by the methods of a Storage and of
// Registry for a blob, manifest or upload that is not there.
var ErrNotFound = errors.New("registry: not found")

// ErrDigestMismatch is returned, wrapped, when content does not match
// the digest it was pushed under.
var ErrDigestMismatch = errors.New("registry: content does not match its digest")

// ErrInvalid is returned, wrapped, for a repository name, tag, digest or
// manifest the spec does not allow.
var ErrInvalid = errors.New("registry: invalid")

// apiError is one error of a response: an HTTP status and one entry of
// the JSON body.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Detail  any    `json:"detail,omitempty"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// Is maps the error codes to the package's sentinel errors, for the
// callers of PutBlob and PutManifest.
func (e *apiError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == http.StatusNotFound || e.Code == CodeManifestBlobUnknown
	case ErrDigestMismatch:
		return e.Code == CodeDigestInvalid
	case ErrInvalid:
		return e.Code == CodeManifestInvalid || e.Code == CodeNameInvalid || e.Code == CodeSizeInvalid
	}
	return false
}

func newError(status int, code, message string) *apiError {
	return &apiError{Status: status, Code: code, Message: message}
}

// writeError writes err as the spec's error body. An error that is not an
// *apiError is an internal failure: 500 with its text, code UNKNOWN.
func writeError(w http.ResponseWriter, err error) {
	var e *apiError
	if !errors.As(err, &e) {
		e = &apiError{Status: http.StatusInternalServerError, Code: "UNKNOWN", Message: err.Error()}
	}
	body, _ := json.Marshal(struct {
		Errors []*apiError `json:"errors"`
	}{[]*apiError{e}})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Del("Content-Length")
	h.Del("Docker-Content-Digest")
	w.WriteHeader(e.Status)
	w.Write(append(body, '\n'))
}

// Package remote pushes artifacts to OCI registries and pulls them back:
// the registry transport, a sibling of image/layout and image/tarball.
// It speaks the OCI distribution protocol through oras-go v2 and adds
// what a release script needs around it.
//
//	desc, err := remote.Push(ctx, "ghcr.io/me/app:v1", idx, remote.Options{})
//	img, err := remote.PullImage(ctx, "alpine:3.20", image.Platform{OS: "linux", Architecture: "arm64"}, remote.Options{})
//
// # Digests
//
// Push sends the bytes of an artifact's manifest as they are, so the
// digest in the registry is the artifact's own, for an image and for a
// multi-platform index alike. Pull keeps the bytes as stored, and checks
// every manifest, index, config and layer against its digest.
//
// # Requests
//
// Push sends only what the registry lacks. A push of what a tag already
// names takes two requests (the authentication challenge and a HEAD of
// the tag). Otherwise each blob is asked for (HEAD) and, when missing,
// mounted from another repository of the same registry where
// Options.Mounts knows it to be (pulled or pushed there by a call given
// the same Mounts, with the same credential), or uploaded; Options.Jobs
// blobs at once. Pushes sharing a Mounts upload a blob once: the others
// wait for that upload, then mount it. Index children go before the index, and the
// tag is set last, by the PUT of the top manifest.
//
// # Failures
//
// Requests answered 429 or 503 are sent again after the Retry-After the
// registry asks for (at most MaxRetryAfter), other 5xx answers, broken
// connections and timeouts after an exponential backoff from
// Options.Backoff. A blob upload that breaks is started over, after
// asking whether the blob arrived after all; a download that breaks
// resumes with a range request. Each operation (a tag resolved, one blob
// or manifest pushed or fetched) has one retry budget that all of these
// draw from: Options.Retries retries, and Options.RetryTime of pauses
// and timed-out tries, so a dead registry fails within about a minute
// with the defaults.
//
// A request waits Options.ResponseTimeout for an answer; a transfer that
// moves fewer than Options.MinRate bytes a second over
// Options.StallTimeout is cut; Options.Timeout, when set, bounds a whole
// call. Each fails with ErrTimeout, naming the limit. Errors are *Error
// values whose one-line message names the registry, repository,
// operation, HTTP status and where the credentials came from, with
// sentinels (ErrUnauthorized, ErrTimeout, …) for errors.Is; no password,
// token or upload URL appears in them, and what the registry wrote is
// escaped, so that it cannot send escape sequences to a terminal.
//
// # Credentials
//
// In this order: Options.Username and Password; docker's config.json
// ($DOCKER_CONFIG, else ~/.docker): credHelpers, credsStore and auths;
// $REGISTRY_AUTH_FILE and podman's ${XDG_RUNTIME_DIR}/containers/auth.json
// (whose keys may name a repository, the longest match winning); else
// anonymous. Credentials are looked up when the registry first asks for
// them, and sent to that registry only. Basic and bearer-token challenges
// are answered.
//
// # TLS
//
// HTTPS is verified against the system roots, SSL_CERT_FILE and
// Options.CAFiles. InsecureSkipTLSVerify accepts any certificate;
// InsecureAllowHTTP speaks plain HTTP. Neither is ever chosen on its own.
// An Options.HTTPClient brings its own transport, which then decides TLS;
// Options.Validate refuses it beside CAFiles or InsecureSkipTLSVerify, and
// every other pair of fields where one would silently win.
package remote

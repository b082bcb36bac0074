package remote

import (
	"net/http"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Defaults for the zero fields of Options.
const (
	// DefaultRetries is how many times a failed operation is tried
	// again when Options.Retries is 0.
	DefaultRetries = 5

	// DefaultJobs is how many blobs are uploaded at once when
	// Options.Jobs is 0.
	DefaultJobs = 4

	// MaxRetryAfter caps how long a Retry-After header makes a request
	// wait; a registry asking for longer gets MaxRetryAfter.
	MaxRetryAfter = 30 * time.Second

	// DefaultResponseTimeout is how long a request waits for the
	// registry's answer when Options.ResponseTimeout is 0.
	DefaultResponseTimeout = 30 * time.Second

	// DefaultStallTimeout is the window over which a transfer's rate is
	// judged when Options.StallTimeout is 0.
	DefaultStallTimeout = 30 * time.Second

	// DefaultMinRate is the slowest transfer, in bytes per second, that
	// is not a stall when Options.MinRate is 0.
	DefaultMinRate = 1024

	// DefaultBackoff is the first pause before a retry when
	// Options.Backoff is 0.
	DefaultBackoff = 250 * time.Millisecond

	// DefaultRetryTime bounds the time one operation loses to failures
	// when Options.RetryTime is 0.
	DefaultRetryTime = time.Minute
)

// Options configures how Push and Pull talk to a registry. The zero value
// is the default: TLS verified against the system roots (and SSL_CERT_FILE
// when set), credentials looked up in the usual files, DefaultRetries
// retries within DefaultRetryTime, the default timeouts, no overall
// bound, DefaultJobs uploads at once, no progress.
//
// An Options value is read, never changed, by the calls it is passed to,
// so one value may serve several calls at once; only the Mounts it
// points to is updated.
type Options struct {
	// CAFiles are PEM files of certificate authorities to trust besides
	// the system roots. SSL_CERT_FILE, when set, is trusted too. They are
	// read as Push or Pull starts (a missing file, or one without a PEM
	// certificate, fails before any request); they and the system roots
	// are parsed on the first TLS connection, so never for a registry in
	// plain HTTP.
	CAFiles []string

	// InsecureAllowHTTP speaks plain HTTP to the registry: no TLS at all.
	// Without it, Push and Pull use HTTPS only and never fall back to
	// HTTP on their own.
	InsecureAllowHTTP bool

	// InsecureSkipTLSVerify accepts any certificate the registry shows.
	// It is a separate switch from InsecureAllowHTTP: the connection is
	// still encrypted, to a server that is not authenticated.
	InsecureSkipTLSVerify bool

	// Username and Password, when Username is set, are the credentials
	// for the registry, ahead of every credential file. A Username with
	// an empty Password is an error.
	Username string
	Password string

	// Retries is how many times one operation (resolving a tag, pushing
	// or fetching one blob or manifest) is tried again after a failure,
	// whether a request is sent again or a blob upload is started over:
	// the retries of all of them count against this one budget. 0 means
	// DefaultRetries, a negative value none. Requests answered 429 or
	// 503 wait as long as Retry-After says, up to MaxRetryAfter; others
	// back off exponentially from Backoff.
	Retries int

	// RetryTime bounds the time one operation may lose to failures: the
	// pauses before retries, Retry-After waits and tries that timed out,
	// together. No retry is made that would go past it, so a dead
	// registry fails within about RetryTime. 0 means DefaultRetryTime, a
	// negative value no bound but Retries.
	RetryTime time.Duration

	// Backoff is the first pause before a retry; each next one doubles,
	// up to 32 times Backoff, with ±25% jitter. 0 means DefaultBackoff,
	// a negative value no pause.
	Backoff time.Duration

	// ResponseTimeout is how long a request waits for the registry's
	// answer (its status line and headers), counted from when the
	// request was sent; a registry that accepts the connection and says
	// nothing fails with ErrTimeout. 0 means DefaultResponseTimeout, a
	// negative value no limit.
	ResponseTimeout time.Duration

	// StallTimeout and MinRate end a transfer, upload or download, that
	// moves fewer than MinRate bytes a second over StallTimeout of
	// waiting on the registry (time the caller spends between reads of a
	// download does not count). It fails with ErrTimeout. 0 means
	// DefaultStallTimeout and DefaultMinRate; a negative StallTimeout
	// means no limit, a negative MinRate that one byte a window is enough.
	StallTimeout time.Duration
	MinRate      int64

	// Timeout, when positive, bounds one Push, one Pull or PullImage
	// until it returns, and each later read of a blob of an artifact
	// Pull returned, each on its own. Past it the call fails with
	// ErrTimeout. 0 means no bound: a slow but moving transfer may take
	// as long as it needs, and ResponseTimeout and StallTimeout still end
	// a registry that stops answering.
	Timeout time.Duration

	// Jobs is how many blobs are uploaded at once; 0 means DefaultJobs.
	Jobs int

	// Progress, when set, is called for each blob and manifest: once
	// when the registry is found to hold it already (Exists), or once it
	// is mounted (Mounted) or uploaded (Uploaded), and for an upload also
	// as it starts and about every MiB (Uploading), and when an attempt
	// fails and is retried (Retrying), and, in pulls too, before the
	// pause to send a failed request again (Waiting). Calls never overlap, so it need
	// not lock; it runs on the upload's path, so it should return
	// quickly.
	Progress func(Progress)

	// Mounts, when set, is where Pull records the repository each blob
	// was read from and Push what it pushed, and where Push finds a
	// repository of the same registry to mount a blob from rather than
	// upload it; concurrent pushes sharing it upload a blob once. See
	// Mounts for what is shared with whom. nil remembers nothing: every
	// blob the repository lacks is uploaded.
	Mounts *Mounts

	// HTTPClient, when set, sends every request, as httptest's
	// Server.Client or a client with a custom transport does. Its
	// transport then decides TLS: CAFiles and InsecureSkipTLSVerify must
	// be unset, and SSL_CERT_FILE is not read. Push and Pull add their
	// retries and authentication on top of it and do not change it.
	HTTPClient *http.Client
}

// State says what happened to one blob in a Progress report.
type State int

// The states of a blob.
const (
	// Exists: the registry already held the blob; nothing was sent.
	Exists State = iota
	// Mounted: the registry copied the blob from another repository.
	Mounted
	// Uploading: Done of Total bytes have been sent.
	Uploading
	// Uploaded: the whole blob was sent and accepted.
	Uploaded
	// Retrying: an attempt failed; the blob is tried again after a pause.
	Retrying
	// Waiting: a request failed, because the registry did not answer or
	// answered 429 or 5xx; it is sent again after Wait. Err says why,
	// Descriptor is zero. Pulls report it too.
	Waiting
)

var stateNames = [...]string{"exists", "mounted", "uploading", "uploaded", "retrying", "waiting"}

// String returns the state in lower case, as progress lines print it.
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// Progress reports the state of one blob during a push.
type Progress struct {
	// Descriptor names the blob: digest, size and media type.
	Descriptor ocispec.Descriptor
	// State is what is happening to it.
	State State
	// Done is how many bytes have been sent in this attempt; Total is
	// the blob's size.
	Done, Total int64
	// Err is the error that made an attempt fail, for State Retrying
	// and Waiting.
	Err error
	// Wait is the pause before the request is sent again, for Waiting.
	Wait time.Duration
}

func (o Options) retries() int {
	switch {
	case o.Retries < 0:
		return 0
	case o.Retries == 0:
		return DefaultRetries
	}
	return o.Retries
}

func (o Options) jobs() int {
	if o.Jobs <= 0 {
		return DefaultJobs
	}
	return o.Jobs
}

// dur returns d, or def when d is 0, or 0 (none) when d is negative.
func dur(d, def time.Duration) time.Duration {
	switch {
	case d < 0:
		return 0
	case d == 0:
		return def
	}
	return d
}

// limits are the timeouts of one request, 0 meaning none.
type limits struct {
	response time.Duration
	window   time.Duration
	minBytes int64 // the fewest bytes that must move in a window
}

func (o Options) limits() limits {
	l := limits{response: dur(o.ResponseTimeout, DefaultResponseTimeout), window: dur(o.StallTimeout, DefaultStallTimeout)}
	rate := o.MinRate
	if rate == 0 {
		rate = DefaultMinRate
	}
	l.minBytes = max(1, int64(float64(rate)*l.window.Seconds()))
	return l
}

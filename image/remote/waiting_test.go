package remote

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestProgressWaiting: a registry that is down is retried with a
// Waiting report before each pause, saying which host failed and how,
// so that a command can say what it waits for.
func TestProgressWaiting(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing answers there now
	var got []Progress
	opts := Options{InsecureAllowHTTP: true, Retries: 2, Backoff: time.Millisecond, Progress: func(p Progress) { got = append(got, p) }}
	if _, err := Pull(context.Background(), addr+"/app:v1", opts); err == nil {
		t.Fatal("a pull from a closed port succeeded")
	}
	if len(got) != 2 {
		t.Fatalf("got %d reports, want one per retry (2): %+v", len(got), got)
	}
	for _, p := range got {
		if p.State != Waiting || p.Wait <= 0 || p.Err == nil || !strings.Contains(p.Err.Error(), addr) || strings.Contains(p.Err.Error(), "http://") {
			t.Errorf("report %+v: want Waiting, a pause, and an error naming %s without a URL", p, addr)
		}
	}
}

// TestErrorMessage: a fix that is an Options field is named so in
// Error, and as the caller spells it in Message.
func TestErrorMessage(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler()) // plain HTTP
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	_, err := Pull(context.Background(), host+"/app:v1", Options{Retries: -1})
	var re *Error
	if !errors.As(err, &re) {
		t.Fatalf("got %v, want an *Error", err)
	}
	flag := re.Message(func(f string) string { return "--flag-for-" + f })
	if !strings.Contains(re.Error(), "set Options.InsecureAllowHTTP") || !strings.Contains(flag, "set --flag-for-InsecureAllowHTTP") || strings.Contains(flag, "Options.") {
		t.Errorf("Error %q, Message %q: want the field, then the caller's name for it", re.Error(), flag)
	}
}

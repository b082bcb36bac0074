package remote

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/registrytest"
)

func TestOptionsValidate(t *testing.T) {
	hc := &http.Client{}
	for _, tc := range []struct {
		name string
		o    Options
		want string // in the message; "" for valid options
	}{
		{"zero", Options{}, ""},
		{"client", Options{HTTPClient: hc, Username: "u", Password: "p"}, ""},
		{"CA files", Options{CAFiles: []string{"ca.pem"}, InsecureSkipTLSVerify: false}, ""},
		{"client and CA files", Options{HTTPClient: hc, CAFiles: []string{"ca.pem"}}, "RootCAs"},
		{"client and skip verify", Options{HTTPClient: hc, InsecureSkipTLSVerify: true}, "InsecureSkipVerify"},
		{"HTTP and skip verify", Options{InsecureAllowHTTP: true, InsecureSkipTLSVerify: true}, "plain HTTP"},
		{"username alone", Options{Username: "u"}, "without a password"},
		{"password alone", Options{Password: "p"}, "without a username"},
		{"negative jobs", Options{Jobs: -1}, "Jobs is -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.o.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate: %v, want ErrInvalidOptions saying %q", err, tc.want)
			}
		})
	}
}

// TestPushPullValidate checks that Push and Pull refuse invalid Options
// before sending any request.
func TestPushPullValidate(t *testing.T) {
	reg := registrytest.New(t, registrytest.Options{})
	img := imagetest.Image(t, imagetest.Spec{Seed: 3})
	bad := Options{InsecureAllowHTTP: true, InsecureSkipTLSVerify: true}
	ctx := context.Background()
	if _, err := Push(ctx, reg.Host()+"/app:v1", img, bad); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("Push: %v, want ErrInvalidOptions", err)
	}
	if _, err := Pull(ctx, reg.Host()+"/app:v1", bad); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("Pull: %v, want ErrInvalidOptions", err)
	}
	if n := len(reg.Log()); n != 0 {
		t.Errorf("%d requests sent with invalid options, want none", n)
	}
}

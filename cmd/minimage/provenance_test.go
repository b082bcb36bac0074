package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/signature"
)

// TestProvenanceReproducible builds and pushes the same program twice,
// with a key, as separate processes under different GOMAXPROCS, time
// zones and umasks, with SOURCE_DATE_EPOCH set: the provenance
// statements signed have the same bytes (the signatures differ: ECDSA
// is randomized), and their times are SOURCE_DATE_EPOCH.
func TestProvenanceReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds the program twice")
	}
	exe := minimageExe(t)
	reg := registrytest.New(t, registrytest.Options{})
	hello := filepath.Join(repoRoot(t), "examples", "hello")
	prefix := filepath.Join(t.TempDir(), "k")
	t.Setenv("COSIGN_PASSWORD", "pw")
	if code, _, stderr := minimage(t, "key", "generate", "--output-key-prefix", prefix); code != 0 {
		t.Fatalf("key generate: %s", stderr)
	}
	var statements []string
	for i, env := range [][]string{
		{"GOMAXPROCS=1", "TZ=UTC", "UMASK=022"},
		{"GOMAXPROCS=4", "TZ=Pacific/Chatham", "UMASK=077"},
	} {
		ref := reg.Host() + "/hello:run" + string(rune('a'+i))
		cmd := exec.Command("sh", "-c", `umask "$UMASK" && exec "$@"`, "sh", exe, "build", "-q", "--insecure-allow-http",
			"--platform=linux/amd64,linux/arm64", "--zones=Europe/Paris", "--push", ref, "--sign-key", prefix+".key", "--bin-cache=", hello)
		cmd.Env = append(os.Environ(), append(env, "SOURCE_DATE_EPOCH=1700000000", "DOCKER_CONFIG="+t.TempDir())...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %d (%q): %v\n%s", i, env, err, out)
		}
		statements = append(statements, provenanceStatement(t, ref))
	}
	if statements[0] != statements[1] {
		t.Errorf("the provenance differs between the builds:\n%s\n%s", statements[0], statements[1])
	}
	var st struct {
		Predicate struct {
			RunDetails struct {
				Metadata struct{ StartedOn, FinishedOn string }
			}
		}
	}
	if err := json.Unmarshal([]byte(statements[0]), &st); err != nil {
		t.Fatal(err)
	}
	if m := st.Predicate.RunDetails.Metadata; m.StartedOn != "2023-11-14T22:13:20Z" || m.FinishedOn != m.StartedOn {
		t.Errorf("metadata %+v; want both SOURCE_DATE_EPOCH, 2023-11-14T22:13:20Z", m)
	}
}

// provenanceStatement returns the JSON of the provenance statement
// attested for the tag ref, as signed.
func provenanceStatement(t *testing.T, ref string) string {
	t.Helper()
	ctx := context.Background()
	opts := remote.Options{InsecureAllowHTTP: true}
	a, err := remote.Pull(ctx, ref, opts)
	if err != nil {
		t.Fatal(err)
	}
	r, err := remote.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	m, err := remote.Pull(ctx, r.Name()+":"+signature.AttestationTag(a.Digest()), opts)
	if err != nil {
		t.Fatal(err)
	}
	atts, err := signature.ReadAttestations(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	for _, att := range atts {
		if att.PredicateType != signature.PredicateSLSAProvenance1 {
			continue
		}
		var env struct{ Payload string }
		if err := json.Unmarshal(att.Envelope, &env); err != nil {
			t.Fatal(err)
		}
		payload, err := base64.StdEncoding.DecodeString(env.Payload)
		if err != nil {
			t.Fatal(err)
		}
		return string(payload)
	}
	t.Fatalf("%s: no provenance among %d attestations", ref, len(atts))
	return ""
}

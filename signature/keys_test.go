package signature

import (
	"crypto/ecdsa"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestPrivateKeyRoundTrip(t *testing.T) {
	t.Parallel() // scrypt (N=2^16) takes seconds under -race
	k := testKey(t)
	for _, pw := range []string{"s3cret", ""} {
		data, err := MarshalPrivateKey(k, []byte(pw))
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParsePrivateKey(data, []byte(pw))
		if err != nil {
			t.Fatalf("password %q: %v", pw, err)
		}
		if !got.Equal(k) {
			t.Errorf("password %q: the key read back is another key", pw)
		}
		if _, err := ParsePrivateKey(data, []byte(pw+"x")); !errors.Is(err, ErrPassword) {
			t.Errorf("password %q: a wrong password gave %v, want ErrPassword", pw, err)
		}
	}
}

// TestPrivateKeyFormat checks the layout cosign and go-securesystemslib
// read: a PEM block of the sigstore type holding JSON with the scrypt
// and secretbox parameters.
func TestPrivateKeyFormat(t *testing.T) {
	t.Parallel() // scrypt (N=2^16) takes seconds under -race
	data, err := MarshalPrivateKey(testKey(t), []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	b, rest := pem.Decode(data)
	if b == nil || b.Type != "ENCRYPTED SIGSTORE PRIVATE KEY" || len(strings.TrimSpace(string(rest))) != 0 {
		t.Fatalf("want one ENCRYPTED SIGSTORE PRIVATE KEY block, got %q", data)
	}
	var d struct {
		KDF struct {
			Name   string
			Params map[string]int
			Salt   []byte
		}
		Cipher struct {
			Name  string
			Nonce []byte
		}
		Ciphertext []byte
	}
	if err := json.Unmarshal(b.Bytes, &d); err != nil {
		t.Fatal(err)
	}
	if d.KDF.Name != "scrypt" || d.KDF.Params["N"] != 65536 || d.KDF.Params["r"] != 8 || d.KDF.Params["p"] != 1 || len(d.KDF.Salt) != 32 {
		t.Errorf("kdf = %+v, want scrypt N=65536 r=8 p=1 with a 32-byte salt", d.KDF)
	}
	if d.Cipher.Name != "nacl/secretbox" || len(d.Cipher.Nonce) != 24 || len(d.Ciphertext) == 0 {
		t.Errorf("cipher = %+v, want nacl/secretbox with a 24-byte nonce", d.Cipher)
	}
}

func TestParsePrivateKeyRefuses(t *testing.T) {
	t.Parallel() // scrypt (N=2^16) takes seconds under -race
	good, err := MarshalPrivateKey(testKey(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(good)
	relabel := func(typ string, body []byte) []byte {
		return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: body})
	}
	var d map[string]any
	if err := json.Unmarshal(b.Bytes, &d); err != nil {
		t.Fatal(err)
	}
	d["kdf"].(map[string]any)["params"].(map[string]any)["N"] = 1 << 24
	slow, _ := json.Marshal(d)
	for name, data := range map[string][]byte{
		"not PEM":            []byte("hello"),
		"unencrypted type":   relabel("PRIVATE KEY", b.Bytes),
		"huge scrypt N":      relabel(PEMPrivateKey, slow),
		"ciphertext garbage": relabel(PEMPrivateKey, []byte(`{"kdf":{}}`)),
	} {
		if _, err := ParsePrivateKey(data, nil); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("%s: got %v, want ErrInvalidKey", name, err)
		}
	}
	// The type older cosign versions wrote is read as well.
	if _, err := ParsePrivateKey(relabel(PEMCosignPrivateKey, b.Bytes), nil); err != nil {
		t.Errorf("%s: %v", PEMCosignPrivateKey, err)
	}
}

func TestPublicKeyRoundTrip(t *testing.T) {
	t.Parallel() // scrypt (N=2^16) takes seconds under -race
	k := testKey(t)
	data, err := MarshalPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "-----BEGIN PUBLIC KEY-----\n") {
		t.Errorf("public key PEM starts %q", data)
	}
	got, err := ParsePublicKey(data)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(&k.PublicKey) {
		t.Error("the public key read back is another key")
	}
	priv, _ := MarshalPrivateKey(k, nil)
	if _, err := ParsePublicKey(priv); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("a private key given as the public key: got %v, want ErrInvalidKey", err)
	}
}

func TestKeyFiles(t *testing.T) {
	t.Parallel() // scrypt (N=2^16) takes seconds under -race
	prefix := filepath.Join(t.TempDir(), "cosign")
	k := testKey(t)
	if err := WriteKeyFiles(prefix, k, []byte("pw")); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		for path, want := range map[string]fs.FileMode{prefix + ".key": 0o600, prefix + ".pub": 0o644} {
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			// The umask may take bits away, never add them.
			if got := st.Mode().Perm(); got&^want != 0 || (path == prefix+".key" && got != 0o600) {
				t.Errorf("%s: mode %04o, want %04o", path, got, want)
			}
		}
	}
	priv, err := ReadPrivateKeyFile(prefix+".key", []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ReadPublicKeyFile(prefix + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if !priv.Equal(k) || !pub.Equal(&k.PublicKey) {
		t.Error("the keys read back differ from the key written")
	}
	if err := WriteKeyFiles(prefix, testKey(t), nil); !errors.Is(err, fs.ErrExist) {
		t.Errorf("a second WriteKeyFiles: got %v, want fs.ErrExist", err)
	}
	if again, _ := ReadPrivateKeyFile(prefix+".key", []byte("pw")); again == nil || !again.Equal(k) {
		t.Error("a refused WriteKeyFiles changed the key file")
	}
}

func TestReadPrivateKeyFilePermissions(t *testing.T) {
	t.Parallel() // scrypt (N=2^16) takes seconds under -race
	if runtime.GOOS == "windows" {
		t.Skip("Windows file modes are not checked")
	}
	prefix := filepath.Join(t.TempDir(), "k")
	if err := WriteKeyFiles(prefix, testKey(t), nil); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []fs.FileMode{0o640, 0o604, 0o644} {
		if err := os.Chmod(prefix+".key", mode); err != nil {
			t.Fatal(err)
		}
		_, err := ReadPrivateKeyFile(prefix+".key", nil)
		if !errors.Is(err, ErrKeyPermissions) || !strings.Contains(err.Error(), "chmod 600 "+prefix+".key") {
			t.Errorf("mode %04o: got %v, want ErrKeyPermissions saying chmod 600", mode, err)
		}
	}
	if err := os.Chmod(prefix+".key", 0o400); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadPrivateKeyFile(prefix+".key", nil); err != nil {
		t.Errorf("mode 0400: %v", err)
	}
}

func testKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

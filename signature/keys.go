package signature

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
)

// PEM block types of the key files, as cosign names them.
const (
	// PEMPrivateKey is the type of the private keys this package writes,
	// and of those cosign generate-key-pair writes since v2.
	PEMPrivateKey = "ENCRYPTED SIGSTORE PRIVATE KEY"
	// PEMCosignPrivateKey is the type older cosign versions wrote; it is
	// read too.
	PEMCosignPrivateKey = "ENCRYPTED COSIGN PRIVATE KEY"
	// PEMPublicKey is the type of a public key: PKIX, DER-encoded.
	PEMPublicKey = "PUBLIC KEY"
)

// maxKeyFile bounds what a key file may hold.
const maxKeyFile = 64 << 10

// GenerateKey returns a new ECDSA P-256 key, the kind cosign
// generate-key-pair makes.
func GenerateKey() (*ecdsa.PrivateKey, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

// MarshalPrivateKey returns k as cosign writes a private key file: the
// PKCS #8 encoding of k, encrypted with a key derived from password by
// scrypt (N=2^16, r=8, p=1) and sealed with NaCl secretbox, in a PEM
// block of type PEMPrivateKey. An empty password is allowed, as cosign
// allows it.
func MarshalPrivateKey(k *ecdsa.PrivateKey, password []byte) ([]byte, error) {
	if err := checkCurve(&k.PublicKey); err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	enc, err := encrypt(der, password)
	if err != nil {
		return nil, fmt.Errorf("signature: encrypt the private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: PEMPrivateKey, Bytes: enc}), nil
}

// ParsePrivateKey reads a private key that MarshalPrivateKey or cosign
// generate-key-pair wrote (PEM type PEMPrivateKey or
// PEMCosignPrivateKey), decrypting it with password. A password that
// does not open it is an ErrPassword error; a key other than ECDSA P-256
// an ErrInvalidKey error.
func ParsePrivateKey(data, password []byte) (*ecdsa.PrivateKey, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, fmt.Errorf("signature: %w: no PEM block; give a key that minimage key generate or cosign generate-key-pair wrote", ErrInvalidKey)
	}
	if b.Type != PEMPrivateKey && b.Type != PEMCosignPrivateKey {
		return nil, fmt.Errorf("signature: %w: PEM type %q, want %q or %q (an encrypted cosign key)", ErrInvalidKey, b.Type, PEMPrivateKey, PEMCosignPrivateKey)
	}
	der, err := decrypt(b.Bytes, password)
	if errors.Is(err, ErrPassword) {
		return nil, fmt.Errorf("signature: %w: the key does not decrypt with it; check COSIGN_PASSWORD", err)
	}
	if err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("signature: %w: PKCS #8: %v", ErrInvalidKey, err)
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("signature: %w: a %T; only ECDSA P-256 keys (cosign's default) are supported", ErrInvalidKey, k)
	}
	if err := checkCurve(&ek.PublicKey); err != nil {
		return nil, err
	}
	return ek, nil
}

// MarshalPublicKey returns k as a PEM block of type PEMPublicKey, as
// cosign writes a public key file.
func MarshalPublicKey(k *ecdsa.PublicKey) ([]byte, error) {
	if err := checkCurve(k); err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: PEMPublicKey, Bytes: der}), nil
}

// ParsePublicKey reads a public key that MarshalPublicKey or cosign
// wrote: an ECDSA P-256 key in a PEM block of type PEMPublicKey.
func ParsePublicKey(data []byte) (*ecdsa.PublicKey, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != PEMPublicKey {
		return nil, fmt.Errorf("signature: %w: no %q PEM block; give the .pub file of the key pair", ErrInvalidKey, PEMPublicKey)
	}
	k, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("signature: %w: %v", ErrInvalidKey, err)
	}
	ek, ok := k.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("signature: %w: a %T; only ECDSA P-256 keys (cosign's default) are supported", ErrInvalidKey, k)
	}
	return ek, checkCurve(ek)
}

// WriteKeyFiles writes k to PREFIX.key, encrypted with password
// (MarshalPrivateKey), readable by its owner only (0600), and its public
// key to PREFIX.pub (0644), as cosign generate-key-pair does. It refuses
// to replace either file (an fs.ErrExist error).
func WriteKeyFiles(prefix string, k *ecdsa.PrivateKey, password []byte) error {
	priv, err := MarshalPrivateKey(k, password)
	if err != nil {
		return err
	}
	pub, err := MarshalPublicKey(&k.PublicKey)
	if err != nil {
		return err
	}
	keyPath, pubPath := prefix+".key", prefix+".pub"
	for _, p := range []string{keyPath, pubPath} {
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("signature: %s: %w; remove it or choose another prefix", p, fs.ErrExist)
		}
	}
	if err := writeNew(keyPath, priv, 0o600); err != nil {
		return err
	}
	if err := writeNew(pubPath, pub, 0o644); err != nil {
		os.Remove(keyPath)
		return err
	}
	return nil
}

// ReadPrivateKeyFile reads the private key in the file at path
// (ParsePrivateKey). A file that users other than its owner may read
// is refused with ErrKeyPermissions, as ssh refuses such keys; the error
// says to chmod 600 it. Windows file modes are not checked.
func ReadPrivateKeyFile(path string, password []byte) (*ecdsa.PrivateKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("signature: private key: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("signature: private key: %w", err)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("signature: %s: %w (mode %04o); run chmod 600 %s", path, ErrKeyPermissions, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile))
	if err != nil {
		return nil, fmt.Errorf("signature: private key: %w", err)
	}
	k, err := ParsePrivateKey(data, password)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return k, nil
}

// ReadPublicKeyFile reads the public key in the file at path
// (ParsePublicKey).
func ReadPublicKeyFile(path string) (*ecdsa.PublicKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("signature: public key: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile))
	if err != nil {
		return nil, fmt.Errorf("signature: public key: %w", err)
	}
	k, err := ParsePublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return k, nil
}

func checkCurve(k *ecdsa.PublicKey) error {
	if k == nil || k.Curve != elliptic.P256() {
		return fmt.Errorf("signature: %w: only ECDSA P-256 keys (cosign's default) are supported", ErrInvalidKey)
	}
	return nil
}

// writeNew writes data to a new file at path with mode perm.
func writeNew(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("signature: %w", err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("signature: %w", err)
	}
	return nil
}

package signature

import (
	"crypto/rand"
	"encoding/json"
	"fmt"

	"golang.org/x/crypto/nacl/secretbox"
	"golang.org/x/crypto/scrypt"
)

// The encrypted form of a private key, as go-securesystemslib's
// "encrypted" package lays it out and cosign writes it: a JSON object
// naming the key derivation (scrypt, with its parameters and salt) and
// the cipher (NaCl secretbox, with its nonce), and the ciphertext. Byte
// strings are base64, as encoding/json writes []byte.
type encryptedData struct {
	KDF        encryptedKDF    `json:"kdf"`
	Cipher     encryptedCipher `json:"cipher"`
	Ciphertext []byte          `json:"ciphertext"`
}

type encryptedKDF struct {
	Name   string       `json:"name"`
	Params scryptParams `json:"params"`
	Salt   []byte       `json:"salt"`
}

type scryptParams struct {
	N int `json:"N"`
	R int `json:"r"`
	P int `json:"p"`
}

type encryptedCipher struct {
	Name  string `json:"name"`
	Nonce []byte `json:"nonce"`
}

const (
	kdfScrypt       = "scrypt"
	cipherSecretbox = "nacl/secretbox"
	saltSize        = 32
	nonceSize       = 24
	boxKeySize      = 32
)

// scryptWrite is what new keys use: N=2^16, r=8, p=1, as cosign does.
var scryptWrite = scryptParams{N: 1 << 16, R: 8, P: 1}

// scryptAccepted are the parameters a key may carry: those cosign and
// go-securesystemslib have written (N 2^15, 2^16 or 2^17). Others are
// refused, so that a key file cannot make reading it take hours.
func scryptAccepted(p scryptParams) bool {
	return p.R == 8 && p.P == 1 && (p.N == 1<<15 || p.N == 1<<16 || p.N == 1<<17)
}

// encrypt seals plaintext with a key derived from password.
func encrypt(plaintext, password []byte) ([]byte, error) {
	d := encryptedData{
		KDF:    encryptedKDF{Name: kdfScrypt, Params: scryptWrite, Salt: make([]byte, saltSize)},
		Cipher: encryptedCipher{Name: cipherSecretbox, Nonce: make([]byte, nonceSize)},
	}
	if _, err := rand.Read(d.KDF.Salt); err != nil {
		return nil, err
	}
	if _, err := rand.Read(d.Cipher.Nonce); err != nil {
		return nil, err
	}
	key, err := d.KDF.key(password)
	if err != nil {
		return nil, err
	}
	d.Ciphertext = secretbox.Seal(nil, plaintext, (*[nonceSize]byte)(d.Cipher.Nonce), key)
	return json.Marshal(d)
}

// decrypt opens what encrypt sealed. A wrong password is ErrPassword.
func decrypt(data, password []byte) ([]byte, error) {
	var d encryptedData
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("%w: the encrypted key is not JSON: %v", ErrInvalidKey, err)
	}
	switch {
	case d.KDF.Name != kdfScrypt:
		return nil, fmt.Errorf("%w: key derivation %q, want %q", ErrInvalidKey, d.KDF.Name, kdfScrypt)
	case !scryptAccepted(d.KDF.Params):
		return nil, fmt.Errorf("%w: scrypt parameters N=%d r=%d p=%d are not among those cosign writes", ErrInvalidKey, d.KDF.Params.N, d.KDF.Params.R, d.KDF.Params.P)
	case d.Cipher.Name != cipherSecretbox:
		return nil, fmt.Errorf("%w: cipher %q, want %q", ErrInvalidKey, d.Cipher.Name, cipherSecretbox)
	case len(d.Cipher.Nonce) != nonceSize:
		return nil, fmt.Errorf("%w: the nonce has %d bytes, want %d", ErrInvalidKey, len(d.Cipher.Nonce), nonceSize)
	}
	key, err := d.KDF.key(password)
	if err != nil {
		return nil, err
	}
	plain, ok := secretbox.Open(nil, d.Ciphertext, (*[nonceSize]byte)(d.Cipher.Nonce), key)
	if !ok {
		return nil, ErrPassword
	}
	return plain, nil
}

func (k encryptedKDF) key(password []byte) (*[boxKeySize]byte, error) {
	b, err := scrypt.Key(password, k.Salt, k.Params.N, k.Params.R, k.Params.P, boxKeySize)
	if err != nil {
		return nil, fmt.Errorf("%w: scrypt: %v", ErrInvalidKey, err)
	}
	return (*[boxKeySize]byte)(b), nil
}

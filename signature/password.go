package signature

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// Password returns the password of a private key as cosign gets it:
// $COSIGN_PASSWORD when it is set (even empty, as cosign reads it), else
// one typed on the terminal in, after a prompt written to prompt; twice
// when confirm is set, as for a new key (ErrPasswordsDiffer when they
// differ). With neither, it returns ErrNoPassword.
func Password(in *os.File, prompt io.Writer, confirm bool) ([]byte, error) {
	if pw, ok := os.LookupEnv("COSIGN_PASSWORD"); ok {
		return []byte(pw), nil
	}
	fd := int(in.Fd())
	if !term.IsTerminal(fd) {
		return nil, fmt.Errorf("%w: set COSIGN_PASSWORD (standard input is not a terminal to type it on)", ErrNoPassword)
	}
	fmt.Fprint(prompt, "Enter password for private key: ")
	pw, err := term.ReadPassword(fd)
	fmt.Fprintln(prompt)
	if err != nil || !confirm {
		return pw, err
	}
	fmt.Fprint(prompt, "Enter password for private key again: ")
	again, err := term.ReadPassword(fd)
	fmt.Fprintln(prompt)
	if err != nil {
		return nil, err
	}
	if string(again) != string(pw) {
		return nil, fmt.Errorf("%w; run the command again", ErrPasswordsDiffer)
	}
	return pw, nil
}

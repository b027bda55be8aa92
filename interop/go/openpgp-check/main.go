// Command openpgp-check verifies a detached signature over a file the way
// GoQuorum's plugin verifier does: the key file is read with
// openpgp.ReadArmoredKeyRing and the signature is checked with
// openpgp.CheckArmoredDetachedSignature over the file's bytes; if that fails
// it retries over the same bytes followed by "\n" (the checksum-file rule).
// It uses golang.org/x/crypto/openpgp at Quorum's pinned version, so a pass
// here means Quorum would accept the signature.
//
//	usage: openpgp-check <armored-key-file> <armored-sig-file> <signed-file>
//
// Exit 0 prints "ok <signer key id, 16 hex digits> <checksum|checksum+newline>";
// exit 1 prints the error; exit 2 is a usage error.
package main

import (
	"bytes"
	"fmt"
	"os"

	"golang.org/x/crypto/openpgp" //nolint:staticcheck // deprecated, but it is what Quorum uses
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: openpgp-check <armored-key-file> <armored-sig-file> <signed-file>")
		os.Exit(2)
	}
	signer, over, err := check(os.Args[1], os.Args[2], os.Args[3])
	if err != nil {
		fmt.Println(err.Error())
		os.Exit(1)
	}
	fmt.Printf("ok %016X %s\n", signer.PrimaryKey.KeyId, over)
}

func check(keyPath, sigPath, signedPath string) (*openpgp.Entity, string, error) {
	keyData, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, "", err
	}
	sigData, err := os.ReadFile(sigPath)
	if err != nil {
		return nil, "", err
	}
	signed, err := os.ReadFile(signedPath)
	if err != nil {
		return nil, "", err
	}
	keyring, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(keyData))
	if err != nil {
		return nil, "", err
	}
	signer, err := openpgp.CheckArmoredDetachedSignature(keyring, bytes.NewReader(signed), bytes.NewReader(sigData))
	over := "checksum"
	if err != nil {
		// Quorum's retry: the signer may have signed a checksum file ending in "\n".
		withNewline := append(append([]byte{}, signed...), '\n')
		signer, err = openpgp.CheckArmoredDetachedSignature(keyring, bytes.NewReader(withNewline), bytes.NewReader(sigData))
		over = "checksum+newline"
	}
	if err != nil {
		return nil, "", err
	}
	if signer == nil {
		return nil, "", fmt.Errorf("verification failed")
	}
	return signer, over, nil
}

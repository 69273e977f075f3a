package dashboard

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// TokenFile is the name of the API token file inside the data directory.
const TokenFile = "api-token"

// TokenHeader carries the API token on state-changing requests.
const TokenHeader = "X-PacketBuddy-Token"

// tokenBytes is the size of the random secret before hex encoding.
const tokenBytes = 32

// LoadOrCreateToken returns the per-install API token kept in
// <dataDir>/api-token, creating it (32 random bytes, hex-encoded, mode
// 0600) on first use. The CLI and the tray read the same file to call the
// API. A file that does not hold a well-formed token is an error rather
// than silently replaced, so that a damaged install is noticed.
func LoadOrCreateToken(dataDir string) (string, error) {
	path := filepath.Join(dataDir, TokenFile)
	tok, err := readToken(path)
	if err == nil {
		return tok, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", fmt.Errorf("create data directory: %w", err)
	}
	var b [tokenBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate api token: %w", err)
	}
	tok = hex.EncodeToString(b[:])
	// O_EXCL: when two processes race to create it, the loser reads the
	// winner's token instead of overwriting it.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readToken(path)
	}
	if err != nil {
		return "", fmt.Errorf("create api token: %w", err)
	}
	if _, err := f.WriteString(tok + "\n"); err != nil {
		f.Close()
		os.Remove(path)
		return "", fmt.Errorf("write api token: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return "", fmt.Errorf("write api token: %w", err)
	}
	return tok, nil
}

// ReadToken reads an existing token without creating one (for clients).
func ReadToken(dataDir string) (string, error) {
	return readToken(filepath.Join(dataDir, TokenFile))
}

// tokenWriteWait is how long a reader waits for a token file that is still
// empty: another process has just created it and is about to write it.
const tokenWriteWait = time.Second

// readToken reads and checks the token at path, waiting up to
// tokenWriteWait for a file another process created but has not written.
func readToken(path string) (string, error) {
	var data []byte
	for deadline := time.Now().Add(tokenWriteWait); ; time.Sleep(10 * time.Millisecond) {
		var err error
		data, err = os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("read api token: %w", err)
		}
		if len(data) > 0 || time.Now().After(deadline) {
			break
		}
	}
	tok := strings.TrimSpace(string(data))
	if b, err := hex.DecodeString(tok); err != nil || len(b) != tokenBytes {
		return "", fmt.Errorf("api token file %s is damaged: want %d hex characters (delete it to make a new one)", path, 2*tokenBytes)
	}
	if runtime.GOOS != "windows" {
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			// Readable by others: tighten it rather than refuse to start.
			if err := os.Chmod(path, 0o600); err != nil {
				return "", fmt.Errorf("restrict api token: %w", err)
			}
		}
	}
	return tok, nil
}

// tokenEqual compares tokens in constant time.
func tokenEqual(got, want string) bool {
	if want == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

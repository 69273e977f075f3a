//go:build linux || freebsd || openbsd || netbsd

package tray

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
)

// downloadsDir is XDG_DOWNLOAD_DIR from $XDG_CONFIG_HOME/user-dirs.dirs
// (written by xdg-user-dirs-update, translated on non-English desktops).
func downloadsDir() string {
	cfg, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	data, err := os.ReadFile(filepath.Join(cfg, "user-dirs.dirs"))
	if err != nil {
		return ""
	}
	home, _ := os.UserHomeDir()
	return parseUserDirs(data, "XDG_DOWNLOAD_DIR", home)
}

// parseUserDirs reads a key of user-dirs.dirs, whose values are
// "$HOME/relative" or "/absolute" in double quotes. A value of "$HOME/"
// alone means the directory is disabled.
func parseUserDirs(data []byte, key, home string) string {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") || strings.TrimSpace(k) != key {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
			return ""
		}
		v = strings.ReplaceAll(v[1:len(v)-1], `\"`, `"`)
		switch {
		case strings.HasPrefix(v, "$HOME"):
			rest := strings.TrimPrefix(strings.TrimPrefix(v, "$HOME"), "/")
			if rest == "" || home == "" {
				return ""
			}
			return filepath.Join(home, rest)
		case filepath.IsAbs(v):
			return filepath.Clean(v)
		}
		return ""
	}
	return ""
}

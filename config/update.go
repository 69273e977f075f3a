package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Value is a TOML value for Update: string, bool, float64, int or []string.
type Value any

// tomlValue writes v as TOML.
func tomlValue(v Value) (string, error) {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x), nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case int:
		return strconv.Itoa(x), nil
	case []string:
		return tomlStrings(x), nil
	}
	return "", fmt.Errorf("unsupported config value %T", v)
}

// sectionRE matches a table header such as "[monitor]" and captures its name.
var sectionRE = regexp.MustCompile(`^\s*\[([A-Za-z0-9_.-]+)\]\s*(#.*)?$`)

// Update changes keys ("section.key" -> value) in the file at path, keeping
// every other line and comment as it is; a key that is missing is added to
// its section. The result is parsed before it replaces the file, so an
// update can never leave an invalid file behind.
func Update(path string, changes map[string]Value) (Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		data = []byte(Render(Default()))
	} else if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	lines := strings.Split(string(data), "\n")
	for full, v := range changes {
		section, key, ok := strings.Cut(full, ".")
		if !ok {
			return Config{}, fmt.Errorf("config key %q: want section.key", full)
		}
		val, err := tomlValue(v)
		if err != nil {
			return Config{}, err
		}
		lines = setKey(lines, section, key, val)
	}
	out := strings.Join(lines, "\n")
	c, err := Parse(path, []byte(out))
	if err != nil {
		return c, err
	}
	if err := writeFile(path, []byte(out)); err != nil {
		return c, err
	}
	return c, nil
}

// setKey sets key in section to val, which is already TOML, keeping the
// line's trailing comment. A key that is not there is added after the last
// line of its section, and a section that is not there at the end.
func setKey(lines []string, section, key, val string) []string {
	keyRE := regexp.MustCompile(`^(\s*` + regexp.QuoteMeta(key) + `\s*=\s*)(.*)$`)
	cur, sectionEnd := "", -1
	for i, l := range lines {
		if m := sectionRE.FindStringSubmatch(l); m != nil {
			if cur == section && sectionEnd < 0 {
				sectionEnd = i
			}
			cur = m[1]
			continue
		}
		if cur == section {
			if m := keyRE.FindStringSubmatch(l); m != nil {
				lines[i] = m[1] + val + trailingComment(m[2])
				return lines
			}
		}
	}
	if cur == section && sectionEnd < 0 {
		sectionEnd = len(lines)
	}
	if sectionEnd < 0 {
		return append(lines, "", "["+section+"]", key+" = "+val)
	}
	// After the section's last non-blank line, not after the blank lines
	// that set it apart from the next one.
	at := sectionEnd
	for at > 0 && strings.TrimSpace(lines[at-1]) == "" {
		at--
	}
	return append(lines[:at], append([]string{key + " = " + val}, lines[at:]...)...)
}

// trailingComment returns the " # ..." part after a simple value, if any.
func trailingComment(rest string) string {
	inStr := false
	for i := 0; i < len(rest); i++ {
		switch rest[i] {
		case '\\':
			if inStr {
				i++
			}
		case '"':
			inStr = !inStr
		case '#':
			if !inStr {
				j := i
				for j > 0 && (rest[j-1] == ' ' || rest[j-1] == '\t') {
					j--
				}
				return rest[j:]
			}
		}
	}
	return ""
}

package packaging

import (
	"bufio"
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"text/template"
	"unicode/utf8"
)

// The XDG autostart entry. Only autostart_xdg.go writes it; it lives in a
// file without a build tag so that its quoting is tested everywhere.

//go:embed packetbuddy.desktop.tmpl
var desktopEntryText string

var desktopEntryTemplate = template.Must(template.New("desktop").Parse(desktopEntryText))

// desktopEntry renders the autostart entry that launches exe.
func desktopEntry(exe string) ([]byte, error) {
	// Desktop entries are UTF-8 text; a path that is not cannot be written
	// into one without changing it.
	if !utf8.ValidString(exe) {
		return nil, fmt.Errorf("path %q is not valid UTF-8 and cannot be put in a desktop entry", exe)
	}
	var b bytes.Buffer
	if err := desktopEntryTemplate.Execute(&b, struct{ Exec string }{execQuote(exe)}); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// execQuote encodes arg as one argument of an Exec key. The Desktop Entry
// specification stacks three encodings, which readers undo in this order:
//
//  1. the key file's string escapes (\\, \n, \t, \r),
//  2. the Exec quoting rules (inside double quotes, ", `, $ and \ take a
//     backslash),
//  3. field codes (a literal % is written %%).
//
// So a backslash in a path ends up as four backslashes in the file, and a
// dollar sign as \\$, exactly as the specification's examples show. The
// argument is always quoted: a path with a space or another reserved
// character needs it, and quoting the rest costs nothing.
func execQuote(arg string) string {
	var b strings.Builder
	b.Grow(len(arg) + 2)
	b.WriteByte('"')
	// Bytes, not runes: every special character is ASCII, and a byte loop
	// passes any other byte through unchanged.
	for i := 0; i < len(arg); i++ {
		switch c := arg[i]; c {
		case '%':
			b.WriteString("%%")
		case '"', '`', '$':
			b.WriteString(`\\`) // the quoting backslash, escaped as a string
			b.WriteByte(c)
		case '\\':
			b.WriteString(`\\\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// parseExec splits the value of an Exec key, as found in the file, into its
// arguments, undoing the three encodings execQuote applies. Field codes
// other than %% are left as they are: an autostart entry has no files or
// URLs to expand them to.
func parseExec(value string) ([]string, error) {
	args, err := splitExec(unescapeString(value))
	if err != nil {
		return nil, err
	}
	for i, a := range args {
		args[i] = unescapePercent(a)
	}
	return args, nil
}

// unescapeString undoes the key file's escapes for values of type string.
// An unknown escape is kept as written rather than rejected: the entry may
// have been edited by hand, and its path is still worth reporting.
func unescapeString(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 's':
			b.WriteByte(' ')
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '\\':
			b.WriteByte('\\')
		default:
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

var errUnclosedQuote = errors.New("exec: unclosed quote")

// splitExec splits an Exec value, after string unescaping, into arguments:
// arguments are separated by spaces, and a double-quoted part may contain
// anything, with ", `, $ and \ escaped by a backslash.
func splitExec(s string) ([]string, error) {
	var (
		args  []string
		arg   strings.Builder
		inArg bool
	)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t':
			if inArg {
				args = append(args, arg.String())
				arg.Reset()
				inArg = false
			}
		case '"':
			inArg = true
			for i++; ; i++ {
				if i == len(s) {
					return nil, errUnclosedQuote
				}
				if s[i] == '"' {
					break
				}
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"`$\\", s[i+1]) >= 0 {
					i++
				}
				arg.WriteByte(s[i])
			}
		default:
			inArg = true
			arg.WriteByte(c)
		}
	}
	if inArg {
		args = append(args, arg.String())
	}
	return args, nil
}

// unescapePercent turns the field code %% back into a literal %.
func unescapePercent(s string) string {
	if !strings.Contains(s, "%%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] == '%' && i+1 < len(s) && s[i+1] == '%' {
			i++
		}
	}
	return b.String()
}

// parseDesktopEntry reads back an autostart entry: the executable its Exec
// key starts, and whether the user switched it off. Desktops record that in
// the user's copy of the file, as Hidden=true (the XDG autostart
// specification) or X-GNOME-Autostart-enabled=false (GNOME's settings).
// path is "" when the entry has no usable Exec key.
func parseDesktopEntry(data []byte) (path string, disabled bool) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20) // long lines are allowed; a path can be long
	inEntry := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") {
			inEntry = line == "[Desktop Entry]"
			continue
		}
		if !inEntry {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		switch key {
		case "Exec":
			if args, err := parseExec(value); err == nil && len(args) > 0 {
				path = args[0]
			}
		case "Hidden":
			disabled = disabled || value == "true"
		case "X-GNOME-Autostart-enabled":
			disabled = disabled || value == "false"
		}
	}
	return path, disabled
}

package packaging

import (
	"slices"
	"strings"
	"testing"
)

func TestDesktopEntryGolden(t *testing.T) {
	t.Parallel()
	got, err := desktopEntry(`/opt/Packet Buddy/bin/packetbuddy`)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "packetbuddy.desktop", got)
}

func TestExecQuote(t *testing.T) {
	t.Parallel()
	// The expected values spell out the file's bytes: the spec's example of
	// a literal backslash is four backslashes, of a dollar sign \\$.
	tests := []struct {
		name, arg, want string
	}{
		{"plain", "/usr/bin/packetbuddy", `"/usr/bin/packetbuddy"`},
		{"space", "/opt/Packet Buddy/pb", `"/opt/Packet Buddy/pb"`},
		{"double quote", `/a"b`, `"/a\\"b"`},
		{"backquote", "/a`b", "\"/a\\\\`b\""},
		{"dollar", "/a$HOME", `"/a\\$HOME"`},
		{"backslash", `/a\b`, `"/a\\\\b"`},
		{"percent", "/100%/pb", `"/100%%/pb"`},
		{"field code lookalike", "/a%u", `"/a%%u"`},
		{"single quote", "/it's", `"/it's"`},
		{"tab", "/a\tb", `"/a\tb"`},
		{"newline", "/a\nb", `"/a\nb"`},
		{"unicode", "/ünï/😀", `"/ünï/😀"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := execQuote(tt.arg)
			if got != tt.want {
				t.Errorf("execQuote(%q) = %s, want %s", tt.arg, got, tt.want)
			}
			args, err := parseExec(got)
			if err != nil || !slices.Equal(args, []string{tt.arg}) {
				t.Errorf("parseExec(%s) = %q, %v; want [%q]", got, args, err, tt.arg)
			}
		})
	}
}

func TestParseExec(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		value   string
		want    []string
		wantErr bool
	}{
		{"unquoted", "/usr/bin/packetbuddy", []string{"/usr/bin/packetbuddy"}, false},
		{"unquoted with arguments", "packetbuddy --tray  %U", []string{"packetbuddy", "--tray", "%U"}, false},
		{"quoted with arguments", `"/opt/a b/pb" --x`, []string{"/opt/a b/pb", "--x"}, false},
		{"string escape for space", `"/opt/a\sb"`, []string{"/opt/a b"}, false},
		{"string escape for space separates", `/opt/a\sb`, []string{"/opt/a", "b"}, false},
		{"hand-written single-backslash dollar", `"/a\$b"`, []string{"/a$b"}, false},
		{"quoted part inside a word", `/opt/"a b"/pb`, []string{"/opt/a b/pb"}, false},
		{"empty quoted argument", `"" x`, []string{"", "x"}, false},
		{"unknown escape kept", `"/a\\xb"`, []string{`/a\xb`}, false},
		{"trailing backslash", `/a\`, []string{`/a\`}, false},
		{"empty", "", nil, false},
		{"unclosed quote", `"/opt/pb`, nil, true},
		{"escaped closing quote", `"/opt/pb\\"`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseExec(tt.value)
			if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
				t.Errorf("parseExec(%s) = %q, %v; want %q, error %v", tt.value, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseDesktopEntry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		data         string
		wantPath     string
		wantDisabled bool
	}{
		{"ours", "[Desktop Entry]\nType=Application\nExec=\"/opt/a b/pb\"\nX-GNOME-Autostart-enabled=true\n",
			"/opt/a b/pb", false},
		{"spaces around equals", "[Desktop Entry]\nExec = /usr/bin/pb --x\n", "/usr/bin/pb", false},
		{"hidden", "[Desktop Entry]\nExec=/usr/bin/pb\nHidden=true\n", "/usr/bin/pb", true},
		{"switched off in GNOME", "[Desktop Entry]\nExec=/usr/bin/pb\nX-GNOME-Autostart-enabled=false\n", "/usr/bin/pb", true},
		{"other group ignored", "[Desktop Entry]\nExec=/usr/bin/pb\n[Desktop Action x]\nExec=/bin/other\nHidden=true\n",
			"/usr/bin/pb", false},
		{"localized key ignored", "[Desktop Entry]\nExec[de]=/bin/other\nExec=/usr/bin/pb\n", "/usr/bin/pb", false},
		{"comments and CRLF", "# hi\r\n[Desktop Entry]\r\nExec=\"/usr/bin/pb\"\r\n", "/usr/bin/pb", false},
		{"no exec", "[Desktop Entry]\nType=Application\n", "", false},
		{"broken exec", "[Desktop Entry]\nExec=\"/usr/bin/pb\n", "", false},
		{"garbage", "\x00\x01 not a desktop file", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, disabled := parseDesktopEntry([]byte(tt.data))
			if path != tt.wantPath || disabled != tt.wantDisabled {
				t.Errorf("parseDesktopEntry = %q, %v; want %q, %v", path, disabled, tt.wantPath, tt.wantDisabled)
			}
		})
	}
}

func TestDesktopEntryRejectsInvalidUTF8(t *testing.T) {
	t.Parallel()
	if _, err := desktopEntry("/opt/\xff/pb"); err == nil {
		t.Error("desktopEntry accepted a path that is not UTF-8")
	}
}

// FuzzExecQuote checks that any path survives Exec quoting and the file
// around it, and that no Exec value crashes the parser.
func FuzzExecQuote(f *testing.F) {
	for _, s := range []string{
		"", "/usr/bin/packetbuddy", "/opt/a b/pb", `/a"b`, "/a`b", "/a$HOME",
		`/a\b`, `\\$`, "/100%", "%%u", "/a\tb", "\r\n", `"`, " leading", "trailing ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		parseExec(s) // any value from any file: must not panic

		// No path holds a NUL; anything else, newlines included, must
		// round-trip.
		if strings.Contains(s, "\x00") {
			t.Skip()
		}
		quoted := execQuote(s)
		got, err := parseExec(quoted + " --flag")
		if err != nil || !slices.Equal(got, []string{s, "--flag"}) {
			t.Fatalf("parseExec(execQuote(%q)) = %q, %v", s, got, err)
		}
		data, err := desktopEntry(s)
		if err != nil {
			return // not UTF-8: refused, which TestDesktopEntryRejectsInvalidUTF8 covers
		}
		if path, _ := parseDesktopEntry(data); path != s {
			t.Fatalf("desktop entry for %q reads back as %q", s, path)
		}
	})
}

package packaging

import (
	"encoding/xml"
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestLaunchAgentGolden(t *testing.T) {
	t.Parallel()
	got, err := launchAgentPlist("/Applications/PacketBuddy.app/Contents/MacOS/packetbuddy")
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "io.github.packetbuddy.plist", got)
}

func TestLaunchAgentPlist(t *testing.T) {
	t.Parallel()
	paths := []struct{ name, path string }{
		{"plain", "/Applications/PacketBuddy.app/Contents/MacOS/packetbuddy"},
		{"xml specials", `/Users/a&b/<dir>/"q"/it's/packetbuddy`},
		{"markup lookalikes", "/x/]]>/<!-- c -->/&amp;/<string>x</string>"},
		{"whitespace", "/x/tab\there/new\nline/cr\rlf\r\n/ end "},
		{"unicode", "/Users/jürgen/Programme/😀"},
	}
	for _, tt := range paths {
		t.Run(tt.name, func(t *testing.T) {
			data, err := launchAgentPlist(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			// Well-formed XML, token by token, before any plist meaning.
			d := xml.NewDecoder(strings.NewReader(string(data)))
			for {
				if _, err := d.Token(); err != nil {
					if err != io.EOF {
						t.Fatalf("not well-formed XML: %v\n%s", err, data)
					}
					break
				}
			}
			got, err := parsePlist(data)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]any{
				"Label":                  "io.github.packetbuddy",
				"ProgramArguments":       []any{tt.path},
				"RunAtLoad":              true,
				"KeepAlive":              map[string]any{"SuccessfulExit": false},
				"LimitLoadToSessionType": "Aqua",
				"ProcessType":            "Interactive",
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("parsed plist = %#v\nwant %#v\n%s", got, want, data)
			}
			path, disabled, err := parseLaunchAgent(data)
			if err != nil || path != tt.path || disabled {
				t.Errorf("parseLaunchAgent = %q, %v, %v; want %q, false, nil", path, disabled, err, tt.path)
			}
		})
	}
}

func TestLaunchAgentPlistRejects(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"/x/\x01", "/x/\xff", "/x/\ufffe"} {
		if data, err := launchAgentPlist(p); err == nil {
			t.Errorf("launchAgentPlist(%q) succeeded:\n%s", p, data)
		}
	}
}

func TestParseLaunchAgent(t *testing.T) {
	t.Parallel()
	const head = `<?xml version="1.0" encoding="UTF-8"?><plist version="1.0">`
	tests := []struct {
		name         string
		data         string
		wantPath     string
		wantDisabled bool
		wantErr      bool
	}{
		{"program arguments", head + `<dict><key>ProgramArguments</key><array><string>/a b</string><string>-x</string></array></dict></plist>`,
			"/a b", false, false},
		{"program wins", head + `<dict><key>ProgramArguments</key><array><string>pb</string></array><key>Program</key><string>/opt/pb</string></dict></plist>`,
			"/opt/pb", false, false},
		{"disabled", head + `<dict><key>Disabled</key><true/><key>ProgramArguments</key><array><string>/pb</string></array></dict></plist>`,
			"/pb", true, false},
		{"other types", head + `<dict><key>N</key><integer>-3</integer><key>R</key><real>1.5</real><key>D</key><data>AA==</data><key>Program</key><string>/pb</string></dict></plist>`,
			"/pb", false, false},
		{"no program", head + `<dict><key>Label</key><string>x</string></dict></plist>`, "", false, false},
		{"empty arguments", head + `<dict><key>ProgramArguments</key><array/></dict></plist>`, "", false, false},
		{"key without value", head + `<dict><key>Label</key></dict></plist>`, "", false, true},
		{"value without key", head + `<dict><string>a</string><string>b</string></dict></plist>`, "", false, true},
		{"top is not a dict", head + `<array/></plist>`, "", false, true},
		{"not a plist", `<html></html>`, "", false, true},
		{"bad integer", head + `<dict><key>N</key><integer>x</integer></dict></plist>`, "", false, true},
		{"truncated", head + `<dict><key>Label</key>`, "", false, true},
		{"empty", ``, "", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, disabled, err := parseLaunchAgent([]byte(tt.data))
			if path != tt.wantPath || disabled != tt.wantDisabled || (err != nil) != tt.wantErr {
				t.Errorf("parseLaunchAgent = %q, %v, %v; want %q, %v, error %v",
					path, disabled, err, tt.wantPath, tt.wantDisabled, tt.wantErr)
			}
		})
	}
}

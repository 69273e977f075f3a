package installtest

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// plistValue is one value of an XML property list.
type plistValue struct {
	kind  string // dict, array, string, integer, real, true, false, date, data
	text  string
	dict  map[string]plistValue
	items []plistValue
}

// parsePlist decodes an XML property list strictly: one value in <plist>,
// dictionaries of alternating <key> and value with no duplicate key, and
// only the element names Apple's DTD allows.
func parsePlist(r io.Reader) (plistValue, error) {
	d := xml.NewDecoder(r)
	d.Strict = true
	for {
		tok, err := d.Token()
		if err != nil {
			return plistValue{}, fmt.Errorf("no <plist> element: %w", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Local != "plist" {
				return plistValue{}, fmt.Errorf("root element <%s>, want <plist>", se.Name.Local)
			}
			break
		}
	}
	v, end, err := plistNext(d)
	if err != nil {
		return plistValue{}, err
	}
	if end {
		return plistValue{}, errors.New("empty <plist>")
	}
	if _, end, err := plistNext(d); err != nil || !end {
		return plistValue{}, fmt.Errorf("more than one value in <plist> (%v)", err)
	}
	return v, nil
}

// plistNext reads the next value; end reports the parent's end tag instead.
func plistNext(d *xml.Decoder) (v plistValue, end bool, err error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return plistValue{}, false, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return plistValue{}, true, nil
		case xml.CharData:
			if strings.TrimSpace(string(t)) != "" {
				return plistValue{}, false, fmt.Errorf("stray text %q", t)
			}
		case xml.StartElement:
			return plistElement(d, t)
		}
	}
}

func plistElement(d *xml.Decoder, se xml.StartElement) (plistValue, bool, error) {
	v := plistValue{kind: se.Name.Local}
	switch v.kind {
	case "dict":
		v.dict = map[string]plistValue{}
		for {
			k, end, err := plistNext(d)
			if err != nil {
				return v, false, err
			}
			if end {
				return v, false, nil
			}
			if k.kind != "key" {
				return v, false, fmt.Errorf("<%s> where a <key> belongs", k.kind)
			}
			val, end, err := plistNext(d)
			if err != nil || end {
				return v, false, fmt.Errorf("key %q without a value (%v)", k.text, err)
			}
			if _, dup := v.dict[k.text]; dup {
				return v, false, fmt.Errorf("key %q twice", k.text)
			}
			v.dict[k.text] = val
		}
	case "array":
		for {
			item, end, err := plistNext(d)
			if err != nil {
				return v, false, err
			}
			if end {
				return v, false, nil
			}
			v.items = append(v.items, item)
		}
	case "key", "string", "integer", "real", "date", "data", "true", "false":
		var text string
		if err := d.DecodeElement(&text, &se); err != nil {
			return v, false, err
		}
		if (v.kind == "true" || v.kind == "false") && text != "" {
			return v, false, fmt.Errorf("<%s> with content", v.kind)
		}
		v.text = text
		return v, false, nil
	}
	return v, false, fmt.Errorf("<%s> is not a property list element", v.kind)
}

// TestMacInfoPlist renders Info.plist the way build-macos-app.sh does on a
// Mac and checks what Finder and Launch Services read from it.
func TestMacInfoPlist(t *testing.T) {
	t.Parallel()
	tests := []struct{ version, short string }{
		{"1.2.3", "1.2.3"},
		{"1.2.3-rc1", "1.2.3"},
		{"0.1.0-dev", "0.1.0"},
		{"10.20", "10.20"},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "Info.plist")
			run(t, time.Minute, []string{"VERSION=" + tt.version, "DIST=" + t.TempDir()}, repoRoot(t),
				filepath.Join(repoRoot(t), "scripts", "build-macos-app.sh"), "--plist", file)
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			root, err := parsePlist(f)
			if err != nil {
				t.Fatalf("Info.plist: %v", err)
			}
			if root.kind != "dict" {
				t.Fatalf("top value is <%s>, want <dict>", root.kind)
			}
			want := map[string]plistValue{
				"CFBundleExecutable":         {kind: "string", text: "packetbuddy"},
				"CFBundleIdentifier":         {kind: "string", text: "io.github.packetbuddy.PacketBuddy"},
				"CFBundleName":               {kind: "string", text: "PacketBuddy"},
				"CFBundleIconFile":           {kind: "string", text: "PacketBuddy"},
				"CFBundlePackageType":        {kind: "string", text: "APPL"},
				"CFBundleShortVersionString": {kind: "string", text: tt.short},
				"CFBundleVersion":            {kind: "string", text: tt.short},
				"LSUIElement":                {kind: "true"},
				"LSMinimumSystemVersion":     {kind: "string", text: "12.0"},
				"NSHighResolutionCapable":    {kind: "true"},
			}
			for key, w := range want {
				got, ok := root.dict[key]
				if !ok {
					t.Errorf("%s missing", key)
					continue
				}
				if got.kind != w.kind || got.text != w.text {
					t.Errorf("%s = <%s>%s, want <%s>%s", key, got.kind, got.text, w.kind, w.text)
				}
			}
		})
	}
}

func TestMacInfoPlistRejectsBadVersion(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"dev", "v1.2.3"} {
		_, err := runErr(time.Minute, []string{"VERSION=" + v, "DIST=" + t.TempDir()}, repoRoot(t),
			filepath.Join(repoRoot(t), "scripts", "build-macos-app.sh"), "--plist", filepath.Join(t.TempDir(), "Info.plist"))
		if err == nil {
			t.Errorf("VERSION=%s accepted", v)
		}
	}
}

func TestParsePlistRejects(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, doc string }{
		{"not a plist", `<dict/>`},
		{"two values", `<plist><dict/><dict/></plist>`},
		{"key without value", `<plist><dict><key>a</key></dict></plist>`},
		{"value without key", `<plist><dict><string>a</string></dict></plist>`},
		{"duplicate key", `<plist><dict><key>a</key><true/><key>a</key><false/></dict></plist>`},
		{"unknown element", `<plist><dict><key>a</key><bool>yes</bool></dict></plist>`},
		{"unclosed", `<plist><dict><key>a</key><true/></plist>`},
		{"stray text", `<plist><dict>oops<key>a</key><true/></dict></plist>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parsePlist(strings.NewReader(tt.doc)); err == nil {
				t.Errorf("accepted %s", tt.doc)
			}
		})
	}
}

// TestScriptsParse checks the build scripts' syntax, the Mac one included,
// which cannot run here.
func TestScriptsParse(t *testing.T) {
	t.Parallel()
	scripts, err := filepath.Glob(filepath.Join(repoRoot(t), "scripts", "*.sh"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range scripts {
		base := filepath.Base(s)
		if !strings.HasPrefix(base, "build-") && !strings.HasPrefix(base, "wine-") && base != "crossbuild.sh" {
			continue
		}
		t.Run(base, func(t *testing.T) {
			t.Parallel()
			run(t, time.Minute, nil, "", "sh", "-n", s)
			fi, err := os.Stat(s)
			if err != nil {
				t.Fatal(err)
			}
			if base != "build-env.sh" && fi.Mode().Perm()&0o111 == 0 {
				t.Errorf("%s is not executable", base)
			}
		})
	}
}

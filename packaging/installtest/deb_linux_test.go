package installtest

import (
	"debug/elf"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// debFiles is every regular file the .deb must hold, with its mode.
var debFiles = map[string]string{
	"./usr/bin/packetbuddy": "-rwxr-xr-x",
	"./usr/share/applications/io.github.packetbuddy.PacketBuddy.desktop":  "-rw-r--r--",
	"./usr/share/metainfo/io.github.packetbuddy.PacketBuddy.metainfo.xml": "-rw-r--r--",
	"./usr/share/doc/packetbuddy/copyright":                               "-rw-r--r--",
	"./usr/share/icons/hicolor/16x16/apps/packetbuddy.png":                "-rw-r--r--",
	"./usr/share/icons/hicolor/22x22/apps/packetbuddy.png":                "-rw-r--r--",
	"./usr/share/icons/hicolor/24x24/apps/packetbuddy.png":                "-rw-r--r--",
	"./usr/share/icons/hicolor/32x32/apps/packetbuddy.png":                "-rw-r--r--",
	"./usr/share/icons/hicolor/48x48/apps/packetbuddy.png":                "-rw-r--r--",
	"./usr/share/icons/hicolor/256x256/apps/packetbuddy.png":              "-rw-r--r--",
}

// TestDebPackage builds the .deb and .rpm for linux/amd64 and checks the
// .deb as dpkg sees it.
func TestDebPackage(t *testing.T) {
	dpkgDeb := requireTool(t, "dpkg-deb", "dpkg-deb", "dpkg")
	dist := build(t, "build-linux-packages.sh", "amd64")
	deb := filepath.Join(dist, "packetbuddy_1.2.3~test_amd64.deb")
	rpm := filepath.Join(dist, "packetbuddy-1.2.3~test-1.x86_64.rpm")
	t.Logf("installer sizes: %s %d bytes, %s %d bytes",
		filepath.Base(deb), fileSize(t, deb), filepath.Base(rpm), fileSize(t, rpm))

	t.Run("control", func(t *testing.T) {
		want := map[string]string{
			"Package":      "packetbuddy",
			"Version":      "1.2.3~test",
			"Architecture": "amd64",
			"Section":      "net",
			"Recommends":   "xdg-utils",
			"Homepage":     "https://github.com/packetbuddy/packetbuddy",
		}
		for field, v := range want {
			got := strings.TrimSpace(run(t, time.Minute, nil, "", dpkgDeb, "--field", deb, field))
			if got != v {
				t.Errorf("%s: %q, want %q", field, got, v)
			}
		}
		for _, field := range []string{"Maintainer", "Description"} {
			if strings.TrimSpace(run(t, time.Minute, nil, "", dpkgDeb, "--field", deb, field)) == "" {
				t.Errorf("%s is empty", field)
			}
		}
	})

	t.Run("contents", func(t *testing.T) {
		listing := run(t, time.Minute, nil, "", dpkgDeb, "--contents", deb)
		if err := os.WriteFile(filepath.Join(outputDir(t), "deb-contents.txt"), []byte(listing), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("dpkg-deb --contents %s:\n%s", filepath.Base(deb), listing)
		got := map[string]string{}
		for line := range strings.Lines(listing) {
			f := strings.Fields(line)
			if len(f) < 6 {
				t.Fatalf("unexpected line %q", line)
			}
			if owner := f[1]; owner != "root/root" {
				t.Errorf("%s owned by %s, want root/root", f[5], owner)
			}
			if strings.HasPrefix(f[0], "-") {
				got[f[5]] = f[0]
			}
		}
		for name, mode := range debFiles {
			if got[name] != mode {
				t.Errorf("%s: mode %q, want %q", name, got[name], mode)
			}
		}
		for name := range got {
			if _, ok := debFiles[name]; !ok {
				t.Errorf("unexpected file %s", name)
			}
			// Starting at login is the user's choice, made in the app.
			if strings.HasPrefix(name, "./etc/") {
				t.Errorf("%s: the package must not install anything in /etc (no /etc/xdg/autostart entry)", name)
			}
		}
	})

	root := t.TempDir()
	run(t, time.Minute, nil, "", dpkgDeb, "--extract", deb, root)

	t.Run("binary runs", func(t *testing.T) {
		bin := filepath.Join(root, "usr/bin/packetbuddy")
		out := run(t, time.Minute, nil, "", bin, "version")
		if want := "packetbuddy " + testVersion + "\n"; out != want {
			t.Errorf("version printed %q, want %q", out, want)
		}
		// The package declares no dependencies: the binary must be static.
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Error("the binary is dynamically linked (built with cgo?)")
			}
		}
	})

	t.Run("desktop entry validates", func(t *testing.T) {
		validate := requireTool(t, "desktop-file-validate", "desktop-file-validate", "desktop-file-utils")
		entry := filepath.Join(root, "usr/share/applications/io.github.packetbuddy.PacketBuddy.desktop")
		// It prints nothing for an entry without errors, warnings or hints.
		if out := run(t, time.Minute, nil, "", validate, entry); out != "" {
			t.Errorf("desktop-file-validate:\n%s", out)
		}
		data, err := os.ReadFile(entry)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range []string{"Exec=packetbuddy", "Icon=packetbuddy", "Terminal=false"} {
			if !slices.Contains(strings.Split(string(data), "\n"), line) {
				t.Errorf("entry lacks %q", line)
			}
		}
	})

	t.Run("appstream validates", func(t *testing.T) {
		appstreamcli := requireTool(t, "appstreamcli", "appstreamcli", "appstream")
		meta := filepath.Join(root, "usr/share/metainfo/io.github.packetbuddy.PacketBuddy.metainfo.xml")
		out := run(t, time.Minute, nil, "", appstreamcli, "validate", "--no-net", meta)
		t.Logf("appstreamcli validate:\n%s", out)
		for line := range strings.Lines(out) {
			// E: errors and W: warnings; I: and P: are advice.
			if strings.HasPrefix(line, "E:") || strings.HasPrefix(line, "W:") {
				t.Errorf("appstreamcli: %s", line)
			}
		}
	})

	t.Run("icons", func(t *testing.T) {
		for name := range debFiles {
			dir, ok := strings.CutPrefix(name, "./usr/share/icons/hicolor/")
			if !ok {
				continue
			}
			size, err := strconv.Atoi(strings.Split(dir, "x")[0])
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(filepath.Join(root, name))
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := png.DecodeConfig(f)
			f.Close()
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			if cfg.Width != size || cfg.Height != size {
				t.Errorf("%s is %dx%d", name, cfg.Width, cfg.Height)
			}
		}
	})

	t.Run("rpm", func(t *testing.T) {
		data, err := os.ReadFile(rpm)
		if err != nil {
			t.Fatal(err)
		}
		// The lead of every rpm file.
		if len(data) < 4 || string(data[:4]) != "\xed\xab\xee\xdb" {
			t.Fatalf("%s is not an rpm", rpm)
		}
		rpmTool := requireTool(t, "rpm", "rpm", "rpm")
		list := run(t, time.Minute, nil, "", rpmTool, "-qlp", rpm)
		for name := range debFiles {
			if name == "./usr/share/doc/packetbuddy/copyright" {
				name = "./usr/share/licenses/packetbuddy/LICENSE"
			}
			if !strings.Contains(list, strings.TrimPrefix(name, ".")+"\n") {
				t.Errorf("rpm lacks %s:\n%s", name, list)
			}
		}
	})
}

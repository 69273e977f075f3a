package tray

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
)

// screenTools are the programs of the on-screen test, with their Debian
// packages.
var screenTools = []struct{ prog, pkg, component string }{
	{"Xvfb", "xvfb", "xvfb"},
	{"import", "imagemagick", "xvfb"},
	{"xdotool", "xdotool", "xvfb"},
	{"status-notifier-watcher", "haskell-status-notifier-item-utils", "sni-tray"},
	{"gtk-sni-tray-standalone", "haskell-gtk-sni-tray-utils", "sni-tray"},
}

const (
	screenW, screenH = 800, 600
	traySize         = 32
)

// screen is an Xvfb display with a session bus and a real tray host.
type screen struct {
	display string
	bus     string
	env     []string
	conn    *dbus.Conn
	out     string
}

// startProcess runs a program for the rest of the test.
func startProcess(t *testing.T, env []string, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = env
	var log testenv.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("%s output:\n%s", name, log.String())
		}
	})
	return cmd
}

// startXvfb starts a private X server and returns its DISPLAY.
func startXvfb(t *testing.T) string { return testenv.Xvfb(t, screenW, screenH) }

func startScreen(t *testing.T) *screen {
	t.Helper()
	for _, tool := range screenTools {
		if _, err := exec.LookPath(tool.prog); err != nil {
			requireComponent(t, tool.component, fmt.Sprintf("%s not installed (Debian package %s)", tool.prog, tool.pkg))
		}
	}
	s := &screen{out: testOutputDir(t)}
	s.display = startXvfb(t)
	s.bus = testenv.StartDBus(t)
	runtime := t.TempDir()
	s.env = append(os.Environ(), "DISPLAY="+s.display, "DBUS_SESSION_BUS_ADDRESS="+s.bus,
		"NO_AT_BRIDGE=1", "XDG_RUNTIME_DIR="+runtime, "GDK_BACKEND=x11")
	conn, err := dbus.Connect(s.bus)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	s.conn = conn

	startProcess(t, s.env, "status-notifier-watcher")
	watcher := conn.Object("org.kde.StatusNotifierWatcher", "/StatusNotifierWatcher")
	startProcess(t, s.env, "gtk-sni-tray-standalone", "--bottom", "--end", "-s", strconv.Itoa(traySize))
	eventually(t, 10*time.Second, "tray host registered with the watcher", func() (bool, string) {
		v, err := watcher.GetProperty("org.kde.StatusNotifierWatcher.IsStatusNotifierHostRegistered")
		if err != nil {
			return false, err.Error()
		}
		ok, _ := v.Value().(bool)
		return ok, fmt.Sprint(v)
	})
	return s
}

// shot saves a screenshot of the whole display and returns it.
func (s *screen) shot(t *testing.T, name string) image.Image {
	t.Helper()
	cmd := exec.Command("import", "-window", "root", "png:-")
	cmd.Env = s.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	data, err := cmd.Output()
	if err != nil {
		t.Fatalf("import: %v\n%s", err, stderr.String())
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if name != "" {
		if err := os.WriteFile(filepath.Join(s.out, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return img
}

func (s *screen) xdotool(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command("xdotool", args...)
	cmd.Env = s.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xdotool %v: %v\n%s", args, err, out)
	}
}

// count returns how many pixels in r satisfy match.
func count(img image.Image, r image.Rectangle, match func(r, g, b uint8) bool) int {
	n := 0
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if match(uint8(cr>>8), uint8(cg>>8), uint8(cb>>8)) {
				n++
			}
		}
	}
	return n
}

// iconBounds finds the tray icon by its colour: the box of blue (normal)
// or grey (paused) background pixels in the panel.
func iconBounds(img image.Image, match func(r, g, b uint8) bool) image.Rectangle {
	var box image.Rectangle
	b := img.Bounds()
	for y := b.Max.Y - 2*traySize; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if match(uint8(cr>>8), uint8(cg>>8), uint8(cb>>8)) {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return box
}

func isBlue(r, g, b uint8) bool   { return r == 0x15 && g == 0x65 && b == 0xC0 }
func isGreyBG(r, g, b uint8) bool { return r == 0x8A && g == 0x8A && b == 0x8A }
func notBlack(r, g, b uint8) bool { return r > 0x20 || g > 0x20 || b > 0x20 }
func isLight(r, g, b uint8) bool  { return r > 0xE0 && g > 0xE0 && b > 0xE0 }

// TestTrayOnScreen shows the tray in a real tray host (gtk-sni-tray, over
// status-notifier-watcher) on Xvfb: the icon is visible, hovering shows the
// tooltip and clicking opens the menu. Screenshots go to the test output
// folder: tray-icon.png, tray-tooltip.png, tray-menu.png, tray-paused.png.
func TestTrayOnScreen(t *testing.T) {
	t.Parallel()
	s := startScreen(t)
	p := startTray(t, s.bus, "DISPLAY="+s.display)

	var icon image.Rectangle
	eventually(t, 10*time.Second, "icon visible in the panel", func() (bool, string) {
		icon = iconBounds(s.shot(t, ""), isBlue)
		return icon.Dx() >= traySize*3/4 && icon.Dy() >= traySize*3/4, fmt.Sprint("blue box ", icon)
	})
	before := s.shot(t, "tray-icon.png")
	above := image.Rect(0, 0, screenW, icon.Min.Y-1)
	if n := count(before, above, notBlack); n != 0 {
		t.Fatalf("%d pixels drawn above the panel before hovering", n)
	}
	cx, cy := strconv.Itoa((icon.Min.X+icon.Max.X)/2), strconv.Itoa((icon.Min.Y+icon.Max.Y)/2)

	t.Run("hover shows the tooltip", func(t *testing.T) {
		s.xdotool(t, "mousemove", cx, cy)
		eventually(t, 10*time.Second, "tooltip", func() (bool, string) {
			n := count(s.shot(t, ""), above, notBlack)
			return n > 500, fmt.Sprintf("%d pixels above the panel", n)
		})
		time.Sleep(300 * time.Millisecond) // let the fade-in finish
		img := s.shot(t, "tray-tooltip.png")
		// A one-line tooltip: wide and low, next to the icon.
		drawn := iconBounds(img, notBlack).Union(boundsAbove(img, above))
		if drawn.Dy() > 5*traySize {
			t.Errorf("tooltip area %v is too tall for one line", drawn)
		}
	})

	t.Run("click opens the menu", func(t *testing.T) {
		s.xdotool(t, "mousemove", cx, cy, "click", "1")
		eventually(t, 10*time.Second, "menu", func() (bool, string) {
			n := count(s.shot(t, ""), above, isLight)
			// Ten lines of a light menu are far more than a tooltip.
			return n > 30000, fmt.Sprintf("%d light pixels above the panel", n)
		})
		time.Sleep(300 * time.Millisecond)
		img := s.shot(t, "tray-menu.png")
		menu := boundsAbove(img, above)
		if menu.Dy() < 8*20 {
			t.Errorf("menu %v is too short for its items", menu)
		}
		s.xdotool(t, "key", "Escape")
	})

	t.Run("paused icon is grey", func(t *testing.T) {
		// Pause through the menu over D-Bus, as the host would on a click.
		it := &item{conn: s.conn, name: fmt.Sprintf("org.kde.StatusNotifierItem-%d-1", p.cmd.Process.Pid)}
		var pause *menuNode
		eventually(t, 10*time.Second, "menu layout", func() (bool, string) {
			root := it.layout(t)
			pause = root.find("Pause monitoring")
			return pause != nil, root.String()
		})
		it.click(t, pause.ID)
		eventually(t, 10*time.Second, "grey icon on screen", func() (bool, string) {
			box := iconBounds(s.shot(t, ""), isGreyBG)
			return box.Dx() >= traySize*3/4, fmt.Sprint("grey box ", box)
		})
		s.shot(t, "tray-paused.png")
	})
	t.Logf("screenshots in %s", s.out)
}

// boundsAbove is the box of drawn (non-black) pixels in r.
func boundsAbove(img image.Image, r image.Rectangle) image.Rectangle {
	var box image.Rectangle
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if notBlack(uint8(cr>>8), uint8(cg>>8), uint8(cb>>8)) {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return box
}

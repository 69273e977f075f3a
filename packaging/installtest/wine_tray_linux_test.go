package installtest

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
)

// startXvfb starts a private X server and returns its DISPLAY.
func startXvfb(t *testing.T) string { return testenv.Xvfb(t, 1024, 768) }

// screenshot saves the whole screen as name in the output directory and
// returns it decoded.
func screenshot(t *testing.T, env []string, name string) image.Image {
	t.Helper()
	file := filepath.Join(outputDir(t), name)
	run(t, 30*time.Second, env, "", "import", "-window", "root", file)
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// iconBounds finds PacketBuddy's icon, the blue of assets/icons, inside r.
func iconBounds(img image.Image, r image.Rectangle) image.Rectangle {
	var found image.Rectangle
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if cb>>8 > 150 && cr>>8 < 90 && cg>>8 > 60 && cg>>8 < 160 {
				found = found.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return found
}

// changed is the bounding box of the pixels that differ between a and b,
// and how many they are.
func changed(a, b image.Image) (image.Rectangle, int) {
	var box image.Rectangle
	n := 0
	bounds := a.Bounds().Intersect(b.Bounds())
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 {
				box = box.Union(image.Rect(x, y, x+1, y+1))
				n++
			}
		}
	}
	return box, n
}

// windowGeometry returns the rectangle of the first window whose name
// matches, waiting up to timeout for it to appear.
func windowGeometry(t *testing.T, env []string, name string, timeout time.Duration) (image.Rectangle, error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		out, err := runErr(10*time.Second, env, "", "xdotool", "search", "--name", name)
		if err == nil {
			id := strings.Fields(out)[0]
			geo := run(t, 10*time.Second, env, "", "xdotool", "getwindowgeometry", "--shell", id)
			v := map[string]int{}
			for line := range strings.Lines(geo) {
				k, val, _ := strings.Cut(strings.TrimSpace(line), "=")
				v[k], _ = strconv.Atoi(val)
			}
			return image.Rect(v["X"], v["Y"], v["X"]+v["WIDTH"], v["Y"]+v["HEIGHT"]), nil
		}
		if time.Now().After(deadline) {
			return image.Rectangle{}, fmt.Errorf("no window named %q within %v", name, timeout)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func click(t *testing.T, env []string, p image.Point, button int) {
	t.Helper()
	run(t, 10*time.Second, env, "", "xdotool", "mousemove", strconv.Itoa(p.X), strconv.Itoa(p.Y),
		"sleep", "0.3", "click", strconv.Itoa(button))
}

// TestWindowsTrayUnderWine runs the Windows release with its tray under
// Wine and Xvfb: Wine shows notification-area icons in a "Wine System Tray"
// window of its own. The test screenshots the icon, right-clicks it,
// screenshots the menu, and quits the app from the menu.
func TestWindowsTrayUnderWine(t *testing.T) {
	env := wineEnv(t)
	requireTool(t, "xvfb", "import", "imagemagick")
	requireTool(t, "xvfb", "xdotool", "xdotool")
	requireTool(t, "xvfb", "wineserver", "wine")
	dist := build(t, "build-windows.sh", "amd64")
	exe := filepath.Join(dist, "windows_amd64", "packetbuddy.exe")

	// Wine's explorer.exe draws the tray on the display it started on:
	// end whatever earlier tests left running in the prefix. -k fails
	// when no wineserver runs, which is fine.
	runErr(time.Minute, env, "", "wineserver", "-k")
	runErr(time.Minute, env, "", "wineserver", "-w")
	env = append(env, "DISPLAY="+startXvfb(t))
	t.Cleanup(func() { runErr(time.Minute, env, "", "wineserver", "-k") })

	addr := freeAddr(t)
	a := startApp(t, env, exe, addr, "wine-tray.log")
	waitHealth(t, addr, 90*time.Second)
	// Wine opens its tray window when the first icon is added.
	tray, err := windowGeometry(t, env, "^Wine System Tray$", 30*time.Second)
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(outputDir(t), "wine-tray.log"))
		t.Fatalf("%v: the app added no notification-area icon; its log:\n%s", err, log)
	}
	t.Logf("Wine System Tray window at %v", tray)

	// The icon is set on the tray's own goroutine: wait for it to show.
	var before image.Image
	var icon image.Rectangle
	deadline := time.Now().Add(20 * time.Second)
	for {
		before = screenshot(t, env, "wine-tray.png")
		icon = iconBounds(before, tray)
		if icon.Dx() >= 12 && icon.Dy() >= 12 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no PacketBuddy icon in the Wine System Tray window %v (found %v); see wine-tray.png", tray, icon)
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("icon at %v", icon)

	center := image.Pt((icon.Min.X+icon.Max.X)/2, (icon.Min.Y+icon.Max.Y)/2)
	click(t, env, center, 3)
	var menu image.Rectangle
	deadline = time.Now().Add(15 * time.Second)
	for {
		time.Sleep(500 * time.Millisecond)
		after := screenshot(t, env, "wine-tray-menu.png")
		box, n := changed(before, after)
		// The menu has a dozen items: far larger than any change the icon
		// could make on its own.
		if box.Dx() >= 150 && box.Dy() >= 100 && n >= 10_000 {
			menu = box
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("right-clicking the icon opened no menu (changed %v, %d pixels); see wine-tray-menu.png", box, n)
		}
	}
	t.Logf("menu at %v; screenshots in %s", menu, outputDir(t))

	// Quit is the menu's last item.
	click(t, env, image.Pt(menu.Min.X+40, menu.Max.Y-10), 1)
	select {
	case <-a.done:
		if a.err != nil {
			t.Errorf("after Quit the app exited with %v; see wine-tray.log", a.err)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("the app did not exit within 30s of Quit in its menu")
	}
}

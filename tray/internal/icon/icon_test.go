package icon

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// assetsDir holds the committed output of ./gen (go generate in tray/).
const assetsDir = "../../../assets/icons"

// TestAssetsUpToDate checks that assets/icons is what this code draws, so
// that the installers' icons and the tray's never drift apart. Regenerate
// with "go generate ./tray".
func TestAssetsUpToDate(t *testing.T) {
	files, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(assetsDir)
	if err != nil {
		t.Fatal(err)
	}
	var onDisk []string
	for _, e := range entries {
		onDisk = append(onDisk, e.Name())
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(assetsDir, name))
		if err != nil {
			t.Errorf("%s: %v (run go generate ./tray)", name, err)
			continue
		}
		if filepath.Ext(name) == ".png" {
			// Compare pixels: zlib output may differ between Go versions.
			a, err1 := png.Decode(bytes.NewReader(got))
			b, err2 := png.Decode(bytes.NewReader(want))
			if err1 != nil || err2 != nil || !samePixels(a, b) {
				t.Errorf("%s is out of date (run go generate ./tray): %v %v", name, err1, err2)
			}
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is out of date (run go generate ./tray)", name)
		}
	}
	for _, name := range onDisk {
		if _, ok := files[name]; !ok {
			t.Errorf("%s in %s is not generated any more", name, assetsDir)
		}
	}
}

func samePixels(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			if color.NRGBAModel.Convert(a.At(x, y)) != color.NRGBAModel.Convert(b.At(x, y)) {
				return false
			}
		}
	}
	return true
}

// TestCrisp checks that at every tray size the arrow shafts cover whole
// pixels: solid white, no grey fringe that would make 16 px icons blurry.
func TestCrisp(t *testing.T) {
	for _, size := range TraySizes {
		g := layout(size)
		img := Render(Normal, size)
		for _, cx := range []float64{g.upX, g.downX} {
			x0, x1 := int(cx-g.shaft/2), int(cx+g.shaft/2)
			if float64(x1-x0) != g.shaft {
				t.Errorf("%d px: shaft %v..%v not on pixel edges", size, cx-g.shaft/2, cx+g.shaft/2)
			}
			for y := int(g.top + g.headLen + 1); y < int(g.bottom-g.headLen-1); y++ {
				for x := x0; x < x1; x++ {
					if c := img.NRGBAAt(x, y); c != white {
						t.Fatalf("%d px: shaft pixel (%d,%d) = %v, want solid white", size, x, y, c)
					}
				}
			}
		}
		// The background is opaque inside the rounded corners.
		if c := img.NRGBAAt(size/2, 1); c != blue {
			t.Errorf("%d px: background pixel = %v, want %v", size, c, blue)
		}
	}
}

func TestStates(t *testing.T) {
	for _, size := range TraySizes {
		for _, s := range States {
			img := Render(s, size)
			bg := img.NRGBAAt(size/2, 1)
			if s.paused() != (bg == grey) {
				t.Errorf("%v at %d px: background %v", s, size, bg)
			}
			corner := img.NRGBAAt(size-size/5, size-size/5)
			isRed := corner.R > 0xC0 && corner.G < 0x60 && corner.A == 0xFF
			if s.badge() != isRed {
				t.Errorf("%v at %d px: badge pixel %v", s, size, corner)
			}
		}
	}
	// The fixed set must be distinct icons.
	var seen [][]byte
	for _, s := range States {
		b := PNG(Render(s, 32))
		if slices.ContainsFunc(seen, func(o []byte) bool { return bytes.Equal(o, b) }) {
			t.Errorf("%v looks like another state", s)
		}
		seen = append(seen, b)
	}
}

// TestICO parses an ICO back the way Windows does: directory entries, then
// per image a BITMAPINFOHEADER with double height, bottom-up BGRA pixels
// and an AND mask. No image may be a PNG.
func TestICO(t *testing.T) {
	sizes := []int{16, 24, 32, 48, 256}
	var imgs []*image.NRGBA
	for _, n := range sizes {
		imgs = append(imgs, Render(Error, n))
	}
	data, err := ICO(imgs...)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	if le.Uint16(data[0:]) != 0 || le.Uint16(data[2:]) != 1 || int(le.Uint16(data[4:])) != len(sizes) {
		t.Fatalf("bad ICONDIR % x", data[:6])
	}
	for i, n := range sizes {
		e := data[6+16*i:]
		w, h := int(e[0]), int(e[1])
		if w == 0 {
			w, h = 256, 256
		}
		if w != n || h != n || le.Uint16(e[4:]) != 1 || le.Uint16(e[6:]) != 32 {
			t.Fatalf("entry %d: % x", i, e[:16])
		}
		size, off := int(le.Uint32(e[8:])), int(le.Uint32(e[12:]))
		bmp := data[off : off+size]
		if bytes.HasPrefix(bmp, []byte("\x89PNG")) {
			t.Fatalf("entry %d is PNG-in-ICO", i)
		}
		if le.Uint32(bmp[0:]) != 40 || int(le.Uint32(bmp[4:])) != n || int(le.Uint32(bmp[8:])) != 2*n ||
			le.Uint16(bmp[14:]) != 32 || le.Uint32(bmp[16:]) != 0 {
			t.Fatalf("entry %d: bad BITMAPINFOHEADER % x", i, bmp[:40])
		}
		maskRow := (n + 31) / 32 * 4
		if size != 40+n*n*4+maskRow*n {
			t.Fatalf("entry %d: %d bytes, want %d", i, size, 40+n*n*4+maskRow*n)
		}
		pix, mask := bmp[40:40+n*n*4], bmp[40+n*n*4:]
		for y := 0; y < n; y++ {
			for x := 0; x < n; x++ {
				row := n - 1 - y // bottom-up
				p := pix[(row*n+x)*4:]
				want := imgs[i].NRGBAAt(x, y)
				if got := (color.NRGBA{R: p[2], G: p[1], B: p[0], A: p[3]}); got != want {
					t.Fatalf("entry %d pixel (%d,%d) = %v, want %v", i, x, y, got, want)
				}
				transparent := mask[row*maskRow+x/8]&(0x80>>(x%8)) != 0
				if transparent != (want.A == 0) {
					t.Fatalf("entry %d mask at (%d,%d) = %v for alpha %d", i, x, y, transparent, want.A)
				}
			}
		}
	}
	if _, err := ICO(image.NewNRGBA(image.Rect(0, 0, 300, 300))); err == nil {
		t.Error("ICO accepted a 300 px image")
	}
}

func TestTemplateIsMonochrome(t *testing.T) {
	for _, s := range States {
		img := Template(s, 32)
		opaque := 0
		for i := 0; i < len(img.Pix); i += 4 {
			if img.Pix[i] != 0 || img.Pix[i+1] != 0 || img.Pix[i+2] != 0 {
				t.Fatalf("%v template has a coloured pixel", s)
			}
			if img.Pix[i+3] > 0 {
				opaque++
			}
		}
		if opaque == 0 {
			t.Errorf("%v template is empty", s)
		}
	}
}

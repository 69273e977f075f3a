package icon

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
)

// State is one of the few looks the tray icon can have. The set is fixed on
// purpose: Windows keeps every distinct icon it was given for the life of the
// process.
type State int

// The icon states.
const (
	Normal      State = iota
	Paused            // counting paused: grey
	Error             // a failing component or sync: red badge
	PausedError       // both
)

// States lists every state, in order.
var States = []State{Normal, Paused, Error, PausedError}

// String is the state's name as used in file names.
func (s State) String() string {
	switch s {
	case Normal:
		return "normal"
	case Paused:
		return "paused"
	case Error:
		return "error"
	case PausedError:
		return "paused-error"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

func (s State) paused() bool { return s == Paused || s == PausedError }
func (s State) badge() bool  { return s == Error || s == PausedError }

// Sizes are the pixel sizes drawn for trays and desktops.
var Sizes = []int{16, 22, 24, 32, 48, 256}

var (
	blue  = color.NRGBA{0x15, 0x65, 0xC0, 0xFF}
	grey  = color.NRGBA{0x8A, 0x8A, 0x8A, 0xFF}
	white = color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF}
	red   = color.NRGBA{0xE5, 0x39, 0x35, 0xFF}
	black = color.NRGBA{0x00, 0x00, 0x00, 0xFF}
)

// shape reports whether a point, in pixels, lies inside it.
type shape func(x, y float64) bool

// layer is a shape painted in one colour.
type layer struct {
	in shape
	c  color.NRGBA
}

// samples per pixel side for anti-aliasing.
const ss = 4

// paint composites the layers, in order, over a transparent square.
func paint(size int, layers []layer) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var r, g, b, a float64 // premultiplied, 0..1
			for _, l := range layers {
				n := 0
				for sy := 0; sy < ss; sy++ {
					for sx := 0; sx < ss; sx++ {
						if l.in(float64(px)+(float64(sx)+0.5)/ss, float64(py)+(float64(sy)+0.5)/ss) {
							n++
						}
					}
				}
				if n == 0 {
					continue
				}
				cov := float64(n) / ss / ss * float64(l.c.A) / 255
				r = float64(l.c.R)/255*cov + r*(1-cov)
				g = float64(l.c.G)/255*cov + g*(1-cov)
				b = float64(l.c.B)/255*cov + b*(1-cov)
				a = cov + a*(1-cov)
			}
			if a == 0 {
				continue
			}
			img.SetNRGBA(px, py, color.NRGBA{
				R: uint8(math.Round(r / a * 255)), G: uint8(math.Round(g / a * 255)),
				B: uint8(math.Round(b / a * 255)), A: uint8(math.Round(a * 255)),
			})
		}
	}
	return img
}

func roundedRect(x0, y0, x1, y1, rad float64) shape {
	return func(x, y float64) bool {
		if x < x0 || x > x1 || y < y0 || y > y1 {
			return false
		}
		cx := math.Max(x0+rad, math.Min(x, x1-rad))
		cy := math.Max(y0+rad, math.Min(y, y1-rad))
		return (x-cx)*(x-cx)+(y-cy)*(y-cy) <= rad*rad
	}
}

func circle(cx, cy, rad float64) shape {
	return func(x, y float64) bool { return (x-cx)*(x-cx)+(y-cy)*(y-cy) <= rad*rad }
}

func union(ss ...shape) shape {
	return func(x, y float64) bool {
		for _, s := range ss {
			if s(x, y) {
				return true
			}
		}
		return false
	}
}

// arrow is a vertical arrow centred on cx between tip and tail (tip above
// the tail for an up arrow, below it for a down arrow). The shaft edges and
// the head's base sit on whole pixels so that small sizes stay sharp.
func arrow(cx, tip, tail, shaft, headHalf, headLen float64) shape {
	up := tip < tail
	return func(x, y float64) bool {
		d := y - tip // distance from the tip along the arrow
		if !up {
			d = tip - y
		}
		length := math.Abs(tail - tip)
		if d < 0 || d > length {
			return false
		}
		if d <= headLen {
			return math.Abs(x-cx) <= headHalf*d/headLen
		}
		return math.Abs(x-cx) <= shaft/2
	}
}

// geometry is the icon's layout for one pixel size, snapped to its grid.
type geometry struct {
	s                            float64
	radius                       float64
	upX, downX                   float64
	top, bottom                  float64
	shaft, headHalf, headLen     float64
	badgeX, badgeY, badgeR, ring float64
}

func layout(size int) geometry {
	s := float64(size)
	shaft := math.Max(2, math.Round(s/8))
	// Centre each arrow on a pixel edge for an even shaft, on a pixel
	// centre for an odd one.
	snap := func(v float64) float64 {
		if int(shaft)%2 == 0 {
			return math.Round(v)
		}
		return math.Floor(v) + 0.5
	}
	g := geometry{
		s:        s,
		radius:   math.Max(2, math.Round(s*0.2)),
		upX:      snap(s * 0.32),
		downX:    snap(s * 0.68),
		top:      math.Round(s * 0.16),
		bottom:   math.Round(s * 0.84),
		shaft:    shaft,
		headHalf: math.Round(s*0.19) + shaft/2 - 1,
		headLen:  math.Round(s * 0.3),
	}
	g.badgeR = math.Max(3, math.Round(s*0.22))
	g.ring = math.Max(1, math.Round(s/24))
	g.badgeX, g.badgeY = s-g.badgeR, s-g.badgeR
	return g
}

func (g geometry) arrows() shape {
	return union(
		arrow(g.upX, g.top, g.bottom, g.shaft, g.headHalf, g.headLen),
		arrow(g.downX, g.bottom, g.top, g.shaft, g.headHalf, g.headLen),
	)
}

// Render draws the colour icon of state s at size×size pixels.
func Render(s State, size int) *image.NRGBA {
	g := layout(size)
	bg := blue
	if s.paused() {
		bg = grey
	}
	layers := []layer{
		{roundedRect(0, 0, g.s, g.s, g.radius), bg},
		{g.arrows(), white},
	}
	if s.badge() {
		layers = append(layers,
			layer{circle(g.badgeX, g.badgeY, g.badgeR), white},
			layer{circle(g.badgeX, g.badgeY, g.badgeR-g.ring), red},
		)
	}
	return paint(size, layers)
}

// Template draws the macOS menu-bar ("template") version of state s: black
// shapes whose alpha alone matters, since macOS recolours them for light and
// dark menu bars. Paused is drawn faint; the badge is a solid dot.
func Template(s State, size int) *image.NRGBA {
	g := layout(size)
	c := black
	if s.paused() {
		c.A = 0x66
	}
	in := g.arrows()
	if s.badge() {
		dot := circle(g.badgeX, g.badgeY, g.badgeR-g.ring)
		gap := circle(g.badgeX, g.badgeY, g.badgeR)
		arrows := in
		in = func(x, y float64) bool { return arrows(x, y) && !gap(x, y) }
		return paint(size, []layer{{in, c}, {dot, black}})
	}
	return paint(size, []layer{{in, c}})
}

// PNG encodes img as PNG.
func PNG(img image.Image) []byte {
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&b, img); err != nil {
		// Encoding an in-memory NRGBA image cannot fail.
		panic(fmt.Sprintf("icon: encode png: %v", err))
	}
	return b.Bytes()
}

package icon

import (
	"encoding/binary"
	"fmt"
	"image"
)

// ICO encodes square images as a classic ICO file: each image is a 32-bit
// BGRA device-independent bitmap with an AND mask, never an embedded PNG
// (which older Windows and Wine draw as garbage). Sizes up to 256 px.
func ICO(imgs ...*image.NRGBA) ([]byte, error) {
	const dirSize, entrySize, headerSize = 6, 16, 40
	var out []byte
	le := binary.LittleEndian
	out = le.AppendUint16(out, 0) // reserved
	out = le.AppendUint16(out, 1) // type: icon
	out = le.AppendUint16(out, uint16(len(imgs)))

	var bodies [][]byte
	offset := dirSize + entrySize*len(imgs)
	for _, img := range imgs {
		w, h := img.Rect.Dx(), img.Rect.Dy()
		if w != h || w < 1 || w > 256 {
			return nil, fmt.Errorf("icon: ico image must be square and 1..256 px, got %dx%d", w, h)
		}
		body := bitmap(img)
		dim := byte(w) // 256 is written as 0
		out = append(out, dim, dim, 0, 0)
		out = le.AppendUint16(out, 1)  // colour planes
		out = le.AppendUint16(out, 32) // bits per pixel
		out = le.AppendUint32(out, uint32(len(body)))
		out = le.AppendUint32(out, uint32(offset))
		offset += len(body)
		bodies = append(bodies, body)
	}
	for _, b := range bodies {
		out = append(out, b...)
	}
	return out, nil
}

// bitmap is one ICO image: BITMAPINFOHEADER, bottom-up BGRA pixels, then
// the 1-bit AND mask (set where the pixel is transparent), rows padded to
// 32 bits.
func bitmap(img *image.NRGBA) []byte {
	le := binary.LittleEndian
	w, h := img.Rect.Dx(), img.Rect.Dy()
	maskRow := (w + 31) / 32 * 4
	size := w*h*4 + maskRow*h
	b := make([]byte, 0, 40+size)
	b = le.AppendUint32(b, 40)
	b = le.AppendUint32(b, uint32(w))
	b = le.AppendUint32(b, uint32(2*h)) // colour and mask bitmaps stacked
	b = le.AppendUint16(b, 1)
	b = le.AppendUint16(b, 32)
	b = le.AppendUint32(b, 0) // BI_RGB
	b = le.AppendUint32(b, uint32(size))
	b = append(b, make([]byte, 16)...) // resolution and palette: unused
	for y := h - 1; y >= 0; y-- {
		for x := 0; x < w; x++ {
			c := img.NRGBAAt(img.Rect.Min.X+x, img.Rect.Min.Y+y)
			b = append(b, c.B, c.G, c.R, c.A)
		}
	}
	for y := h - 1; y >= 0; y-- {
		row := make([]byte, maskRow)
		for x := 0; x < w; x++ {
			if img.NRGBAAt(img.Rect.Min.X+x, img.Rect.Min.Y+y).A == 0 {
				row[x/8] |= 0x80 >> (x % 8)
			}
		}
		b = append(b, row...)
	}
	return b
}

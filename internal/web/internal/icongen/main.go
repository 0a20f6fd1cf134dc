// Command icongen draws Hearth's icons into internal/web/static: the app
// icons (192 and 512 px), the Apple touch icon (180 px) and favicon.ico
// (16 and 32 px PNGs in an ICO). The shapes are those of static/icon.svg,
// computed rather than drawn by hand, so no image tool is needed.
//
//	go generate ./internal/web/
package main

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
	"path/filepath"
)

var (
	accent = color.NRGBA{0x9a, 0x34, 0x12, 0xff} // --accent of style.css
	cream  = color.NRGBA{0xfb, 0xfa, 0xf7, 0xff} // --bg
	amber  = color.NRGBA{0xf5, 0x9e, 0x0b, 0xff}
)

// teardrop is a circle with a point above it: the union of the circle and
// the triangle from apex to the circle's tangent points (30° each side).
type teardrop struct{ cx, cy, r, apexY float64 }

func (t teardrop) contains(x, y float64) bool {
	if math.Hypot(x-t.cx, y-t.cy) <= t.r {
		return true
	}
	d := t.cy - t.apexY
	ty := t.apexY + math.Sqrt(d*d-t.r*t.r)*math.Cos(math.Pi/6)
	if y < t.apexY || y > ty {
		return false
	}
	half := (y - t.apexY) * math.Tan(math.Pi/6)
	return math.Abs(x-t.cx) <= half
}

var (
	flame = teardrop{50, 62, 22, 18}
	core  = teardrop{50, 68, 11, 46}
)

// colorAt is the icon's color at (x, y) in the SVG's 100×100 box; corner
// rounds the background (0 for a full square, as maskable icons want).
func colorAt(x, y, corner float64) (color.NRGBA, bool) {
	if corner > 0 {
		cx, cy := math.Max(corner, math.Min(100-corner, x)), math.Max(corner, math.Min(100-corner, y))
		if math.Hypot(x-cx, y-cy) > corner {
			return color.NRGBA{}, false
		}
	}
	switch {
	case core.contains(x, y):
		return amber, true
	case flame.contains(x, y):
		return cream, true
	case y >= 88 && y <= 93 && x >= 28 && x <= 72:
		return cream, true
	}
	return accent, true
}

// draw renders the icon at size px, 4×4 samples a pixel.
func draw(size int, corner float64) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	const n = 4
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var r, g, b, a float64
			for sy := 0; sy < n; sy++ {
				for sx := 0; sx < n; sx++ {
					x := (float64(px) + (float64(sx)+0.5)/n) * 100 / float64(size)
					y := (float64(py) + (float64(sy)+0.5)/n) * 100 / float64(size)
					if c, ok := colorAt(x, y, corner); ok {
						r, g, b, a = r+float64(c.R), g+float64(c.G), b+float64(c.B), a+1
					}
				}
			}
			if a > 0 {
				img.SetNRGBA(px, py, color.NRGBA{uint8(r / a), uint8(g / a), uint8(b / a), uint8(a * 255 / (n * n))})
			}
		}
	}
	return img
}

func pngBytes(img image.Image) []byte {
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
		log.Fatal(err)
	}
	return buf.Bytes()
}

// ico wraps PNG images in an ICO file (PNG entries are valid since Vista).
func ico(sizes ...int) []byte {
	var imgs [][]byte
	for _, s := range sizes {
		imgs = append(imgs, pngBytes(draw(s, 20)))
	}
	var buf bytes.Buffer
	binary.Write(&buf, binary.LittleEndian, [3]uint16{0, 1, uint16(len(sizes))})
	offset := 6 + 16*len(sizes)
	for i, s := range sizes {
		binary.Write(&buf, binary.LittleEndian, struct {
			W, H, Colors, Reserved uint8
			Planes, Bits           uint16
			Size, Offset           uint32
		}{uint8(s), uint8(s), 0, 0, 1, 32, uint32(len(imgs[i])), uint32(offset)})
		offset += len(imgs[i])
	}
	for _, b := range imgs {
		buf.Write(b)
	}
	return buf.Bytes()
}

func main() {
	dir := "static"
	files := map[string][]byte{
		"icon-192.png":         pngBytes(draw(192, 0)), // full squares: launchers round them their own way
		"icon-512.png":         pngBytes(draw(512, 0)),
		"apple-touch-icon.png": pngBytes(draw(180, 0)),
		"favicon.ico":          ico(16, 32),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

package icon

import (
	"fmt"
	"image"
)

// TraySizes are the sizes a tray or menu bar asks for.
var TraySizes = []int{16, 22, 24, 32, 48}

// icoSizes are the images in a tray ICO; Windows picks the nearest.
var icoSizes = []int{16, 24, 32, 48}

// TrayICO is the Windows tray icon of state s.
func TrayICO(s State) ([]byte, error) {
	imgs := make([]*image.NRGBA, 0, len(icoSizes))
	for _, n := range icoSizes {
		imgs = append(imgs, Render(s, n))
	}
	return ICO(imgs...)
}

// Files returns every file of assets/icons by name: PNGs of each state at
// each tray size (and the normal icon at 256 px for desktops and
// installers), macOS template PNGs, one ICO per tray state and the
// application ICO.
func Files() (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, n := range Sizes {
		files[fmt.Sprintf("packetbuddy-%d.png", n)] = PNG(Render(Normal, n))
	}
	for _, s := range States {
		if s != Normal {
			for _, n := range TraySizes {
				files[fmt.Sprintf("packetbuddy-%s-%d.png", s, n)] = PNG(Render(s, n))
			}
		}
		for _, n := range []int{16, 32} {
			files[fmt.Sprintf("packetbuddy-template-%s-%d.png", s, n)] = PNG(Template(s, n))
		}
		ico, err := TrayICO(s)
		if err != nil {
			return nil, err
		}
		files[fmt.Sprintf("tray-%s.ico", s)] = ico
	}
	app, err := ICO(Render(Normal, 16), Render(Normal, 24), Render(Normal, 32), Render(Normal, 48), Render(Normal, 256))
	if err != nil {
		return nil, err
	}
	files["packetbuddy.ico"] = app
	return files, nil
}

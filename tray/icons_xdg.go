//go:build linux || freebsd || openbsd || netbsd

package tray

import (
	"fyne.io/systray"

	"github.com/packetbuddy/packetbuddy/tray/internal/icon"
)

// pixmapSize is the size of the one pixmap systray publishes; hosts scale
// it to their panel (22-32 px typically).
const pixmapSize = 32

// encodeIcon is a PNG, the one format systray decodes into the item's
// IconPixmap.
func encodeIcon(s icon.State) []byte { return icon.PNG(icon.Render(s, pixmapSize)) }

// showIcon hands the encoded icon to systray.
func showIcon(_ icon.State, b []byte) { systray.SetIcon(b) }

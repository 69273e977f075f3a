//go:build cgo

package tray

import (
	"fyne.io/systray"

	"github.com/packetbuddy/packetbuddy/tray/internal/icon"
)

// macOS menu-bar icons are template images at 16 pt; the 32 px image is
// the @2x version.
func encodeIcon(s icon.State) []byte { return icon.PNG(icon.Template(s, 32)) }

func showIcon(s icon.State, b []byte) {
	systray.SetTemplateIcon(b, icon.PNG(icon.Render(s, 32)))
}

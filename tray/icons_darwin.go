//go:build cgo

package tray

import (
	"fyne.io/systray"

	"github.com/packetbuddy/packetbuddy/tray/internal/icon"
)

// encodeIcon is a template image, which macOS tints to the menu bar: menu
// bar icons are 16 pt, so 32 px is the @2x version.
func encodeIcon(s icon.State) []byte { return icon.PNG(icon.Template(s, 32)) }

// showIcon sets the template image; systray on macOS ignores the regular
// image it also takes.
func showIcon(s icon.State, b []byte) {
	systray.SetTemplateIcon(b, icon.PNG(icon.Render(s, 32)))
}

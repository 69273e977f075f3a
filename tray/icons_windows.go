package tray

import (
	"fyne.io/systray"

	"github.com/packetbuddy/packetbuddy/tray/internal/icon"
)

// encodeIcon is a classic BMP-based ICO; PNG-in-ICO renders as garbage on
// older Windows and under Wine.
func encodeIcon(s icon.State) []byte {
	b, err := icon.TrayICO(s)
	if err != nil {
		// The sizes are fixed and valid: this cannot happen.
		panic(err)
	}
	return b
}

// showIcon hands the encoded icon to systray.
func showIcon(_ icon.State, b []byte) { systray.SetIcon(b) }

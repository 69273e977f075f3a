//go:build linux || freebsd || openbsd || netbsd

package tray

import (
	"fyne.io/systray"

	"github.com/packetbuddy/packetbuddy/tray/internal/icon"
)

// linuxIconSize is the one pixmap systray publishes; hosts scale it to
// their panel (22-32 px typically).
const linuxIconSize = 32

func encodeIcon(s icon.State) []byte { return icon.PNG(icon.Render(s, linuxIconSize)) }

func showIcon(_ icon.State, b []byte) { systray.SetIcon(b) }

// Package packaging holds what PacketBuddy needs from the operating system to
// be installed as a desktop application. Today that is the login item behind
// "Start at login": an XDG autostart entry on Linux and the BSDs, a launchd
// agent on macOS and a value under the Run key of the current user on
// Windows. Other systems get errors.ErrUnsupported.
//
// The rest of the program calls EnableAutostart, DisableAutostart and
// AutostartState and never looks at GOOS. Each login item's system calls
// live in a file named after the systems it builds for: autostart_xdg.go,
// autostart_darwin.go, autostart_windows.go and autostart_unsupported.go.
// The formats themselves (desktop entry quoting, property lists, Run values)
// and the writing of login item files are kept in files without build tags
// so that their tests run on any machine.
package packaging

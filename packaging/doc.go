// Package packaging holds what PacketBuddy needs from the operating system to
// be installed as a desktop application. Today that is the login item behind
// "Start at login": an XDG autostart entry on Linux, a launchd agent on macOS
// and a value under the Run key of the current user on Windows.
//
// The rest of the program calls EnableAutostart, DisableAutostart and
// AutostartState and never looks at GOOS; each platform's details live in
// the file named after it. The formats themselves (desktop entry quoting,
// property lists, Run values) are kept in files without build tags so that
// their tests run on any machine.
package packaging

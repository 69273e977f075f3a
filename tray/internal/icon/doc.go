// Package icon draws PacketBuddy's tray and application icons: a rounded
// square with an up and a down arrow, in a small fixed set of states
// (normal, paused in grey, and a red badge for a sync or component error).
//
// Every size is drawn for its own pixel grid, so 16 px is as crisp as 256 px,
// and the same code renders the icons at run time and the committed files in
// assets/icons (see the generator in ./gen). ICO files are the classic
// BMP-based kind, which every Windows version and Wine display correctly.
package icon

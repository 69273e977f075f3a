package tray

import "golang.org/x/sys/windows"

// downloadsDir is the Downloads known folder, wherever the user moved it.
func downloadsDir() string {
	d, err := windows.KnownFolderPath(windows.FOLDERID_Downloads, 0)
	if err != nil {
		return ""
	}
	return d
}

package packaging

import (
	"fmt"
	"os"
	"path/filepath"
)

// launchAgentFile is the per-user agent that launchd loads at login.
func launchAgentFile() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("locate LaunchAgents: %w", err)
	}
	return filepath.Join(home, "Library", "LaunchAgents", launchAgentLabel+".plist"), nil
}

// enableAutostart only writes the file; launchd reads it at the next login.
// Loading it now with launchctl would start a second PacketBuddy next to
// the one asking.
func enableAutostart(exe string) error {
	file, err := launchAgentFile()
	if err != nil {
		return err
	}
	data, err := launchAgentPlist(exe)
	if err != nil {
		return err
	}
	return writeLoginFile(file, data)
}

// disableAutostart only removes the file. Unloading the agent with launchctl
// would kill the running PacketBuddy if launchd started it.
func disableAutostart() error {
	file, err := launchAgentFile()
	if err != nil {
		return err
	}
	return removeLoginFile(file)
}

func autostartEntry() (loginItem, error) {
	file, err := launchAgentFile()
	if err != nil {
		return loginItem{}, err
	}
	return readLoginFile(file, func(data []byte) (string, bool) {
		// An agent that no longer parses still exists; it is reported with
		// no path, hence stale, and EnableAutostart overwrites it.
		path, disabled, _ := parseLaunchAgent(data)
		return path, disabled
	})
}

// Command gen writes PacketBuddy's icon files (run by go generate in
// package tray):
//
//	go run ./internal/icon/gen -out ../assets/icons
package main

import (
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/packetbuddy/packetbuddy/tray/internal/icon"
)

func main() {
	out := flag.String("out", "assets/icons", "output `directory`")
	flag.Parse()
	if err := generate(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func generate(dir string) error {
	files, err := icon.Files()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := os.WriteFile(filepath.Join(dir, name), files[name], 0o644); err != nil {
			return fmt.Errorf("write icon: %w", err)
		}
	}
	return nil
}

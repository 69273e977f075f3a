package main

import (
	"os"
	"path/filepath"
	"strings"
	"time"
)

// localZone returns the machine's zone under its IANA name when it can be
// found (so reports say "Asia/Kolkata" rather than "Local"), else time.Local.
func localZone() *time.Location {
	if tz, ok := os.LookupEnv("TZ"); ok {
		if tz == "" {
			return time.UTC
		}
		if l, err := time.LoadLocation(strings.TrimPrefix(tz, ":")); err == nil {
			return l
		}
		return time.Local
	}
	if p, err := filepath.EvalSymlinks("/etc/localtime"); err == nil {
		if i := strings.Index(p, "zoneinfo/"); i >= 0 {
			if l, err := time.LoadLocation(p[i+len("zoneinfo/"):]); err == nil {
				return l
			}
		}
	}
	return time.Local
}

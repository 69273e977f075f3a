// Package config loads, writes and updates PacketBuddy's TOML configuration.
//
// The file is strict: an unknown key or a value of the wrong type is an
// error that names the file, line and column, because a typo that silently
// falls back to a default is worse than refusing to start.
package config

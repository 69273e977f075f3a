// Package dashboard serves PacketBuddy's localhost HTTP API and web UI.
package dashboard

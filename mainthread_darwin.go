package main

import "runtime"

// Cocoa's menu-bar item must be driven from the process's main thread:
// keep the main goroutine on it, so that the tray's Run, called from main,
// runs there.
func init() { runtime.LockOSThread() }

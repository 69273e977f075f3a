package main

import (
	"os"

	"golang.org/x/sys/windows"
)

// The Windows release is linked with -H=windowsgui so that starting the tray
// app from Explorer or at login opens no console window. Such a program has
// no standard output at all, so "packetbuddy today" typed in a console
// would print nothing. attachConsole borrows the console of the program
// that started this one, if there is one, before main reads os.Stdout.
//
// It runs from init rather than from main so that nothing can print before
// it, and so that the program built for other systems has nothing to call.
func init() { attachConsole() }

// attachParentProcess is ATTACH_PARENT_PROCESS, (DWORD)-1.
const attachParentProcess = ^uint32(0)

var procAttachConsole = windows.NewLazySystemDLL("kernel32.dll").NewProc("AttachConsole")

// attachConsole connects standard input, output and error to the parent's
// console where they are not connected to anything. Handles that already
// work are left alone: a console build, output redirected to a file or a
// pipe ("packetbuddy export > usage.csv"), or a program started by another
// one with its own pipes keeps them. Started from Explorer, the Run key or
// a shortcut there is no parent console, and nothing changes.
func attachConsole() {
	stdin := stdHandle(windows.STD_INPUT_HANDLE)
	stdout := stdHandle(windows.STD_OUTPUT_HANDLE)
	stderr := stdHandle(windows.STD_ERROR_HANDLE)
	if stdin != 0 && stdout != 0 && stderr != 0 {
		return
	}
	if procAttachConsole.Find() != nil {
		return
	}
	if r, _, _ := procAttachConsole.Call(uintptr(attachParentProcess)); r == 0 {
		return
	}
	if stdin == 0 {
		if f := openConsole("CONIN$", windows.STD_INPUT_HANDLE); f != nil {
			os.Stdin = f
		}
	}
	if stdout == 0 {
		if f := openConsole("CONOUT$", windows.STD_OUTPUT_HANDLE); f != nil {
			os.Stdout = f
		}
	}
	if stderr == 0 {
		if f := openConsole("CONOUT$", windows.STD_ERROR_HANDLE); f != nil {
			os.Stderr = f
		}
	}
}

// stdHandle returns a standard handle, or 0 if it is not connected to a
// file, a pipe or a console. A GUI program started from a console may
// inherit the console's handle values without the console itself: those
// are of no known type and count as not connected.
func stdHandle(which uint32) windows.Handle {
	h, err := windows.GetStdHandle(which)
	if err != nil || h == 0 || h == windows.InvalidHandle {
		return 0
	}
	if t, err := windows.GetFileType(h); err != nil || t == windows.FILE_TYPE_UNKNOWN {
		return 0
	}
	return h
}

// openConsole opens the attached console's input or output and makes it the
// process's standard handle too, so that programs started from here inherit
// it. It returns nil if the console cannot be opened.
func openConsole(name string, which uint32) *os.File {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return nil
	}
	if err := windows.SetStdHandle(which, windows.Handle(f.Fd())); err != nil {
		f.Close()
		return nil
	}
	return f
}

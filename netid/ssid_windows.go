package netid

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	wlanapi                = windows.NewLazySystemDLL("wlanapi.dll")
	procWlanOpenHandle     = wlanapi.NewProc("WlanOpenHandle")
	procWlanCloseHandle    = wlanapi.NewProc("WlanCloseHandle")
	procWlanEnumInterfaces = wlanapi.NewProc("WlanEnumInterfaces")
	procWlanQueryInterface = wlanapi.NewProc("WlanQueryInterface")
	procWlanFreeMemory     = wlanapi.NewProc("WlanFreeMemory")
)

const (
	// wlanClientVersion 2 is the WLAN API of Windows Vista and later.
	wlanClientVersion = 2
	// wlanIntfOpcodeCurrentConnection is wlan_intf_opcode_current_connection.
	wlanIntfOpcodeCurrentConnection = 7
)

// osSources keeps Windows' WLAN API handle, opened at the first probe and
// again after an error.
type osSources struct {
	mu   sync.Mutex
	wlan windows.Handle // 0: not open
}

// wifiSSID asks the WLAN service for the SSID of nic's current
// connection. A NIC that is not Wi-Fi, or no WLAN service (a desktop
// without Wi-Fi), has none; Windows 11 refuses the SSID to apps without
// location permission, which is never asked for: then there is none too.
func (s *sources) wifiSSID(_ context.Context, nic string) (string, error) {
	guid, err := interfaceGUID(nic)
	if err != nil {
		return "", fmt.Errorf("interface GUID of %s: %w", nic, err)
	}
	s.os.mu.Lock()
	defer s.os.mu.Unlock()
	if s.os.wlan == 0 {
		var version uint32
		var h windows.Handle
		err := callProc(procWlanOpenHandle, wlanClientVersion, 0, uintptr(unsafe.Pointer(&version)), uintptr(unsafe.Pointer(&h)))
		if err != nil {
			return "", fmt.Errorf("WlanOpenHandle: %w", err)
		}
		s.os.wlan = h
	}
	ssid, err := connectedSSID(s.os.wlan, guid)
	if err != nil && !errors.Is(err, windows.ERROR_ACCESS_DENIED) {
		procWlanCloseHandle.Call(uintptr(s.os.wlan), 0)
		s.os.wlan = 0
	}
	return ssid, err
}

// connectedSSID is the SSID of the WLAN interface guid's connection; ""
// when guid is not a WLAN interface or not connected.
func connectedSSID(h windows.Handle, guid [16]byte) (string, error) {
	var list unsafe.Pointer
	if err := callProc(procWlanEnumInterfaces, uintptr(h), 0, uintptr(unsafe.Pointer(&list))); err != nil {
		return "", fmt.Errorf("WlanEnumInterfaces: %w", err)
	}
	defer procWlanFreeMemory.Call(uintptr(list))
	n := *(*uint32)(list)
	interfaces, err := decodeWLANInterfaces(unsafe.Slice((*byte)(list), wlanListHeader+int(n)*wlanInterfaceInfoSize))
	if err != nil {
		return "", err
	}
	i := indexWLANInterface(interfaces, guid)
	if i < 0 || interfaces[i].state != wlanInterfaceConnected {
		return "", nil
	}
	var size, valueType uint32
	var data unsafe.Pointer
	err = callProc(procWlanQueryInterface, uintptr(h), uintptr(unsafe.Pointer(&guid)), wlanIntfOpcodeCurrentConnection, 0,
		uintptr(unsafe.Pointer(&size)), uintptr(unsafe.Pointer(&data)), uintptr(unsafe.Pointer(&valueType)))
	if err != nil {
		return "", fmt.Errorf("WlanQueryInterface (the SSID needs location permission on Windows 11): %w", err)
	}
	defer procWlanFreeMemory.Call(uintptr(data))
	return decodeConnectionSSID(unsafe.Slice((*byte)(data), size))
}

// close closes the WLAN handle, if open (tests; the app keeps it to the
// end).
func (o *osSources) close() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.wlan != 0 {
		procWlanCloseHandle.Call(uintptr(o.wlan), 0)
		o.wlan = 0
	}
}

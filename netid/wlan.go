package netid

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The layouts of the WLAN API's structures (wlanapi.h) that wifiSSID
// reads on Windows, decoded from bytes so that the decoding is tested on
// every system.
const (
	// WLAN_INTERFACE_INFO_LIST: two DWORDs, then the items.
	wlanListHeader = 8
	// WLAN_INTERFACE_INFO: a GUID, a WCHAR[256] description, the state.
	wlanInterfaceInfoSize = 16 + 512 + 4
	wlanInterfaceState    = 16 + 512

	// WLAN_CONNECTION_ATTRIBUTES: the state, the connection mode, a
	// WCHAR[256] profile name, then the association attributes starting
	// with the DOT11_SSID (a ULONG length and 32 bytes).
	wlanConnectionSSIDLength = 4 + 4 + 512
	wlanConnectionSSID       = wlanConnectionSSIDLength + 4
	dot11SSIDMax             = 32

	// wlanInterfaceConnected is wlan_interface_state_connected.
	wlanInterfaceConnected = 1
)

var errShortWLAN = errors.New("WLAN structure shorter than its layout")

// wlanInterface is one item of a WLAN_INTERFACE_INFO_LIST.
type wlanInterface struct {
	guid  [16]byte // as laid out in memory, comparable with a GUID's bytes
	state uint32
}

// decodeWLANInterfaces reads a WLAN_INTERFACE_INFO_LIST.
func decodeWLANInterfaces(b []byte) ([]wlanInterface, error) {
	if len(b) < wlanListHeader {
		return nil, errShortWLAN
	}
	n := int(binary.LittleEndian.Uint32(b))
	if (len(b)-wlanListHeader)/wlanInterfaceInfoSize < n {
		return nil, fmt.Errorf("%d interfaces in %d bytes: %w", n, len(b), errShortWLAN)
	}
	interfaces := make([]wlanInterface, n)
	for i := range interfaces {
		item := b[wlanListHeader+i*wlanInterfaceInfoSize:][:wlanInterfaceInfoSize]
		interfaces[i] = wlanInterface{
			guid:  [16]byte(item[:16]),
			state: binary.LittleEndian.Uint32(item[wlanInterfaceState:]),
		}
	}
	return interfaces, nil
}

// decodeConnectionSSID reads the SSID of a WLAN_CONNECTION_ATTRIBUTES;
// "" when the interface is not connected or the SSID is empty (Windows
// may blank it for apps without location permission).
func decodeConnectionSSID(b []byte) (string, error) {
	if len(b) < wlanConnectionSSID+dot11SSIDMax {
		return "", errShortWLAN
	}
	if binary.LittleEndian.Uint32(b) != wlanInterfaceConnected {
		return "", nil
	}
	n := binary.LittleEndian.Uint32(b[wlanConnectionSSIDLength:])
	if n > dot11SSIDMax {
		return "", fmt.Errorf("SSID length %d: %w", n, errShortWLAN)
	}
	return string(b[wlanConnectionSSID : wlanConnectionSSID+int(n)]), nil
}

// indexWLANInterface is the index of the interface with the GUID guid in
// interfaces, -1 if none.
func indexWLANInterface(interfaces []wlanInterface, guid [16]byte) int {
	for i, w := range interfaces {
		if w.guid == guid {
			return i
		}
	}
	return -1
}

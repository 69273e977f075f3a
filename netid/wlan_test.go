package netid

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"unicode/utf16"
)

// wlanInterfaceInfo is a WLAN_INTERFACE_INFO (532 bytes), laid out by
// hand from wlanapi.h.
func wlanInterfaceInfo(guid [16]byte, description string, state uint32) []byte {
	b := bytes.Repeat([]byte{0xa5}, 532)
	copy(b, guid[:])
	clear(b[16:528])
	for i, c := range utf16.Encode([]rune(description)) {
		binary.LittleEndian.PutUint16(b[16+2*i:], c)
	}
	binary.LittleEndian.PutUint32(b[528:], state)
	return b
}

// wlanConnectionAttributes is the start of a WLAN_CONNECTION_ATTRIBUTES
// up to and with the DOT11_SSID, then the rest of the association and
// security attributes.
func wlanConnectionAttributes(state uint32, profile string, ssid []byte) []byte {
	b := bytes.Repeat([]byte{0xa5}, 4+4+512+36+64)
	binary.LittleEndian.PutUint32(b[0:], state)
	binary.LittleEndian.PutUint32(b[4:], 0) // wlan_connection_mode_profile
	clear(b[8:520])
	for i, c := range utf16.Encode([]rune(profile)) {
		binary.LittleEndian.PutUint16(b[8+2*i:], c)
	}
	binary.LittleEndian.PutUint32(b[520:], uint32(len(ssid)))
	copy(b[524:556], ssid)
	return b
}

func TestDecodeWLANInterfaces(t *testing.T) {
	t.Parallel()
	wifi := [16]byte{0x78, 0x56, 0x34, 0x12, 0x34, 0x12, 0x78, 0x56, 1, 2, 3, 4, 5, 6, 7, 8}
	other := [16]byte{0xff, 1: 1}
	list := binary.LittleEndian.AppendUint32(nil, 2)
	list = binary.LittleEndian.AppendUint32(list, 0) // dwIndex
	list = append(list, wlanInterfaceInfo(other, "Wi-Fi Direct", 4)...)
	list = append(list, wlanInterfaceInfo(wifi, "Intel(R) Wi-Fi 6 AX201 160MHz", 1)...)
	got, err := decodeWLANInterfaces(list)
	if err != nil {
		t.Fatal(err)
	}
	want := []wlanInterface{{guid: other, state: 4}, {guid: wifi, state: 1}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("decodeWLANInterfaces = %v, want %v", got, want)
	}
	if i := indexWLANInterface(got, wifi); i != 1 {
		t.Errorf("indexWLANInterface = %d, want 1", i)
	}
	if i := indexWLANInterface(got, [16]byte{}); i != -1 {
		t.Errorf("indexWLANInterface(unknown) = %d, want -1", i)
	}
	if _, err := decodeWLANInterfaces(list[:len(list)-1]); !errors.Is(err, errShortWLAN) {
		t.Errorf("short list: error %v", err)
	}
}

func TestDecodeConnectionSSID(t *testing.T) {
	t.Parallel()
	outOfRange := wlanConnectionAttributes(1, "x", nil)
	binary.LittleEndian.PutUint32(outOfRange[520:], 33)
	for _, tc := range []struct {
		name string
		in   []byte
		want string
		err  error
	}{
		{"connected", wlanConnectionAttributes(1, "Home", []byte("Home")), "Home", nil},
		{"profile name is not the SSID", wlanConnectionAttributes(1, "Office (5 GHz)", []byte("CORP-5G")), "CORP-5G", nil},
		{"32 bytes", wlanConnectionAttributes(1, "x", bytes.Repeat([]byte("a"), 32)), string(bytes.Repeat([]byte("a"), 32)), nil},
		{"hidden by the system", wlanConnectionAttributes(1, "", nil), "", nil},
		{"disconnected", wlanConnectionAttributes(4, "Home", []byte("Home")), "", nil},
		{"length out of range", outOfRange, "", errShortWLAN},
		{"truncated", wlanConnectionAttributes(1, "Home", []byte("Home"))[:540], "", errShortWLAN},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := decodeConnectionSSID(tc.in)
			if got != tc.want || !errors.Is(err, tc.err) {
				t.Errorf("decodeConnectionSSID = %q, %v; want %q, %v", got, err, tc.want, tc.err)
			}
		})
	}
}

package netid

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
)

// fakeDevice is a device the fake NetworkManager manages.
type fakeDevice struct {
	deviceType uint32
	ssid       []byte // nil: no active access point
}

// fakeNetworkManager answers, on a private bus, the calls wifiSSID
// makes: GetDeviceByIpIface and the properties of devices and access
// points. The test changes devices under mu.
type fakeNetworkManager struct {
	mu      sync.Mutex
	devices map[string]*fakeDevice // by NIC
	order   []string               // NICs in the order of their object paths
}

func devicePath(i int) dbus.ObjectPath {
	return dbus.ObjectPath("/org/freedesktop/NetworkManager/Devices/" + string(rune('1'+i)))
}

func accessPointPath(i int) dbus.ObjectPath {
	return dbus.ObjectPath("/org/freedesktop/NetworkManager/AccessPoint/" + string(rune('1'+i)))
}

// startNetworkManager exports a fake NetworkManager on the bus at address
// for the NICs in devices.
func startNetworkManager(t *testing.T, address string, devices map[string]*fakeDevice) *fakeNetworkManager {
	t.Helper()
	conn, err := dbus.Connect(address)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	nm := &fakeNetworkManager{devices: devices}
	for nic := range devices {
		nm.order = append(nm.order, nic)
	}
	if err := conn.Export(nm, nmPath, nmService); err != nil {
		t.Fatal(err)
	}
	for i := range nm.order {
		for _, path := range []dbus.ObjectPath{devicePath(i), accessPointPath(i)} {
			if err := conn.Export(fakeProperties{nm, path}, path, "org.freedesktop.DBus.Properties"); err != nil {
				t.Fatal(err)
			}
		}
	}
	reply, err := conn.RequestName(nmService, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("RequestName(%s) = %v, %v", nmService, reply, err)
	}
	return nm
}

func (nm *fakeNetworkManager) GetDeviceByIpIface(iface string) (dbus.ObjectPath, *dbus.Error) {
	nm.mu.Lock()
	defer nm.mu.Unlock()
	for i, nic := range nm.order {
		if nic == iface {
			return devicePath(i), nil
		}
	}
	return "", dbus.NewError(nmUnknownDevice, []any{"No device found for the requested iface."})
}

func (nm *fakeNetworkManager) setSSID(nic string, ssid []byte) {
	nm.mu.Lock()
	defer nm.mu.Unlock()
	nm.devices[nic].ssid = ssid
}

// fakeProperties is org.freedesktop.DBus.Properties of one object.
type fakeProperties struct {
	nm   *fakeNetworkManager
	path dbus.ObjectPath
}

func (p fakeProperties) Get(iface, name string) (dbus.Variant, *dbus.Error) {
	p.nm.mu.Lock()
	defer p.nm.mu.Unlock()
	for i, nic := range p.nm.order {
		d := p.nm.devices[nic]
		switch {
		case p.path == devicePath(i) && iface == nmService+".Device" && name == "DeviceType":
			return dbus.MakeVariant(d.deviceType), nil
		case p.path == devicePath(i) && iface == nmService+".Device.Wireless" && name == "ActiveAccessPoint" && d.deviceType == nmDeviceTypeWiFi:
			if d.ssid == nil {
				return dbus.MakeVariant(dbus.ObjectPath("/")), nil
			}
			return dbus.MakeVariant(accessPointPath(i)), nil
		case p.path == accessPointPath(i) && iface == nmService+".AccessPoint" && name == "Ssid" && d.ssid != nil:
			return dbus.MakeVariant(d.ssid), nil
		}
	}
	return dbus.Variant{}, dbus.NewError("org.freedesktop.DBus.Error.UnknownProperty", []any{iface + "." + name})
}

func testSources(t *testing.T, busAddress string) *sources {
	s := newSources(slog.New(slog.DiscardHandler))
	s.busAddress = busAddress
	t.Cleanup(s.os.close)
	return s
}

func TestWiFiSSIDFromNetworkManager(t *testing.T) {
	t.Parallel()
	address := testenv.StartDBus(t)
	startNetworkManager(t, address, map[string]*fakeDevice{
		"wlan0": {deviceType: nmDeviceTypeWiFi, ssid: []byte("Home")},
		"wlan1": {deviceType: nmDeviceTypeWiFi},                        // not associated
		"wlan2": {deviceType: nmDeviceTypeWiFi, ssid: []byte{}},        // hidden network
		"wlan3": {deviceType: nmDeviceTypeWiFi, ssid: []byte("\xffA")}, // not UTF-8
		"eth0":  {deviceType: 1},                                       // Ethernet
	})
	s := testSources(t, address)
	for _, tc := range []struct {
		nic, want string
	}{
		{"wlan0", "Home"},
		{"wlan1", ""},
		{"wlan2", ""},
		{"wlan3", "\xffA"},
		{"eth0", ""},
		{"tun0", ""}, // not managed by NetworkManager
	} {
		got, err := s.wifiSSID(t.Context(), tc.nic)
		if got != tc.want || err != nil {
			t.Errorf("wifiSSID(%s) = %q, %v; want %q", tc.nic, got, err, tc.want)
		}
	}
	// The Wi-Fi key wins over the gateway, and needs no NIC of that name
	// on this machine.
	if key, err := s.probe(t.Context(), "wlan3"); key != `wifi:\xffA` || err != nil {
		t.Errorf("probe(wlan3) = %q, %v", key, err)
	}
}

// TestWiFiSSIDChangesAfterInvalidate follows a laptop from one Wi-Fi
// network to another through a Detector.
func TestWiFiSSIDChangesAfterInvalidate(t *testing.T) {
	t.Parallel()
	address := testenv.StartDBus(t)
	nm := startNetworkManager(t, address, map[string]*fakeDevice{
		"wlan0": {deviceType: nmDeviceTypeWiFi, ssid: []byte("Home")},
	})
	clock := newFakeClock()
	d := NewDetector(Options{Now: clock.Now, Probe: testSources(t, address).probe})
	if got := d.Networks(t.Context(), []string{"wlan0"})["wlan0"]; got != "wifi:Home" {
		t.Fatalf("network of wlan0 = %q, want wifi:Home", got)
	}
	nm.setSSID("wlan0", []byte("Phone hotspot"))
	if got := d.Networks(t.Context(), []string{"wlan0"})["wlan0"]; got != "wifi:Home" {
		t.Errorf("within the interval, network of wlan0 = %q, want the cached wifi:Home", got)
	}
	d.Invalidate()
	if got := d.Networks(t.Context(), []string{"wlan0"})["wlan0"]; got != "wifi:Phone hotspot" {
		t.Errorf("after Invalidate, network of wlan0 = %q, want wifi:Phone hotspot", got)
	}
}

// TestWiFiSSIDWithoutNetworkManager: a bus without NetworkManager (it is
// not started for the call), and no bus at all, both give no SSID and an
// error that probe only logs.
func TestWiFiSSIDWithoutNetworkManager(t *testing.T) {
	t.Parallel()
	address := testenv.StartDBus(t)
	for name, address := range map[string]string{
		"bus without NetworkManager": address,
		"no bus":                     "unix:path=" + filepath.Join(t.TempDir(), "none"),
	} {
		s := testSources(t, address)
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		ssid, err := s.wifiSSID(ctx, "wlan0")
		cancel()
		if ssid != "" || err == nil {
			t.Errorf("%s: wifiSSID = %q, %v; want an error", name, ssid, err)
		}
		// Not started for the call: the bus says the name has no owner.
		var dbusErr dbus.Error
		if name == "bus without NetworkManager" && (!errors.As(err, &dbusErr) || dbusErr.Name != "org.freedesktop.DBus.Error.NameHasNoOwner") {
			t.Errorf("%s: error %v (%s), want NameHasNoOwner", name, err, dbusErr.Name)
		}
	}
}

// TestWiFiSSIDReconnects: a connection that broke is replaced at the next
// probe.
func TestWiFiSSIDReconnects(t *testing.T) {
	t.Parallel()
	address := testenv.StartDBus(t)
	startNetworkManager(t, address, map[string]*fakeDevice{"wlan0": {deviceType: nmDeviceTypeWiFi, ssid: []byte("Home")}})
	s := testSources(t, address)
	if got, err := s.wifiSSID(t.Context(), "wlan0"); got != "Home" || err != nil {
		t.Fatalf("wifiSSID = %q, %v", got, err)
	}
	s.os.bus.Close()
	if got, err := s.wifiSSID(t.Context(), "wlan0"); got != "Home" || err != nil {
		t.Errorf("after the connection closed: wifiSSID = %q, %v", got, err)
	}
}

package netid

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/godbus/dbus/v5"
)

const (
	nmService = "org.freedesktop.NetworkManager"
	nmPath    = dbus.ObjectPath("/org/freedesktop/NetworkManager")
	// nmDeviceTypeWiFi is NM_DEVICE_TYPE_WIFI.
	nmDeviceTypeWiFi = 2
	// nmUnknownDevice is the error GetDeviceByIpIface answers for a NIC
	// NetworkManager does not manage.
	nmUnknownDevice = "org.freedesktop.NetworkManager.UnknownDevice"
)

// osSources keeps Linux's connection to the bus NetworkManager is on,
// opened at the first probe and again after it broke.
type osSources struct {
	mu  sync.Mutex
	bus *dbus.Conn
}

// wifiSSID asks NetworkManager for the SSID of nic's active access point.
// Without NetworkManager, a system bus, or when nic is not a Wi-Fi device
// NetworkManager manages, there is no SSID.
func (s *sources) wifiSSID(ctx context.Context, nic string) (string, error) {
	conn, err := s.os.connect(s.busAddress)
	if err != nil {
		return "", fmt.Errorf("D-Bus: %w", err)
	}
	ssid, err := networkManagerSSID(ctx, conn, nic)
	if err != nil && !conn.Connected() {
		s.os.forget(conn)
	}
	return ssid, err
}

// connect returns the open connection to the bus at address ("" = the
// system bus), connecting if there is none.
func (o *osSources) connect(address string) (*dbus.Conn, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.bus != nil && o.bus.Connected() {
		return o.bus, nil
	}
	var conn *dbus.Conn
	var err error
	if address == "" {
		conn, err = dbus.ConnectSystemBus()
	} else {
		conn, err = dbus.Connect(address)
	}
	if err != nil {
		return nil, err
	}
	o.bus = conn
	return conn, nil
}

// forget closes conn, broken, so that the next probe connects again.
func (o *osSources) forget(conn *dbus.Conn) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.bus == conn {
		o.bus.Close()
		o.bus = nil
	}
}

// close closes the connection, if any (tests; the app keeps it to the end).
func (o *osSources) close() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.bus != nil {
		o.bus.Close()
		o.bus = nil
	}
}

// networkManagerSSID follows NetworkManager's objects from nic to the
// SSID of the access point its Wi-Fi device is associated with.
// NetworkManager is never started for this (no auto-start).
func networkManagerSSID(ctx context.Context, conn *dbus.Conn, nic string) (string, error) {
	var device dbus.ObjectPath
	err := conn.Object(nmService, nmPath).
		CallWithContext(ctx, nmService+".GetDeviceByIpIface", dbus.FlagNoAutoStart, nic).
		Store(&device)
	if dbusErr := (dbus.Error{}); errors.As(err, &dbusErr) && dbusErr.Name == nmUnknownDevice {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("NetworkManager GetDeviceByIpIface(%s): %w", nic, err)
	}
	var deviceType uint32
	if err := nmProperty(ctx, conn, device, "Device", "DeviceType", &deviceType); err != nil {
		return "", err
	}
	if deviceType != nmDeviceTypeWiFi {
		return "", nil
	}
	var accessPoint dbus.ObjectPath
	if err := nmProperty(ctx, conn, device, "Device.Wireless", "ActiveAccessPoint", &accessPoint); err != nil {
		return "", err
	}
	if accessPoint == "/" || !accessPoint.IsValid() {
		return "", nil // not associated
	}
	var ssid []byte
	if err := nmProperty(ctx, conn, accessPoint, "AccessPoint", "Ssid", &ssid); err != nil {
		return "", err
	}
	return string(ssid), nil
}

// nmProperty reads the property name of NetworkManager's interface
// org.freedesktop.NetworkManager.<iface> on the object at path into v.
func nmProperty(ctx context.Context, conn *dbus.Conn, path dbus.ObjectPath, iface, name string, v any) error {
	iface = nmService + "." + iface
	var value dbus.Variant
	err := conn.Object(nmService, path).
		CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", dbus.FlagNoAutoStart, iface, name).
		Store(&value)
	if err == nil {
		err = value.Store(v)
	}
	if err != nil {
		return fmt.Errorf("NetworkManager %s %s.%s: %w", path, iface, name, err)
	}
	return nil
}

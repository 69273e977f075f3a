// Package netid tells which network each NIC is attached to, so that
// traffic can be kept per network: the Wi-Fi network's SSID where the
// operating system gives it to an unprivileged process without a prompt,
// else the link-layer (MAC) address of the NIC's default gateway, else
// unknown. The keys are the store's: store.WiFiNetwork and
// store.GatewayNetwork, "" for unknown.
//
// A Detector caches each NIC's key and asks the system again at most every
// few seconds, so the monitor can call it on every sample; sooner after
// Invalidate, which its Run calls when the system reports a change
// (Linux: rtnetlink notifications of links, addresses, default routes and
// neighbours) and the monitor's owner calls when a NIC's counters restart.
//
// Sources per system:
//   - Linux: the SSID from NetworkManager over the system D-Bus (the
//     device's active access point); the gateway from netlink (the default
//     route out of the NIC, then the neighbour entry of its next hop).
//   - Windows: the SSID from the WLAN API (Windows 11 hides it from apps
//     without location permission: then the gateway is used); the gateway
//     from the IP Helper route and neighbour tables.
//   - macOS: the SSID from `ipconfig getsummary` (recent releases print
//     "<redacted>" without location permission: then the gateway is used);
//     the gateway from the routing socket.
//   - Other systems: unknown.
package netid

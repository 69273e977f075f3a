package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The peer's second MAC address: the same link with another gateway, so
// another network. The first is macB.
const macB2 = "02:00:00:00:78:02"

const (
	// gatewayReprobe is how often, at most, the app's network detection
	// looks at the default gateway again (netid's default interval). A
	// switch of gateways must be seen within it.
	gatewayReprobe = 5 * time.Second

	// networksBudget bounds TestNetworkChange: it waits for two re-probes.
	networksBudget = 120 * time.Second
)

// gatewayKey is the network key of a gateway with the given MAC address.
func gatewayKey(mac string) string { return "gateway:" + mac }

// TestNetworkChange: the veth's default route points at the peer; one
// connection carries traffic while the peer's MAC address changes (another
// gateway, so another network), the app is killed with -9 in the middle of
// a transfer and restarted, and the peer gets its first MAC back. Then a
// second kill -9, and the gateway changes while the app is down. Every
// byte the kernel counted is stored under the network current when it was
// counted, and a downtime's bytes under the network seen at the restart:
// each network's totals equal the kernel's counter difference over its
// phases, and their sum equals the NIC's, to the byte.
//
// The switches happen while the connection is idle and the veth counters
// are still, and traffic resumes only once the app reports the new
// network: a sample's delta goes to the network current at the end of its
// interval, so the bytes of a sample spanning the switch could land on
// either network. The first kill needs no such care (the gateway is the
// same before it, during the downtime and at the restart); the second
// comes once the app has stored everything it counted on network 1.
func TestNetworkChange(t *testing.T) {
	t.Parallel()
	e := newEnvBudget(t, networksBudget)
	e.mustIP("-n", e.nsA, "route", "add", "default", "via", addrB, "dev", vethA)
	net1, net2 := gatewayKey(macB), gatewayKey(macB2)

	c0 := e.waitQuiet()
	app := e.startApp("packetbuddy (first run)")
	e.waitHealthy(app)
	e.waitNetwork(net1)

	// Network 1. The connection stays open until the end.
	conn := e.startStream(networksBudget)
	conn.send(4_000_000, 64<<10, 0).wait()
	c1 := e.settle()

	e.switchGateway(macB2)
	e.waitNetwork(net2)
	e.expectStill(c1, "switching to the second gateway")

	// Network 2: a paced transfer with a kill -9 halfway, more traffic
	// while the app is down, a restart and more traffic.
	part := conn.send(20_000_000, 128<<10, 8*time.Millisecond)
	part.waitHalf()
	killTime := time.Now() // the real clock, as the binary's gaps
	app.kill()
	cDead := e.counters()
	part.wait()
	conn.send(3_000_000, 64<<10, 0).wait()
	cDown := e.waitQuiet()
	restartTime := time.Now()
	app = e.startApp("packetbuddy (restart)")
	e.waitHealthy(app)
	e.waitNetwork(net2)
	conn.send(4_000_000, 64<<10, 0).wait()
	c2 := e.settle()

	// Network 1 again, until everything counted on it is stored.
	e.switchGateway(macB)
	e.waitNetwork(net1)
	e.expectStill(c2, "switching back to the first gateway")
	conn.send(5_000_000, 64<<10, 0).wait()
	c3 := e.settle()
	e.sleep(2 * flushInterval)
	e.expectStill(c3, "waiting for the app to store the counters")

	// Network 2 while the app is down: its bytes are a gap on the network
	// seen at the restart, not on the one before the kill.
	kill2Time := time.Now()
	app.kill()
	e.switchGateway(macB2)
	conn.send(3_000_000, 64<<10, 0).wait()
	conn.close()
	c4 := e.waitQuiet()
	restart2Time := time.Now()
	app = e.startApp("packetbuddy (second restart)")
	e.waitHealthy(app)
	e.waitNetwork(net2)
	e.settle()
	app.stop(syscall.SIGTERM)
	e.expectStill(c4, "stopping the app")

	want := map[string]vethBytes{
		net1: c1.sub(c0).add(c3.sub(c2)),
		net2: c2.sub(c1).add(c4.sub(c3)),
	}
	t.Logf("kernel: baseline %v; network 1 until %v; network 2 until %v (at the kill %v, at the restart %v); "+
		"network 1 until %v; network 2 (app down) until %v", c0, c1, c2, cDead, cDown, c3, c4)
	t.Logf("want %s %v, %s %v", net1, want[net1], net2, want[net2])

	e.checkSummary(c4.sub(c0), "the sum over both networks")
	net2Got := e.checkNetworks(want, map[string]string{net1: "Network 1", net2: "Network 2"}, []string{net1, net2})
	// Both downtimes are gaps within network 2's totals.
	e.checkDowntimeGaps(net2Got, cDead, cDown, killTime, restartTime)
	e.checkDowntimeGaps(net2Got, c3, c4, kill2Time, restart2Time)
	e.checkGapNetworks(net2)
}

// checkNetworks compares every view of the networks with the kernel's
// bytes per network (want), their default labels and the order in which
// they were first seen, and returns what `summary --network` reports for
// the last of them.
func (e *env) checkNetworks(want map[string]vethBytes, labels map[string]string, order []string) summaryTotals {
	e.t.Helper()
	e.checkNetworkList(want, labels, order)
	e.checkByNetwork(want, labels)
	var last summaryTotals
	for _, key := range order {
		last = e.checkNetworkScope(key, want[key])
		e.checkNetworkScope(labels[key], want[key]) // by label too
	}
	e.checkUnknownNetwork(labels)
	return last
}

// switchGateway gives the peer another MAC address, as another router on
// the same link would have. The counted side learns it through its static
// neighbour entry, as ARP would tell it, but without ARP frames whose bytes
// would straddle the switch.
func (e *env) switchGateway(mac string) {
	e.t.Helper()
	e.mustIP("-n", e.nsB, "link", "set", "dev", vethB, "address", mac)
	e.mustIP("-n", e.nsA, "neigh", "replace", addrB, "lladdr", mac, "nud", "permanent", "dev", vethA)
}

// settle waits until the veth counters are still and the app has sampled
// them, and returns them.
func (e *env) settle() vethBytes {
	e.t.Helper()
	c := e.waitQuiet()
	e.sleep(3 * pollInterval)
	e.expectStill(c, "waiting for the app to sample the counters")
	return c
}

// expectStill fails the test if the veth counters moved away from c: the
// phases must not leak bytes into each other.
func (e *env) expectStill(c vethBytes, during string) {
	e.t.Helper()
	if now := e.counters(); now != c {
		e.t.Fatalf("%s counters moved while %s: %v -> %v; the phases would not be attributable", vethA, during, c, now)
	}
}

// waitNetwork waits until the running app reports network key for the
// veth in its live snapshot (GET /api/live). An app whose snapshot carries
// no network is given the re-probe interval and a margin instead.
func (e *env) waitNetwork(key string) {
	e.t.Helper()
	timeout := gatewayReprobe + 5*time.Second
	ctx, cancel := context.WithTimeout(e.ctx, timeout+10*time.Second)
	defer cancel()
	cmd := e.helper(ctx, e.nsA, "network", "PB_E2E_URL=http://"+dashboardAddr+"/api/live",
		"PB_E2E_NIC="+vethA, "PB_E2E_NETWORK="+key, "PB_E2E_TIMEOUT="+timeout.String())
	out, err := cmd.CombinedOutput()
	if err != nil {
		e.t.Fatalf("the app did not report network %q for %s within %s (the gateway re-probe interval is %s): %v\n%s",
			key, vethA, timeout, gatewayReprobe, err, out)
	}
	e.t.Logf("network %s: %s", key, bytes.TrimSpace(out))
}

// networkRecord is one element of `networks --json`.
type networkRecord struct {
	Key           string `json:"key"`
	Label         string `json:"label"`
	Kind          string `json:"kind"`
	FirstSeen     string `json:"first_seen"`
	LastSeen      string `json:"last_seen"`
	BytesSent     *int64 `json:"bytes_sent"`
	BytesReceived *int64 `json:"bytes_received"`
	TotalBytes    *int64 `json:"total_bytes"`
}

// checkNetworkList compares `networks --json` with the kernel's bytes per
// network: every network in want with its default label, kind gateway, in
// the order first seen; any other network (the unknown one) without bytes.
func (e *env) checkNetworkList(want map[string]vethBytes, labels map[string]string, order []string) {
	e.t.Helper()
	raw := e.cli("networks", "--json")
	var nets []networkRecord
	if err := json.Unmarshal(bytes.TrimSpace(raw), &nets); err != nil {
		e.t.Fatalf("networks --json output is not a JSON array of networks: %v\n%s", err, raw)
	}
	e.t.Logf("networks --json: %s", compactJSON(raw))
	var seen []string
	var sum vethBytes
	for _, n := range nets {
		if n.BytesSent == nil || n.BytesReceived == nil || n.TotalBytes == nil {
			e.t.Errorf("network %q lacks bytes_sent, bytes_received or total_bytes", n.Key)
			continue
		}
		got := vethBytes{*n.BytesSent, *n.BytesReceived}
		sum = sum.add(got)
		if *n.TotalBytes != got.tx+got.rx {
			e.t.Errorf("network %q: total_bytes %d != bytes_sent %d + bytes_received %d", n.Key, *n.TotalBytes, got.tx, got.rx)
		}
		w, ok := want[n.Key]
		if !ok {
			if got != (vethBytes{}) {
				e.t.Errorf("network %q (%s, kind %s) has %v; the kernel counted bytes only on %v", n.Key, n.Label, n.Kind, got, order)
			}
			continue
		}
		seen = append(seen, n.Key)
		e.compareNetwork("networks --json", n.Key, got, w)
		if n.Label != labels[n.Key] {
			e.t.Errorf("network %q has label %q, want the default %q (gateways are numbered in the order first seen)", n.Key, n.Label, labels[n.Key])
		}
		if n.Kind != "gateway" {
			e.t.Errorf("network %q has kind %q, want gateway", n.Key, n.Kind)
		}
		if n.FirstSeen == "" || n.LastSeen == "" {
			e.t.Errorf("network %q lacks first_seen or last_seen", n.Key)
		}
	}
	if strings.Join(seen, " ") != strings.Join(order, " ") {
		e.t.Errorf("networks --json lists %v, want %v in the order first seen", seen, order)
	}
	var total vethBytes
	for _, w := range want {
		total = total.add(w)
	}
	if sum != total {
		e.t.Errorf("networks --json: the networks sum to %v, the kernel's difference for %s is %v", sum, vethA, total)
	}
}

// compareNetwork reports a network's bytes that differ from the kernel's.
func (e *env) compareNetwork(source, key string, got, want vethBytes) {
	e.t.Helper()
	if got != want {
		e.t.Errorf("%s: network %q has %v, the kernel counted %v over its phases; off by tx %+d, rx %+d",
			source, key, got, want, got.tx-want.tx, got.rx-want.rx)
	}
}

// usageJSON is the part of the JSON usage shape these tests read.
type usageJSON struct {
	BytesSent     *int64 `json:"bytes_sent"`
	BytesReceived *int64 `json:"bytes_received"`
	TotalBytes    *int64 `json:"total_bytes"`
	ByNetwork     []struct {
		Key           string `json:"key"`
		Label         string `json:"label"`
		BytesSent     int64  `json:"bytes_sent"`
		BytesReceived int64  `json:"bytes_received"`
	} `json:"by_network"`
}

// summaryJSON runs `summary --json` with args and decodes it; ok is false
// (and the test failed) if it did not answer with the JSON usage shape.
func (e *env) summaryJSON(args ...string) (u usageJSON, raw []byte, ok bool) {
	e.t.Helper()
	full := append([]string{"summary", "--json"}, args...)
	raw, stderr, code := e.cliStatus(full...)
	if code != 0 {
		e.t.Errorf("packetbuddy %s: exit code %d\nstderr:\n%s", strings.Join(full, " "), code, stderr)
		return u, raw, false
	}
	if err := json.Unmarshal(bytes.TrimSpace(raw), &u); err != nil {
		e.t.Errorf("packetbuddy %s: not the JSON usage shape: %v\n%s", strings.Join(full, " "), err, raw)
		return u, raw, false
	}
	if u.BytesSent == nil || u.BytesReceived == nil || u.TotalBytes == nil {
		e.t.Errorf("packetbuddy %s lacks bytes_sent, bytes_received or total_bytes: %s", strings.Join(full, " "), compactJSON(raw))
		return u, raw, false
	}
	return u, raw, true
}

// checkByNetwork compares `summary --json --by-network` per network with
// the kernel's bytes.
func (e *env) checkByNetwork(want map[string]vethBytes, labels map[string]string) {
	e.t.Helper()
	u, _, ok := e.summaryJSON("--by-network", "--nic", vethA)
	if !ok {
		return
	}
	found := map[string]bool{}
	for _, n := range u.ByNetwork {
		got := vethBytes{n.BytesSent, n.BytesReceived}
		w, ok := want[n.Key]
		if !ok {
			if got != (vethBytes{}) {
				e.t.Errorf("summary --by-network: network %q (%s) has %v; the kernel counted bytes only on the gateways", n.Key, n.Label, got)
			}
			continue
		}
		found[n.Key] = true
		e.compareNetwork("summary --by-network", n.Key, got, w)
		if n.Label != labels[n.Key] {
			e.t.Errorf("summary --by-network: network %q has label %q, want %q", n.Key, n.Label, labels[n.Key])
		}
	}
	for key := range want {
		if !found[key] {
			byNetwork, _ := json.Marshal(u.ByNetwork)
			e.t.Errorf("summary --json --by-network has no by_network entry for %q; by_network: %s", key, byNetwork)
		}
	}
}

// checkNetworkScope compares `summary --json --network NETWORK --nic veth`
// (a key or a label) with the kernel's bytes, and returns the app's.
func (e *env) checkNetworkScope(network string, want vethBytes) summaryTotals {
	e.t.Helper()
	u, _, ok := e.summaryJSON("--network", network, "--nic", vethA)
	if !ok {
		return summaryTotals{}
	}
	got := summaryTotals{*u.BytesSent, *u.BytesReceived, *u.TotalBytes}
	e.compareNetwork("summary --network", network, vethBytes{got.sent, got.received}, want)
	if got.total != got.sent+got.received {
		e.t.Errorf("summary --network %q: total_bytes %d != %d + %d", network, got.total, got.sent, got.received)
	}
	return got
}

// checkUnknownNetwork: a network nobody has seen is a usage error (exit 2)
// that lists the known ones.
func (e *env) checkUnknownNetwork(labels map[string]string) {
	e.t.Helper()
	stdout, stderr, code := e.cliStatus("summary", "--network", "no such network")
	if code != 2 {
		e.t.Errorf("summary --network for an unknown network: exit code %d, want 2\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
		return
	}
	for _, label := range labels {
		if !strings.Contains(string(stderr), label) {
			e.t.Errorf("summary --network for an unknown network does not list %q among the known ones:\n%s", label, stderr)
		}
	}
}

// checkGapNetworks: every gap of the veth with bytes is stored under the
// network seen when counting resumed.
func (e *env) checkGapNetworks(want string) {
	e.t.Helper()
	raw := e.cli("gaps", "--json")
	var gaps []struct {
		NIC           string  `json:"nic"`
		Network       *string `json:"network"`
		BytesSent     int64   `json:"bytes_sent"`
		BytesReceived int64   `json:"bytes_received"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(raw), &gaps); err != nil {
		e.t.Fatalf("gaps --json output is not a JSON array of gap records: %v\n%s", err, raw)
	}
	for _, g := range gaps {
		if g.NIC != vethA || g.BytesSent+g.BytesReceived == 0 {
			continue
		}
		switch {
		case g.Network == nil:
			e.t.Errorf("gaps --json: a gap of %s has no network field:\n%s", vethA, raw)
		case *g.Network != want:
			e.t.Errorf("gaps --json: a gap of %s (sent %d, received %d) is on network %q, want %q (the network seen when counting resumed)",
				vethA, g.BytesSent, g.BytesReceived, *g.Network, want)
		}
	}
}

// cliStatus runs a packetbuddy subcommand that may fail and returns its
// output and exit code.
func (e *env) cliStatus(args ...string) (stdout, stderr []byte, code int) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 15*time.Second)
	defer cancel()
	full := append([]string{"--config", e.configPath, "--data-dir", e.dataDir}, args...)
	cmd := exec.CommandContext(ctx, e.bin, full...)
	cmd.Env = e.appEnv
	var o, s bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &s
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return o.Bytes(), s.Bytes(), 0
	case errors.As(err, &exitErr) && ctx.Err() == nil:
		return o.Bytes(), s.Bytes(), exitErr.ExitCode()
	}
	e.t.Fatalf("packetbuddy %s: %v\nstderr:\n%s", strings.Join(full, " "), err, s.Bytes())
	return nil, nil, 0
}

// compactJSON is raw on one line, for the log.
func compactJSON(raw []byte) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}

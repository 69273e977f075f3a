package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/packetbuddy/packetbuddy/store"
)

// networksCmd is "packetbuddy networks" and "packetbuddy networks rename".
type networksCmd struct {
	json    bool
	nic     string
	devices deviceFlags
}

func (c *networksCmd) flags(fs *flag.FlagSet) {
	fs.BoolVar(&c.json, "json", false, "print JSON")
	fs.StringVar(&c.nic, "nic", "", "only the traffic of this NIC")
	c.devices.register(fs)
}

func (c *networksCmd) run(ctx context.Context, e *env, args []string) error {
	switch {
	case len(args) == 0:
		dev, err := c.devices.scopeDevice()
		if err != nil {
			return err
		}
		return e.listNetworks(ctx, store.Scope{Device: dev, NIC: c.nic}, c.json)
	case args[0] == "rename" && len(args) == 3:
		return e.renameNetwork(ctx, args[1], args[2])
	}
	return usagef("networks takes no arguments, or: rename KEY|LABEL NEW-LABEL")
}

// networkJSON is one network in "networks --json".
type networkJSON struct {
	Key           string    `json:"key"`
	Label         string    `json:"label"`
	Kind          string    `json:"kind"`
	FirstSeen     time.Time `json:"first_seen"`
	LastSeen      time.Time `json:"last_seen"`
	BytesSent     uint64    `json:"bytes_sent"`
	BytesReceived uint64    `json:"bytes_received"`
	TotalBytes    uint64    `json:"total_bytes"`
}

// listNetworks prints every network seen, with its lifetime usage within
// the scope, in the order they were first seen.
func (e *env) listNetworks(ctx context.Context, sc store.Scope, asJSON bool) error {
	var nets []store.Network
	st, err := e.openReadOnly(ctx, e.zone)
	if err == nil {
		defer st.Close()
		nets, err = st.Networks(ctx, sc)
	}
	if err != nil && !errors.Is(err, store.ErrNoDatabase) {
		return err
	}
	if asJSON {
		return e.printNetworksJSON(nets)
	}
	return e.printNetworks(nets)
}

// printNetworksJSON prints networks with the fields of networkJSON.
func (e *env) printNetworksJSON(nets []store.Network) error {
	out := make([]networkJSON, 0, len(nets))
	for _, n := range nets {
		out = append(out, networkJSON{Key: n.Key, Label: n.Label, Kind: n.Kind,
			FirstSeen: e.inZone(n.FirstSeen), LastSeen: e.inZone(n.LastSeen),
			BytesSent: n.Sent, BytesReceived: n.Recv, TotalBytes: n.Sent + n.Recv})
	}
	return writeJSON(e.stdout, out)
}

// inZone is t in the machine's zone; the zero time (never seen) stays
// as it is, "0001-01-01T00:00:00Z" in JSON.
func (e *env) inZone(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.In(e.zone)
}

// printNetworks prints networks as a table, sizes in the configured units.
func (e *env) printNetworks(nets []store.Network) error {
	if len(nets) == 0 {
		fmt.Fprintln(e.stdout, "No network recorded yet.")
		return nil
	}
	units := e.pricing().Units
	when := func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.In(e.zone).Format("2006-01-02 15:04")
	}
	tb := table{leftCols: 5}
	tb.add("Key", "Label", "Kind", "First seen", "Last seen", "Sent", "Received", "Total")
	for _, n := range nets {
		key := n.Key
		if key == "" {
			key = `""` // the unknown network: an empty key, shown as one
		}
		tb.add(key, n.Label, n.Kind, when(n.FirstSeen), when(n.LastSeen),
			units.FormatBytes(n.Sent), units.FormatBytes(n.Recv), units.FormatBytes(n.Sent+n.Recv))
	}
	return tb.write(e.stdout)
}

// renameNetwork gives a network a new label; labels stay on this device.
func (e *env) renameNetwork(ctx context.Context, network, label string) error {
	st, err := e.openWritable(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.RenameNetwork(ctx, network, label)
	if err != nil {
		return err
	}
	key := n.Key
	if key == "" {
		key = "the unknown network"
	}
	fmt.Fprintf(e.stdout, "renamed %s to %q\n", key, n.Label)
	return nil
}

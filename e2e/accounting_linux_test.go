package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestGracefulStop: traffic, SIGTERM right after it, exit 0; the lifetime
// totals equal the kernel counter difference since the app first saw the NIC.
func TestGracefulStop(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	c0 := e.waitQuiet()
	app := e.startApp("packetbuddy")
	e.waitHealthy(app)
	e.sleep(2 * pollInterval) // the app has sampled the baseline c0

	e.transfer(5_000_000, 64<<10, 0)
	// Let the connection's last packets (FIN, ACK) land, but stop well
	// within one poll interval: the shutdown flush must take a last sample.
	afterTransfer := e.waitQuietFor(50*time.Millisecond, 2)
	app.stop(syscall.SIGTERM)

	c1 := e.waitQuiet()
	if c1 != afterTransfer {
		t.Logf("note: veth counters moved after the transfer ended: %v -> %v", afterTransfer, c1)
	}
	e.checkSummary(c1.sub(c0), fmt.Sprintf("baseline %v, final %v; SIGTERM sent right after the transfer, "+
		"so a missing amount may be traffic since the app's last poll that the shutdown flush did not sample", c0, c1))
}

// TestKillDuringTransfer: kill -9 in the middle of a transfer, more
// traffic while the app is down, restart, graceful stop. Nothing may be lost
// or counted twice, and the traffic while the app was down must be a gap.
func TestKillDuringTransfer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	c0 := e.waitQuiet()
	app := e.startApp("packetbuddy (first run)")
	e.waitHealthy(app)
	// Let at least one flush commit the baseline counters before the kill.
	e.sleep(flushInterval + 2*pollInterval)

	// 50 MB, paced so that each half takes about 1.5 s: flushes happen
	// during the first half and the kill lands while data is flowing.
	tr := e.startTransfer(50_000_000, 128<<10, 8*time.Millisecond)
	tr.waitHalf()
	// The real clock, not testenv.Now: the binary records its gaps at the
	// real instants, and these are compared with them.
	killTime := time.Now()
	app.kill()
	cDead := e.counters()
	select {
	case <-tr.finished:
		t.Logf("note: the transfer finished before the app was reaped; the kill was not mid-transfer")
	default:
	}
	tr.wait()

	// Traffic while the app is not running.
	e.transfer(3_000_000, 64<<10, 0)
	cDown := e.waitQuiet()

	restartTime := time.Now()
	app2 := e.startApp("packetbuddy (restart)")
	e.waitHealthy(app2)
	e.sleep(3 * pollInterval)
	app2.stop(syscall.SIGTERM)

	c1 := e.waitQuiet()
	want := c1.sub(c0)
	got := e.checkSummary(want, fmt.Sprintf("baseline %v, counters when the app was dead %v, before restart %v, final %v",
		c0, cDead, cDown, c1))

	e.checkDowntimeGaps(got, cDead, cDown, killTime, restartTime)
}

// TestVethRecreated: the NIC is deleted and re-created with the same
// name while the app runs. The old NIC's traffic stays counted, and the new
// NIC's counter (which starts again at zero) is all new traffic.
func TestVethRecreated(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	c0 := e.waitQuiet()
	app := e.startApp("packetbuddy")
	e.waitHealthy(app)
	e.sleep(2 * pollInterval)

	e.transfer(3_000_000, 64<<10, 0)
	oldFinal := e.waitQuiet()
	e.sleep(3 * pollInterval) // the app has sampled oldFinal
	if c := e.counters(); c != oldFinal {
		t.Fatalf("veth counters moved while idle: %v -> %v", oldFinal, c)
	}

	e.mustIP("-n", e.nsA, "link", "del", vethA) // deletes the peer too
	e.sleep(3 * pollInterval)                   // the app sees the NIC gone
	e.createVeth()
	if c := e.counters(); c.tx > oldFinal.tx/2 {
		t.Fatalf("re-created %s does not start from fresh counters: %v (old final %v)", vethA, c, oldFinal)
	}
	// At once: all of the new counter is traffic since the reset. 4 MB > 3 MB
	// on purpose: the new counter ends above the old one, so only the NIC's
	// disappearance, not a lower counter, tells the app it is a new NIC.
	e.transfer(4_000_000, 64<<10, 0)
	e.sleep(3 * pollInterval)
	app.stop(syscall.SIGTERM)

	newFinal := e.waitQuiet()
	want := oldFinal.sub(c0).add(newFinal)
	e.checkSummary(want, fmt.Sprintf("old NIC: baseline %v, final %v (delta %v); new NIC: final %v (all of it counts). "+
		"Had the app read the new counter as a continuation of the old one, it would report %v; "+
		"had it taken the new NIC's first sighting as a fresh baseline, it would miss the traffic before that sighting",
		c0, oldFinal, oldFinal.sub(c0), newFinal, newFinal.sub(c0)))
}

// checkDowntimeGaps checks `gaps --json` after a kill -9 at killTime, traffic
// while the app was down (counters cDead at its death, cDown before its
// restart at restartTime) and a restart: the downtime must be a gap whose
// bytes are part of the lifetime totals got. The instants are the real
// clock's, as the running binary's are, so the check holds on any date.
func (e *env) checkDowntimeGaps(got summaryTotals, cDead, cDown vethBytes, killTime, restartTime time.Time) {
	e.t.Helper()
	raw, gaps := e.gaps()
	var compact bytes.Buffer
	if json.Compact(&compact, raw) == nil {
		e.t.Logf("gaps --json: %s", compact.Bytes())
	}
	var mine []gapRecord
	for _, g := range gaps {
		if g.NIC == vethA {
			mine = append(mine, g)
		}
	}
	if len(mine) == 0 {
		e.t.Fatalf("gaps --json has no record for %s after a kill -9 and %d+%d bytes (tx+rx) of traffic while the app was down; output:\n%s",
			vethA, cDown.tx-cDead.tx, cDown.rx-cDead.rx, raw)
	}
	var sum vethBytes
	var positive []gapRecord
	var earliest, latest time.Time
	for i, g := range mine {
		if g.BytesSent == nil || g.BytesReceived == nil {
			e.t.Errorf("gap %d for %s lacks bytes_sent or bytes_received; output:\n%s", i, vethA, raw)
			continue
		}
		if *g.BytesSent < 0 || *g.BytesReceived < 0 {
			e.t.Errorf("gap %d for %s has negative bytes: sent %d, received %d", i, vethA, *g.BytesSent, *g.BytesReceived)
		}
		sum.tx += *g.BytesSent
		sum.rx += *g.BytesReceived
		from, errFrom := time.Parse(time.RFC3339, g.From)
		to, errTo := time.Parse(time.RFC3339, g.To)
		if errFrom != nil || errTo != nil {
			e.t.Errorf("gap %d for %s: from %q / to %q are not RFC 3339: %v", i, vethA, g.From, g.To, errors.Join(errFrom, errTo))
			continue
		}
		if to.Before(from) {
			e.t.Errorf("gap %d for %s ends before it starts: from %s, to %s", i, vethA, g.From, g.To)
		}
		if *g.BytesSent+*g.BytesReceived > 0 {
			positive = append(positive, g)
			if earliest.IsZero() || from.Before(earliest) {
				earliest = from
			}
			if latest.IsZero() || to.After(latest) {
				latest = to
			}
		}
	}
	if len(positive) == 0 {
		e.t.Fatalf("no gap for %s has a positive byte count; want at least %d sent and %d received (traffic while the app was down); output:\n%s",
			vethA, cDown.tx-cDead.tx, cDown.rx-cDead.rx, raw)
	}
	for _, g := range positive {
		if strings.TrimSpace(g.Reason) == "" {
			e.t.Errorf("gap for %s (%s .. %s, sent %d, received %d) has an empty reason", vethA, g.From, g.To, *g.BytesSent, *g.BytesReceived)
		} else if !strings.Contains(strings.ToLower(g.Reason), "not running") {
			e.t.Logf("note: gap reason is %q (expected something like \"not running\")", g.Reason)
		}
	}
	// The gap covers at least the traffic between the app's death and its
	// restart (its last flush was no later than its death) ...
	if minGap := cDown.sub(cDead); sum.tx < minGap.tx || sum.rx < minGap.rx {
		e.t.Errorf("gap bytes for %s too small: sent %d, received %d; the traffic while the app was down alone was sent %d, received %d (counters at death %v, at restart %v)",
			vethA, sum.tx, sum.rx, minGap.tx, minGap.rx, cDead, cDown)
	}
	// ... and is part of the totals, never more.
	if sum.tx > got.sent || sum.rx > got.received {
		e.t.Errorf("gap bytes for %s exceed the lifetime totals: gaps sent %d, received %d; summary sent %d, received %d",
			vethA, sum.tx, sum.rx, got.sent, got.received)
	}
	// Its interval covers the downtime (RFC 3339 has whole seconds; allow 2 s).
	const slack = 2 * time.Second
	if earliest.After(killTime.Add(slack)) {
		e.t.Errorf("gap for %s starts at %s, after the app was killed at %s", vethA, earliest.Format(time.RFC3339), killTime.Format(time.RFC3339))
	}
	if latest.Before(restartTime.Add(-slack)) {
		e.t.Errorf("gap for %s ends at %s, before the app was restarted at %s", vethA, latest.Format(time.RFC3339), restartTime.Format(time.RFC3339))
	}
}

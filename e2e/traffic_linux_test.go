package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/packetbuddy/packetbuddy/internal/testenv"
)

// runningTransfer is a sender in namespace A writing a known number of
// bytes to a sink in namespace B, over the veth.
type runningTransfer struct {
	e        *env
	n        int64
	half     chan struct{} // closed when the sender has written half
	finished chan struct{} // closed when both helpers have exited
	err      error         // valid after finished
}

// helperProcess is a started helper whose stdout arrives line by line.
type helperProcess struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser // nil unless started by startHelperStdin
	stderr *testenv.Buffer
	lines  chan string // closed at the end of stdout
	res    chan error  // Wait's result, sent after lines is closed
}

// startHelper starts a helper process of the given mode inside ns.
func (e *env) startHelper(ns, mode string, vars ...string) *helperProcess {
	e.t.Helper()
	return e.startHelperProcess(ns, mode, false, vars)
}

// startHelperStdin is startHelper for a helper that reads commands from
// its stdin, which the caller closes.
func (e *env) startHelperStdin(ns, mode string, vars ...string) *helperProcess {
	e.t.Helper()
	return e.startHelperProcess(ns, mode, true, vars)
}

func (e *env) startHelperProcess(ns, mode string, withStdin bool, vars []string) *helperProcess {
	e.t.Helper()
	h := &helperProcess{
		cmd:    e.helper(e.ctx, ns, mode, vars...),
		stderr: &testenv.Buffer{},
		lines:  make(chan string, 8),
		res:    make(chan error, 1),
	}
	h.cmd.Stderr = h.stderr
	stdout, err := h.cmd.StdoutPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	if withStdin {
		if h.stdin, err = h.cmd.StdinPipe(); err != nil {
			e.t.Fatal(err)
		}
	}
	if err := h.cmd.Start(); err != nil {
		e.t.Fatalf("starting %s helper in %s: %v", mode, ns, err)
	}
	go func() {
		scanLines(stdout, h.lines)
		h.res <- h.cmd.Wait()
	}()
	return h
}

// startTransfer starts a sink in namespace B and a sender in namespace A
// that writes exactly n bytes to it over the veth.
func (e *env) startTransfer(n int64, chunk int, pause time.Duration) *runningTransfer {
	e.t.Helper()
	tr := &runningTransfer{e: e, n: n, half: make(chan struct{}), finished: make(chan struct{})}
	sink, addr := e.startSink()
	sender := e.startHelper(e.nsA, "send", "PB_E2E_ADDR="+addr,
		"PB_E2E_BYTES="+strconv.FormatInt(n, 10), "PB_E2E_CHUNK="+strconv.Itoa(chunk),
		"PB_E2E_PAUSE="+pause.String())
	go func() {
		defer close(tr.finished)
		tr.err = tr.follow(sender, sink)
	}()
	return tr
}

// startSink starts a listener in namespace B, for one connection, and
// returns it with its address.
func (e *env) startSink(vars ...string) (sink *helperProcess, addr string) {
	e.t.Helper()
	sink = e.startHelper(e.nsB, "listen", append([]string{"PB_E2E_LISTEN=" + addrB + ":0"}, vars...)...)
	select {
	case line, ok := <-sink.lines:
		var found bool
		addr, found = strings.CutPrefix(line, "ready ")
		if !ok || !found {
			<-sink.res
			e.t.Fatalf("listener in %s did not start: first line %q\n%s", e.nsB, line, sink.stderr.Tail(4<<10))
		}
	case <-time.After(10 * time.Second):
		e.t.Fatalf("listener in %s not ready within 10 s\n%s", e.nsB, sink.stderr.Tail(4<<10))
	case <-e.ctx.Done():
		e.t.Fatalf("test budget exhausted waiting for the listener: %v", e.ctx.Err())
	}
	return sink, addr
}

// follow reads the sender's and the sink's reports until both have exited:
// it closes tr.half when the sender reports half, and returns what went
// wrong, if anything.
func (tr *runningTransfer) follow(sender, sink *helperProcess) error {
	e := tr.e
	halfClosed := false
	var sdone bool
	for line := range sender.lines {
		if strings.HasPrefix(line, "half ") && !halfClosed {
			close(tr.half)
			halfClosed = true
		}
		if strings.HasPrefix(line, "done ") {
			sdone = true
		}
	}
	var errs []error
	if err := <-sender.res; err != nil || !sdone {
		errs = append(errs, fmt.Errorf("sender in %s: %v (done line seen: %v)\n%s", e.nsA, err, sdone, sender.stderr.Tail(4<<10)))
		_ = sink.cmd.Process.Kill() // do not leave the sink waiting for a connection
	}
	var received string
	for line := range sink.lines {
		if r, ok := strings.CutPrefix(line, "received "); ok {
			received = r
		}
	}
	if err := <-sink.res; err != nil {
		errs = append(errs, fmt.Errorf("listener in %s: %v\n%s", e.nsB, err, sink.stderr.Tail(4<<10)))
	} else if received != strconv.FormatInt(tr.n, 10) {
		errs = append(errs, fmt.Errorf("listener in %s received %q bytes, want %d", e.nsB, received, tr.n))
	}
	return errors.Join(errs...)
}

// scanLines sends r's lines to ch and closes ch at EOF.
func scanLines(r io.Reader, ch chan<- string) {
	defer close(ch)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		ch <- sc.Text()
	}
	_, _ = io.Copy(io.Discard, r)
}

// waitHalf waits until the sender has written half of the bytes.
func (tr *runningTransfer) waitHalf() {
	t := tr.e.t
	t.Helper()
	select {
	case <-tr.half:
	case <-tr.finished:
		t.Fatalf("transfer of %d bytes ended before reaching half: %v", tr.n, tr.err)
	case <-tr.e.ctx.Done():
		t.Fatalf("test budget exhausted waiting for half of the transfer: %v", tr.e.ctx.Err())
	}
}

// wait waits until the transfer is over and fails the test if it failed.
func (tr *runningTransfer) wait() {
	t := tr.e.t
	t.Helper()
	select {
	case <-tr.finished:
	case <-time.After(30 * time.Second):
		t.Fatalf("transfer of %d bytes not finished within 30 s", tr.n)
	case <-tr.e.ctx.Done():
		t.Fatalf("test budget exhausted during the transfer: %v", tr.e.ctx.Err())
	}
	if tr.err != nil {
		t.Fatalf("transfer of %d bytes failed: %v", tr.n, tr.err)
	}
}

// transfer sends exactly n bytes from namespace A to B and waits.
func (e *env) transfer(n int64, chunk int, pause time.Duration) {
	e.t.Helper()
	e.startTransfer(n, chunk, pause).wait()
}

package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// stream is one TCP connection from namespace A to a sink in namespace B
// that stays open across a test's phases: the sender writes only when told
// to, and the connection is idle (no bytes on the veth) in between.
type stream struct {
	e      *env
	sender *helperProcess // with stdin
	sink   *helperProcess
	total  int64            // bytes asked for so far
	parts  chan *streamPart // the part being written, handed to follow
	done   chan struct{}    // closed when the sender has exited
	doneN  string           // the sender's "done" count, valid after done
	err    error            // the sender's exit, valid after done
}

// streamPart is one "send" command of a stream.
type streamPart struct {
	s    *stream
	n    int64
	half chan struct{} // closed when the sender has written half of n
	sent chan struct{} // closed when the sender has written all of n
}

// startStream starts a sink in namespace B (open for up to limit) and a
// stream sender connected to it in namespace A.
func (e *env) startStream(limit time.Duration) *stream {
	e.t.Helper()
	sink, addr := e.startSink("PB_E2E_DEADLINE=" + limit.String())
	s := &stream{e: e, sink: sink, parts: make(chan *streamPart, 1), done: make(chan struct{})}
	s.sender = e.startHelperStdin(e.nsA, "stream", "PB_E2E_ADDR="+addr)
	go s.follow()
	return s
}

// follow reads the sender's reports until it exits, closing the current
// part's channels as it goes.
func (s *stream) follow() {
	defer close(s.done)
	var cur *streamPart
	for line := range s.sender.lines {
		verb, arg, _ := strings.Cut(line, " ")
		switch verb {
		case "half", "sent":
			if cur == nil {
				cur = <-s.parts // sent before the command that caused this line
			}
			if verb == "half" {
				close(cur.half)
				continue
			}
			close(cur.sent)
			cur = nil
		case "done":
			s.doneN = arg
		}
	}
	s.err = <-s.sender.res
}

// send tells the sender to write n more bytes, in chunks with pause
// between them, and returns at once.
func (s *stream) send(n int64, chunk int, pause time.Duration) *streamPart {
	s.e.t.Helper()
	p := &streamPart{s: s, n: n, half: make(chan struct{}), sent: make(chan struct{})}
	s.parts <- p
	if _, err := fmt.Fprintf(s.sender.stdin, "send %d %d %s\n", n, chunk, pause); err != nil {
		s.e.t.Fatalf("commanding the stream sender: %v\n%s", err, s.sender.stderr.Tail(4<<10))
	}
	s.total += n
	return p
}

// waitHalf waits until the sender has written half of the part.
func (p *streamPart) waitHalf() { p.s.e.t.Helper(); p.await(p.half, "half of") }

// wait waits until the sender has written all of the part.
func (p *streamPart) wait() { p.s.e.t.Helper(); p.await(p.sent, "all of") }

func (p *streamPart) await(ch <-chan struct{}, what string) {
	s := p.s
	s.e.t.Helper()
	select {
	case <-ch:
	case <-s.done:
		s.e.t.Fatalf("stream sender exited before writing %s %d bytes: %v\n%s", what, p.n, s.err, s.sender.stderr.Tail(4<<10))
	case <-time.After(30 * time.Second):
		s.e.t.Fatalf("stream sender did not write %s %d bytes within 30 s", what, p.n)
	case <-s.e.ctx.Done():
		s.e.t.Fatalf("test budget exhausted waiting for %s %d bytes: %v", what, p.n, s.e.ctx.Err())
	}
}

// close ends the stream and checks that the sink received every byte.
func (s *stream) close() {
	t := s.e.t
	t.Helper()
	if err := s.sender.stdin.Close(); err != nil {
		t.Fatalf("closing the stream sender's stdin: %v", err)
	}
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("stream sender did not finish within 30 s of close")
	case <-s.e.ctx.Done():
		t.Fatalf("test budget exhausted closing the stream: %v", s.e.ctx.Err())
	}
	want := strconv.FormatInt(s.total, 10)
	if s.err != nil || s.doneN != want {
		t.Fatalf("stream sender in %s: %v (done %q, want %s)\n%s", s.e.nsA, s.err, s.doneN, want, s.sender.stderr.Tail(4<<10))
	}
	var received string
	for line := range s.sink.lines {
		if r, ok := strings.CutPrefix(line, "received "); ok {
			received = r
		}
	}
	if err := <-s.sink.res; err != nil {
		t.Fatalf("listener in %s: %v\n%s", s.e.nsB, err, s.sink.stderr.Tail(4<<10))
	}
	if received != want {
		t.Fatalf("listener in %s received %q bytes, want %s", s.e.nsB, received, want)
	}
}

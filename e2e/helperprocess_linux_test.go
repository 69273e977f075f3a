package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// helperEnv names the variable that makes the re-executed test binary a
// helper process instead of running tests (see TestMain); its value is the
// mode. The helpers read their parameters from PB_E2E_* variables.
const helperEnv = "PACKETBUDDY_E2E_HELPER"

// helper returns a command that runs this test binary as a helper process
// inside namespace ns.
func (e *env) helper(ctx context.Context, ns, mode string, vars ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", ns, e.self)
	cmd.Env = append(append(os.Environ(), helperEnv+"="+mode), vars...)
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

// runHelper runs the helper process of the given mode: a traffic sink
// ("listen"), a traffic source ("send", or "stream" on command), a health
// probe ("health") or a watch for the app's current network ("network").
func runHelper(mode string) error {
	switch mode {
	case "listen":
		return helperListen()
	case "send":
		return helperSend()
	case "stream":
		return helperStream()
	case "health":
		return helperHealth()
	case "network":
		return helperNetwork()
	}
	return fmt.Errorf("unknown mode %q", mode)
}

// helperListen accepts one TCP connection on PB_E2E_LISTEN, reads and
// discards until EOF, answers with the byte count and reports it on stdout.
// The connection may stay open for PB_E2E_DEADLINE (default 40 s). TCP
// keep-alives are off: a probe on an idle connection would move the veth
// counters while the test expects them quiet.
func helperListen() error {
	deadline := 40 * time.Second
	if v := os.Getenv("PB_E2E_DEADLINE"); v != "" {
		var err error
		if deadline, err = time.ParseDuration(v); err != nil {
			return err
		}
	}
	lc := net.ListenConfig{KeepAlive: -1}
	ln, err := lc.Listen(context.Background(), "tcp4", os.Getenv("PB_E2E_LISTEN"))
	if err != nil {
		return err
	}
	defer ln.Close()
	fmt.Printf("ready %s\n", ln.Addr())
	if err := ln.(*net.TCPListener).SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		return err
	}
	conn, err := ln.Accept()
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(deadline)); err != nil {
		return err
	}
	n, err := io.Copy(io.Discard, conn)
	if err != nil {
		return fmt.Errorf("after %d bytes: %w", n, err)
	}
	if _, err := fmt.Fprintf(conn, "%d\n", n); err != nil {
		return err
	}
	if err := conn.Close(); err != nil {
		return err
	}
	fmt.Printf("received %d\n", n)
	return nil
}

// helperSend writes exactly PB_E2E_BYTES bytes to PB_E2E_ADDR in chunks
// of PB_E2E_CHUNK with PB_E2E_PAUSE between them, prints "half" once half is
// written, and checks the receiver's count.
func helperSend() error {
	total, err := strconv.ParseInt(os.Getenv("PB_E2E_BYTES"), 10, 64)
	if err != nil {
		return err
	}
	chunk, err := strconv.Atoi(os.Getenv("PB_E2E_CHUNK"))
	if err != nil || chunk <= 0 {
		return fmt.Errorf("bad PB_E2E_CHUNK %q", os.Getenv("PB_E2E_CHUNK"))
	}
	pause, err := time.ParseDuration(os.Getenv("PB_E2E_PAUSE"))
	if err != nil {
		return err
	}
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.Dial("tcp4", os.Getenv("PB_E2E_ADDR"))
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(40 * time.Second)); err != nil {
		return err
	}
	if err := writeChunks(conn, total, chunk, pause); err != nil {
		return err
	}
	return finishSend(conn.(*net.TCPConn), total)
}

// writeChunks writes exactly n bytes to conn in chunks with pause between
// them and prints "half" once half is written.
func writeChunks(conn net.Conn, n int64, chunk int, pause time.Duration) error {
	buf := bytes.Repeat([]byte("packetbuddy-e2e."), (chunk+15)/16)[:chunk]
	var sent int64
	half := false
	for sent < n {
		w, err := conn.Write(buf[:int(min(int64(chunk), n-sent))])
		sent += int64(w)
		if err != nil {
			return fmt.Errorf("after %d bytes: %w", sent, err)
		}
		if !half && 2*sent >= n {
			half = true
			fmt.Printf("half %d\n", sent)
		}
		if pause > 0 && sent < n {
			time.Sleep(pause)
		}
	}
	return nil
}

// finishSend ends the sending side of conn, checks that the receiver
// counted total bytes, prints "done" and closes conn.
func finishSend(conn *net.TCPConn, total int64) error {
	if err := conn.CloseWrite(); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return fmt.Errorf("reading the receiver's count: %w", err)
	}
	got, err := strconv.ParseInt(strings.TrimSpace(line), 10, 64)
	if err != nil {
		return fmt.Errorf("receiver's count %q: %w", line, err)
	}
	if got != total {
		return fmt.Errorf("receiver got %d bytes, sent %d", got, total)
	}
	fmt.Printf("done %d\n", total)
	return conn.Close()
}

// helperStream keeps one TCP connection to PB_E2E_ADDR open and writes to
// it on command, so that one transfer spans several phases of a test with
// idle periods between them. Each stdin line "send N CHUNK PAUSE" writes N
// more bytes (printing "half" and then "sent N"); "close" or the end of
// stdin ends the stream and checks the receiver's count ("done TOTAL").
// Keep-alives are off, so the idle connection moves no bytes.
func helperStream() error {
	d := net.Dialer{Timeout: 10 * time.Second, KeepAlive: -1}
	conn, err := d.Dial("tcp4", os.Getenv("PB_E2E_ADDR"))
	if err != nil {
		return err
	}
	defer conn.Close()
	var total int64
	commands := bufio.NewScanner(os.Stdin)
	for commands.Scan() {
		f := strings.Fields(commands.Text())
		if len(f) == 1 && f[0] == "close" {
			break
		}
		if len(f) != 4 || f[0] != "send" {
			return fmt.Errorf("unknown command %q", commands.Text())
		}
		n, err1 := strconv.ParseInt(f[1], 10, 64)
		chunk, err2 := strconv.Atoi(f[2])
		pause, err3 := time.ParseDuration(f[3])
		if err := errors.Join(err1, err2, err3); err != nil || n <= 0 || chunk <= 0 {
			return fmt.Errorf("bad command %q: %v", commands.Text(), err)
		}
		if err := conn.SetDeadline(time.Now().Add(40 * time.Second)); err != nil {
			return err
		}
		if err := writeChunks(conn, n, chunk, pause); err != nil {
			return fmt.Errorf("after %d bytes in earlier commands: %w", total, err)
		}
		total += n
		fmt.Printf("sent %d\n", n)
	}
	if err := commands.Err(); err != nil {
		return err
	}
	if err := conn.SetDeadline(time.Now().Add(40 * time.Second)); err != nil {
		return err
	}
	return finishSend(conn.(*net.TCPConn), total)
}

// helperHealth polls PB_E2E_URL until it answers 200 with JSON
// {"status":"ok"} or PB_E2E_TIMEOUT passes.
func helperHealth() error {
	timeout, err := time.ParseDuration(os.Getenv("PB_E2E_TIMEOUT"))
	if err != nil {
		return err
	}
	client := &http.Client{
		Timeout:   time.Second,
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
	}
	url := os.Getenv("PB_E2E_URL")
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		last = func() error {
			resp, err := client.Get(url)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			if err != nil {
				return err
			}
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("status %s: %s", resp.Status, body)
			}
			var h struct {
				Status string `json:"status"`
			}
			if err := json.Unmarshal(body, &h); err != nil {
				return fmt.Errorf("body is not JSON (%v): %s", err, body)
			}
			if h.Status != "ok" {
				return fmt.Errorf(`status field is %q, want "ok": %s`, h.Status, body)
			}
			fmt.Printf("%s\n", body)
			return nil
		}()
		if last == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("GET %s not healthy within %s: %v", url, timeout, last)
}

// helperNetwork polls PB_E2E_URL (the app's /api/live) until the NIC
// PB_E2E_NIC has the network PB_E2E_NETWORK, and prints "match ELAPSED".
// If no reading within PB_E2E_TIMEOUT carries a network for the NIC at all
// (an app that does not report it), it prints "absent" and succeeds: the
// caller has then waited the timeout instead. A network reported but never
// the wanted one is an error naming the last one seen.
func helperNetwork() error {
	timeout, err := time.ParseDuration(os.Getenv("PB_E2E_TIMEOUT"))
	if err != nil {
		return err
	}
	client := &http.Client{
		Timeout:   time.Second,
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
	}
	url, nic, want := os.Getenv("PB_E2E_URL"), os.Getenv("PB_E2E_NIC"), os.Getenv("PB_E2E_NETWORK")
	start := time.Now()
	var last *string
	var lastErr error
	for time.Since(start) < timeout {
		network, err := liveNetwork(client, url, nic)
		lastErr = err
		if network != nil {
			last = network
			if *network == want {
				fmt.Printf("match %s\n", time.Since(start).Round(time.Millisecond))
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if last == nil {
		fmt.Printf("absent (last error: %v)\n", lastErr)
		return nil
	}
	return fmt.Errorf("%s: network of %s still %q after %s, want %q", url, nic, *last, timeout, want)
}

// liveNetwork reads the network of nic from one /api/live answer: nil if
// the answer has no network field for it.
func liveNetwork(client *http.Client, url, nic string) (*string, error) {
	resp, err := client.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %s: %s", resp.Status, body)
	}
	var live struct {
		NICs []struct {
			NIC     string  `json:"nic"`
			Network *string `json:"network"`
		} `json:"nics"`
	}
	if err := json.Unmarshal(body, &live); err != nil {
		return nil, fmt.Errorf("body is not JSON (%v): %s", err, body)
	}
	for _, n := range live.NICs {
		if n.NIC == nic {
			return n.Network, nil
		}
	}
	return nil, fmt.Errorf("%s not among the NICs: %s", nic, body)
}

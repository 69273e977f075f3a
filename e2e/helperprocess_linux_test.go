package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
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
// ("listen"), a traffic source ("send") or a health probe ("health").
func runHelper(mode string) error {
	switch mode {
	case "listen":
		return helperListen()
	case "send":
		return helperSend()
	case "health":
		return helperHealth()
	}
	return fmt.Errorf("unknown mode %q", mode)
}

// helperListen accepts one TCP connection on PB_E2E_LISTEN, reads and
// discards until EOF, answers with the byte count and reports it on stdout.
func helperListen() error {
	ln, err := net.Listen("tcp4", os.Getenv("PB_E2E_LISTEN"))
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
	if err := conn.SetDeadline(time.Now().Add(40 * time.Second)); err != nil {
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
	buf := bytes.Repeat([]byte("packetbuddy-e2e."), (chunk+15)/16)[:chunk]
	var sent int64
	half := false
	for sent < total {
		n := int(min(int64(chunk), total-sent))
		w, err := conn.Write(buf[:n])
		sent += int64(w)
		if err != nil {
			return fmt.Errorf("after %d bytes: %w", sent, err)
		}
		if !half && 2*sent >= total {
			half = true
			fmt.Printf("half %d\n", sent)
		}
		if pause > 0 && sent < total {
			time.Sleep(pause)
		}
	}
	if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
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
	fmt.Printf("done %d\n", sent)
	return conn.Close()
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

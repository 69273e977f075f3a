package tray

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/packetbuddy/packetbuddy/internal/testenv"
)

// watcher is a minimal org.kde.StatusNotifierWatcher: it records which
// bus names registered an item.
type watcher struct {
	conn       *dbus.Conn
	registered chan string // unique bus names, in order
}

func (w *watcher) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	// The item registers with its object path only; the sender says who.
	w.registered <- string(sender)
	return nil
}

func (w *watcher) RegisterStatusNotifierHost(sender dbus.Sender, service string) *dbus.Error {
	return nil
}

// startWatcher connects to the bus and owns the watcher's name.
func startWatcher(t testing.TB, addr string) *watcher {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("connect to the test bus: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	w := &watcher{conn: conn, registered: make(chan string, 64)}
	if err := conn.Export(w, "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher"); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName("org.kde.StatusNotifierWatcher", dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own org.kde.StatusNotifierWatcher: reply %v, %v", reply, err)
	}
	return w
}

// waitRegistered returns the next item that registers.
func (w *watcher) waitRegistered(t testing.TB, timeout time.Duration) *item {
	t.Helper()
	select {
	case name := <-w.registered:
		return &item{conn: w.conn, name: name}
	case <-time.After(timeout):
		t.Fatalf("no StatusNotifierItem registered within %v", timeout)
	}
	return nil
}

// item is a tray item seen from the bus, as a tray host sees it.
type item struct {
	conn *dbus.Conn
	name string
}

func (it *item) prop(name string) (dbus.Variant, error) {
	return it.conn.Object(it.name, "/StatusNotifierItem").GetProperty("org.kde.StatusNotifierItem." + name)
}

type pixmap struct {
	W, H int32
	Pix  []byte // ARGB, network byte order
}

type tooltipProp struct {
	Icon        string
	Pixmaps     []pixmap
	Title, Text string
}

func (it *item) iconPixmap(t *testing.T) []pixmap {
	t.Helper()
	v, err := it.prop("IconPixmap")
	if err != nil {
		t.Fatalf("IconPixmap: %v", err)
	}
	var px []pixmap
	if err := v.Store(&px); err != nil {
		t.Fatalf("IconPixmap %v: %v", v, err)
	}
	return px
}

func (it *item) tooltip(t *testing.T) string {
	t.Helper()
	v, err := it.prop("ToolTip")
	if err != nil {
		t.Fatalf("ToolTip: %v", err)
	}
	var tt tooltipProp
	if err := v.Store(&tt); err != nil {
		t.Fatalf("ToolTip %v: %v", v, err)
	}
	return tt.Title
}

func (it *item) stringProp(t *testing.T, name string) string {
	t.Helper()
	v, err := it.prop(name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	s, _ := v.Value().(string)
	return s
}

// menuNode is one com.canonical.dbusmenu layout node.
type menuNode struct {
	ID       int32
	Props    map[string]dbus.Variant
	Children []*menuNode
}

func (n *menuNode) label() string {
	s, _ := n.Props["label"].Value().(string)
	return s
}

func (n *menuNode) boolProp(name string, def bool) bool {
	v, ok := n.Props[name]
	if !ok {
		return def
	}
	b, _ := v.Value().(bool)
	return b
}

func (n *menuNode) toggled() bool {
	v, _ := n.Props["toggle-state"].Value().(int32)
	return v == 1
}

// find returns the first visible node whose label starts with prefix.
func (n *menuNode) find(prefix string) *menuNode {
	for _, c := range n.Children {
		if c.boolProp("visible", true) && strings.HasPrefix(c.label(), prefix) {
			return c
		}
		if f := c.find(prefix); f != nil {
			return f
		}
	}
	return nil
}

func (n *menuNode) labels(indent string, b *strings.Builder) {
	for _, c := range n.Children {
		state := ""
		if !c.boolProp("visible", true) {
			state += " [hidden]"
		}
		if !c.boolProp("enabled", true) {
			state += " [disabled]"
		}
		if t, _ := c.Props["toggle-type"].Value().(string); t == "checkmark" {
			state += fmt.Sprintf(" [toggle=%v]", c.toggled())
		}
		fmt.Fprintf(b, "%s%d %q%s\n", indent, c.ID, c.label(), state)
		c.labels(indent+"  ", b)
	}
}

func (n *menuNode) String() string {
	var b strings.Builder
	n.labels("", &b)
	return b.String()
}

func parseLayout(v any) (*menuNode, error) {
	fields, ok := v.([]any)
	if !ok || len(fields) != 3 {
		return nil, fmt.Errorf("layout node %T %v", v, v)
	}
	n := &menuNode{}
	n.ID, _ = fields[0].(int32)
	n.Props, _ = fields[1].(map[string]dbus.Variant)
	kids, _ := fields[2].([]dbus.Variant)
	for _, k := range kids {
		c, err := parseLayout(k.Value())
		if err != nil {
			return nil, err
		}
		n.Children = append(n.Children, c)
	}
	return n, nil
}

// layout calls com.canonical.dbusmenu.GetLayout(0, -1, []).
func (it *item) layout(t *testing.T) *menuNode {
	t.Helper()
	var rev uint32
	var root []any
	call := it.conn.Object(it.name, "/StatusNotifierItem/menu").Call("com.canonical.dbusmenu.GetLayout", 0, int32(0), int32(-1), []string{})
	if call.Err != nil {
		t.Fatalf("GetLayout: %v", call.Err)
	}
	if len(call.Body) != 2 {
		t.Fatalf("GetLayout returned %v", call.Body)
	}
	rev, _ = call.Body[0].(uint32)
	root, _ = call.Body[1].([]any)
	_ = rev
	n, err := parseLayout(root)
	if err != nil {
		t.Fatalf("GetLayout: %v", err)
	}
	return n
}

// click sends Event(id, "clicked") as a tray host does when the user
// picks a menu item.
func (it *item) click(t *testing.T, id int32) {
	t.Helper()
	call := it.conn.Object(it.name, "/StatusNotifierItem/menu").Call("com.canonical.dbusmenu.Event", 0,
		id, "clicked", dbus.MakeVariant(""), uint32(time.Now().Unix()))
	if call.Err != nil {
		t.Fatalf("Event(%d, clicked): %v", id, call.Err)
	}
}

// clickNoReply sends the click without waiting for a reply, as hosts do
// for items that may end the process (the reply of Quit never comes).
func (it *item) clickNoReply(t *testing.T, id int32) {
	t.Helper()
	call := it.conn.Object(it.name, "/StatusNotifierItem/menu").Go("com.canonical.dbusmenu.Event", dbus.FlagNoReplyExpected, nil,
		id, "clicked", dbus.MakeVariant(""), uint32(time.Now().Unix()))
	if call.Err != nil {
		t.Fatalf("Event(%d, clicked): %v", id, call.Err)
	}
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v; last seen:\n%s", what, timeout, last)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// trayProcess is a running tray helper (see TestMain).
type trayProcess struct {
	cmd    *exec.Cmd
	stdin  *bufio.Writer
	acks   *bufio.Scanner
	stderr *testenv.Buffer
	done   chan error
	home   string // HOME, with a Downloads folder
	config string // XDG_CONFIG_HOME
	data   string // data directory
	opened string // file the fake xdg-open writes its argument to
	base   time.Time
}

// startTray runs the tray helper on the bus at addr with extra
// environment variables.
func startTray(t testing.TB, addr string, extra ...string) *trayProcess {
	t.Helper()
	dir := t.TempDir()
	p := &trayProcess{
		home: filepath.Join(dir, "home"), config: filepath.Join(dir, "config"),
		data: filepath.Join(dir, "data"), opened: filepath.Join(dir, "xdg-open.log"),
		stderr: &testenv.Buffer{}, done: make(chan error, 1), base: noonToday(),
	}
	bin := filepath.Join(dir, "bin")
	for _, d := range []string{filepath.Join(p.home, "Downloads"), p.config, bin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The browser opener: github.com/pkg/browser runs xdg-open from PATH.
	script := "#!/bin/sh\nprintf '%s' \"$1\" > '" + p.opened + "'\n"
	if err := os.WriteFile(filepath.Join(bin, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		"PB_TRAY_HELPER=1",
		// Under -race, races are judged by checkRaces rather than by the
		// exit status: some are inside fyne.io/systray itself.
		"GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" exitcode=0 atexit_sleep_ms=200"),
		"PB_DATA_DIR="+p.data,
		"PB_BASE="+strconv.FormatInt(p.base.Unix(), 10),
		"DBUS_SESSION_BUS_ADDRESS="+addr,
		"HOME="+p.home,
		"XDG_CONFIG_HOME="+p.config,
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
	)
	cmd.Env = append(cmd.Env, extra...)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.cmd, p.stdin, p.acks = cmd, bufio.NewWriter(in), bufio.NewScanner(out)
	go func() {
		// Drain stdout after the acks are no longer read, then wait.
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		in.Close()
		select {
		case <-p.done:
		case <-time.After(100 * time.Millisecond):
			cmd.Process.Kill()
			<-p.done
		}
		checkRaces(t, p.stderr.String())
		if t.Failed() {
			t.Logf("tray helper log:\n%s", p.stderr)
		}
	})
	return p
}

// tick advances the helper's clock by a second of known traffic and waits
// until the monitor has sampled it.
func (p *trayProcess) tick(t *testing.T) {
	t.Helper()
	p.command(t, "tick")
}

// network moves the helper's NIC to the Wi-Fi network name; the next
// tick's reading sees it.
func (p *trayProcess) network(t *testing.T, name string) {
	t.Helper()
	p.command(t, "network "+name)
}

// command sends the helper one line and waits for its acknowledgement.
func (p *trayProcess) command(t *testing.T, line string) {
	t.Helper()
	if _, err := p.stdin.WriteString(line + "\n"); err != nil {
		t.Fatal(err)
	}
	if err := p.stdin.Flush(); err != nil {
		t.Fatal(err)
	}
	if !p.acks.Scan() || p.acks.Text() != "ok" {
		t.Fatalf("%q not acknowledged: %q %v", line, p.acks.Text(), p.acks.Err())
	}
}

// wait waits for the helper to exit and returns its error.
func (p *trayProcess) wait(t testing.TB, timeout time.Duration) error {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		return err
	case <-time.After(timeout):
		t.Fatalf("tray helper did not exit within %v", timeout)
	}
	return nil
}

// upstreamPackages are where races PacketBuddy cannot fix live: fyne.io/systray
// v1.12.2 reads menuVersion in GetLayout under menuLock while refresh writes
// it under its other lock, and godbus encodes property values while
// systray replaces them.
var upstreamPackages = []string{"fyne.io/systray", "github.com/godbus/dbus/"}

// checkRaces fails the test for every data race the helper reported in
// which either access is in PacketBuddy's code, and logs the ones whose
// both accesses are inside the tray libraries.
func checkRaces(t testing.TB, log string) {
	t.Helper()
	reports := strings.Split(log, "WARNING: DATA RACE")
	for _, r := range reports[1:] {
		if end := strings.Index(r, "=================="); end >= 0 {
			r = r[:end]
		}
		upstream := 0
		accesses := 0
		lines := strings.Split(r, "\n")
		for i, l := range lines {
			l = strings.TrimSpace(l)
			if !(strings.HasPrefix(l, "Read at") || strings.HasPrefix(l, "Write at") ||
				strings.HasPrefix(l, "Previous read at") || strings.HasPrefix(l, "Previous write at")) {
				continue
			}
			accesses++
			// The first frame that is not the runtime or reflection.
			for _, f := range lines[i+1:] {
				f = strings.TrimSpace(f)
				if f == "" || strings.HasPrefix(f, "/") || strings.HasPrefix(f, "<") {
					if f == "" {
						break
					}
					continue
				}
				if strings.HasPrefix(f, "runtime.") || strings.HasPrefix(f, "reflect.") || strings.HasPrefix(f, "sync/atomic.") || strings.HasPrefix(f, "internal/") {
					continue
				}
				for _, u := range upstreamPackages {
					if strings.HasPrefix(f, u) {
						upstream++
						break
					}
				}
				break
			}
		}
		if accesses == 2 && upstream == 2 {
			t.Logf("data race inside the tray libraries (not PacketBuddy's code):%s", firstLines(r, 12))
			continue
		}
		t.Errorf("data race in the tray process:%s", r)
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}

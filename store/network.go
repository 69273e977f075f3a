package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Kinds of network, as NetworkKind returns them.
const (
	NetworkWiFi    = "wifi"
	NetworkGateway = "gateway"
	NetworkUnknown = "unknown"
)

// Key prefixes of the network kinds.
const (
	wifiPrefix    = "wifi:"
	gatewayPrefix = "gateway:"
)

// unknownNetwork is the row id of the unknown network (key ""), made by
// migration 003.
const unknownNetwork = 1

// UnknownLabel is the label of the unknown network.
const UnknownLabel = "Unknown"

// MaxLabelLen bounds a network label, in characters.
const MaxLabelLen = 64

var (
	// ErrUnknownNetwork means a query named a network that is not known.
	ErrUnknownNetwork = errors.New("unknown network")
	// ErrBadLabel means a network label was refused.
	ErrBadLabel = errors.New("bad network label")
)

// WiFiNetwork returns the key of the Wi-Fi network named ssid; an empty
// SSID is the unknown network. An SSID is any 32 bytes, but a key must be
// valid UTF-8 without control characters (PostgreSQL refuses anything else,
// which would stop sync for good), so such bytes and the backslash are
// written as \xHH: printable SSIDs stay as they are, and two different
// SSIDs never share a key.
func WiFiNetwork(ssid string) string {
	if ssid == "" {
		return ""
	}
	var b strings.Builder
	b.WriteString(wifiPrefix)
	for i := 0; i < len(ssid); {
		r, size := utf8.DecodeRuneInString(ssid[i:])
		if (r == utf8.RuneError && size <= 1) || r == '\\' || !unicode.IsPrint(r) {
			for _, c := range []byte(ssid[i : i+size]) {
				fmt.Fprintf(&b, "\\x%02x", c)
			}
		} else {
			b.WriteString(ssid[i : i+size])
		}
		i += size
	}
	return b.String()
}

// GatewayNetwork returns the key of the network whose default gateway has
// the MAC address mac: lower case, colon separated. An empty address is
// the unknown network.
func GatewayNetwork(mac net.HardwareAddr) string {
	if len(mac) == 0 {
		return ""
	}
	return gatewayPrefix + mac.String()
}

// NetworkKind returns NetworkWiFi, NetworkGateway or NetworkUnknown for a
// network key.
func NetworkKind(key string) string {
	switch {
	case strings.HasPrefix(key, wifiPrefix):
		return NetworkWiFi
	case strings.HasPrefix(key, gatewayPrefix):
		return NetworkGateway
	default:
		return NetworkUnknown
	}
}

// Network is a network known to this database, with its traffic in the
// scope it was listed for.
type Network struct {
	Key       string    `json:"key"`
	Label     string    `json:"label"`
	Kind      string    `json:"kind"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Sent      uint64    `json:"bytes_sent"`
	Recv      uint64    `json:"bytes_received"`
}

// NetworkTotal is one network's share of a report.
type NetworkTotal struct {
	Key   string
	Label string
	Sent  uint64
	Recv  uint64
}

// networkRow is a row of the networks table.
type networkRow struct {
	id                  int64
	key, label          string
	firstSeen, lastSeen int64
}

func (n networkRow) network() Network {
	return Network{Key: n.key, Label: n.label, Kind: NetworkKind(n.key),
		FirstSeen: unixOrZero(n.firstSeen), LastSeen: unixOrZero(n.lastSeen)}
}

// rowsQuerier is a *sql.DB or a *sql.Tx.
type rowsQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// networkRows reads every network, ordered by first sight.
func networkRows(ctx context.Context, q rowsQuerier) ([]networkRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, key, label, first_seen, last_seen FROM networks ORDER BY first_seen, id`)
	if err != nil {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	defer rows.Close()
	var out []networkRow
	for rows.Next() {
		var n networkRow
		if err := rows.Scan(&n.id, &n.key, &n.label, &n.firstSeen, &n.lastSeen); err != nil {
			return nil, fmt.Errorf("list networks: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// findNetwork finds a network by key, else by label, else by a label equal
// to name under Unicode case folding when only one label is.
func findNetwork(all []networkRow, name string) (networkRow, bool) {
	for _, n := range all {
		if n.key == name && name != "" {
			return n, true
		}
	}
	for _, n := range all {
		if n.label == name {
			return n, true
		}
	}
	var found []networkRow
	for _, n := range all {
		if strings.EqualFold(n.label, name) {
			found = append(found, n)
		}
	}
	if len(found) == 1 {
		return found[0], true
	}
	return networkRow{}, false
}

// resolveNetwork finds a network by key or label; an unknown one is a
// *QueryError listing the known labels.
func resolveNetwork(ctx context.Context, q rowsQuerier, name string) (networkRow, error) {
	all, err := networkRows(ctx, q)
	if err != nil {
		return networkRow{}, err
	}
	if n, ok := findNetwork(all, name); ok {
		return n, nil
	}
	return networkRow{}, unknownNetworkError(name, all)
}

// ResolveNetwork finds a network by key or label with the rule of
// Scope.Network; an unknown one is the same *QueryError. It is for views
// that filter more than the store's rows (a monitor's unflushed traffic)
// and need the key a name stands for.
func (s *Store) ResolveNetwork(ctx context.Context, keyOrLabel string) (Network, error) {
	n, err := resolveNetwork(ctx, s.r, keyOrLabel)
	if err != nil {
		return Network{}, err
	}
	return n.network(), nil
}

func unknownNetworkError(name string, all []networkRow) *QueryError {
	labels := make([]string, 0, len(all))
	for _, n := range all {
		labels = append(labels, n.label)
	}
	sort.Strings(labels)
	return &QueryError{Param: "network", Value: name, Err: ErrUnknownNetwork,
		Msg: fmt.Sprintf("unknown network %s (known: %s)", quoteInput(name), strings.Join(labels, ", "))}
}

// Networks lists the networks with traffic in the scope (device, NIC, and
// network when it names one) with their lifetime totals there, ordered by
// first sight. A network seen but without any traffic yet is listed too
// unless the scope names a NIC or a network; the unknown network only
// when it holds traffic in the scope.
func (s *Store) Networks(ctx context.Context, sc Scope) ([]Network, error) {
	q, err := s.resolveScope(ctx, sc, "d")
	if err != nil {
		return nil, err
	}
	all, err := networkRows(ctx, s.r)
	if err != nil {
		return nil, err
	}
	totals, err := s.networkTotals(ctx, q)
	if err != nil {
		return nil, err
	}
	var used map[int64]bool
	if sc.NIC == "" && sc.Network == "" {
		if used, err = s.networksUsed(ctx); err != nil {
			return nil, err
		}
	}
	out := []Network{}
	for _, n := range all {
		t, ok := totals[n.id]
		if !ok && (used == nil || used[n.id] || n.id == unknownNetwork) {
			continue
		}
		nw := n.network()
		nw.Sent, nw.Recv = t.Sent, t.Received
		out = append(out, nw)
	}
	return out, nil
}

// networksUsed returns the ids of the networks with rows in the rollup,
// of any device.
func (s *Store) networksUsed(ctx context.Context) (map[int64]bool, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT network FROM days`)
	if err != nil {
		return nil, fmt.Errorf("list networks: %w", err)
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list networks: %w", err)
		}
		out[id] = true
	}
	return out, rows.Err()
}

// networkTotals sums the rollup per network in scope q (on alias "d"):
// every day of the rollup, in whatever zone, adds up to the buckets.
func (s *Store) networkTotals(ctx context.Context, q scopeSQL) (map[int64]Traffic, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT d.network, SUM(d.sent), SUM(d.recv) FROM days d WHERE `+q.where+` GROUP BY d.network`, q.args...)
	if err != nil {
		return nil, fmt.Errorf("network totals: %w", err)
	}
	defer rows.Close()
	out := map[int64]Traffic{}
	for rows.Next() {
		var id, sent, recv int64
		if err := rows.Scan(&id, &sent, &recv); err != nil {
			return nil, fmt.Errorf("network totals: %w", err)
		}
		if sent != 0 || recv != 0 {
			out[id] = Traffic{Sent: uint64(sent), Received: uint64(recv)}
		}
	}
	return out, rows.Err()
}

// NetworkLabel returns the label of the network with key key: its own, or
// for a network not stored yet the default label it would get now. It is
// cheap enough for a view that shows the current network every second.
func (s *Store) NetworkLabel(ctx context.Context, key string) (string, error) {
	var label string
	err := s.r.QueryRowContext(ctx, `SELECT label FROM networks WHERE key = ?`, key).Scan(&label)
	if errors.Is(err, sql.ErrNoRows) {
		return defaultLabel(ctx, s.r, key)
	}
	if err != nil {
		return "", fmt.Errorf("network label: %w", err)
	}
	return label, nil
}

// RenameNetwork gives a network, named by key or label, a new label and
// returns it with its lifetime traffic on this device. The label is
// trimmed; an empty or over-long one, one with control characters, and one
// that another network has as its label or key are a *QueryError for
// "label" (ErrBadLabel).
func (s *Store) RenameNetwork(ctx context.Context, keyOrLabel, label string) (Network, error) {
	if s.w == nil {
		return Network{}, ErrReadOnly
	}
	label = strings.TrimSpace(label)
	if err := checkLabel(label); err != nil {
		return Network{}, err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return Network{}, fmt.Errorf("rename network: %w", err)
	}
	defer tx.Rollback()
	all, err := networkRows(ctx, tx)
	if err != nil {
		return Network{}, err
	}
	n, ok := findNetwork(all, keyOrLabel)
	if !ok {
		return Network{}, unknownNetworkError(keyOrLabel, all)
	}
	for _, o := range all {
		if o.id != n.id && (o.label == label || (o.key == label && label != "")) {
			return Network{}, badLabel(label, fmt.Sprintf("network label %s is taken by another network (%s)", quoteInput(label), o.networkName()))
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE networks SET label = ? WHERE id = ?`, label, n.id); err != nil {
		return Network{}, fmt.Errorf("rename network: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Network{}, fmt.Errorf("rename network: %w", err)
	}
	n.label = label
	out := n.network()
	totals, err := s.networkTotals(ctx, scopeSQL{where: "d.device = 1 AND d.network = ?", args: []any{n.id}})
	if err != nil {
		return out, err
	}
	out.Sent, out.Recv = totals[n.id].Sent, totals[n.id].Received
	return out, nil
}

// networkName describes a network in a message: its key, or "unknown".
func (n networkRow) networkName() string {
	if n.key == "" {
		return "the unknown network"
	}
	return quoteInput(n.key)
}

// checkLabel refuses a (trimmed) label a user may not give a network.
func checkLabel(label string) error {
	switch {
	case label == "":
		return badLabel(label, "network label is empty")
	case !utf8.ValidString(label):
		return badLabel(label, "network label is not valid UTF-8")
	case utf8.RuneCountInString(label) > MaxLabelLen:
		return badLabel(label, fmt.Sprintf("network label is longer than %d characters", MaxLabelLen))
	case strings.IndexFunc(label, unicode.IsControl) >= 0:
		return badLabel(label, "network label contains control characters")
	}
	return nil
}

func badLabel(label, msg string) *QueryError {
	return &QueryError{Param: "label", Value: label, Err: ErrBadLabel, Msg: msg}
}

// txNetworks resolves network keys to ids inside one write transaction,
// creating the missing ones with their default labels and recording when
// each was seen. The ids reach the store's cache only after the commit.
type txNetworks struct {
	s    *Store
	tx   *sql.Tx
	ids  map[string]int64
	seen map[int64][2]int64 // id -> first, last seen in this transaction
}

func (s *Store) txNetworks(tx *sql.Tx) *txNetworks {
	return &txNetworks{s: s, tx: tx, ids: map[string]int64{}, seen: map[int64][2]int64{}}
}

// id returns the id of a network key, creating the network when missing,
// and marks it seen at unix second at.
func (n *txNetworks) id(ctx context.Context, key string, at int64) (int64, error) {
	id, ok := n.ids[key]
	if !ok {
		n.s.mu.Lock()
		id, ok = n.s.networkIDs[key]
		n.s.mu.Unlock()
	}
	if !ok {
		var err error
		if id, err = n.lookupOrCreate(ctx, key, at); err != nil {
			return 0, err
		}
	}
	n.ids[key] = id
	if sn, ok := n.seen[id]; ok {
		n.seen[id] = [2]int64{min(sn[0], at), max(sn[1], at)}
	} else {
		n.seen[id] = [2]int64{at, at}
	}
	return id, nil
}

// lookupOrCreate finds a network's id in the table, or adds the network
// with its default label.
func (n *txNetworks) lookupOrCreate(ctx context.Context, key string, at int64) (int64, error) {
	var id int64
	err := n.tx.QueryRowContext(ctx, `SELECT id FROM networks WHERE key = ?`, key).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("network %q: %w", key, err)
	}
	label, err := defaultLabel(ctx, n.tx, key)
	if err != nil {
		return 0, err
	}
	if err := n.tx.QueryRowContext(ctx, `INSERT INTO networks(key, label, first_seen, last_seen) VALUES (?, ?, ?, ?) RETURNING id`,
		key, label, at, at).Scan(&id); err != nil {
		return 0, fmt.Errorf("add network %q: %w", key, err)
	}
	return id, nil
}

// defaultLabel is the label a new network gets: the SSID, "Network N" for
// the Nth gateway network, "Unknown"; one that another network has already
// gets " (2)", " (3)" and so on.
func defaultLabel(ctx context.Context, q rowQuerier, key string) (string, error) {
	var base string
	switch NetworkKind(key) {
	case NetworkWiFi:
		base = labelText(ssidOf(key))
	case NetworkGateway:
		var count int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM networks WHERE key LIKE 'gateway:%'`).Scan(&count); err != nil {
			return "", fmt.Errorf("count networks: %w", err)
		}
		base = "Network " + strconv.Itoa(count+1)
	default:
		base = UnknownLabel
		if key != "" {
			base = labelText(key)
		}
	}
	label := base
	for i := 2; ; i++ {
		var taken bool
		if err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM networks WHERE label = ?)`, label).Scan(&taken); err != nil {
			return "", fmt.Errorf("network label: %w", err)
		}
		if !taken {
			return label, nil
		}
		label = base + " (" + strconv.Itoa(i) + ")"
	}
}

// ssidOf is the SSID a Wi-Fi key names: WiFiNetwork's escapes undone.
func ssidOf(key string) string {
	s := strings.TrimPrefix(key, wifiPrefix)
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) && s[i+1] == 'x' {
			if v, err := strconv.ParseUint(s[i+2:i+4], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// labelText makes a label out of a name from the OS or a peer (an SSID is
// any 32 bytes): valid UTF-8, no control characters, at most MaxLabelLen
// characters, never empty.
func labelText(name string) string {
	name = strings.ToValidUTF8(name, "\uFFFD")
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > MaxLabelLen {
		name = string([]rune(name)[:MaxLabelLen])
	}
	if name == "" {
		return "Network"
	}
	return name
}

// markSeen moves the first and last sight of the networks used in this
// transaction: one statement per network, usually one.
func (n *txNetworks) markSeen(ctx context.Context) error {
	for id, sn := range n.seen {
		if _, err := n.tx.ExecContext(ctx, `UPDATE networks SET
			first_seen = CASE WHEN first_seen = 0 OR first_seen > ?1 THEN ?1 ELSE first_seen END,
			last_seen = MAX(last_seen, ?2) WHERE id = ?3`, sn[0], sn[1], id); err != nil {
			return fmt.Errorf("network seen: %w", err)
		}
	}
	return nil
}

func (s *Store) rememberNetworks(m map[string]int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range m {
		s.networkIDs[k] = v
	}
}

// resolveInOrder resolves the network keys of pulled buckets (except those
// of device self) in the order of each key's first bucket, so that new
// gateway networks are numbered as they were first used.
func (n *txNetworks) resolveInOrder(ctx context.Context, buckets []SyncBucket, self string) error {
	first := map[string]int64{}
	for _, b := range buckets {
		if b.Device == self {
			continue
		}
		if at, ok := first[b.Network]; !ok || b.Start < at {
			first[b.Network] = b.Start
		}
	}
	keys := make([]string, 0, len(first))
	for k := range first {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if first[keys[i]] != first[keys[j]] {
			return first[keys[i]] < first[keys[j]]
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		if _, err := n.id(ctx, k, first[k]); err != nil {
			return err
		}
	}
	return nil
}

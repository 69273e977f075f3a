package dashboard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/packetbuddy/packetbuddy/config"
	"github.com/packetbuddy/packetbuddy/monitor"
	"github.com/packetbuddy/packetbuddy/store"
)

// Store is what the dashboard reads from the database.
type Store interface {
	DeviceID() string
	Size() int64
	Location() *time.Location
	NICs(ctx context.Context) ([]string, error)
	Day(ctx context.Context, d store.Date, loc *time.Location, sc store.Scope) (store.Report, error)
	Range(ctx context.Context, from, to store.Date, loc *time.Location, sc store.Scope) (store.Report, error)
	Lifetime(ctx context.Context, loc *time.Location, sc store.Scope) (store.Report, error)
	TopDays(ctx context.Context, loc *time.Location, sc store.Scope, n int) ([]store.Point, error)
	Gaps(ctx context.Context, from, to time.Time) ([]store.Gap, error)
	Export(ctx context.Context, w io.Writer, o store.ExportOptions) (int64, error)
	Devices(ctx context.Context) ([]store.DeviceUsage, error)
	Networks(ctx context.Context, sc store.Scope) ([]store.Network, error)
	ResolveNetwork(ctx context.Context, keyOrLabel string) (store.Network, error)
	RenameNetwork(ctx context.Context, keyOrLabel, label string) (store.Network, error)
	NetworkLabel(ctx context.Context, key string) (string, error)
}

// Live is the running monitor.
type Live interface {
	Snapshot() monitor.Snapshot
	Unflushed(since time.Time, nic string) (sent, recv uint64)
	// UnflushedByNetwork is Unflushed per network key ("" is the
	// unknown network).
	UnflushedByNetwork(since time.Time, nic string) map[string]store.Traffic
	Pause(ctx context.Context) error
	Resume(ctx context.Context) error
}

// DefaultAddr is where the dashboard listens unless configured otherwise.
const DefaultAddr = "127.0.0.1:7373"

// Options are the optional settings of New; zero values mean defaults.
type Options struct {
	Addr string // host:port, default DefaultAddr
	// AllowRemote permits a non-loopback listening address and then also
	// accepts Host headers naming an IP address or Addr's host name (with
	// the right port), so the dashboard can be opened from elsewhere while
	// other sites' DNS names (rebinding) are still refused. State changes
	// still need the token, which the page only carries for browsers on
	// this machine.
	AllowRemote bool
	Version     string
	// Token is the API secret state-changing requests must carry. When
	// empty it is loaded (or created) from DataDir with LoadOrCreateToken.
	Token   string
	DataDir string
	// Settings reads and saves the cost and unit preferences; default an
	// in-memory copy of the configuration defaults.
	Settings Settings
	// Sync is the multi-device sync (a *cloudsync.Syncer); nil means it
	// is not set up.
	Sync Sync
	// StaticDir serves the web UI from disk instead of the embedded copy
	// (development only).
	StaticDir string
	// StreamInterval is the period of /api/stream events; default 1 s.
	StreamInterval time.Duration
	Logger         *slog.Logger
	// Now is the clock; default time.Now. It decides what "today" and
	// "this month" are for every usage query, and the page reads it
	// through /api/health.
	Now func() time.Time
}

// readTimeout bounds reading one request; event streams lift it.
var readTimeout = 30 * time.Second

// maxBodyBytes bounds request bodies.
const maxBodyBytes = 64 << 10

// Server is the dashboard HTTP server.
type Server struct {
	st    Store
	live  Live
	opts  Options
	log   *slog.Logger
	token string
	// initErr is a failure of New (loading the token) that Run reports.
	initErr error

	port   atomic.Value // string: the port Host headers must carry
	routes []route
	h      http.Handler
	static *staticFiles
	hub    *hub
	cache  *queryCache

	snapMu sync.Mutex // guards snap and snapAt
	snap   monitor.Snapshot
	snapAt time.Time

	syncMu   sync.Mutex // guards syncSeen
	syncSeen syncMark   // the sync cycle the cache was last checked against
}

// New returns a server; Run starts it.
func New(st Store, live Live, opts Options) *Server {
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.StreamInterval <= 0 {
		opts.StreamInterval = time.Second
	}
	if opts.Settings == nil {
		opts.Settings = &memSettings{p: PrefsFromConfig(config.Default())}
	}
	s := &Server{st: st, live: live, opts: opts, log: opts.Logger, token: opts.Token}
	if s.token == "" && opts.DataDir != "" {
		s.token, s.initErr = LoadOrCreateToken(opts.DataDir)
	}
	if s.token == "" && s.initErr == nil {
		s.initErr = errors.New("dashboard: no API token (set Options.Token or Options.DataDir)")
	}
	_, port, err := net.SplitHostPort(opts.Addr)
	if err != nil {
		s.initErr = errors.Join(s.initErr, fmt.Errorf("dashboard address %q: %w (set [dashboard] addr to host:port, such as %q)", opts.Addr, err, DefaultAddr))
	}
	s.port.Store(port)
	s.static = newStaticFiles(opts.StaticDir)
	s.hub = newHub(s)
	s.cache = newQueryCache()
	s.routes = s.routeTable()
	s.h = s.secure(s.mux())
	return s
}

// Handler returns the HTTP handler with every security rule applied.
func (s *Server) Handler() http.Handler { return s.h }

// Run listens on the configured address (and on ::1 too when it is
// 127.0.0.1 or localhost and IPv6 is available) and serves until ctx ends.
func (s *Server) Run(ctx context.Context) error {
	if s.initErr != nil {
		return s.initErr
	}
	host, port, _ := net.SplitHostPort(s.opts.Addr)
	primary := host
	if host == "localhost" {
		primary = "127.0.0.1"
	}
	if !s.opts.AllowRemote && !isLoopback(primary) {
		return fmt.Errorf("refusing to serve the dashboard on %s: not a loopback address, so anyone on the network could read your usage; use 127.0.0.1 in [dashboard] addr, or set [dashboard] allow_remote = true explicitly", s.opts.Addr)
	}
	addr := net.JoinHostPort(primary, port)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("dashboard address %s is already in use (another program, or another PacketBuddy?): choose another with [dashboard] addr in the config file: %w", addr, err)
		}
		return fmt.Errorf("listen on %s: %w (set another address with [dashboard] addr in the config file)", addr, err)
	}
	lns := []net.Listener{ln}
	if primary == "127.0.0.1" {
		_, realPort, _ := net.SplitHostPort(ln.Addr().String())
		if ln6, err := net.Listen("tcp", net.JoinHostPort("::1", realPort)); err == nil {
			lns = append(lns, ln6)
		} else {
			s.log.Debug("not listening on ::1", "err", err)
		}
	}
	return s.Serve(ctx, lns...)
}

// Serve serves on already-open listeners until ctx ends, then shuts down
// with a deadline. Host headers must carry the first listener's port.
func (s *Server) Serve(ctx context.Context, lns ...net.Listener) error {
	if s.initErr != nil {
		for _, ln := range lns {
			ln.Close()
		}
		return s.initErr
	}
	if len(lns) == 0 {
		return errors.New("dashboard: no listener")
	}
	if _, port, err := net.SplitHostPort(lns[0].Addr().String()); err == nil {
		s.port.Store(port)
	}
	srv := &http.Server{
		Handler:           s.h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       readTimeout,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		// Request contexts end with ctx, so event streams stop at shutdown.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	for _, ln := range lns {
		s.log.Info("dashboard listening", "url", "http://"+ln.Addr().String()+"/")
	}
	errs := make(chan error, len(lns))
	var wg sync.WaitGroup
	for _, ln := range lns {
		wg.Add(1)
		go func() { // owned by Serve; ends when srv shuts down
			defer wg.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errs <- fmt.Errorf("serve %s: %w", ln.Addr(), err)
			}
		}()
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errs:
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	defer cancel()
	if serr := srv.Shutdown(sctx); serr != nil {
		srv.Close()
	}
	wg.Wait()
	return err
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// allowedHost reports whether a Host header names this server by a loopback
// name and the right port (the defence against DNS rebinding). With
// AllowRemote an IP address or the configured host name will do too: a
// rebinding page always names the attacker's own domain, never an IP.
func (s *Server) allowedHost(h string) bool {
	port := s.port.Load().(string)
	host, p, err := net.SplitHostPort(h)
	if err != nil {
		// No port: only valid when the port is HTTP's default.
		host, p = h, "80"
	}
	if p != port {
		return false
	}
	switch host {
	case "localhost", "127.0.0.1", "::1":
		return true
	}
	if !s.opts.AllowRemote {
		return false
	}
	if net.ParseIP(host) != nil {
		return true
	}
	cfgHost, _, _ := net.SplitHostPort(s.opts.Addr)
	return cfgHost != "" && strings.EqualFold(host, cfgHost)
}

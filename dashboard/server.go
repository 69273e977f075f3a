package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/packetbuddy/packetbuddy/monitor"
)

// Store is what the dashboard reads from the database.
type Store interface {
	DeviceID() string
	Size() int64
}

// Live is the running monitor.
type Live interface {
	Snapshot() monitor.Snapshot
}

// Options are the optional settings of New.
type Options struct {
	Addr        string // default 127.0.0.1:7373
	AllowRemote bool
	Version     string
	Logger      *slog.Logger
}

// Server is the dashboard HTTP server.
type Server struct {
	st   Store
	live Live
	opts Options
	log  *slog.Logger
	mux  *http.ServeMux
}

// New returns a server; Run starts it.
func New(st Store, live Live, opts Options) *Server {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:7373"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{st: st, live: live, opts: opts, log: opts.Logger, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /api/health", s.health)
	return s
}

// Handler returns the HTTP handler.
func (s *Server) Handler() http.Handler { return s.mux }

// Run listens and serves until ctx ends.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (set another address with [dashboard] addr in the config file)", s.opts.Addr, err)
	}
	srv := &http.Server{Handler: s.mux, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 60 * time.Second,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	snap := s.live.Snapshot()
	writeJSON(w, http.StatusOK, map[string]any{
		"status":         "ok",
		"version":        s.opts.Version,
		"uptime_seconds": int64(time.Since(snap.Started).Seconds()),
		"device_id":      s.st.DeviceID(),
		"paused":         snap.Paused,
		"database_bytes": s.st.Size(),
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

package dashboard

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strings"
)

// route is one API endpoint; routeTable lists them all.
type route struct {
	method  string
	path    string
	handler http.HandlerFunc
}

func (s *Server) routeTable() []route {
	return []route{
		{"GET", "/api/health", s.health},
		{"GET", "/api/live", s.liveNow},
		{"GET", "/api/stream", s.stream},
		{"GET", "/api/today", s.today},
		{"GET", "/api/month", s.month},
		{"GET", "/api/range", s.rangeUsage},
		{"GET", "/api/summary", s.summary},
		{"GET", "/api/export", s.export},
		{"GET", "/api/nics", s.nics},
		{"GET", "/api/networks", s.networks},
		{"POST", "/api/networks/rename", s.renameNetwork},
		{"POST", "/api/pause", s.pause},
		{"POST", "/api/resume", s.resume},
		{"GET", "/api/devices", s.devices},
		{"POST", "/api/sync", s.syncToggle},
		{"POST", "/api/sync/now", s.syncNow},
		{"GET", "/api/settings", s.getSettings},
		{"PUT", "/api/settings", s.putSettings},
		{"GET", "/api/openapi.json", s.openAPI},
	}
}

// mux routes by path, then answers a wrong method with a JSON 405 and an
// Allow header, and an unknown /api path with a JSON 404.
func (s *Server) mux() *http.ServeMux {
	mux := http.NewServeMux()
	byPath := map[string][]route{}
	var paths []string
	for _, rt := range s.routes {
		if _, ok := byPath[rt.path]; !ok {
			paths = append(paths, rt.path)
		}
		byPath[rt.path] = append(byPath[rt.path], rt)
	}
	for _, p := range paths {
		rts := byPath[p]
		var allow []string
		for _, rt := range rts {
			allow = append(allow, rt.method)
		}
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			for _, rt := range rts {
				if r.Method == rt.method {
					rt.handler(w, r)
					return
				}
			}
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed on "+p+"; use "+strings.Join(allow, " or "))
		})
	}
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such API endpoint: "+r.URL.Path+" (see /api/openapi.json)")
	})
	mux.HandleFunc("/", s.serveStatic)
	return mux
}

// contentSecurityPolicy goes with every response. The page's script and
// styles are files, so it allows no inline code at all.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// secure wraps h with the dashboard's security rules, outermost first:
// headers, panic recovery, Host check, then for unsafe methods the
// cross-origin check, JSON content type, token and body limit.
func (s *Server) secure(h http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusForbidden, "cross-origin request refused")
	}))
	unsafe := cop.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/json" {
			writeError(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
			return
		}
		if !tokenEqual(r.Header.Get(TokenHeader), s.token) {
			writeError(w, http.StatusForbidden, "missing or wrong "+TokenHeader+" header (the token is in the data directory's "+TokenFile+" file)")
			return
		}
		if r.ContentLength > maxBodyBytes {
			writeError(w, http.StatusRequestEntityTooLarge, "request body too large")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		h.ServeHTTP(w, r)
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cross-Origin-Resource-Policy", "same-origin")
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("handler panic", "path", r.URL.Path, "panic", v)
				writeError(w, http.StatusInternalServerError, "internal error")
			}
		}()
		if !s.allowedHost(r.Host) {
			how := "open the dashboard as http://127.0.0.1:" + s.port.Load().(string) + "/"
			if s.opts.AllowRemote {
				how += ", or from another machine by this machine's IP address and port " + s.port.Load().(string)
			}
			writeError(w, http.StatusForbidden, "Host header "+quote(r.Host)+" refused: "+how)
			return
		}
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			h.ServeHTTP(w, r)
		default:
			unsafe.ServeHTTP(w, r)
		}
	})
}

// quote bounds and quotes a client-supplied string for a message.
func quote(v string) string {
	if len(v) > 80 {
		v = v[:80] + "…"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal error")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

// apiError is the body of every error response.
type apiError struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	b, _ := json.Marshal(apiError{msg})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Disposition")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

// decodeJSON reads a JSON body into v, refusing unknown fields and
// trailing data; the error is meant for the client.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errBodyTooLarge
		}
		return errors.New("bad JSON body: " + strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return errors.New("bad JSON body: more than one value")
	}
	return nil
}

var errBodyTooLarge = errors.New("request body too large")

// readBody decodes the request's JSON body into v and answers the client
// itself when it cannot: 413 for an oversize body, 400 otherwise. With
// optional, an empty body is fine and leaves v as it is.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, v any, optional bool) bool {
	if optional && r.ContentLength == 0 {
		return true
	}
	err := decodeJSON(r, v)
	switch {
	case err == nil:
		return true
	case errors.Is(err, errBodyTooLarge):
		s.fail(w, r, err)
	default:
		s.fail(w, r, &badRequest{err.Error()})
	}
	return false
}

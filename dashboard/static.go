package dashboard

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
)

//go:embed static
var staticFS embed.FS

//go:embed openapi.json
var openAPIDoc []byte

// staticFiles serves the web UI: embedded, pre-compressed once, with
// ETags; or from a directory on disk during development.
type staticFiles struct {
	dir string // non-empty: read from disk on every request

	once  sync.Once
	files map[string]*asset
}

// asset is one file of the UI, ready to serve.
type asset struct {
	body  []byte
	gz    []byte // nil when compression does not pay
	etag  string
	ctype string
}

func newStaticFiles(dir string) *staticFiles { return &staticFiles{dir: dir} }

func (sf *staticFiles) fsys() fs.FS {
	if sf.dir != "" {
		return os.DirFS(sf.dir)
	}
	sub, _ := fs.Sub(staticFS, "static")
	return sub
}

// makeAsset types, tags and (when that makes it smaller) compresses a
// file once, so requests only copy bytes.
func makeAsset(name string, body []byte) *asset {
	sum := sha256.Sum256(body)
	a := &asset{body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	a.ctype = mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) {
	case ".js":
		a.ctype = "text/javascript; charset=utf-8"
	case ".css":
		a.ctype = "text/css; charset=utf-8"
	case ".html":
		a.ctype = "text/html; charset=utf-8"
	case ".svg":
		a.ctype = "image/svg+xml"
	case "":
		a.ctype = "text/plain; charset=utf-8"
	}
	if a.ctype == "" {
		a.ctype = "application/octet-stream"
	}
	if len(body) > 512 && !strings.HasSuffix(name, ".png") {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		if buf.Len() < len(body) {
			a.gz = buf.Bytes()
		}
	}
	return a
}

// lookup returns the asset for a clean slash path such as "app.js".
func (sf *staticFiles) lookup(name string) *asset {
	if sf.dir != "" {
		body, err := fs.ReadFile(sf.fsys(), name)
		if err != nil {
			return nil
		}
		return makeAsset(name, body)
	}
	sf.once.Do(func() {
		sf.files = map[string]*asset{}
		fs.WalkDir(sf.fsys(), ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			body, err := fs.ReadFile(sf.fsys(), p)
			if err != nil {
				return err
			}
			sf.files[p] = makeAsset(p, body)
			return nil
		})
	})
	return sf.files[name]
}

// serveStatic answers GET / with the page (carrying the API token) and
// other paths with the UI's files; nothing outside the static folder is
// reachable.
func (s *Server) serveStatic(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed")
		return
	}
	name := strings.TrimPrefix(r.URL.Path, "/")
	if name == "" {
		name = "index.html"
	}
	if !fs.ValidPath(name) || strings.Contains(name, "\\") || strings.HasPrefix(path.Base(name), ".") {
		writeError(w, http.StatusNotFound, "not found")
		return
	}
	a := s.static.lookup(name)
	if a == nil {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	h := w.Header()
	if name == "index.html" {
		// The page carries the token, so it is never cached, and the Host
		// check keeps pages of other sites (DNS rebinding) from reading it.
		// With allow_remote, only a browser on this machine gets it: other
		// machines see the dashboard but cannot change anything.
		tok := s.token
		if s.opts.AllowRemote && !loopbackPeer(r.RemoteAddr) {
			tok = ""
		}
		body := bytes.Replace(a.body, []byte("{{TOKEN}}"), []byte(html.EscapeString(tok)), 1)
		h.Set("Content-Type", a.ctype)
		h.Set("Cache-Control", "no-store")
		w.Write(body)
		return
	}
	h.Set("Content-Type", a.ctype)
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", a.etag)
	h.Add("Vary", "Accept-Encoding")
	if match := r.Header.Get("If-None-Match"); match != "" && match == a.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if a.gz != nil && acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(body)
}

// loopbackPeer reports whether a request's remote address is on this
// machine.
func loopbackPeer(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	return err == nil && isLoopback(host)
}

// acceptsGzip reports whether the client takes gzip; "gzip;q=0" refuses it.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// openAPI serves the API's description, dashboard/openapi.json.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-cache")
	w.Write(openAPIDoc)
}

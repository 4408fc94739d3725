package feeds

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/config"
	"github.com/homesoc/homesoc/internal/store/duckdb"
)

// feedServer is a feed on a loopback HTTP server: it serves body with an
// ETag (and Last-Modified when set), answering 304 to a request that
// carries either; statuses, when queued, are answered first, one per
// request.
type feedServer struct {
	*httptest.Server
	mu           sync.Mutex
	body         []byte
	etag         bool
	lastModified time.Time
	statuses     []int
	headers      []http.Header // of every request
}

func newFeedServer(t *testing.T, body []byte) *feedServer {
	t.Helper()
	fs := &feedServer{body: body, etag: true}
	fs.Server = httptest.NewServer(http.HandlerFunc(fs.serve))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *feedServer) serve(w http.ResponseWriter, r *http.Request) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.headers = append(fs.headers, r.Header.Clone())
	if len(fs.statuses) > 0 {
		code := fs.statuses[0]
		fs.statuses = fs.statuses[1:]
		http.Error(w, http.StatusText(code), code)
		return
	}
	if fs.etag {
		h := sha256.Sum256(fs.body)
		tag := `"` + hex.EncodeToString(h[:8]) + `"`
		w.Header().Set("ETag", tag)
		if r.Header.Get("If-None-Match") == tag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	if !fs.lastModified.IsZero() {
		w.Header().Set("Last-Modified", fs.lastModified.UTC().Format(http.TimeFormat))
		if t, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil && !fs.lastModified.After(t) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	_, _ = w.Write(fs.body)
}

// set changes what the server serves.
func (fs *feedServer) set(body []byte) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.body = body
}

// queue makes the next requests answer these statuses.
func (fs *feedServer) queue(codes ...int) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.statuses = append(fs.statuses, codes...)
}

// lastHeader returns header name of the latest request.
func (fs *feedServer) lastHeader(name string) string {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if len(fs.headers) == 0 {
		return ""
	}
	return fs.headers[len(fs.headers)-1].Get(name)
}

func (fs *feedServer) requests() int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return len(fs.headers)
}

// feed is a feed of format served at srv.
func feed(name, format string, srv *feedServer) config.Feed {
	return config.Feed{Name: name, URL: config.URL(srv.URL + "/" + name), Format: format, Interval: config.Duration(time.Hour)}
}

func openStore(t *testing.T) *duckdb.Store {
	t.Helper()
	st, err := duckdb.Open(context.Background(), filepath.Join(t.TempDir(), "homesoc.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

package notify

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestNoRedirect: the default client does not follow a redirect (which
// would carry the body and secret headers elsewhere), and HTTPError makes
// the 3xx a permanent error that says what to fix, without the location.
func TestNoRedirect(t *testing.T) {
	followed := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			followed = true
			return
		}
		http.Redirect(w, r, "/elsewhere?token=s3cr3t", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL+"/hook", strings.NewReader("{}"))
	resp, err := Options{}.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	err = HTTPError("webhook w/webhook/0", resp, body, time.Now())
	perm, _ := Classify(err)
	if followed || !perm || err.Error() != "webhook w/webhook/0: HTTP 307: the URL redirects elsewhere; configure the URL it redirects to" {
		t.Errorf("followed %v, permanent %v, err %v", followed, perm, err)
	}
}

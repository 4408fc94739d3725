// Package webhook posts notifications as homesoc's documented JSON body
// (docs/receivers.md) to any URL, with a delivery id the far end
// deduplicates on and, when a secret is configured, an HMAC-SHA256
// signature over the timestamp and the body.
package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/config"
	"github.com/homesoc/homesoc/internal/notify"
)

// Headers homesoc sets on every delivery.
const (
	HeaderDelivery  = "X-Homesoc-Delivery"  // the notification id: the same on every retry
	HeaderTimestamp = "X-Homesoc-Timestamp" // unix seconds of this attempt
	HeaderSignature = "X-Homesoc-Signature" // "v1=" + hex HMAC-SHA256(secret, timestamp + "." + body)
)

// Version is the body's format version.
const Version = "1"

// Receiver posts to one webhook_configs entry.
type Receiver struct {
	integration string
	url         config.SecretURL
	secret      config.Secret
	headers     map[string]config.Secret
	o           notify.Options
}

// reserved are the headers a configured one may not replace.
var reserved = map[string]bool{
	"Content-Type": true, "User-Agent": true, "Content-Length": true, "Host": true,
	HeaderDelivery: true, HeaderTimestamp: true, HeaderSignature: true,
}

// New checks c and returns its Receiver; integration names it in errors,
// which never quote the URL, the secret or a header's value.
func New(c config.WebhookConfig, integration string, o notify.Options) (*Receiver, error) {
	what := "webhook " + integration
	if c.URL.Secret == "" {
		return nil, fmt.Errorf("%s: no url", what)
	}
	if u, err := url.Parse(c.URL.Reveal()); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s: url must be an http or https URL", what)
	}
	for k, v := range c.Headers {
		if strings.ContainsAny(v.Reveal(), "\r\n\x00") {
			return nil, fmt.Errorf("%s: header %q: value holds a line break", what, k)
		}
		ck := http.CanonicalHeaderKey(k)
		if reserved[ck] {
			return nil, fmt.Errorf("%s: header %q is homesoc's and cannot be configured", what, k)
		}
		if !validHeaderName(k) {
			return nil, fmt.Errorf("%s: header name %q is not a valid HTTP header name", what, k)
		}
	}
	return &Receiver{integration: integration, url: c.URL, secret: c.HMACSecret, headers: c.Headers, o: o}, nil
}

// validHeaderName reports whether s is an HTTP token.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '!' || c == '#' || c == '$' || c == '%' ||
			c == '&' || c == '\'' || c == '*' || c == '+' || c == '^' || c == '`' || c == '|' || c == '~'
		if !ok {
			return false
		}
	}
	return true
}

// String names the receiver without its URL, secret or headers.
func (r *Receiver) String() string { return "webhook " + r.integration }

// GoString is String, for %#v.
func (r *Receiver) GoString() string { return r.String() }

// Body is the JSON body of a delivery (format version 1).
type Body struct {
	Version     string            `json:"version"` // "1"
	ID          string            `json:"id"`      // the notification id, as X-Homesoc-Delivery
	Integration string            `json:"integration"`
	Receiver    string            `json:"receiver"`
	GroupKey    string            `json:"group_key"`
	GroupLabels map[string]string `json:"group_labels"`
	Status      string            `json:"status"` // firing or resolved
	Title       string            `json:"title"`
	Alerts      []notify.Alert    `json:"alerts"`
	ConsoleURL  string            `json:"console_url"` // "" without a console
	CreatedAt   time.Time         `json:"created_at"`
	Test        bool              `json:"test"`
	// Part and Parts number this message among those its group was split
	// into (notify.Message.Part): 1 and 1 for a group sent whole.
	Part  int `json:"part"`
	Parts int `json:"parts"`
}

// NewBody is n's body.
func NewBody(n *notify.Notification) Body {
	m := &n.Message
	b := Body{
		Version: Version, ID: n.ID, Integration: n.Integration, Receiver: m.Receiver, GroupKey: m.GroupKey,
		GroupLabels: m.GroupLabels, Status: m.Status, Title: m.Title(), Alerts: m.Alerts,
		ConsoleURL: m.ConsoleURL, CreatedAt: m.CreatedAt.UTC(), Test: m.Test, Part: max(m.Part, 1), Parts: max(m.Parts, 1),
	}
	if b.GroupLabels == nil {
		b.GroupLabels = map[string]string{}
	}
	if b.Alerts == nil {
		b.Alerts = []notify.Alert{}
	}
	return b
}

// Send posts n's body. Every attempt carries the same X-Homesoc-Delivery
// (the far end drops a delivery it has seen) and a fresh timestamp, signed
// with the body when a secret is configured.
func (r *Receiver) Send(ctx context.Context, n *notify.Notification) error {
	what := "webhook " + r.integration
	body, err := json.Marshal(NewBody(n))
	if err != nil {
		return notify.Permanent(fmt.Errorf("%s: encode body: %w", what, err))
	}
	h := http.Header{}
	for k, v := range r.headers {
		h.Set(k, v.Reveal())
	}
	ts := strconv.FormatInt(r.o.Clock().Unix(), 10)
	h.Set(HeaderDelivery, n.ID)
	h.Set(HeaderTimestamp, ts)
	if r.secret != "" {
		h.Set(HeaderSignature, Sign([]byte(r.secret.Reveal()), ts, body))
	}
	// The answer must not get a secret into an error: the URL, the HMAC
	// secret, the header values (and the signature, made of the secret).
	secrets := append(notify.URLSecrets(r.url.Reveal()), r.secret.Reveal(), h.Get(HeaderSignature))
	for _, v := range r.headers {
		secrets = append(secrets, v.Reveal())
	}
	_, err = notify.PostJSON(ctx, r.o, what, r.url.Reveal(), h, body, secrets...)
	return err
}

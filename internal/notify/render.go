package notify

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// What the HTTP receivers (pagerduty, slack, webhook, alertmanager) share:
// how they post a body and how they say who stood behind an alert.

// maxAnswer bounds how much of a receiver's answer is read: enough for its
// reason, never a whole page.
const maxAnswer = 4096

// PostJSON posts body as JSON to target for the receiver what names
// ("slack team-chat/slack/0"), with User-Agent "homesoc/"+o.Version and the
// extra headers (set first, so they cannot replace Content-Type or
// User-Agent), and classifies the answer with HTTPError. It returns the
// start of the answer's body on success. A transport error (a refused
// connection, a time-out) is returned unclassified, so it is retried, with
// the URL removed: *url.Error quotes the URL, which may hold a token. Any
// of secrets the answer quotes (a server echoing the request) is replaced
// by "<secret>" before the error quotes it.
func PostJSON(ctx context.Context, o Options, what, target string, header http.Header, body []byte, secrets ...string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		// NewRequest quotes the URL too: say only that it is bad.
		return nil, Permanent(fmt.Errorf("%s: bad url", what))
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "homesoc/"+o.Version)
	resp, err := o.HTTPClient().Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: post: %w", what, stripURL(err))
	}
	defer resp.Body.Close()
	answer, rerr := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	answer = redact(answer, secrets)
	if herr := HTTPError(what, resp, answer, o.Clock()); herr != nil {
		return answer, herr
	}
	if rerr != nil {
		return nil, fmt.Errorf("%s: read answer: %w", what, stripURL(rerr))
	}
	return answer, nil
}

// stripURL unwraps the *url.Error that http.Client.Do returns, keeping what
// went wrong ("dial tcp 127.0.0.1:9: connect: connection refused") without
// the URL it was sent to.
func stripURL(err error) error {
	for {
		ue, ok := err.(*url.Error)
		if !ok || ue.Err == nil {
			return err
		}
		err = ue.Err
	}
}

// URLSecrets are the forms in which a secret URL (Slack's, a webhook's)
// may come back in an answer: whole, its path and query as a server sees
// them, its path, and the password of its user info. Pass them to PostJSON.
func URLSecrets(raw string) []string {
	out := []string{raw}
	u, err := url.Parse(raw)
	if err != nil {
		return out
	}
	if p := u.RequestURI(); len(p) > 1 {
		out = append(out, p)
	}
	if len(u.Path) > 1 {
		out = append(out, u.Path)
	}
	if u.User != nil {
		if pw, ok := u.User.Password(); ok {
			out = append(out, pw)
		}
	}
	return out
}

// redact replaces every non-empty secret in b by "<secret>".
func redact(b []byte, secrets []string) []byte {
	for _, s := range secrets {
		if s != "" {
			b = bytes.ReplaceAll(b, []byte(s), []byte("<secret>"))
		}
	}
	return b
}

// IdentityDetails are who stood behind the alert, by name, for the
// receivers that carry structured details (PagerDuty's custom_details):
// user, host, device, hostname and the attribution status; empty values
// are left out.
func (a *Alert) IdentityDetails() map[string]string {
	out := map[string]string{}
	put := func(k, v string) {
		if v != "" && out[k] == "" {
			out[k] = v
		}
	}
	put("user", a.Labels["user"])
	put("host", a.Labels["host"])
	put("device", a.Labels["device"])
	put("device", a.Labels["device_id"])
	put("hostname", a.Labels["hostname"])
	if id := a.Identity; id != nil {
		put("status", id.Status)
		if len(id.Candidates) == 1 {
			c := id.Candidates[0]
			put("user", c.User)
			put("user", c.Owner)
			put("device", c.DeviceID)
			put("hostname", c.Hostname)
		}
		if id.Addr.IsValid() {
			put("address", id.Addr.String())
		}
	}
	return out
}

// StateLine says the alert's state and what changed, with the latest
// transition's author, time and comment when there is one: "acknowledged
// (acknowledged by anna at 2026-11-28T02:09:00Z: on it)".
func (a *Alert) StateLine() string {
	s := a.State
	if a.Change != "" && a.Change != ChangeNone && a.Change != a.State {
		s += ", " + a.Change
	}
	if t := a.Last; t != nil {
		s += fmt.Sprintf(" (%s by %s at %s", t.State, t.Author, t.At.UTC().Format(time.RFC3339))
		if t.Comment != "" {
			s += ": " + t.Comment
		}
		s += ")"
	}
	return s
}

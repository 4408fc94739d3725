package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// masked is what every output prints in place of a secret.
const masked = "<secret>"

// Secret is a value that must never be printed: routing keys, tokens,
// passwords, HMAC secrets. Every way of printing it (fmt verbs, JSON, YAML)
// gives "<secret>", or "" when it is empty; only Reveal gives the value, for
// the code that sends it.
type Secret string

// Reveal returns the secret's value, for the code that must send it.
func (s Secret) Reveal() string { return string(s) }

// String returns "<secret>", or "" for an empty secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return masked
}

// Format prints the secret as String does for every verb, %#v included.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", s.String())
		return
	}
	fmt.Fprint(f, s.String())
}

// GoString returns "<secret>" so %#v cannot show the value.
func (s Secret) GoString() string { return s.String() }

// MarshalJSON writes the masked value.
func (s Secret) MarshalJSON() ([]byte, error) { return jsonString(s.String()) }

// MarshalYAML writes the masked value.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// MarshalText writes the masked value, for encoders (slog among them)
// that use it.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// SecretURL is a URL that carries a secret (a token in its path or query,
// as Slack's and most webhook URLs do): it is checked like URL and printed
// like Secret.
type SecretURL struct{ Secret }

// URL is an absolute http or https URL.
type URL string

// checkURL says what is wrong with s as an http or https URL; "" when
// nothing. It never quotes s, which may hold a secret.
func checkURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "is not a URL"
	case u.Scheme != "http" && u.Scheme != "https":
		return "must start with http:// or https://"
	case u.Host == "":
		return "has no host"
	}
	return ""
}

// StoreURL is the store's URL (see --store): a ClickHouse URL may hold a
// password, which every output masks as "<secret>".
type StoreURL string

// String returns the URL with any password masked.
func (s StoreURL) String() string {
	u, err := url.Parse(string(s))
	if err != nil || u.User == nil {
		return string(s)
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), masked)
	}
	out, _ := url.PathUnescape(u.String())
	return out
}

// Format prints the URL as String does for every verb.
func (s StoreURL) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", s.String())
		return
	}
	fmt.Fprint(f, s.String())
}

// MarshalJSON writes the URL with any password masked.
func (s StoreURL) MarshalJSON() ([]byte, error) { return jsonString(s.String()) }

// MarshalYAML writes the URL with any password masked.
func (s StoreURL) MarshalYAML() (any, error) { return s.String(), nil }

// Reveal returns the URL as written, for opening the store.
func (s StoreURL) Reveal() string { return string(s) }

// jsonString encodes s as a JSON string without escaping < > &, so that
// "<secret>" reads as itself.
func jsonString(s string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// String is the URL with the password of its user information (as
// http://admin:PASSWORD@host/) printed as <secret>: an Alertmanager behind
// basic auth takes it so.
func (u URL) String() string {
	p, err := url.Parse(string(u))
	if err != nil || p.User == nil {
		return string(u)
	}
	if _, ok := p.User.Password(); !ok {
		return string(u)
	}
	p.User = url.UserPassword(p.User.Username(), "PASSWORD")
	return strings.Replace(p.String(), ":PASSWORD@", ":"+masked+"@", 1)
}

// MarshalJSON writes the URL as String does.
func (u URL) MarshalJSON() ([]byte, error) { return jsonString(u.String()) }

// MarshalYAML writes the URL as String does.
func (u URL) MarshalYAML() (any, error) { return u.String(), nil }

package email

import (
	"errors"
	"fmt"
	"net/smtp"
	"strings"
)

// plainAuth is AUTH PLAIN (RFC 4616); it refuses a connection without
// TLS. net/smtp's PlainAuth would do, but it also insists that the server
// name match the smarthost's, which tls_config.server_name may change.
type plainAuth struct{ identity, username, password string }

func (a *plainAuth) Start(s *smtp.ServerInfo) (string, []byte, error) {
	if !s.TLS {
		return "", nil, errors.New("AUTH PLAIN refused: the connection is not encrypted")
	}
	return "PLAIN", []byte(a.identity + "\x00" + a.username + "\x00" + a.password), nil
}

func (a *plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected AUTH PLAIN challenge")
	}
	return nil, nil
}

// loginAuth is AUTH LOGIN, which Microsoft's and many NAS relays offer
// alone.
type loginAuth struct{ username, password string }

func (a *loginAuth) Start(*smtp.ServerInfo) (string, []byte, error) { return "LOGIN", nil, nil }

func (a *loginAuth) Next(challenge []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	switch strings.ToLower(strings.TrimSpace(string(challenge))) {
	case "username:", "user name", "username":
		return []byte(a.username), nil
	case "password:", "password":
		return []byte(a.password), nil
	}
	return nil, fmt.Errorf("unexpected AUTH LOGIN challenge %q", challenge)
}

package email

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/textproto"

	"github.com/homesoc/homesoc/internal/notify"
)

// errorf wraps err from step ("RCPT TO:<anna@example.org>") and classifies
// it: SMTP 4xx replies and connection failures are retried (421, 450, 451
// and 452 among them: the server is busy or out of room); 5xx replies are
// permanent, 535 with a hint at the credentials; a certificate that does
// not verify is permanent too, with a hint at tls_config.
func (r *Receiver) errorf(err error, step string, args ...any) error {
	what := fmt.Sprintf("email %s: %s", r.integration, fmt.Sprintf(step, args...))
	var te *textproto.Error
	if errors.As(err, &te) {
		e := fmt.Errorf("%s: smtp server %s replied %d %s", what, r.smarthost, te.Code, te.Msg)
		switch {
		case te.Code == 535 || te.Code == 534:
			return notify.Permanent(fmt.Errorf("%s: authentication failed: check auth_username and auth_password", e))
		case te.Code >= 500:
			return notify.Permanent(e)
		}
		return e // 4xx: try again later
	}
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	if errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) {
		return notify.Permanent(fmt.Errorf("%s: %w (trust the server's CA with tls_config.ca_file, or name it with tls_config.server_name)", what, err))
	}
	return fmt.Errorf("%s: %w", what, err)
}

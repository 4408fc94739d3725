package email

import (
	"bytes"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/notify"
)

// maxSubject bounds the Subject header's text.
const maxSubject = 400

// subject is the Subject header's value: the title Q-encoded when it is not
// plain ASCII, its encoded words (at most 75 bytes each) folded one per
// line, so that no line passes RFC 5322's 998 bytes.
func subject(title string) string {
	return strings.ReplaceAll(mime.QEncoding.Encode("utf-8", notify.Cut(title, maxSubject)), "?= =?", "?=\r\n =?")
}

// Render is n as an RFC 5322 message with CRLF line ends: headers, then a
// multipart/alternative body of a text/plain and a text/html part, both
// UTF-8 and quoted-printable. It depends on n alone (its Date is the
// message's CreatedAt, its boundary and Message-ID come from n.ID), so a
// retry sends the very same bytes.
func Render(n *notify.Notification, from *mail.Address, to []*mail.Address) ([]byte, error) {
	v := newView(n)
	html, err := renderHTML(v)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	boundary := "=_homesoc_" + strings.ReplaceAll(n.ID, "-", "")
	if err := mw.SetBoundary(boundary); err != nil {
		return nil, fmt.Errorf("boundary from notification id %q: %w", n.ID, err)
	}

	var tos []string
	for _, a := range to {
		tos = append(tos, a.String())
	}
	h := [][2]string{
		{"From", from.String()},
		{"To", strings.Join(tos, ", ")},
		{"Subject", subject(v.Title)},
		{"Date", n.Message.CreatedAt.UTC().Format(time.RFC1123Z)},
		{"Message-ID", "<" + n.ID + "@" + domain(from.Address) + ">"},
		{"X-Homesoc-Delivery", n.ID},
		{"Auto-Submitted", "auto-generated"}, // RFC 3834: no vacation replies
		{"MIME-Version", "1.0"},
		{"Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": boundary})},
	}
	var out bytes.Buffer
	for _, kv := range h {
		out.WriteString(kv[0] + ": " + kv[1] + "\r\n")
	}
	out.WriteString("\r\n")

	for _, p := range []struct{ typ, body string }{{"text/plain", renderText(v)}, {"text/html", html}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {p.typ + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(w)
		if _, err := qp.Write([]byte(p.body)); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	out.Write(buf.Bytes())
	return out.Bytes(), nil
}

// domain is the part of addr after its last "@" ("homesoc" for none): the
// right-hand side of the Message-ID.
func domain(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 && i+1 < len(addr) {
		return addr[i+1:]
	}
	return "homesoc"
}

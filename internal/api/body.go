package api

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// errTooLarge is the error of a body past its limit.
type errTooLarge struct{ limit int64 }

func (e errTooLarge) Error() string {
	return fmt.Sprintf("request body larger than %d bytes (after gzip decoding): send it in smaller parts", e.limit)
}

// bodyError is a failure to read the client's body (a broken gzip stream,
// a connection that broke): the client's fault, 400.
type bodyError struct{ error }

func (e bodyError) Unwrap() error { return e.error }

// limit is the body limit of a route: MaxBody, else def.
func (s *server) limit(def int64) int64 {
	if s.MaxBody > 0 {
		return s.MaxBody
	}
	return def
}

// body returns r's body decoded (Content-Encoding gzip or identity) and
// cut at limit bytes after decoding, in whole lines when lines: a body
// past the limit ends at the last line break before it, then fails with
// errTooLarge, so no line is cut short and stored in part. Any other
// read failure is a bodyError.
func body(r *http.Request, limit int64, lines bool) (io.Reader, error) {
	var rd io.Reader = r.Body
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			if errors.Is(err, io.EOF) { // an empty body
				return bytes.NewReader(nil), nil
			}
			return nil, bodyError{fmt.Errorf("gzip: %w", err)}
		}
		rd = zr
	default:
		return nil, unsupported{fmt.Errorf("Content-Encoding %q: only gzip is accepted", enc)}
	}
	if lines {
		return &lineLimit{r: rd, left: limit, limit: limit, buf: make([]byte, 0, lineBuf)}, nil
	}
	return &byteLimit{r: rd, left: limit, limit: limit}, nil
}

// unsupported is a body in an encoding or media type the route does not
// take: 415.
type unsupported struct{ error }

// lineBuf is how much lineLimit holds back at most: a line longer than
// this passes through whole, as the pipeline rejects lines over 1 MiB.
const lineBuf = 1<<20 + 64<<10

// byteLimit reads r until limit bytes, then fails with errTooLarge.
type byteLimit struct {
	r           io.Reader
	left, limit int64
}

func (b *byteLimit) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, errTooLarge{b.limit}
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.r.Read(p)
	if int64(n) > b.left {
		n, b.left = int(b.left), -1
		return n, errTooLarge{b.limit}
	}
	b.left -= int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		err = bodyError{err}
	}
	return n, err
}

// lineLimit reads r in whole lines until limit bytes; past the limit it
// drops the line in progress and fails with errTooLarge.
type lineLimit struct {
	r           io.Reader
	left, limit int64
	buf         []byte // read from r, not yet returned
	ready       int    // buf[:ready] ends at a line break (or passes whole)
	err         error
}

func (l *lineLimit) Read(p []byte) (int, error) {
	for l.ready == 0 {
		if l.err != nil {
			return 0, l.err
		}
		l.fill()
	}
	n := copy(p, l.buf[:l.ready])
	l.buf = l.buf[:copy(l.buf, l.buf[n:])]
	l.ready -= n
	return n, nil
}

// fill reads once from r and moves ready to the last line break.
func (l *lineLimit) fill() {
	if len(l.buf) == cap(l.buf) { // one line fills the buffer: pass it on
		l.ready = len(l.buf)
		return
	}
	room := l.buf[len(l.buf):cap(l.buf)]
	if int64(len(room)) > l.left+1 {
		room = room[:l.left+1]
	}
	n, err := l.r.Read(room)
	if int64(n) > l.left {
		// Past the limit: keep the whole lines within it, drop the rest.
		l.buf = l.buf[:len(l.buf)+int(l.left)]
		l.left = -1
		l.ready = bytes.LastIndexByte(l.buf, '\n') + 1
		l.buf = l.buf[:l.ready]
		l.err = errTooLarge{l.limit}
		return
	}
	l.left -= int64(n)
	l.buf = l.buf[:len(l.buf)+n]
	switch {
	case errors.Is(err, io.EOF):
		l.ready, l.err = len(l.buf), io.EOF
	case err != nil:
		// The body broke off: its last line may be cut, so it goes.
		l.ready = bytes.LastIndexByte(l.buf, '\n') + 1
		l.buf = l.buf[:l.ready]
		l.err = bodyError{err}
	default:
		l.ready = bytes.LastIndexByte(l.buf, '\n') + 1
	}
}

// errEmptyBody is decodeJSON's error for a body with no JSON value.
var errEmptyBody = badRequest{errors.New("empty body: want a JSON object")}

// decodeJSON reads r's body, at most limit bytes, as one JSON value into
// v; unknown fields are errors, as in the config.
func decodeJSON(r *http.Request, limit int64, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return unsupported{fmt.Errorf("Content-Type %q: want application/json", ct)}
		}
	}
	rd, err := body(r, limit, false)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(rd)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tl errTooLarge
		if errors.As(err, &tl) {
			return tl
		}
		if errors.Is(err, io.EOF) {
			return errEmptyBody
		}
		return bad("body: %w", err)
	}
	if dec.More() {
		return bad("body: more than one JSON value")
	}
	return nil
}

// bodyStatus is the reply status of an error reading a body.
func bodyStatus(err error) int {
	switch {
	case errors.As(err, new(errTooLarge)):
		return http.StatusRequestEntityTooLarge
	case errors.As(err, new(unsupported)):
		return http.StatusUnsupportedMediaType
	case errors.As(err, new(bodyError)), errors.As(err, new(badRequest)):
		return http.StatusBadRequest
	}
	return 0
}

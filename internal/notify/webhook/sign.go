package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// signaturePrefix names the signature scheme, so that a later one can sit
// beside it in the same header.
const signaturePrefix = "v1="

// DefaultTolerance is how old a delivery's timestamp Verify should accept:
// a captured request replayed later than this is rejected.
const DefaultTolerance = 5 * time.Minute

// Sign is the X-Homesoc-Signature of body sent at timestamp (unix seconds,
// as in X-Homesoc-Timestamp): "v1=" + hex(HMAC-SHA256(secret, timestamp +
// "." + body)). Signing the timestamp with the body is what makes a replay
// detectable: changing it breaks the signature.
func Sign(secret []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	return signaturePrefix + hex.EncodeToString(mac.Sum(nil))
}

// Errors of Verify.
var (
	ErrSignature = errors.New("webhook: signature does not match")
	ErrTimestamp = errors.New("webhook: timestamp outside the tolerance")
)

// Verify checks a delivery as its receiver gets it: the X-Homesoc-Timestamp
// and X-Homesoc-Signature headers and the raw body. It fails with
// ErrSignature when the signature was not made with secret over this
// timestamp and body, and with ErrTimestamp when the timestamp is more than
// tolerance away from now (a replay, or a clock far off). Receivers should
// also drop a X-Homesoc-Delivery id they have already handled: a retry
// carries the same id with a new timestamp.
func Verify(secret []byte, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q is not unix seconds", ErrTimestamp, timestamp)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: %s old, tolerance %s", ErrTimestamp, d.Round(time.Second), tolerance)
	}
	if !strings.HasPrefix(signature, signaturePrefix) {
		return fmt.Errorf("%w: no %q scheme", ErrSignature, strings.TrimSuffix(signaturePrefix, "="))
	}
	// Compare in constant time, so response times do not leak how much of
	// a forged signature was right.
	if !hmac.Equal([]byte(signature), []byte(Sign(secret, timestamp, body))) {
		return ErrSignature
	}
	return nil
}

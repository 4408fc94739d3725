package email

import (
	"mime"
	"strings"
	"testing"
)

// TestSubjectFolded: a long non-ASCII title becomes encoded words, one per
// line, none near RFC 5322's 998-byte limit, that decode to the title cut
// at maxSubject.
func TestSubjectFolded(t *testing.T) {
	title := strings.Repeat("Zugriff auf Gerät ", 30) // 570 bytes, with ä
	s := subject(title)
	for _, line := range strings.Split(s, "\r\n") {
		if len(line) > 78 {
			t.Errorf("line of %d bytes: %q", len(line), line)
		}
	}
	got, err := new(mime.WordDecoder).DecodeHeader(strings.ReplaceAll(s, "\r\n", ""))
	if err != nil || got != title[:maxSubject-3]+"..." {
		t.Errorf("decoded %q, %v", got, err)
	}
}

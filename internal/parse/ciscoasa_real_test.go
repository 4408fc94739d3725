package parse

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/homesoc/homesoc/internal/event"
)

// TestCiscoASARealLogs runs the parser over the real ASA/FTD samples: no
// line may be rejected (the folder's README calls none truncated). With -v
// it logs what became of each file's lines and why lines were skipped.
func TestCiscoASARealLogs(t *testing.T) {
	dir := filepath.Join(realLogs, "cisco-asa")
	files, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("no " + dir)
	}
	if err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	table.WriteString("\n| file | read | network events | VPN facts | skipped | rejected |\n|---|---|---|---|---|---|\n")
	for _, f := range files {
		name := f.Name()
		if !strings.HasSuffix(name, ".log") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		fi, err := f.Info()
		if err != nil {
			t.Fatal(err)
		}
		p := newCiscoASAParser(Options{ModTime: fi.ModTime()})
		var read, stored, vpn, skipped, rejected int
		skips := map[string]int{}
		for i, line := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
			read++
			var ev event.Network
			err := p.Parse(line, &ev)
			switch {
			case errors.Is(err, ErrExtraOnly):
				vpn += len(p.Extra().VPNSessions)
			case errors.Is(err, ErrSkip):
				skipped++
				skips[err.Error()]++
			case err != nil:
				rejected++
				t.Errorf("%s line %d rejected: %v\n%s", name, i+1, err, line)
			default:
				stored++
				checkInvariants(t, ciscoASAName, line, &ev)
			}
		}
		table.WriteString("| " + name + " | " + strconv.Itoa(read) + " | " + strconv.Itoa(stored) + " | " + strconv.Itoa(vpn) + " | " + strconv.Itoa(skipped) + " | " + strconv.Itoa(rejected) + " |\n")
		for r, n := range skips {
			table.WriteString(name + " skipped " + strconv.Itoa(n) + ": " + r + "\n")
		}
	}
	t.Log(table.String())
}

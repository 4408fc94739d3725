package feeds

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/homesoc/homesoc/internal/config"
)

// State is what is kept of a feed between fetches, in
// <data>/feeds/state.json.
type State struct {
	// Source identifies the url and format the validators below belong
	// to (a hash: a url may carry a token); another url or format starts
	// over with an unconditional GET.
	Source       string `json:"source,omitempty"`
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	// LastAttempt and LastSuccess are the times of the last fetch and the
	// last one that worked (a 304 works).
	LastAttempt time.Time `json:"last_attempt"`
	LastSuccess time.Time `json:"last_success"`
	// Failures counts the fetches that failed since the last success.
	Failures  int    `json:"failures"`
	LastError string `json:"last_error,omitempty"`
	// NextDue is when the scheduler fetches the feed next.
	NextDue time.Time `json:"next_due"`
	// Active is how many of the feed's indicators were active after its
	// last load.
	Active int `json:"active"`
}

// sourceOf is the Source of f's state.
func sourceOf(f config.Feed) string {
	h := sha256.Sum256([]byte(string(f.URL) + "\n" + f.Format))
	return hex.EncodeToString(h[:8])
}

// StatePath is the file of the feeds' states in data directory dir.
func StatePath(dir string) string { return filepath.Join(dir, "feeds", "state.json") }

// stateFile is the JSON document of the state file.
type stateFile struct {
	Feeds map[string]State `json:"feeds"`
}

// ReadState reads the feeds' states from path; a missing file is no state.
func ReadState(path string) (map[string]State, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]State{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("feed state: %w", err)
	}
	var sf stateFile
	if err := json.Unmarshal(b, &sf); err != nil {
		return nil, fmt.Errorf("feed state %s: %w (delete it to start over: every feed is then fetched in full)", path, err)
	}
	if sf.Feeds == nil {
		sf.Feeds = map[string]State{}
	}
	return sf.Feeds, nil
}

// WriteState writes the feeds' states to path atomically (a new file
// renamed over the old), creating its directory.
func WriteState(path string, states map[string]State) error {
	b, err := json.MarshalIndent(stateFile{Feeds: states}, "", "  ")
	if err != nil {
		return fmt.Errorf("feed state: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("feed state: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".state-*.json")
	if err != nil {
		return fmt.Errorf("feed state: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename, there is none
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("feed state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("feed state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("feed state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("feed state: %w", err)
	}
	return nil
}

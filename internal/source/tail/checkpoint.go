package tail

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// headLen is how many of a file's first bytes make its fingerprint: with
// the device and inode, they tell a file from a later one that got the same
// inode.
const headLen = 256

// fileID is a file's device and inode.
type fileID struct {
	Dev uint64 `json:"dev"`
	Ino uint64 `json:"inode"`
}

// head is a fingerprint: the hash of a file's first Len bytes (Len <
// headLen while the file is shorter).
type head struct {
	Len int    `json:"head_len"`
	Sum string `json:"head_sha256"`
}

func headOf(b []byte) head {
	s := sha256.Sum256(b)
	return head{Len: len(b), Sum: hex.EncodeToString(s[:])}
}

// readHead returns the first n bytes of f, fewer if f is shorter.
func readHead(f *os.File, n int) ([]byte, error) {
	b := make([]byte, n)
	k, err := f.ReadAt(b, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return b[:k], nil
}

// matches reports whether f still starts with the bytes h was made of.
func (h head) matches(f *os.File) (bool, error) {
	b, err := readHead(f, h.Len)
	if err != nil {
		return false, err
	}
	return len(b) == h.Len && headOf(b).Sum == h.Sum, nil
}

// checkpoint is where a file's stored lines end.
type checkpoint struct {
	Path string `json:"path"`
	fileID
	head
	// Offset is the first byte not yet confirmed stored; it is always at
	// a line's start.
	Offset int64 `json:"offset"`
}

// checkpointFile is the JSON the checkpoints are kept in.
type checkpointFile struct {
	Version int          `json:"version"`
	Files   []checkpoint `json:"files"`
}

// decodeCheckpoints reads a checkpoint file's data.
func decodeCheckpoints(data []byte) ([]checkpoint, error) {
	var cf checkpointFile
	if err := json.Unmarshal(data, &cf); err != nil {
		return nil, err
	}
	if cf.Version != 1 {
		return nil, fmt.Errorf("version %d, want 1", cf.Version)
	}
	for _, c := range cf.Files {
		if c.Offset < 0 || c.head.Len < 0 || c.head.Len > headLen || len(c.Sum) != 2*sha256.Size {
			return nil, fmt.Errorf("%s: a bad offset or fingerprint", c.Path)
		}
	}
	return cf.Files, nil
}

// loadCheckpoints reads the checkpoint file at path; a missing file is
// none.
func loadCheckpoints(path string) ([]checkpoint, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tail checkpoints: %w", err)
	}
	cs, err := decodeCheckpoints(data)
	if err != nil {
		return nil, fmt.Errorf("tail checkpoints %s: %w (remove the file to read every file from its start again)", path, err)
	}
	return cs, nil
}

// saveCheckpoints writes cs to path atomically: a crash leaves the old file
// or the new one, never a mix.
func saveCheckpoints(path string, cs []checkpoint) error {
	data, err := json.MarshalIndent(checkpointFile{Version: 1, Files: cs}, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("tail checkpoints: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	_, err = tmp.Write(append(data, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("tail checkpoints %s: %w", path, err)
	}
	// The rename lasts once the directory is synced.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

func sortCheckpoints(cs []checkpoint) {
	slices.SortFunc(cs, func(a, b checkpoint) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return cmp.Compare(a.Ino, b.Ino)
	})
}

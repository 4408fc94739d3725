package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/homesoc/homesoc/internal/source/tail"
)

// sources are serve's running sources.
type sources struct {
	wg      sync.WaitGroup
	tailers []*tail.Tailer
}

// startSources starts the sources of the config and the flags, feeding
// s.in, until ctx ends; wait returns when each has handed on what it read.
func (s *server) startSources(ctx context.Context) (*sources, error) {
	src := &sources{}
	for i, fs := range s.e.cfg.Serve.Files {
		paths := make([]string, len(fs.Paths))
		for j, p := range fs.Paths {
			paths[j] = s.e.abs(p)
		}
		t, err := tail.New(tail.Config{Paths: paths, Format: fs.Format, Logger: s.log.With("source", "files"),
			Checkpoints: filepath.Join(s.e.dataDir, "tail-"+pathsKey(paths)+".json")}, s.in)
		if err != nil {
			return nil, fmt.Errorf("serve.files %d: %w", i+1, err)
		}
		src.tailers = append(src.tailers, t)
		src.run(ctx, s, "files "+strings.Join(paths, " "), t.Run)
		s.log.Info("tailing", "paths", paths, "format", fs.Format)
	}
	return src, nil
}

// run runs a source until ctx ends, logging how it failed.
func (src *sources) run(ctx context.Context, s *server, name string, run func(context.Context) error) {
	src.wg.Go(func() {
		if err := run(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("source stopped", "source", name, "err", err)
		}
	})
}

// wait waits for every source to return.
func (src *sources) wait() { src.wg.Wait() }

// pathsKey names the checkpoint file of a set of tailed paths: a config
// that lists the same paths finds the same checkpoints.
func pathsKey(paths []string) string {
	h := sha256.Sum256([]byte(strings.Join(paths, "\x00")))
	return hex.EncodeToString(h[:6])
}

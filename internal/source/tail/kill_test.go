//go:build unix

package tail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/source"
)

// killChildEnv makes the test binary a tailing child: it follows
// $dir/app.log into $dir/out until it is killed.
const killChildEnv = "HOMESOC_TAIL_KILL_CHILD"

const (
	killLines    = 20000
	killBatch    = 50
	killInFlight = 4
)

// TestKill9 kills a tailing process with SIGKILL three times while a
// writer appends to its file, and starts it again each time: every line
// reaches the sink, and a line reaches it twice only if it was in a batch
// handed on and not yet checkpointed at the kill (the store's event ids
// make those harmless).
func TestKill9(t *testing.T) {
	if dir := os.Getenv(killChildEnv); dir != "" {
		killChild(dir)
		return
	}
	dir := t.TempDir()
	log, out := filepath.Join(dir, "app.log"), filepath.Join(dir, "out")
	writerDone := make(chan error, 1)
	go func() {
		f, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			writerDone <- err
			return
		}
		defer f.Close()
		var b bytes.Buffer
		for i := 0; i < killLines; i++ {
			fmt.Fprintf(&b, "line %05d\n", i)
			if i%200 == 199 {
				if _, err := f.Write(b.Bytes()); err != nil {
					writerDone <- err
					return
				}
				b.Reset()
				time.Sleep(3 * time.Millisecond)
			}
		}
		writerDone <- nil
	}()

	deadline := time.Now().Add(9 * time.Second)
	kills := 0
	for kills < 3 {
		cmd := startChild(t, dir)
		before := len(outLines(t, out))
		for len(outLines(t, out)) < before+2000 {
			if time.Now().After(deadline) {
				t.Fatalf("the child handed on %d lines since its start, want 2000", len(outLines(t, out))-before)
			}
			time.Sleep(time.Millisecond)
		}
		if err := syscall.Kill(cmd.Process.Pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("child: %v, want killed by SIGKILL", err)
		}
		kills++
	}
	if err := <-writerDone; err != nil {
		t.Fatal(err)
	}
	cmd := startChild(t, dir)
	seen := map[string]int{}
	for {
		lines := outLines(t, out)
		clear(seen)
		for _, l := range lines {
			seen[l]++
		}
		if len(seen) >= killLines {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d distinct lines reached the sink, want %d", len(seen), killLines)
		}
		time.Sleep(2 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	dups := 0
	for i := 0; i < killLines; i++ {
		n := seen[fmt.Sprintf("line %05d", i)]
		if n == 0 {
			t.Errorf("line %05d lost", i)
		}
		dups += max(n-1, 0)
	}
	if len(seen) != killLines {
		t.Errorf("%d distinct lines, want %d: the sink got lines never written", len(seen), killLines)
	}
	// A kill repeats at most the batches in flight: a confirmation returns
	// once its checkpoint is on disk.
	if limit := 3 * killInFlight * killBatch; dups > limit {
		t.Errorf("%d lines handed on twice over 3 kills, want at most %d", dups, limit)
	}
	t.Logf("%d lines, 3 kills: %d handed on twice", killLines, dups)
}

// startChild runs this test binary as a tailing child of dir.
func startChild(t *testing.T, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9$")
	cmd.Env = append(os.Environ(), killChildEnv+"="+dir)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}

// outLines is the complete lines of the child's output.
func outLines(t *testing.T, path string) []string {
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
		return strings.Split(string(data[:i]), "\n")
	}
	return nil
}

// killChild tails dir/app.log into dir/out for at most 20 s.
func killChild(dir string) {
	out, err := os.OpenFile(filepath.Join(dir, "out"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		panic(err)
	}
	s := &fileSink{out: out, q: make(chan fileBatch, 2)}
	go s.work()
	tl, err := New(Config{
		Paths:       []string{filepath.Join(dir, "app.log")},
		Checkpoints: filepath.Join(dir, "cp.json"),
		Poll:        5 * time.Millisecond,
		BatchLines:  killBatch,
		InFlight:    killInFlight,
	}, s)
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := tl.Run(ctx); err != nil {
		panic(err)
	}
}

// fileSink writes every batch's lines to out, from its own goroutine, then
// confirms it: the pipeline's shape, with a file for a store.
type fileSink struct {
	out *os.File
	q   chan fileBatch
}

type fileBatch struct {
	recs []source.Record
	done func(error)
}

func (s *fileSink) Submit(ctx context.Context, recs []source.Record, done func(error)) error {
	select {
	case s.q <- fileBatch{recs, done}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *fileSink) Offer([]source.Record) bool { panic("tail never offers") }

func (s *fileSink) work() {
	var b []byte
	for fb := range s.q {
		b = b[:0]
		for _, r := range fb.recs {
			b = append(append(b, r.Line...), '\n')
		}
		_, err := s.out.Write(b)
		fb.done(err)
	}
}

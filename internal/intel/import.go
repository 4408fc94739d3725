package intel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/store"
)

// ImportStore is what importing a feed needs of the store.
type ImportStore interface {
	WriteRejects(ctx context.Context, rs []event.Reject) error
	WriteIndicators(ctx context.Context, ins []event.Indicator) (store.IndicatorCounts, error)
}

// Imported says what Import did with one feed file.
type Imported struct {
	LoadResult
	// Rejects are the rejected entries as the store keeps them.
	Rejects []event.Reject
	// Written is what writing the indicators did.
	Written store.IndicatorCounts
}

// Import loads one feed file of format from r into st: every entry that is
// an indicator is written, every rejected one kept in the dead-letter table
// with its reason and its bytes, whatever they are (source names the file
// there). A feed the loader cannot read to its end (a BrokenError: broken
// JSON syntax) keeps what it loaded before the break, and the break itself is
// kept as a reject with its reason and no bytes. Only a failure to read r (then
// nothing of the file is written) or to write to st is an error.
func Import(ctx context.Context, st ImportStore, format, source string, r io.Reader, opts LoadOptions) (Imported, error) {
	opts = opts.withDefaults(format)
	er := &errReader{r: r}
	res, err := Load(format, er, opts)
	if err != nil {
		broken, ok := errors.AsType[*BrokenError](err)
		if !ok || er.err != nil {
			return Imported{}, fmt.Errorf("%s: %w", source, err)
		}
		res.Rejected = append(res.Rejected, Rejected{Line: broken.Line, Reason: err.Error() + "; the rest of the file was not read"})
	}
	imp := Imported{LoadResult: res, Rejects: rejects(res.Rejected, source, format, opts.Now)}
	if err := st.WriteRejects(ctx, imp.Rejects); err != nil {
		return Imported{}, fmt.Errorf("%s: keep rejected entries: %w", source, err)
	}
	if imp.Written, err = st.WriteIndicators(ctx, res.Indicators); err != nil {
		return Imported{}, fmt.Errorf("%s: write indicators: %w", source, err)
	}
	return imp, nil
}

// rejects turns rejected entries into the dead-letter records stores keep.
func rejects(rs []Rejected, source, format string, now time.Time) []event.Reject {
	out := make([]event.Reject, 0, len(rs))
	for _, r := range rs {
		out = append(out, event.NewReject(now, source, int64(r.Line), format, r.Reason, []byte(r.Raw)))
	}
	return out
}

// errReader passes reads through and remembers a read error, so Import can
// tell a file it could not read from a feed it could not make sense of.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		e.err = err
	}
	return n, err
}

package view

import (
	"github.com/homesoc/homesoc/internal/event"
	"github.com/homesoc/homesoc/internal/feeds"
	"github.com/homesoc/homesoc/internal/intel"
	"github.com/homesoc/homesoc/internal/pipeline"
	"github.com/homesoc/homesoc/internal/store"
)

// Query is a query's result as homesoc query --json and POST /api/v1/query
// show it: the column names and each row's values (JSONRow).
type Query struct {
	Columns []string `json:"columns"`
	Rows    [][]any  `json:"rows"`
}

// QueryOf is res as a Query.
func QueryOf(res *store.Result) Query {
	q := Query{Columns: NonNil(res.Columns), Rows: make([][]any, len(res.Rows))}
	for i, row := range res.Rows {
		q.Rows[i] = JSONRow(row)
	}
	return q
}

// EventList is what homesoc events --json shows, and GET /api/v1/events
// with its cursor: how many events the filter selects, and the events
// listed, each with every column (EventRows).
type EventList struct {
	Total  int64            `json:"total"` // events the filter selects, listed or not
	Events []map[string]any `json:"events"`
}

// EventRows is each row of res as an object of its columns, the values as
// JSONValue gives them.
func EventRows(res *store.Result) []map[string]any {
	evs := make([]map[string]any, len(res.Rows))
	for i, row := range res.Rows {
		evs[i] = make(map[string]any, len(row))
		for j, c := range res.Columns {
			evs[i][c] = JSONValue(row[j])
		}
	}
	return evs
}

// IntelLoad is what a load of threat-intel feed files did: homesoc intel
// load --json and POST /api/v1/intel.
type IntelLoad struct {
	Feed     string   `json:"feed"`
	Files    []string `json:"files"` // the files read, or the upload's source name
	Entries  int      `json:"entries"`
	Rejected int      `json:"rejected"`
	Skipped  int      `json:"skipped"`
	// SkipReasons say why well-formed entries held nothing to store.
	SkipReasons []feeds.SkipReason `json:"skip_reasons"`
	Added       int                `json:"added"`
	Updated     int                `json:"updated"`
	Unchanged   int                `json:"unchanged"`
	Hunt        intel.HuntResult   `json:"retro_hunt"`
	ElapsedS    float64            `json:"elapsed_s"`
	// FirstRejects are the first pipeline.MaxRejectSamples rejected
	// entries, as ingest and the rejects command show them; all of them are
	// in the store.
	FirstRejects []event.Reject `json:"first_rejects"`
}

// NewIntelLoad is the report of a load into feed of files, before any is
// read: its lists empty, not null.
func NewIntelLoad(feed string, files []string) IntelLoad {
	return IntelLoad{Feed: feed, Files: NonNil(files), SkipReasons: []feeds.SkipReason{}, FirstRejects: []event.Reject{}}
}

// Add counts one file's import.
func (r *IntelLoad) Add(imp intel.Imported) {
	r.Entries += len(imp.Indicators) + imp.Duplicates + len(imp.Rejected)
	r.Rejected += len(imp.Rejected)
	r.Skipped += imp.Skipped
	if len(imp.SkipReasons) > 0 {
		skips := map[string]int{}
		for _, s := range r.SkipReasons {
			skips[s.Reason] += s.Count
		}
		for reason, n := range imp.SkipReasons {
			skips[reason] += n
		}
		r.SkipReasons = feeds.SkipReasons(skips)
	}
	r.Added += imp.Written.Added
	r.Updated += imp.Written.Updated
	r.Unchanged += imp.Written.Unchanged
	r.FirstRejects = pipeline.AppendSamples(r.FirstRejects, imp.Rejects...)
}

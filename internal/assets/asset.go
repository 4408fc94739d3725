// Package assets is the inventory of the devices homesoc knows: what an
// operator imports (owner, tags, notes) and what EDRs report (host name,
// OS, MAC addresses, when last seen), merged into one record per device id.
// Attribution reads it to name a device's owner.
package assets

import (
	"slices"
	"strings"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// Asset is one device of the inventory. Its ID is the key every source
// agrees on: the EDR's host id (CrowdStrike aid, Defender DeviceId) or, for
// a device without an EDR, the inventory's own id.
type Asset struct {
	ID       string   `json:"id"`
	Hostname string   `json:"hostname"`
	MACs     []string `json:"macs"` // aa:bb:cc:dd:ee:ff, sorted
	Owner    string   `json:"owner"`
	OS       string   `json:"os"`
	Platform string   `json:"platform"`
	Tags     []string `json:"tags"` // sorted
	Serial   string   `json:"serial"`
	Location string   `json:"location"`
	Notes    string   `json:"notes"`
	// Source is where the last change came from: "import:FILE" or an
	// EDR's format (crowdstrike-fdr, defender).
	Source string `json:"source"`
	// FirstSeen and LastSeen span the records that observed the device;
	// zero when none did (an imported device no EDR reported).
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	UpdatedAt time.Time `json:"updated_at"` // when the record last changed
}

// Update is what one source says about a device: the fields it gives are
// set, those it leaves empty are kept.
type Update struct {
	Asset
	// Observed marks an EDR's record of the device at LastSeen rather than
	// an operator's statement: its MACs add to those known instead of
	// replacing them, and it changes host name, OS and platform only if it
	// is not older than the last record seen.
	Observed bool
}

// Counts says what an upsert did (or, dry, would do) with its updates.
type Counts struct {
	Added     int `json:"added"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}

// Normal is a as stores keep it: times UTC at whole seconds, MACs
// normalised, MACs and tags sorted without repeats, never nil.
func Normal(a Asset) Asset {
	a.MACs = normalMACs(a.MACs)
	a.Tags = sortedSet(a.Tags)
	a.FirstSeen, a.LastSeen, a.UpdatedAt = seconds(a.FirstSeen), seconds(a.LastSeen), seconds(a.UpdatedAt)
	return a
}

func seconds(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return event.SecondsUTC(t)
}

// Apply merges u into a and reports whether a changed; UpdatedAt is left
// to the caller.
func (a *Asset) Apply(u Update) bool {
	before := clone(*a)
	n := Normal(u.Asset)
	stale := u.Observed && !a.LastSeen.IsZero() && n.LastSeen.Before(a.LastSeen)
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	if !stale {
		set(&a.Hostname, n.Hostname)
		set(&a.OS, n.OS)
		set(&a.Platform, n.Platform)
	}
	switch {
	case u.Observed:
		a.MACs = sortedSet(append(slices.Clone(a.MACs), n.MACs...))
	case len(n.MACs) > 0:
		a.MACs = n.MACs
	}
	if !u.Observed {
		set(&a.Owner, n.Owner)
		set(&a.Serial, n.Serial)
		set(&a.Location, n.Location)
		set(&a.Notes, n.Notes)
		if len(n.Tags) > 0 {
			a.Tags = n.Tags
		}
	}
	if !n.FirstSeen.IsZero() && (a.FirstSeen.IsZero() || n.FirstSeen.Before(a.FirstSeen)) {
		a.FirstSeen = n.FirstSeen
	}
	if n.LastSeen.After(a.LastSeen) {
		a.LastSeen = n.LastSeen
	}
	if a.MACs == nil {
		a.MACs = []string{}
	}
	if a.Tags == nil {
		a.Tags = []string{}
	}
	if equal(before, *a) {
		return false
	}
	set(&a.Source, n.Source)
	return true
}

func clone(a Asset) Asset {
	a.MACs, a.Tags = slices.Clone(a.MACs), slices.Clone(a.Tags)
	return a
}

func equal(a, b Asset) bool {
	return slices.Equal(a.MACs, b.MACs) && slices.Equal(a.Tags, b.Tags) &&
		a.Hostname == b.Hostname && a.Owner == b.Owner && a.OS == b.OS && a.Platform == b.Platform &&
		a.Serial == b.Serial && a.Location == b.Location && a.Notes == b.Notes &&
		a.FirstSeen.Equal(b.FirstSeen) && a.LastSeen.Equal(b.LastSeen)
}

// Plan merges updates, in order, into the known assets (by id) and returns
// the assets that changed, each once in the order first changed, with
// UpdatedAt now, and what happened to each update: an update of an id
// neither known nor earlier in us adds it. An update without an ID is
// skipped; the importer rejects those first.
func Plan(known map[string]Asset, us []Update, now time.Time) ([]Asset, Counts) {
	var c Counts
	cur := make(map[string]*Asset, len(us))
	var order []string
	for _, u := range us {
		if u.ID == "" {
			continue
		}
		a, ok := cur[u.ID]
		if !ok {
			if k, found := known[u.ID]; found {
				k = clone(Normal(k))
				a = &k
			}
		}
		switch {
		case a == nil:
			a = &Asset{ID: u.ID}
			a.Apply(u)
			c.Added++
		case a.Apply(u):
			c.Updated++
		default:
			c.Unchanged++
			cur[u.ID] = a
			continue
		}
		cur[u.ID] = a
		a.UpdatedAt = seconds(now)
		if !slices.Contains(order, u.ID) {
			order = append(order, u.ID)
		}
	}
	out := make([]Asset, 0, len(order))
	for _, id := range order {
		out = append(out, *cur[id])
	}
	return out, c
}

// JoinList is a list of MACs or tags as the assets table's text columns
// hold it: comma-separated, as Normal sorts it.
func JoinList(xs []string) string { return strings.Join(xs, ",") }

// SplitList reverses JoinList: "" is an empty list, never nil.
func SplitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// sortedSet is xs trimmed, without empty strings and repeats, sorted,
// never nil.
func sortedSet(xs []string) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

package intel

import (
	"io"
	"strings"

	"github.com/homesoc/homesoc/internal/event"
)

// spamhausConfidence is the confidence of Spamhaus DROP and EDROP entries:
// netblocks Spamhaus found hijacked or run by criminals, which it advises
// never to route; it lists only what it has vetted.
const spamhausConfidence = 90

// LoadSpamhaus loads Spamhaus DROP or EDROP (drop.txt, edrop.txt,
// dropv6.txt): ';' comment lines, then one `CIDR ; SBLnnnnnn` entry a line.
// Each entry becomes a cidr indicator (an ip one for a /32 or /128), with
// its SBL record id (the text after ';') in Fields as "reference"; an entry
// without it is taken too. Comment and blank lines are skipped. FirstSeen and
// LastSeen are opts.Now: the list gives no times per entry. Every entry is
// active, confidence 90; Threat is empty, the SBL record says why.
func LoadSpamhaus(r io.Reader, opts LoadOptions) (LoadResult, error) {
	opts = opts.withDefaults(FormatSpamhaus)
	c := newCollector()
	lr := newLineReader(r)
	err := eachLine(lr, "spamhaus", c, true, nil, func(line []byte) {
		ind, err := spamhausEntry(string(line), opts)
		if err != nil {
			c.reject(lr.n, err.Error(), string(line))
			return
		}
		c.add(ind)
	})
	return c.res, err
}

// spamhausEntry reads one `CIDR ; SBLnnnnnn` line.
func spamhausEntry(line string, opts LoadOptions) (event.Indicator, error) {
	block, ref, _ := strings.Cut(line, ";")
	block, ref = strings.TrimSpace(block), strings.TrimSpace(ref)
	typ, value, err := Canonical(event.IndicatorCIDR, block)
	if err != nil {
		return event.Indicator{}, err
	}
	ind := newIndicator(opts.Feed, typ, value)
	ind.Confidence = spamhausConfidence
	ind.FirstSeen, ind.LastSeen = opts.Now, opts.Now
	ind.Active = true
	fields := map[string]string{}
	if ref != "" {
		fields["reference"] = cleanText(ref)
	}
	ind.Fields = fieldsJSON(fields)
	return ind, nil
}

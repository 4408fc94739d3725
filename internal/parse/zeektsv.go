package parse

import (
	"bytes"
	"fmt"
)

// zeekTSV is what the header lines of a Zeek TSV log set for the lines
// after them: the separators and the markers of unset and empty fields.
// zeek-conn and zeek-http read the same headers with it.
type zeekTSV struct {
	sep, setSep  []byte
	unset, empty []byte
}

// newZeekTSV returns Zeek's defaults, in effect before any header.
func newZeekTSV() zeekTSV {
	return zeekTSV{sep: []byte{'\t'}, setSep: []byte{','}, unset: []byte("-"), empty: []byte("(empty)")}
}

// header reads one header line. The lines of z itself (#separator,
// #set_separator, #unset_field, #empty_field) it applies and reports as
// done; for any other (#path, #fields, #open, ...) it returns the name and
// the value, for the parser to read.
func (z *zeekTSV) header(line []byte) (name string, rest []byte, done bool, err error) {
	if v, ok := bytes.CutPrefix(line, []byte("#separator ")); ok {
		sep, ok := unescapeZeek(trimSpaces(v))
		if !ok || len(sep) == 0 {
			return "", nil, true, fmt.Errorf("bad zeek #separator %q", quote(v))
		}
		z.sep = sep
		return "", nil, true, nil
	}
	n, rest, _ := bytes.Cut(line, z.sep)
	switch string(n) {
	case "#set_separator":
		if len(rest) > 0 {
			z.setSep = bytes.Clone(rest)
		}
	case "#unset_field":
		z.unset = bytes.Clone(rest)
	case "#empty_field":
		z.empty = bytes.Clone(rest)
	default:
		return string(n), rest, false, nil
	}
	return "", nil, true, nil
}

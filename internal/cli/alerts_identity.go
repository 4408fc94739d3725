package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/homesoc/homesoc/internal/identity"
)

// identityUser is what alerts list shows of an alert's identity: the user
// (or the device's owner) it resolved to, "several: a, b" for one address
// used by several one after another, "ambiguous" when several stood behind
// it at once, "-" for none known.
func identityUser(ans *identity.Answer) string {
	if ans == nil {
		return "-"
	}
	var who []string
	for _, c := range ans.Candidates {
		if w := candidateWho(c); w != "" && !slices.Contains(who, w) {
			who = append(who, w)
		}
	}
	switch {
	case ans.Status == identity.Ambiguous:
		return "ambiguous"
	case len(who) == 0:
		return "-"
	case ans.Status == identity.Several && len(who) > 1:
		return "several: " + strings.Join(who, ", ")
	}
	return strings.Join(who, ", ")
}

// candidateWho names the person behind a candidate: its user, else the
// owner of its device.
func candidateWho(c identity.Candidate) string {
	if c.User != "" {
		return c.User
	}
	return c.Owner
}

// printIdentity prints the identity section of alerts show.
func printIdentity(w io.Writer, ans *identity.Answer) {
	if ans == nil {
		fmt.Fprintln(w, "\nidentity: not attributed (the alert names no address, or attribution failed when it was raised)")
		return
	}
	fmt.Fprintf(w, "\nidentity: %s (who was behind %s from %s to %s)\n", ans.Status, ans.Addr,
		ans.From.Format(time.RFC3339), ans.To.Format(time.RFC3339))
	switch ans.Status {
	case identity.Unknown:
		fmt.Fprintln(w, "  no VPN session, EDR device record or asset names the address then")
	case identity.Ambiguous:
		fmt.Fprintln(w, "  more than one device held the address at the same time: none is chosen")
	case identity.Several:
		fmt.Fprintln(w, "  the address passed from one to another: each with the interval it held it")
	}
	if len(ans.Candidates) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  SOURCE\tUSER\tDEVICE\tHOST NAME\tOWNER\tFROM\tTO\tEVIDENCE")
	for _, c := range ans.Candidates {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Source, dash(c.User), dash(c.DeviceID), dash(c.Hostname),
			dash(c.Owner), c.From.Format(time.RFC3339), c.To.Format(time.RFC3339), c.Evidence)
	}
	tw.Flush()
}

// dash is s, or "-" for nothing.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

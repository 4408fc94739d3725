package cli

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
)

// printHistory prints an alert's history of states, as alerts show does.
func printHistory(w io.Writer, h []alert.Transition) {
	if len(h) == 0 {
		fmt.Fprintln(w, "\nhistory: none (open since it was raised)")
		return
	}
	fmt.Fprintln(w, "\nhistory:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  AT\tSTATE\tAUTHOR\tBY\tCOMMENT")
	for _, t := range h {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", t.At.Format(time.RFC3339), t.State, t.Author, t.By, t.Comment)
	}
	tw.Flush()
}

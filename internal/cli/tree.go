package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// finishTree makes the built command tree behave alike at every level: the
// global flags name their default once, and every command rejects words it
// does not know. It runs once all commands are added, so that it covers
// commands added later too.
func finishTree(root *cobra.Command) {
	for _, name := range []string{"data", "store"} {
		// Their help says where the default comes from ($HOMESOC_DATA, else
		// ./homesoc-data); cobra would add the value a second time.
		if f := root.PersistentFlags().Lookup(name); f != nil {
			f.DefValue = ""
		}
	}
	// cobra adds help and completion at Execute; add them now, so that
	// rejectUnknown covers them too.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	rejectUnknown(root)
}

// rejectUnknown makes every command of the tree fail on words it does not
// know, with a hint: a command with subcommands prints its help when called
// alone and fails on anything else (cobra would print the help and exit 0),
// and a command that does not declare Args takes none. It runs on the whole
// tree once it is built, so commands added later are covered too.
func rejectUnknown(cmd *cobra.Command) {
	if cmd.HasSubCommands() && cmd.RunE == nil && cmd.Run == nil {
		cmd.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	}
	check := cmd.Args
	switch {
	case cmd.Name() == "help" && cmd.Parent() == cmd.Root(): // cobra's help command
		check = helpTopic
	case check == nil:
		check = noArgs
	}
	cmd.Args = func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return fmt.Errorf("%w; run '%s --help' for usage", err, cmd.CommandPath())
		}
		return nil
	}
	for _, c := range cmd.Commands() {
		rejectUnknown(c)
	}
}

// helpTopic is the Args check of "homesoc help COMMAND...": cobra prints
// the root's help and exits 0 for a topic it does not know.
func helpTopic(cmd *cobra.Command, args []string) error {
	if c, rest, err := cmd.Root().Find(args); err != nil || len(rest) > 0 {
		return fmt.Errorf("unknown help topic %q: %w", strings.Join(args, " "), noArgs(c, rest))
	}
	return nil
}

// noArgs is the Args check of commands that declare none.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's default, which it sets only for its own message
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		return fmt.Errorf("unknown command %q for %q (did you mean %q?)", args[0], cmd.CommandPath(), s[0])
	}
	return fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath())
}

package main

import (
	"strings"

	"github.com/spf13/cobra"
)

// completionShells are the shells cobra writes completion scripts for.
var completionShells = []string{"bash", "zsh", "fish", "powershell"}

// strictHelpAndCompletion replaces cobra's help command, which prints the
// root help and exits 0 for an unknown topic (`ipdb help sho`), by one that
// refuses it (exit 2) naming the nearest command, and makes `ipdb
// completion SHELL` for a shell cobra does not know an error (exit 2)
// rather than the completion help.
func strictHelpAndCompletion(root *cobra.Command) {
	root.SetHelpCommand(&cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Long:  "help prints the help of a command: ipdb help show is ipdb show --help.",
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			var out []cobra.Completion
			for _, w := range commandWords(root) {
				if strings.HasPrefix(w, toComplete) {
					out = append(out, w)
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return root.Help()
			}
			found, rest, err := root.Find(args)
			if err != nil || found == nil || found == root || (len(rest) > 0 && found.HasSubCommands()) {
				word := args[0]
				if found != nil && found != root && len(rest) > 0 {
					word = rest[0]
				}
				return usagef("unknown help topic %q%s (want %s; see ipdb help)", strings.Join(args, " "), didYouMean(word, commandWords(root)), orList(commandNames))
			}
			return found.Help()
		},
	})
	root.InitDefaultCompletionCmd()
	for _, sub := range root.Commands() {
		if sub.Name() != "completion" {
			continue
		}
		sub.Args = cobra.ArbitraryArgs
		sub.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("missing shell: %s (see ipdb completion --help)", orList(completionShells))
			}
			return usagef("unknown shell %q%s (want %s)", args[0], didYouMean(args[0], completionShells), orList(completionShells))
		}
	}
}

package main

import (
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/netlink"
)

// Shell completion (cobra's: ipdb completion bash|zsh|fish). Objects come
// from the kind table; link names, routing tables and namespaces from the
// live system, in the namespace -n names: the shell asks
// `ipdb __complete -n NS show link dev ''` and gets the links of NS (with
// --all-netns, of every namespace it covers).

const noFiles = cobra.ShellCompDirectiveNoFileComp

// withPrefix keeps the words that start with prefix.
func withPrefix(words []string, prefix string) []string {
	var out []string
	for _, w := range words {
		if strings.HasPrefix(w, prefix) && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

func fixedWords(words ...string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return withPrefix(words, toComplete), noFiles
	}
}

// kindWordsAll are the words show and monitor take for objects.
func kindWordsAll() []string {
	var out []string
	for i := range commandKinds {
		out = append(out, commandKinds[i].names()...)
	}
	return out
}

// completeKinds completes monitor's objects.
func completeKinds(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	return withPrefix(append(kindWordsAll(), "all"), toComplete), noFiles
}

// completeShow completes show's object, then its selectors and their
// values.
func (c *cli) completeShow(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if len(args) == 0 {
		return withPrefix(kindWordsAll(), toComplete), noFiles
	}
	k, err := resolveKind(commandKinds, args[0])
	if err != nil {
		return nil, noFiles
	}
	used := map[string]bool{}
	for i := 1; i < len(args); i++ {
		if s := selectorOf(args[i]); s != nil && slices.Contains(k.selectors, s.word) {
			if s.noValue || tcTables[k.table] && tcStandalone[s.word] {
				used[s.word] = true
				continue
			}
			if i+1 == len(args) { // the word before the cursor wants a value
				return withPrefix(s.complete(c.env()), toComplete), noFiles
			}
			used[s.word] = true
			i++
			continue
		}
		used["dev"] = true // a bare link name
	}
	var out []string
	for _, w := range k.selectors {
		if !used[w] || w == "nud" {
			out = append(out, w)
		}
	}
	if k.bareDev && !used["dev"] {
		out = append(out, liveLinkNames(c.env())...)
	}
	return withPrefix(out, toComplete), noFiles
}

func (c *cli) completeLinks(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	return withPrefix(liveLinkNames(c.env()), toComplete), noFiles
}

func (c *cli) completeTables(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	return withPrefix(slices.DeleteFunc(liveTables(c.env()), func(s string) bool { return s == "all" }), toComplete), noFiles
}

// completeNetns completes -n with the names under /run/netns.
func completeNetns(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	ents, _ := os.ReadDir(netnsRunDir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return withPrefix(names, toComplete), noFiles
}

// liveLinkNames dumps the links of the namespace; nothing on error (a
// completion prints no errors).
func liveLinkNames(e *env) []string {
	var out []string
	for _, ns := range completionNetns(e) {
		c, err := netlink.Dial(&netlink.Config{NetNS: ns})
		if err != nil {
			continue
		}
		links, _ := c.Links(e.ctx, nil)
		c.Close()
		for _, l := range links {
			if !slices.Contains(out, l.Name) {
				out = append(out, l.Name)
			}
		}
	}
	return out
}

// completionNetns returns the namespaces completion reads, as
// netlink.Config.NetNS takes them: -n's, or under --all-netns every one
// listNetns lists.
func completionNetns(e *env) []string {
	if !e.g.allNetns {
		return []string{e.netns}
	}
	targets, _ := listNetns()
	var out []string
	for _, t := range targets {
		out = append(out, t.dialPath())
	}
	return out
}

// liveTables lists the routing tables that hold routes in the namespace,
// by name where ip has one, then "all".
func liveTables(e *env) []string {
	seen := map[uint32]bool{}
	read := false
	for _, ns := range completionNetns(e) {
		c, err := netlink.Dial(&netlink.Config{NetNS: ns})
		if err != nil {
			continue
		}
		read = true
		_ = c.RouteDump(e.ctx, nil, func(r *netlink.Route) error {
			if r.Flags&unix.RTM_F_CLONED == 0 {
				seen[r.Table] = true
			}
			return nil
		})
		c.Close()
	}
	if !read {
		return []string{"main", "local", "all"}
	}
	ids := make([]uint32, 0, len(seen))
	for t := range seen {
		ids = append(ids, t)
	}
	slices.Sort(ids)
	var out []string
	for _, t := range ids {
		if name := tableName(t); name != "" {
			out = append(out, name)
		} else {
			out = append(out, strconv.FormatUint(uint64(t), 10))
		}
	}
	return append(out, "all")
}

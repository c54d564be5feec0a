package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
)

// Objects are named as ip names them: a table name or alias of the kind
// table (kinds.go), one of ip's short words (commandKind.ipShort: `ip r` is
// route, not rule, because ip tries route first), or any other prefix that
// names one kind only. A prefix that names several is refused with the
// candidates.
//
// ip(8), bridge(8) and tc(8) each resolve a prefix by the first object
// in their own table of commands that it matches (ip/ip.c's cmds:
// `ip n` is neighbor, not netns; bridge/bridge.c's: `bridge f` is fdb;
// tc/tc.c's: `tc f` is filter). ipdb takes the objects of the three tools
// in one order, ip's first, then bridge's, then tc's, and the first match
// wins in the same way: `show f` is fdb (bridge comes before tc), and tc's
// filters need `fi`. The rule is written down as each kind's ipShort,
// the shortest prefix that names it.

// names lists the words of a row: its table name, then its aliases.
func (k *commandKind) names() []string {
	return append([]string{k.table}, k.aliases...)
}

// resolveKind returns the row a word names in rows (commandKinds, or a
// test's table), or an error naming the candidates (ambiguous) or the
// nearest word (unknown).
func resolveKind(rows []commandKind, word string) (*commandKind, error) {
	if word == "" {
		return nil, fmt.Errorf("empty object name")
	}
	for i := range rows {
		if slices.Contains(rows[i].names(), word) {
			return &rows[i], nil
		}
	}
	var cands []*commandKind
	for i := range rows {
		k := &rows[i]
		if k.ipShort != "" && len(word) < len(k.ipShort) {
			continue // ip gives the shorter prefixes to another object
		}
		for _, w := range k.names() {
			if strings.HasPrefix(w, word) {
				cands = append(cands, k)
				break
			}
		}
	}
	switch len(cands) {
	case 1:
		return cands[0], nil
	case 0:
		var all []string
		for i := range rows {
			all = append(all, rows[i].names()...)
		}
		return nil, fmt.Errorf("unknown table %q%s (want %s)", word, didYouMean(word, all), orList(rowTables(rows)))
	}
	var names []string
	for _, k := range cands {
		names = append(names, k.table)
	}
	return nil, fmt.Errorf("ambiguous object %q: %s", word, orList(names))
}

func rowTables(rows []commandKind) []string {
	out := make([]string, len(rows))
	for i := range rows {
		out[i] = rows[i].table
	}
	return out
}

// didYouMean returns ` (did you mean "w"?)` for the candidate nearest to
// word (by edit distance, a prefix counting as near), or "" when none is
// near enough to be a typing mistake.
func didYouMean(word string, cands []string) string {
	best, bestD := "", 1<<30
	for _, c := range cands {
		d := editDistance(word, c)
		if strings.HasPrefix(c, word) || strings.HasPrefix(word, c) {
			d = min(d, 1)
		}
		if d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" || bestD > max(1, (len(word)+1)/2) {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance of a and b in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// version is what --version prints: the module version the binary was
// built from (go install ...@v1.2.3 records it; a build in a checkout says
// "(devel)"), the VCS revision when recorded, and the Go version.
func version() string {
	v := "(unknown)"
	var extra []string
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
		var rev, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
				if len(rev) > 12 {
					rev = rev[:12]
				}
			case "vcs.modified":
				if s.Value == "true" {
					modified = "+dirty"
				}
			}
		}
		if rev != "" {
			extra = append(extra, "revision "+rev+modified)
		}
	}
	extra = append(extra, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
	return v + " (" + strings.Join(extra, ", ") + ")"
}

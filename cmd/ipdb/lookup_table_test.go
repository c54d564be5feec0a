package main

import "testing"

// TestLocalMerged reads fib_triestat as 6.18 prints it: merged (a new
// namespace, no rule ever added), unmerged (after a rule).
func TestLocalMerged(t *testing.T) {
	block := "\tAver depth:     1.66\n\tMax depth:      2\n\tLeaves:         3\n\tPrefixes:       3\n\tInternal nodes: 2\n\t  1: 1  2: 1\n\tPointers: 6\nNull ptrs: 2\nTotal size: 1  kB\n"
	empty := "\tAver depth:     0.00\n\tMax depth:      0\n\tLeaves:         0\n\tPrefixes:       0\n\tInternal nodes: 0\n\t\n\tPointers: 0\nNull ptrs: 0\nTotal size: 0  kB\n"
	head := "Basic info: size of leaf: 48 bytes, size of tnode: 40 bytes.\n"
	for _, c := range []struct {
		name, stat string
		want       bool
	}{
		{"merged", head + "Main:\n" + block + "Local:\n" + block, true},
		{"unmerged", head + "Main:\n" + empty + "Local:\n" + block, false},
		{"another table", head + "Id 3e8:\n" + block + "Main:\n" + empty + "Local:\n" + block, false},
		{"no local", head + "Main:\n" + block, false},
	} {
		if got := localMerged(c.stat); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

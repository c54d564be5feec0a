package main

import (
	"strings"
	"testing"
)

// TestTCFilterBlockEntries: a filter entry names a shared block's filter
// by `block: N` (no dev, no parent), and an absent entry may leave out
// the kind (no part of a filter's identity): a handle with a colon is
// u32's (found by try7: `block` was an unknown key, and absent needed a
// kind).
func TestTCFilterBlockEntries(t *testing.T) {
	ss := mustSpecs(t, `
filters:
  - {block: 22, protocol: all, pref: 1, handle: 1, kind: bpf, bytecode: "1,6 0 0 0"}
  - {block: 22, protocol: ip, pref: 2, handle: "800::800", absent: true}
  - {dev: v0, parent: ingress, protocol: all, pref: 3, handle: 7, absent: true}
`)
	if len(ss.filters) != 3 {
		t.Fatalf("filters: %+v", ss.filters)
	}
	if f := ss.filters[0]; f.Block != 22 || f.Dev != "" || f.Parent != 0 || f.Handle != 1 || f.Options == nil {
		t.Errorf("block entry: %+v", f)
	}
	if f := ss.filters[1]; f.Block != 22 || f.Handle != 0x80000800 || !f.Absent || f.Kind != "" {
		t.Errorf("absent block entry: %+v", f)
	}
	if f := ss.filters[2]; f.Dev != "v0" || f.Handle != 7 || !f.Absent || f.Kind != "" {
		t.Errorf("absent dev entry: %+v", f)
	}
	for text, want := range map[string]string{
		"filters:\n  - {block: 0, protocol: all, pref: 1, handle: 1, kind: bpf, bytecode: \"1,6 0 0 0\"}\n":                  "line 2: bad block 0 (want a shared block's index, a number from 1 to 4294967295)",
		"filters:\n  - {block: 5, parent: ingress, protocol: all, pref: 1, handle: 1, kind: bpf, bytecode: \"1,6 0 0 0\"}\n": "line 2: a filter of block 5 takes no dev or parent",
		"filters:\n  - {protocol: all, pref: 1, handle: 1, kind: bpf, bytecode: \"1,6 0 0 0\"}\n":                            "line 2: a filter needs a dev (or the block",
		"filters:\n  - {block: 5, protocol: all, pref: 1, handle: 1, bytecode: \"1,6 0 0 0\"}\n":                             "line 2: a filter needs a kind",
		"filters:\n  - {block: 5, protocol: all, pref: 1, handle: 1, absent: true, bytecode: \"1,6 0 0 0\"}\n":               `line 2: an absent filter takes no "bytecode"`,
		"filters:\n  - {block: -1, protocol: all, pref: 1, handle: 1, absent: true}\n":                                       "line 2: bad block -1 (want a shared block's index, a number from 1 to 4294967295)",
		"qdiscs:\n  - {dev: v0, kind: ingress, ingress_block: -1}\n":                                                         "line 2: bad block -1 (want a shared block's index, a number from 1 to 4294967295)",
		"qdiscs:\n  - {dev: v0, kind: clsact, egress_block: 0}\n":                                                            "line 2: bad block 0 (want",
		"qdiscs:\n  - {dev: v0, kind: clsact, egress_block: 4294967296}\n":                                                   "line 2: bad block 4294967296 (want",
		"qdiscs:\n  - {dev: v0, kind: ingress, ingress_block: 1.5}\n":                                                        "line 2: ingress_block: 1.5 is not an integer",
	} {
		st, err := parseStateFile([]byte(text))
		if err == nil {
			_, err = st.specs()
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", text, err, want)
		}
	}
}

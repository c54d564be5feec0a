package main

import (
	"strings"
	"testing"
)

// TestStateFileNullListItem: a null item of a list is an error naming its
// line, as `actions: [""]` is, instead of vanishing (yaml.v3 drops null
// items of a list of strings: `actions: [null]` asked for no actions and
// apply removed the filter's; found by try7). `actions: null`, the key
// without a list, is still no actions.
func TestStateFileNullListItem(t *testing.T) {
	const entry = "filters:\n  - {dev: v0, parent: \"1:\", protocol: ip, pref: 1, handle: \"800::800\", kind: u32, match: [\"ip dst 192.0.2.0/24\"], actions: %s}\n"
	for _, c := range []struct{ list, want string }{
		{`[null]`, `line 2: a list item is null ("null")`},
		{`[~]`, `line 2: a list item is null ("~")`},
		{`["gact drop", null]`, `line 2: a list item is null`},
		{`[""]`, `line 2: empty action`},
	} {
		st, err := parseStateFile([]byte(strings.Replace(entry, "%s", c.list, 1)))
		if err == nil {
			_, err = st.specs()
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("actions: %s: error %v, want %q", c.list, err, c.want)
		}
	}
	text := "filters:\n  - dev: v0\n    parent: \"1:\"\n    protocol: ip\n    pref: 1\n    handle: \"800::800\"\n    kind: u32\n    match:\n      - ip dst 192.0.2.0/24\n      -\n"
	if _, err := parseStateFile([]byte(text)); err == nil || !strings.Contains(err.Error(), "line 10: a list item is null") {
		t.Errorf("an empty block list item: error %v, want one at line 10", err)
	}
	st, err := parseStateFile([]byte(strings.Replace(entry, "%s", "null", 1)))
	if err != nil {
		t.Fatalf("actions: null: %v", err)
	}
	specs, err := st.specs()
	if err != nil || len(specs.filters) != 1 {
		t.Fatalf("actions: null: %v, %d filters", err, len(specs.filters))
	}
}

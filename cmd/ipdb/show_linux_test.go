package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// TestShowJSONMatchesIP: after a scripted set of changes, `show TABLE -o
// json` equals `ip -j` for every table.
func TestShowJSONMatchesIP(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		scriptedChanges(ns)
		for _, table := range tables {
			compareWithIP(t, ns, table, func() []byte {
				code, out, errs := runCmd(t, "--netns", ns.Name, "show", table, "-o", "json")
				if code != 0 {
					t.Fatalf("show %s: exit %d: %s", table, code, errs)
				}
				return []byte(out)
			})
		}
	})
}

// TestShowAll: without a table, show prints every table, as aligned text
// or as one JSON object.
func TestShowAll(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add br7 type bridge", "addr add 192.0.2.7/24 dev br7", "link set br7 up")
		code, out, errs := runCmd(t, "--netns", ns.Name, "show")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		for _, want := range []string{"links:", "addrs:", "routes:", "neigh:", "rules:", "fdb:", "br7", "192.0.2.7/24", "INDEX  NAME"} {
			if !strings.Contains(out, want) {
				t.Errorf("show output lacks %q:\n%s", want, out)
			}
		}
		code, out, errs = runCmd(t, "--netns", ns.Name, "show", "-o", "json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var all map[string][]map[string]any
		if err := json.Unmarshal([]byte(out), &all); err != nil {
			t.Fatal(err)
		}
		for _, table := range tables {
			if _, ok := all[table]; !ok {
				t.Errorf("show -o json lacks %s", table)
			}
		}
		if len(ownLinks(all["links"])) != 2 {
			t.Errorf("want lo and br7, got %v", all["links"])
		}
	})
}

// ownLinks returns links without the kernel's fallback tunnel devices,
// which a new namespace holds where tunnel modules are loaded
// (nstest.FallbackLinks).
func ownLinks(links []map[string]any) []map[string]any {
	var out []map[string]any
	for _, l := range links {
		if name, _ := l["ifname"].(string); !nstest.IsFallbackLink(name) {
			out = append(out, l)
		}
	}
	return out
}

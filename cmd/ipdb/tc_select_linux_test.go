package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// blockTC builds own and shared filter blocks: an htb tree with u32
// filters on v0 (qdisc 1: and class 1:1), clsact with bpf filters in
// both directions and chain 3 on v1, an ingress qdisc on v2 and clsact on
// v4 bound to shared block 22 (u32 and bpf filters), v4's egress bound to
// block 23.
func blockTC(t *testing.T, ns *nstest.NS) {
	t.Helper()
	ns.Batch(
		"link add v0 type veth peer name v1",
		"link add v2 type veth peer name v3",
		"link add v4 type veth peer name v5",
		"link set v0 up", "link set v1 up", "link set v2 up", "link set v4 up",
	)
	for _, c := range []string{
		"qdisc add dev v0 root handle 1: htb default 10",
		"class add dev v0 parent 1: classid 1:1 htb rate 10mbit",
		"class add dev v0 parent 1:1 classid 1:10 htb rate 1mbit",
		"qdisc add dev v0 parent 1:10 handle 10: pfifo limit 50",
		"filter add dev v0 parent 1: protocol ip prio 1 u32 match ip dst 192.0.2.0/24 flowid 1:10",
		"filter add dev v0 parent 1: protocol ipv6 prio 2 u32 match ip6 dst 2001:db8::/32 flowid 1:10",
		"filter add dev v0 parent 1:1 protocol ip prio 3 u32 match ip src 198.51.100.0/24 flowid 1:10",
		"qdisc add dev v1 clsact",
		"filter add dev v1 ingress protocol all pref 4 bpf bytecode 1,6\\ 0\\ 0\\ 0, classid 1:1",
		"filter add dev v1 egress protocol ip pref 7 bpf bytecode 1,6\\ 0\\ 0\\ 0,",
		"filter add dev v1 ingress chain 3 protocol all pref 9 bpf bytecode 1,6\\ 0\\ 0\\ 0,",
		"qdisc add dev v2 ingress_block 22 ingress",
		"qdisc add dev v4 ingress_block 22 egress_block 23 clsact",
		"filter add block 22 protocol ip pref 10 u32 match ip dst 203.0.113.0/24",
		"filter add block 22 protocol all pref 11 chain 2 bpf bytecode 1,6\\ 0\\ 0\\ 0,",
		"filter add block 23 protocol ipv6 pref 5 u32 match ip6 dst 2001:db8:1::/48",
	} {
		var args []string
		for _, f := range strings.Fields(strings.ReplaceAll(c, "\\ ", "\x00")) {
			args = append(args, strings.ReplaceAll(f, "\x00", " "))
		}
		tcIn(t, ns, args...)
	}
}

// TestTCShowSelectorsEqualTC: show qdisc|class|filter with each of tc's
// selectors prints what tc prints, key for key; a shared block's filters
// come under every link bound to it, once under block N. (serve's
// /v1/filters lists each filter once: TestServeTCTables.)
func TestTCShowSelectorsEqualTC(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		blockTC(t, ns)
		for _, args := range [][]string{
			// Shared blocks through a link, and by their index.
			{"dev", "v2", "ingress"},
			{"dev", "v4", "ingress"},
			{"dev", "v4", "egress"},
			{"dev", "v2", "root"}, // ffff:ffff finds the ingress qdisc's one block
			{"dev", "v2", "parent", "ffff:"},
			{"dev", "v2", "egress"},
			{"block", "22"},
			{"block", "23"},
			{"block", "22", "pref", "10"},
			{"block", "22", "chain", "2"},
			{"dev", "v4", "ingress", "protocol", "ip", "prio", "10", "chain", "0"},
			// A link's own blocks.
			{"dev", "v1", "ingress"},
			{"dev", "v1", "egress"},
			{"dev", "v1", "ingress", "chain", "3"},
			{"dev", "v1", "ingress", "handle", "1"}, // read and ignored by tc
			{"dev", "v0", "parent", "1:"},
			{"dev", "v0", "parent", "1:1"},
			{"dev", "v0", "parent", "1:", "protocol", "ipv6"},
			{"dev", "v0", "parent", "1:", "preference", "1"},
			{"dev", "v0", "parent", "1:", "priority", "2"},
		} {
			compareTCJSON(t, ns, append([]string{"show", "filter"}, args...), append([]string{"filter", "show"}, args...)...)
			compareTCText(t, ns, "filter", false, append([]string{"show", "filter"}, args...), append([]string{"filter", "show"}, args...)...)
		}
		for _, args := range [][]string{
			{"dev", "v0", "root"},
			{"dev", "v0", "handle", "10:"},
			{"dev", "v0", "handle", "10"},
			{"parent", "1:10"},
			{"ingress"},
			{"clsact"},
			{"dev", "v4", "ingress"},
			{"handle", "ffff:"},
		} {
			compareTCJSON(t, ns, append([]string{"-d", "show", "qdisc"}, args...), append([]string{"-d", "qdisc", "show"}, args...)...)
		}
		for _, args := range [][]string{
			{"dev", "v0", "parent", "1:"},
			{"dev", "v0", "parent", "1:1"},
			{"dev", "v0", "classid", "1:10"},
		} {
			compareTCText(t, ns, "class", false, append([]string{"show", "class"}, args...), append([]string{"class", "show"}, args...)...)
		}

		// What tc lists empty: nothing, exit 0.
		for _, c := range [][]string{
			{"show", "filter", "dev", "v4", "root"}, // clsact finds no block at ffff:ffff
			{"show", "filter", "dev", "v0", "parent", "1:", "pref", "9"},
			{"show", "filter", "block", "23", "protocol", "ip"},
			{"show", "class", "dev", "v0", "root"},
			{"show", "qdisc", "dev", "v3", "handle", "1:"},
		} {
			code, out, errs := runCmd(t, append([]string{"-n", ns.Name, "-j"}, c...)...)
			if code != exitOK || strings.TrimSpace(out) != "[]" {
				t.Errorf("ipdb -j %s: exit %d, %q %q; want [] as tc", strings.Join(c, " "), code, out, errs)
			}
		}

		// Every link's filters: a shared block's under each link bound to
		// it, with its dev; v2 and v4 both list block 22.
		code, out, errs := runCmd(t, "-n", ns.Name, "-j", "show", "filters")
		if code != exitOK {
			t.Fatalf("show filters: exit %d: %s", code, errs)
		}
		var all []map[string]any
		if err := json.Unmarshal([]byte(out), &all); err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, o := range all {
			if b, ok := o["block"]; ok {
				if _, ok := o["parent"]; ok {
					t.Errorf("a block filter with a parent: %v", o)
				}
				count[o["dev"].(string)+" block "+jsonNum(b)]++
			}
		}
		// u32: priority, hash table, rule; bpf: priority, filter.
		if count["v2 block 22"] != 5 || count["v4 block 22"] != 5 || count["v4 block 23"] != 3 || len(count) != 3 {
			t.Errorf("show filters: block filters per link %v, want v2 and v4 five of block 22, v4 three of block 23", count)
		}
	})
}

func jsonNum(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestTCShowSelectorFaults: a tc selector's bad value, a repeated or
// conflicting word, and a word the table lacks are usage errors naming
// the fault, as tc names it; nothing is printed.
func TestTCShowSelectorFaults(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"show", "filter", "dev", "v0", "block", "22"}, `"block" cannot be used in the same time as "dev"`},
		{[]string{"show", "filter", "block", "22", "dev", "v0"}, `"dev" cannot be used in the same time as "block"`},
		{[]string{"show", "filter", "block", "0"}, `invalid block index value (want a number from 1 to 4294967295) "0"`},
		{[]string{"show", "filter", "block", "x"}, `invalid block index value`},
		{[]string{"show", "filter", "ingress", "egress"}, `"egress" is duplicate parent ID (ingress given before)`},
		{[]string{"show", "filter", "root", "parent", "1:"}, `"parent" is duplicate parent ID`},
		{[]string{"show", "filter", "parent", "1:2:3"}, `invalid parent ID`},
		{[]string{"show", "filter", "parent", "ingress"}, `invalid parent ID`},
		{[]string{"show", "filter", "pref", "70000"}, `invalid preference (want a number from 0 to 65535) "70000"`},
		{[]string{"show", "filter", "prio", "1", "pref", "2"}, `"priority" is given twice`},
		{[]string{"show", "filter", "protocol", "ipx9"}, `invalid protocol (want a name tc takes`},
		{[]string{"show", "filter", "chain", "x"}, `invalid chain index value`},
		{[]string{"show", "filter", "chain"}, `chain needs a value (chain N)`},
		{[]string{"show", "filter", "classid", "1:1"}, `filters takes no selector "classid" (want dev, block, root, ingress, egress, parent, handle, pref, prio, preference, priority, protocol or chain)`},
		{[]string{"show", "filter", "handle", "1", "handle", "2"}, `"handle" is given twice`},
		{[]string{"show", "qdisc", "root", "handle", "1:"}, `parent is already specified (root), "handle" is one too many`},
		{[]string{"show", "qdisc", "handle", "1:", "ingress"}, `handle is already specified`},
		{[]string{"show", "qdisc", "handle", "1:1"}, `invalid handle ID`},
		{[]string{"show", "qdisc", "handle", "10000"}, `invalid handle ID`},
		{[]string{"show", "qdisc", "egress"}, `qdiscs takes no selector "egress"`},
		{[]string{"show", "qdisc", "dev", "v0", "dev", "v1"}, `either "dev" is duplicate, or "v1" is a garbage`},
		{[]string{"show", "class", "classid", "zz"}, `invalid class ID`},
		{[]string{"show", "class", "root", "parent", "1:"}, `"parent" is duplicate parent ID`},
		{[]string{"show", "class", "handle", "1:"}, `classes takes no selector "handle" (want dev, classid, root or parent)`},
		{[]string{"show", "class", "ingress"}, `classes takes no selector "ingress"`},
	} {
		code, out, errs := runCmd(t, c.args...)
		if code != exitUsage || out != "" || !strings.Contains(errs, c.want) {
			t.Errorf("ipdb %s: exit %d, stdout %q, stderr %q; want exit %d and %q", strings.Join(c.args, " "), code, out, errs, exitUsage, c.want)
		}
	}
}

// TestTCShowFilterBlockMissing: `show filter block N` of a block no qdisc
// holds fails as tc's (Cannot find block).
func TestTCShowFilterBlockMissing(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		code, out, errs := runCmd(t, "-n", ns.Name, "show", "filter", "block", "77")
		if code == exitOK || out != "" || !strings.Contains(errs, "cannot find block 77") {
			t.Errorf("show filter block 77: exit %d, %q, %q; want a failure naming the block", code, out, errs)
		}
	})
}

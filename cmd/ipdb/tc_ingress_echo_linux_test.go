package main

import (
	"encoding/json"
	"os/exec"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// TestTCIngressParentEcho pins down why `tc filter show dev X ingress`
// may label the filters of a plain ingress qdisc "egress" (or "parent
// ffff:N") and show does not. tc prints the parent the kernel puts in
// each dumped filter unless it is the one on tc's command line
// (print_filter in tc/tc_filter.c, filter_parent), and for a block the
// kernel puts there the parent of the last RTM_NEWTFILTER request that
// reached the block (tc_new_tfilter sets block->classid = parent before
// it looks the filter up; tc_dump_tfilter reports block->classid), even
// a request that then fails, which sends no notification. sch_ingress
// takes any ffff:N as its block (ingress_find), so the label follows
// the requests, not the filters; the netlink layer gives every dumped
// filter the parent it asked for (filterDumpBlock). show prints that
// stable form, which is tc's whenever the last request named ingress.
func TestTCIngressParentEcho(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.NeedTC(t, "filter", "bpf", "bytecode", "1,6 0 0 0")
		ns.Batch("link add v0 type veth peer name v1", "link set v0 up", "link set v1 up")
		tcIn(t, ns, "qdisc", "add", "dev", "v0", "ingress")
		tcIn(t, ns, "filter", "add", "dev", "v0", "ingress", "pref", "1", "protocol", "all", "handle", "1", "bpf", "bytecode", "1,6 0 0 0")
		tcIn(t, ns, "filter", "add", "dev", "v0", "egress", "pref", "2", "protocol", "all", "handle", "1", "bpf", "bytecode", "1,6 0 0 0")
		labels := func() map[string]int {
			var fs []map[string]any
			if err := json.Unmarshal([]byte(tcIn(t, ns, "-j", "filter", "show", "dev", "v0", "ingress")), &fs); err != nil {
				t.Fatal(err)
			}
			n := map[string]int{}
			for _, f := range fs {
				for _, k := range []string{"egress", "ingress", "root", "parent"} {
					if _, ok := f[k]; ok {
						n[k]++
					}
				}
				n["filters"]++
			}
			return n
		}
		// Both filters, the one added with ingress too, carry the last
		// request's parent.
		if n := labels(); n["egress"] != n["filters"] || n["filters"] != 4 {
			t.Fatalf("after an egress request, tc labels %v; the kernel no longer echoes the last request's parent", n)
		}
		// A request naming ingress that fails (the filter exists) moves
		// the label back, with no notification.
		out, err := exec.Command("tc", "-n", ns.Name, "filter", "add", "dev", "v0", "ingress", "pref", "1", "protocol", "all", "handle", "1",
			"bpf", "bytecode", "1,6 0 0 0").CombinedOutput()
		if err == nil {
			t.Fatalf("adding an existing filter succeeded: %s", out)
		}
		if n := labels(); n["egress"] != 0 || n["filters"] != 4 {
			t.Fatalf("after a failed ingress request, tc labels %v", n)
		}
		// Now tc prints the form show always prints.
		compareTCJSON(t, ns, []string{"show", "filter", "dev", "v0", "ingress"}, "filter", "show", "dev", "v0", "ingress")
		compareTCText(t, ns, "filter", false, []string{"show", "filter", "dev", "v0", "ingress"}, "filter", "show", "dev", "v0", "ingress")
	})
}

package netlink_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/netlink"
)

// blockLines is the comparison's text of filters: "block N" or the
// parent, then protocol, pref, kind, chain and the u32 handle.
func blockLines(fs []*netlink.Filter) []string {
	var out []string
	for _, f := range fs {
		where := "parent " + f.Parent.String()
		if f.Block != 0 {
			where = fmt.Sprintf("block %d", f.Block)
			if f.Index != 0 || f.Parent != 0 {
				where += fmt.Sprintf(" (index %d, parent %s)", f.Index, f.Parent)
			}
		}
		out = append(out, fmt.Sprintf("%s protocol %s pref %d %s chain %d handle %#x", where,
			netlink.TCProtocolString(f.Protocol), f.Priority, f.TCKind, f.Chain, f.Handle))
	}
	sort.Strings(out)
	return out
}

// tcBlockLines is blockLines of `tc -j filter show ARGS`: tc leaves out
// the block, pref and chain the dump asked for (sel's).
func tcBlockLines(t *testing.T, ns *nstest.NS, sel *netlink.FilterFilter, args ...string) []string {
	t.Helper()
	var out []string
	for _, o := range tcJSON(t, ns, append([]string{"filter", "show"}, args...)...) {
		b, ok := o["block"].(float64)
		if !ok {
			b = float64(sel.Block)
		}
		if _, ok := o["pref"]; !ok {
			o["pref"] = sel.Priority
		}
		if _, ok := o["chain"]; !ok && sel.HasChain {
			o["chain"] = sel.Chain
		}
		h := "0"
		if opts, ok := o["options"].(map[string]any); ok {
			h = fmt.Sprint(opts["fh"])
		}
		out = append(out, fmt.Sprintf("block %v protocol %s pref %v %s chain %v fh %s", b, o["protocol"], o["pref"], o["kind"], o["chain"], h))
	}
	sort.Strings(out)
	return out
}

// u32Fh is tc's "fh" of a u32 handle, or "0" for the priority's entry.
func u32Fh(h uint32) string {
	if h == 0 {
		return "0"
	}
	s := fmt.Sprintf("%x:", h>>20)
	if hash, node := (h>>12)&0xff, h&0xfff; hash != 0 || node != 0 {
		if hash != 0 {
			s += fmt.Sprintf("%x", hash)
		}
		if node != 0 {
			s += fmt.Sprintf(":%x", node)
		}
	}
	return s
}

// TestFilterSharedBlock: a shared block's filters (tcm_ifindex
// TCM_IFINDEX_MAGIC_BLOCK) are returned with Block set and no Index or
// Parent, whether the dump asks for the block, for a link bound to it
// (with or without its parent), or for every link, and then once however
// many links share the block; tc prints the same filters.
func TestFilterSharedBlock(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c := tcSetup(t, ns)
		ns.Batch("link add v2 type veth peer name v3")
		tcBatch(t, ns,
			"qdisc add dev v0 ingress_block 22 ingress",
			"qdisc add dev v1 ingress_block 22 ingress",
			"qdisc add dev v2 ingress_block 22 egress_block 23 clsact",
			"filter add block 22 protocol ip pref 10 u32 match ip dst 192.0.2.0/24",
			"filter add block 23 protocol ip pref 5 chain 2 u32 match ip dst 203.0.113.0/24",
			"qdisc add dev v3 clsact",
			"filter add dev v3 ingress protocol ip pref 1 u32 match ip dst 198.51.100.0/24",
		)
		ctx := context.Background()
		v0, v2, v3 := ns.Ifindex("v0"), ns.Ifindex("v2"), ns.Ifindex("v3")
		get := func(f *netlink.FilterFilter) []string {
			t.Helper()
			fs, err := c.Filters(ctx, f)
			if err != nil {
				t.Fatalf("Filters(%+v): %v", f, err)
			}
			out := blockLines(fs)
			for _, fl := range fs {
				if fl.Block != 0 && (fl.Index != 0 || fl.Parent != 0) {
					t.Errorf("Filters(%+v): block filter with an index or parent: %v", f, fl)
				}
			}
			return out
		}
		tcView := func(f *netlink.FilterFilter) []string {
			t.Helper()
			fs, err := c.Filters(ctx, f)
			if err != nil {
				t.Fatalf("Filters(%+v): %v", f, err)
			}
			var out []string
			for _, fl := range fs {
				out = append(out, fmt.Sprintf("block %d protocol %s pref %d %s chain %d fh %s", fl.Block,
					netlink.TCProtocolString(fl.Protocol), fl.Priority, fl.TCKind, fl.Chain, u32Fh(fl.Handle)))
			}
			sort.Strings(out)
			return out
		}
		// Three entries per u32 priority: the priority, the hash table
		// and the rule.
		block22 := tcBlockLines(t, ns, &netlink.FilterFilter{Block: 22}, "block", "22")
		if len(block22) != 3 {
			t.Fatalf("tc filter show block 22: %q", block22)
		}
		for _, x := range []struct {
			name string
			f    *netlink.FilterFilter
			tc   []string
			n    int
		}{
			{"block 22", &netlink.FilterFilter{Block: 22}, []string{"block", "22"}, 3},
			{"block 23", &netlink.FilterFilter{Block: 23}, []string{"block", "23"}, 3},
			{"v0 ingress", &netlink.FilterFilter{Index: v0, Parent: netlink.HandleIngressBlock}, []string{"dev", "v0", "ingress"}, 3},
			{"v2 egress", &netlink.FilterFilter{Index: v2, Parent: netlink.HandleEgressBlock}, []string{"dev", "v2", "egress"}, 3},
			{"v0 pref 10", &netlink.FilterFilter{Index: v0, Parent: netlink.HandleIngressBlock, Priority: 10}, []string{"dev", "v0", "ingress", "pref", "10"}, 3},
			{"v2 chain 2", &netlink.FilterFilter{Index: v2, Parent: netlink.HandleEgressBlock, Chain: 2, HasChain: true}, []string{"dev", "v2", "egress", "chain", "2"}, 3},
			{"v2 chain 0", &netlink.FilterFilter{Index: v2, Parent: netlink.HandleEgressBlock, HasChain: true}, []string{"dev", "v2", "egress", "chain", "0"}, 0},
		} {
			got := tcView(x.f)
			var want []string
			if x.n > 0 {
				want = tcBlockLines(t, ns, x.f, x.tc...)
			}
			if len(got) != x.n || !slices.Equal(got, want) {
				t.Errorf("%s: got %q\nwant (tc filter show %v) %q", x.name, got, x.tc, want)
			}
		}

		// A link's filters without a parent: those of every block it
		// uses, the shared ones once.
		if got := get(&netlink.FilterFilter{Index: v2}); len(got) != 6 {
			t.Errorf("v2's filters: %q, want blocks 22 and 23's three each", got)
		}
		// Every filter: block 22 once though three links share it.
		all := get(nil)
		if len(all) != 3+3+3 || len(slices.Compact(slices.Clone(all))) != len(all) {
			t.Errorf("every filter: %q, want blocks 22, 23 and v3's three each, none twice", all)
		}
		if got := get(&netlink.FilterFilter{Index: v3}); len(got) != 3 || got[0][:6] != "parent" {
			t.Errorf("v3's own filters: %q", got)
		}

		// Match alone cannot know the binding: it keeps a block's filter
		// for no link.
		if (&netlink.FilterFilter{Index: v0}).Match(&netlink.Filter{Block: 22, Priority: 10}) {
			t.Errorf("Match kept a block filter for a link")
		}
		if !(&netlink.FilterFilter{Block: 22}).Match(&netlink.Filter{Block: 22, Priority: 10}) {
			t.Errorf("Match refused a block filter for its block")
		}

		// A block no qdisc uses any more is gone: its dump is empty.
		tcBatch(t, ns, "qdisc del dev v2 clsact")
		if got := get(&netlink.FilterFilter{Block: 23}); len(got) != 0 {
			t.Errorf("block 23 after its last qdisc's deletion: %q", got)
		}
	})
}

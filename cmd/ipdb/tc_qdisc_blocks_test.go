package main

import (
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/netlink"
)

// TestQdiscWordsBlocks: tc qdisc show and tc monitor print
// "ingress_block 22" and "egress_block 44"; ipdb's text (show qdisc,
// monitor) left them out (found by try7).
func TestQdiscWordsBlocks(t *testing.T) {
	names := &linkNames{m: map[int]linkRef{2: {name: "va"}}}
	q := &netlink.Qdisc{Index: 2, TCKind: "clsact", Handle: netlink.NewHandle(0xffff, 0), Parent: netlink.NewHandle(0xffff, 0xfff1),
		Refcnt: 1, IngressBlock: 33, EgressBlock: 44}
	got := qdiscWords(q, names).text()
	if !strings.Contains(got, "ingress_block 33 egress_block 44") {
		t.Errorf("qdisc words %q, tc prints \"clsact ffff: dev va parent ffff:fff1 ingress_block 33 egress_block 44\"", got)
	}
}

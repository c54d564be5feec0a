package netlink_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// TestQdiscAddNoHandleKeepsIngress: QdiscAdd of a clsact without a
// Handle over an ingress qdisc bound to a shared block fails with EEXIST,
// as `tc qdisc add dev v0 clsact` does ("Exclusivity flag on, cannot
// modify"), and leaves the ingress qdisc. Sent with handle 0, as it was,
// the kernel grafted it: the ingress qdisc and its binding were replaced
// (found by the try of this session's tc work, helper try10).
func TestQdiscAddNoHandleKeepsIngress(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c := tcSetup(t, ns)
		tcRun(t, ns, "qdisc", "add", "dev", "v0", "ingress_block", "22", "ingress")
		ctx := context.Background()
		v0 := ns.Ifindex("v0")
		err := c.QdiscAdd(ctx, &netlink.Qdisc{Index: v0, Parent: netlink.HandleClsact, TCKind: "clsact"})
		if !errors.Is(err, unix.EEXIST) {
			t.Errorf("QdiscAdd of clsact over an ingress qdisc: %v, want EEXIST", err)
		}
		qs, err := c.Qdiscs(ctx, &netlink.QdiscFilter{Index: v0})
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range qs {
			if q.Parent == netlink.HandleClsact && q.TCKind != "ingress" {
				t.Errorf("the ingress qdisc became %s", q.TCKind)
			}
		}
	})
}

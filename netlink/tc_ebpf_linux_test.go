package netlink_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// TestTCBPFFDLive attaches an eBPF program by descriptor, with a name and
// direct action, on a clsact ingress block, and compares what the kernel
// reports (name, id, tag, direct action) with tc -j filter show.
func TestTCBPFFDLive(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c := tcSetup(t, ns)
		fd := nstest.LoadTCProg(t, unix.BPF_PROG_TYPE_SCHED_CLS, "ipdb_test")
		ctx := context.Background()
		v0 := ns.Ifindex("v0")
		if err := c.QdiscAdd(ctx, &netlink.Qdisc{Index: v0, Parent: netlink.HandleClsact, TCKind: "clsact"}); err != nil {
			t.Fatal(err)
		}
		f := &netlink.Filter{Index: v0, Parent: netlink.HandleIngressBlock, Priority: 1, Protocol: unix.ETH_P_ALL, Handle: 1,
			Options: &netlink.BPFFilter{FD: uint32(fd), Name: "ipdb_test", DirectAction: true}}
		if err := c.FilterAdd(ctx, f); err != nil {
			t.Fatal(err)
		}
		fs, err := c.Filters(ctx, &netlink.FilterFilter{Index: v0, Parent: netlink.HandleIngressBlock})
		if err != nil || len(fs) != 2 {
			t.Fatalf("filters: %v, %v", fs, err)
		}
		o, ok := fs[1].Options.(*netlink.BPFFilter)
		if !ok || o.Name != "ipdb_test" || o.ID == 0 || len(o.Tag) != 8 || !o.DirectAction || o.FD != 0 || o.Ops != nil {
			t.Fatalf("eBPF filter read back: %#v", fs[1].Options)
		}
		tcf := tcJSON(t, ns, "filter", "show", "dev", "v0", "ingress")
		if len(tcf) != 2 {
			t.Fatalf("tc: %v", tcf)
		}
		opt, _ := tcf[1]["options"].(map[string]any)
		prog, _ := opt["prog"].(map[string]any)
		if opt["bpf_name"] != "ipdb_test" || opt["direct-action"] != true || prog == nil ||
			prog["id"] != float64(o.ID) || prog["tag"] != fmt.Sprintf("%x", o.Tag) {
			t.Errorf("tc shows %v; we read %+v", opt, o)
		}
		// A read-back eBPF filter has no descriptor: it cannot be sent
		// again as it is.
		if err := netlink.FilterRequest(netlink.Replace, fs[1]).Err(); !errors.Is(err, netlink.ErrInvalid) {
			t.Errorf("replace of a read-back eBPF filter: %v", err)
		}
	})
}

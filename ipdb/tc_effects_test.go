package ipdb_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// tcKeys lists the snapshot's qdiscs, classes and filters, one string
// each, sorted.
func tcKeys(s *ipdb.Snapshot) string {
	var out []string
	for _, k := range []netlink.Kind{netlink.KindQdisc, netlink.KindClass, netlink.KindFilter} {
		for o := range s.Objects(k) {
			out = append(out, o.String())
		}
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}

// TestReplayTCTreeDeleted: without a kernel, a qdisc's deletion takes its
// classes, the qdiscs under them to any depth and the filters of all
// their blocks, in the deletion's revision, and nothing of another qdisc
// or link (the ingress qdisc's filters, another link's tree); a qdisc of
// handle 0 whose children also have handle 0 (mq's defaults) goes with
// them, once each.
func TestReplayTCTreeDeleted(t *testing.T) {
	r, err := ipdb.NewReplay()
	if err != nil {
		t.Fatal(err)
	}
	h := func(major, minor uint32) netlink.Handle { return netlink.Handle(major<<16 | minor) }
	bpf := func(ifindex int, parent netlink.Handle, prio uint16, handle uint32) *netlink.Filter {
		return &netlink.Filter{Index: ifindex, Parent: parent, Priority: prio, Protocol: unix.ETH_P_ALL, Handle: handle, TCKind: "bpf"}
	}
	htb := func(ifindex int, handle, parent netlink.Handle) *netlink.Qdisc {
		return &netlink.Qdisc{Index: ifindex, Handle: handle, Parent: parent, TCKind: "htb"}
	}
	class := func(ifindex int, handle, parent netlink.Handle) *netlink.Class {
		return &netlink.Class{Index: ifindex, Handle: handle, Parent: parent, TCKind: "htb"}
	}
	tree := func(ifindex int) []netlink.Update {
		return []netlink.Update{
			upd(unix.RTM_NEWQDISC, 0, htb(ifindex, h(1, 0), netlink.HandleRoot)),
			upd(unix.RTM_NEWTCLASS, 0, class(ifindex, h(1, 1), netlink.HandleRoot)),
			upd(unix.RTM_NEWQDISC, 0, htb(ifindex, h(0x10, 0), h(1, 1))),
			upd(unix.RTM_NEWTCLASS, 0, class(ifindex, h(0x10, 1), netlink.HandleRoot)),
			upd(unix.RTM_NEWQDISC, 0, &netlink.Qdisc{Index: ifindex, Handle: h(0x20, 0), Parent: h(0x10, 1), TCKind: "pfifo"}),
			upd(unix.RTM_NEWTFILTER, 0, bpf(ifindex, h(1, 0), 1, 1)),
			upd(unix.RTM_NEWTFILTER, 0, bpf(ifindex, h(1, 1), 2, 1)),
			upd(unix.RTM_NEWTFILTER, 0, bpf(ifindex, h(0x10, 0), 3, 1)),
			upd(unix.RTM_NEWTFILTER, 0, bpf(ifindex, h(0x10, 1), 4, 1)),
			upd(unix.RTM_NEWQDISC, 0, &netlink.Qdisc{Index: ifindex, Handle: h(0xffff, 0), Parent: netlink.HandleIngress, TCKind: "ingress"}),
			upd(unix.RTM_NEWTFILTER, 0, bpf(ifindex, netlink.HandleIngressBlock, 5, 1)),
		}
	}
	r.Apply(append(tree(2), tree(3)...))
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	// Each priority's first filter brought its entry.
	if n := len(slices.Collect(r.Snapshot().Objects(netlink.KindFilter))); n != 20 {
		t.Fatalf("%d filters, want 20 (5 filters and 5 priorities a link):\n%s", n, tcKeys(r.Snapshot()))
	}
	want := func(ifindex int) string {
		// What of link ifindex's tree is left after htb 1:'s deletion.
		s, err := ipdb.NewReplay()
		if err != nil {
			t.Fatal(err)
		}
		u := tree(ifindex)
		s.Apply(u[9:])
		return tcKeys(s.Snapshot())
	}
	rev := r.Revision()
	r.Apply([]netlink.Update{upd(unix.RTM_DELQDISC, 0, htb(2, h(1, 0), netlink.HandleRoot))})
	changes, _, _, err := r.ChangesSince(rev, 0)
	if err != nil {
		t.Fatal(err)
	}
	// htb 1:, 10:, pfifo 20:, classes 1:1 and 10:1, four filters and
	// their four priorities.
	if len(changes) != 13 || r.Revision() != rev+1 {
		t.Errorf("htb 1:'s deletion: %d changes up to revision %d, want 13 in revision %d", len(changes), r.Revision(), rev+1)
	}
	var left2, left3 []string
	for _, k := range []netlink.Kind{netlink.KindQdisc, netlink.KindClass, netlink.KindFilter} {
		for o := range r.Snapshot().Objects(k) {
			if strings.Contains(o.String(), "dev #2") || strings.Contains(o.String(), "dev 2 ") {
				left2 = append(left2, o.String())
			} else {
				left3 = append(left3, o.String())
			}
		}
	}
	slices.Sort(left2)
	if got, w := strings.Join(left2, "\n"), want(2); got != w {
		t.Errorf("link 2 after htb 1:'s deletion:\n%s\nwant\n%s", got, w)
	}
	if len(left3) != 16 {
		t.Errorf("link 3 has %d tc objects, want its 16 untouched:\n%s", len(left3), strings.Join(left3, "\n"))
	}

	// mq of handle 0 with default children of handle 0.
	mq := &netlink.Qdisc{Index: 4, Handle: 0, Parent: netlink.HandleRoot, TCKind: "mq"}
	batch := []netlink.Update{upd(unix.RTM_NEWQDISC, 0, mq)}
	for i := uint32(1); i <= 3; i++ {
		batch = append(batch,
			upd(unix.RTM_NEWTCLASS, 0, &netlink.Class{Index: 4, Handle: h(0, i), Parent: netlink.HandleRoot, TCKind: "mq"}),
			upd(unix.RTM_NEWQDISC, 0, &netlink.Qdisc{Index: 4, Handle: 0, Parent: h(0, i), TCKind: "pfifo_fast"}))
	}
	r.Apply(batch)
	rev = r.Revision()
	r.Apply([]netlink.Update{upd(unix.RTM_DELQDISC, 0, mq)})
	changes, _, _, err = r.ChangesSince(rev, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 7 {
		t.Errorf("mq's deletion: %d changes, want 7 (mq, 3 classes, 3 children)", len(changes))
	}
	for o := range r.Snapshot().Objects(netlink.KindQdisc) {
		if o.(*netlink.Qdisc).Index == 4 {
			t.Errorf("left after mq's deletion: %v", o)
		}
	}
}

// TestReplayTCPriority: without a kernel, a filter of a new priority
// brings the priority's entry, the priority's last filter takes it, and
// the priority's deletion (handle 0) takes its filters, each in one
// revision; a filter whose parent names the root qdisc by 0 brings none
// (its block is re-read).
func TestReplayTCPriority(t *testing.T) {
	r, err := ipdb.NewReplay()
	if err != nil {
		t.Fatal(err)
	}
	f := func(handle uint32) *netlink.Filter {
		return &netlink.Filter{Index: 2, Parent: 0x10000, Priority: 1, Protocol: unix.ETH_P_IP, Handle: handle, TCKind: "bpf"}
	}
	count := func() int { return len(slices.Collect(r.Snapshot().Objects(netlink.KindFilter))) }
	steps := []struct {
		u    netlink.Update
		want int // filters stored after
		revs uint64
	}{
		{upd(unix.RTM_NEWTFILTER, 0, f(1)), 2, 1},
		{upd(unix.RTM_NEWTFILTER, 0, f(2)), 3, 1},
		{upd(unix.RTM_DELTFILTER, 0, f(2)), 2, 1},
		{upd(unix.RTM_DELTFILTER, 0, f(1)), 0, 1},
		{upd(unix.RTM_NEWTFILTER, 0, f(1)), 2, 1},
		{upd(unix.RTM_NEWTFILTER, 0, f(2)), 3, 1},
		{upd(unix.RTM_DELTFILTER, 0, f(0)), 0, 1},
	}
	for i, s := range steps {
		rev := r.Revision()
		r.Apply([]netlink.Update{s.u})
		if got := count(); got != s.want || r.Revision() != rev+s.revs {
			t.Errorf("step %d: %d filters in %d revisions, want %d in %d:\n%s", i, got, r.Revision()-rev, s.want, s.revs, tcKeys(r.Snapshot()))
		}
	}
	root := f(1)
	root.Parent = 0
	if rereads := r.Apply([]netlink.Update{upd(unix.RTM_NEWTFILTER, 0, root)}); count() != 1 || rereads == 0 {
		t.Errorf("a filter of parent 0: %d filters stored and %d re-reads, want 1 and a re-read", count(), rereads)
	}
}

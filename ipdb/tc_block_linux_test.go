package ipdb_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// filterChanges returns the filter changes since rev, after a moment for
// any re-read to land, and fails the test if one filter changed twice.
func filterChanges(t *testing.T, db *ipdb.DB, rev uint64, step string) []ipdb.Change {
	t.Helper()
	time.Sleep(300 * time.Millisecond)
	all, _, _, err := db.ChangesSince(rev, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []ipdb.Change
	seen := map[string]bool{}
	for _, c := range all {
		if c.Kind != netlink.KindFilter {
			continue
		}
		o := c.New
		if o == nil {
			o = c.Old
		}
		k := ipdb.Key(o)
		if seen[k] {
			t.Errorf("%s: a second event for %v: %s", step, o, c.Op)
		}
		seen[k] = true
		out = append(out, c)
	}
	return out
}

// wantBlockEvents checks that changes are one op per filter of block in
// objs, and nothing else.
func wantBlockEvents(t *testing.T, changes []ipdb.Change, op ipdb.Op, block uint32, objs []*netlink.Filter, step string) {
	t.Helper()
	if len(changes) != len(objs) || len(objs) == 0 {
		t.Errorf("%s: %d filter events, want %d (one per filter of block %d)", step, len(changes), len(objs), block)
	}
	keys := map[string]bool{}
	for _, f := range objs {
		keys[ipdb.Key(f)] = true
	}
	for _, c := range changes {
		o := c.New
		if o == nil {
			o = c.Old
		}
		f := o.(*netlink.Filter)
		if c.Op != op || f.Block != block || f.Index != 0 || f.Parent != 0 || !keys[ipdb.Key(f)] {
			t.Errorf("%s: event %s %v, want %s of block %d's filters", step, c.Op, f, op, block)
		}
	}
}

// TestTCSharedBlock: a shared block's filters are one object each, keyed
// by the block, however many links are bound to it and whichever path
// read them (the first dump, a notification, a re-read of the block, a
// resync): adding or deleting one is one event; deleting one of two
// links bound to the block is none for its filters; deleting the last
// link, or the last qdisc, deletes them, with a filter event each though
// the kernel announces only the chains' deletion.
func TestTCSharedBlock(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch(
			"link add a0 type veth peer name a1",
			"link add b0 type veth peer name b1",
			"link set a0 up", "link set b0 up", "link set a1 up",
		)
		runTC(t, ns, "qdisc", "add", "dev", "a0", "ingress_block", "22", "ingress")
		runTC(t, ns, "filter", "add", "block", "22", "protocol", "ip", "pref", "10", "u32", "match", "ip", "dst", "192.0.2.0/24")
		// Refresh off: nothing repairs what the effects miss.
		db := dbtest.Open(t, ns, ipdb.WithRefresh(0))
		settleTC(t, ns, db, "the set-up")
		block := func(n uint32) []*netlink.Filter { return slices.Collect(db.Snapshot().FiltersOfBlock(n)) }
		if got := block(22); len(got) != 3 {
			t.Fatalf("block 22 after the first dump: %v, want u32's priority, hash table and rule", got)
		}

		// A second link bound to the block: nothing changes for its filters.
		rev := db.Revision()
		runTC(t, ns, "qdisc", "add", "dev", "b0", "ingress_block", "22", "ingress")
		settleTC(t, ns, db, "b0 bound to block 22")
		if ch := filterChanges(t, db, rev, "b0 bound"); len(ch) != 0 {
			t.Errorf("binding b0 to block 22: %d filter events, want none: %v", len(ch), ch)
		}
		if got := db.Snapshot().BlocksOf(ns.Ifindex("b0")); got[netlink.HandleIngressBlock] != 22 {
			t.Errorf("BlocksOf(b0) = %v", got)
		}

		// A filter added to the block: one event per new object, not one
		// per link.
		rev = db.Revision()
		runTC(t, ns, "filter", "add", "block", "22", "protocol", "all", "pref", "20", "bpf", "bytecode", "1,6 0 0 0,")
		settleTC(t, ns, db, "a bpf filter added to block 22")
		var added []*netlink.Filter
		for _, f := range block(22) {
			if f.Priority == 20 {
				added = append(added, f)
			}
		}
		wantBlockEvents(t, filterChanges(t, db, rev, "filter add block 22"), ipdb.OpAdd, 22, added, "filter add block 22")

		// Deleted: one event each.
		rev = db.Revision()
		runTC(t, ns, "filter", "del", "block", "22", "protocol", "all", "pref", "20", "handle", "1", "bpf")
		settleTC(t, ns, db, "the bpf filter deleted")
		wantBlockEvents(t, filterChanges(t, db, rev, "filter del block 22"), ipdb.OpDelete, 22, added, "filter del block 22")

		// A whole u32 priority deleted (one notification for the
		// priority), then added again (u32's hash table and the priority
		// come unannounced): a delete each, then an add each.
		prio10 := block(22)
		rev = db.Revision()
		runTC(t, ns, "filter", "del", "block", "22", "protocol", "ip", "pref", "10")
		settleTC(t, ns, db, "block 22's priority 10 deleted")
		wantBlockEvents(t, filterChanges(t, db, rev, "filter del block 22 pref 10"), ipdb.OpDelete, 22, prio10, "filter del block 22 pref 10")
		rev = db.Revision()
		runTC(t, ns, "filter", "add", "block", "22", "protocol", "ip", "pref", "10", "u32", "match", "ip", "dst", "192.0.2.0/24")
		settleTC(t, ns, db, "block 22's u32 filter added again")
		wantBlockEvents(t, filterChanges(t, db, rev, "filter add block 22 u32"), ipdb.OpAdd, 22, block(22), "filter add block 22 u32")

		// A resync finds the same objects: no event.
		rev = db.Revision()
		if err := db.Resync(context.Background()); err != nil {
			t.Fatal(err)
		}
		settleTC(t, ns, db, "a resync")
		if ch := filterChanges(t, db, rev, "resync"); len(ch) != 0 {
			t.Errorf("resync: %d filter events, want none: %v", len(ch), ch)
		}

		// One of two bound links deleted: no event for the block's
		// filters. The last: a delete each.
		before := block(22)
		rev = db.Revision()
		ns.IP("link", "del", "b0")
		settleTC(t, ns, db, "b0 deleted")
		if ch := filterChanges(t, db, rev, "b0 deleted"); len(ch) != 0 {
			t.Errorf("deleting b0, one of two links bound to block 22: %d filter events, want none: %v", len(ch), ch)
		}
		rev = db.Revision()
		ns.IP("link", "del", "a0")
		settleTC(t, ns, db, "a0 deleted")
		wantBlockEvents(t, filterChanges(t, db, rev, "a0 deleted"), ipdb.OpDelete, 22, before, "a0, the last link bound to block 22, deleted")
		oneTCRevision(t, db, rev, "a0 deleted")
		if got := block(22); len(got) != 0 {
			t.Errorf("block 22 after its last link: %v", got)
		}

		// The last qdisc deleted, from clsact's egress block.
		ns.Batch("link add c0 type veth peer name c1")
		runTC(t, ns, "qdisc", "add", "dev", "c0", "ingress_block", "30", "egress_block", "31", "clsact")
		runTC(t, ns, "filter", "add", "block", "31", "protocol", "ip", "pref", "1", "chain", "4", "u32", "match", "ip", "dst", "198.51.100.0/24")
		settleTC(t, ns, db, "block 31")
		before = block(31)
		if len(before) != 3 {
			t.Fatalf("block 31: %v", before)
		}
		rev = db.Revision()
		runTC(t, ns, "qdisc", "del", "dev", "c0", "clsact")
		settleTC(t, ns, db, "c0's clsact deleted")
		wantBlockEvents(t, filterChanges(t, db, rev, "clsact deleted"), ipdb.OpDelete, 31, before, "the last qdisc bound to block 31 deleted")
		oneTCRevision(t, db, rev, "clsact deleted")
		for f := range db.Snapshot().Filters() {
			if f.Block != 0 {
				t.Errorf("a block filter left: %v", f)
			}
		}
		if t.Failed() {
			t.Logf("filters: %s", strings.Join(filterStrings(db), "\n"))
		}
	})
}

// oneTCRevision fails the test unless the filter events since rev are in
// the revision of the first tc event: a block dies with its filters in
// the revision of its last binding's deletion (the link's, or the
// qdisc's). A veth peer's own qdisc goes in the peer's revision.
func oneTCRevision(t *testing.T, db *ipdb.DB, rev uint64, what string) {
	t.Helper()
	changes := tcChangesSince(t, db, rev)
	for _, c := range changes {
		if c.Kind == netlink.KindFilter && c.Rev != changes[0].Rev {
			t.Errorf("%s: %s %v in revision %d, the first tc event in %d", what, c.Op, c.Old, c.Rev, changes[0].Rev)
		}
	}
}

func filterStrings(db *ipdb.DB) []string {
	var out []string
	for f := range db.Snapshot().Filters() {
		out = append(out, f.String())
	}
	return out
}

package ipdb

import (
	"testing"

	"github.com/ipdb-go/ipdb/internal/kindcheck"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// TestKindTableComplete: every kind netlink knows has a row in kindDefs,
// at its own index, with everything a kind needs to be stored, subscribed
// to, loaded, resynced (fullSync dumps every row) and compared; and the
// generic paths (the schema, Snapshot.All, Stats) cover every row.
func TestKindTableComplete(t *testing.T) {
	kindcheck.Complete(t, "ipdb kindDefs", func(k netlink.Kind) bool { return defOf(k) != nil })
	tables := map[string]netlink.Kind{}
	for i, d := range kindDefs {
		if d == nil {
			continue
		}
		k := netlink.Kind(i)
		if d.kind != k {
			t.Errorf("kindDefs[%s] is the row of %s", k, d.kind)
		}
		for field, missing := range map[string]bool{
			"table":   d.table == "",
			"key":     d.key == nil,
			"keep":    d.keep == nil,
			"dump":    d.dump == nil,
			"inScope": d.inScope == nil,
			"equal":   d.equal == nil,
			"groups":  d.groups == (kindGroups{}),
		} {
			if missing {
				t.Errorf("ipdb kindDefs: the row of %s has no %s", k, field)
			}
		}
		if (d.effects.afterCommit == nil) != (d.effects.checkAfterCommit == nil) {
			t.Errorf("the row of %s has afterCommit without checkAfterCommit or the reverse", k)
		}
		if other, dup := tables[d.table]; dup {
			t.Errorf("kinds %s and %s share table %q", other, k, d.table)
		}
		tables[d.table] = k
		for _, f := range d.follows {
			if defOf(f) == nil {
				t.Errorf("%s follows %s, which has no row", k, f)
			}
		}
	}
	schema, _ := newSchema()
	for _, k := range netlink.Kinds() {
		if d := defOf(k); d != nil && schema.Tables[d.table] == nil {
			t.Errorf("the schema has no table for %s", k)
		}
	}
	// Every kind is subscribed to by default, and kept.
	o := defaultOptions()
	g := o.groups()
	for _, k := range netlink.Kinds() {
		d := defOf(k)
		if d == nil {
			continue
		}
		if !o.keeps(d) {
			t.Errorf("%s is not kept by default", k)
		}
		if all := o.groupsOf(d); g&all != all {
			t.Errorf("%s's groups %#x are not all joined by default (%#x)", k, all, g)
		}
	}
}

// TestGroupsFromTable: the groups Open joins, from the rows, for the
// filters of WithKinds and WithFamilies. Links are always followed, and
// routes follow addresses and nexthop objects (removing one removes routes
// silently).
func TestGroupsFromTable(t *testing.T) {
	for _, tc := range []struct {
		opts []Option
		want netlink.Groups
	}{
		{nil, netlink.GroupAll},
		{[]Option{WithKinds(netlink.KindRoute)}, netlink.GroupLink | netlink.GroupIPv4Addr | netlink.GroupIPv6Addr | netlink.GroupIPv4Route | netlink.GroupIPv6Route | netlink.GroupNexthop | netlink.GroupMPLSRoute},
		{[]Option{WithKinds(netlink.KindRoute), WithFamilies(unix.AF_MPLS)}, netlink.GroupLink | netlink.GroupNexthop | netlink.GroupMPLSRoute},
		{[]Option{WithKinds(netlink.KindRoute), WithFamilies(unix.AF_INET)}, netlink.GroupLink | netlink.GroupIPv4Addr | netlink.GroupIPv4Route | netlink.GroupNexthop},
		{[]Option{WithKinds(netlink.KindNexthop)}, netlink.GroupLink | netlink.GroupNexthop},
		{[]Option{WithKinds(netlink.KindAddr), WithFamilies(unix.AF_INET6)}, netlink.GroupLink | netlink.GroupIPv6Addr},
		{[]Option{WithKinds(netlink.KindFDB)}, netlink.GroupLink | netlink.GroupNeigh},
		{[]Option{WithKinds(netlink.KindNeigh, netlink.KindRule), WithFamilies(unix.AF_INET6)}, netlink.GroupLink | netlink.GroupNeigh | netlink.GroupIPv6Rule},
		{[]Option{WithKinds(netlink.KindLink)}, netlink.GroupLink},
	} {
		o := defaultOptions()
		for _, opt := range tc.opts {
			if err := opt(&o); err != nil {
				t.Fatal(err)
			}
		}
		if got := o.groups(); got != tc.want {
			t.Errorf("kinds %v, families %v: groups %#x, want %#x", o.kinds, o.families, got, tc.want)
		}
	}
}

// TestRefreshFromTable: the periodic refresh re-reads the kinds whose rows
// ask for it (links, neighbours and FDB entries), in table order, then the
// MPLS routes.
func TestRefreshFromTable(t *testing.T) {
	want := []netlink.Kind{netlink.KindLink, netlink.KindNeigh, netlink.KindFDB}
	if len(refreshJobs) != len(want)+1 || refreshJobs[len(want)] != (reconcileJob{kind: netlink.KindRoute, s: scope{family: unix.AF_MPLS}}) {
		t.Fatalf("refresh jobs %+v, want kinds %v and the MPLS routes", refreshJobs, want)
	}
	for i, j := range refreshJobs[:len(want)] {
		if j != (reconcileJob{kind: want[i]}) {
			t.Errorf("refresh job %d: %+v, want all of %s", i, j, want[i])
		}
	}
}

package ipdb

import (
	"net/netip"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// TestFollowChangesAsNotifications: a change a re-read found calls for the
// same re-reads as the notification that would have announced it, for the
// kinds whose effects follow from state (links, addresses), and for none
// for the kinds whose effects follow from how a notification announced
// something (routes: hop by hop; rules: rules coming or going).
func TestFollowChangesAsNotifications(t *testing.T) {
	up := &netlink.Link{Index: 3, Name: "v0", Flags: unix.IFF_UP | unix.IFF_LOWER_UP, Master: 5, ParentIndex: 4}
	down := &netlink.Link{Index: 3, Name: "v0", Flags: 0, Master: 5, ParentIndex: 4}
	renamed := &netlink.Link{Index: 3, Name: "v9", Flags: 0, Master: 6}
	a4 := &netlink.Addr{Family: unix.AF_INET, Index: 3, Prefix: netip.MustParsePrefix("192.0.2.1/24")}
	a6 := &netlink.Addr{Family: unix.AF_INET6, Index: 3, Prefix: netip.MustParsePrefix("2001:db8::1/64")}
	r6 := &netlink.Route{Family: unix.AF_INET6, Table: 254, Dst: netip.MustParsePrefix("2001:db8:1::/64"),
		Multipath: []netlink.RouteHop{{IfIndex: 3}, {IfIndex: 4}}}
	rule := &netlink.Rule{Family: unix.AF_INET, Priority: 100, Table: 300}
	// The notification each change stands for, as the applier would see it.
	for _, tc := range []struct {
		c      Change
		typ    uint16
		follow bool
	}{
		{Change{Kind: netlink.KindLink, Op: OpAdd, New: up}, unix.RTM_NEWLINK, true},
		{Change{Kind: netlink.KindLink, Op: OpChange, Old: up, New: down}, unix.RTM_NEWLINK, true},
		{Change{Kind: netlink.KindLink, Op: OpChange, Old: down, New: renamed}, unix.RTM_NEWLINK, true},
		{Change{Kind: netlink.KindLink, Op: OpDelete, Old: renamed}, unix.RTM_DELLINK, true},
		{Change{Kind: netlink.KindAddr, Op: OpAdd, New: a6}, unix.RTM_NEWADDR, true},
		{Change{Kind: netlink.KindAddr, Op: OpDelete, Old: a4}, unix.RTM_DELADDR, true},
		{Change{Kind: netlink.KindAddr, Op: OpDelete, Old: a6}, unix.RTM_DELADDR, true},
		{Change{Kind: netlink.KindRoute, Op: OpDelete, Old: r6}, unix.RTM_DELROUTE, false},
		{Change{Kind: netlink.KindRule, Op: OpAdd, New: rule}, unix.RTM_NEWRULE, false},
	} {
		d := defOf(tc.c.Kind)
		var found, notified rereads
		d.changed(causeOfChange(&tc.c), &found)
		obj := tc.c.New
		if obj == nil {
			obj = tc.c.Old
		}
		d.changed(causeOf(netlink.Update{Type: tc.typ, Object: obj}, tc.c.Old), &notified)
		if len(notified.now)+len(notified.later) == 0 {
			t.Fatalf("%s %v: the notification calls for no re-read; the case tests nothing", tc.c.Op, obj)
		}
		if !tc.follow {
			if len(found.now)+len(found.later) != 0 {
				t.Errorf("%s %v found by a re-read calls for re-reads %+v", tc.c.Op, obj, found)
			}
			continue
		}
		if !reflect.DeepEqual(found, notified) {
			t.Errorf("%s %v: found by a re-read %+v, notified %+v", tc.c.Op, obj, found, notified)
		}
	}
}

// TestCarrierFoundBeforeLinkwatch: a re-read that finds a link's carrier
// gone before the kernel's linkwatch work has flagged its routes linkdown
// (the flags show at once; the NETDEV_CHANGE handlers run later, and the
// link is announced after them) makes the link's next notification, which
// then changes nothing, re-read the link's routes, addresses, neighbours
// and FDB entries. Without a re-read before it, the same notification
// calls for none of them, and a wait older than linkwatchMax is dropped.
func TestCarrierFoundBeforeLinkwatch(t *testing.T) {
	up := &netlink.Link{Index: 7, Name: "br0", Flags: unix.IFF_UP | unix.IFF_LOWER_UP | unix.IFF_RUNNING}
	noCarrier := &netlink.Link{Index: 7, Name: "br0", Flags: unix.IFF_UP}
	routeJob := reconcileJob{kind: netlink.KindRoute, s: scope{ifindex: 7}}
	has := func(fx rereads) bool {
		for _, j := range fx.now {
			if j == routeJob {
				return true
			}
		}
		return false
	}
	announce := func(wait linkwatchWait) rereads {
		fx := rereads{linkwatch: wait}
		linkDef.changed(causeOf(netlink.Update{Type: unix.RTM_NEWLINK, Object: noCarrier}, noCarrier), &fx)
		return fx
	}

	wait := linkwatchWait{}
	found := rereads{linkwatch: wait}
	linkDef.changed(causeOfChange(&Change{Kind: netlink.KindLink, Op: OpChange, Old: up, New: noCarrier}), &found)
	if !has(found) {
		t.Fatalf("the carrier change found by a re-read calls for no route re-read: %+v", found)
	}
	if _, ok := wait[7]; !ok {
		t.Fatal("the link does not wait for its linkwatch announcement")
	}
	if fx := announce(wait); !has(fx) {
		t.Errorf("the announcement after the found change calls for no route re-read: %+v", fx)
	}
	if len(wait) != 0 {
		t.Errorf("the wait is kept after the announcement: %v", wait)
	}
	if fx := announce(wait); has(fx) {
		t.Errorf("a second unchanged announcement re-reads the routes again: %+v", fx)
	}
	wait[7] = time.Now().Add(-linkwatchMax)
	if fx := announce(wait); has(fx) {
		t.Errorf("a wait older than linkwatchMax re-reads the routes: %+v", fx)
	}
	wait[7] = time.Now()
	gone := rereads{linkwatch: wait}
	linkDef.changed(causeOf(netlink.Update{Type: unix.RTM_DELLINK, Object: noCarrier}, noCarrier), &gone)
	if len(wait) != 0 {
		t.Errorf("a deleted link still waits: %v", wait)
	}
}

// TestLinkFlipSettled: a link's up, down or carrier change re-reads its
// routes, addresses, neighbours and FDB now, after settleDelay and again
// after linkSettleDelay (its handlers may run late on a loaded machine).
func TestLinkFlipSettled(t *testing.T) {
	up := &netlink.Link{Index: 4, Name: "v0", Flags: unix.IFF_UP | unix.IFF_LOWER_UP | unix.IFF_RUNNING}
	down := &netlink.Link{Index: 4, Name: "v0"}
	var fx rereads
	linkDef.changed(causeOf(netlink.Update{Type: unix.RTM_NEWLINK, Object: down}, up), &fx)
	routes := reconcileJob{kind: netlink.KindRoute, s: scope{ifindex: 4}}
	for name, jobs := range map[string][]reconcileJob{"now": fx.now, "later": fx.later, "settled": fx.settled} {
		if !slices.Contains(jobs, routes) {
			t.Errorf("%s: no re-read of the link's routes in %+v", name, jobs)
		}
	}
	if linkSettleDelay <= settleDelay {
		t.Errorf("linkSettleDelay %v is not after settleDelay %v", linkSettleDelay, settleDelay)
	}
}

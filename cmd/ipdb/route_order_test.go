package main

import (
	"net/netip"
	"testing"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// TestRoutesInDumpOrder: the cache's routes as serve and the cache-read
// tables print them come in a kernel dump's table order, each family's
// tables by id modulo 256 (found by a user's try: /v1/routes put table
// 300 after local, where `ip -j route show table all` lists it first).
func TestRoutesInDumpOrder(t *testing.T) {
	r, err := ipdb.NewReplay()
	if err != nil {
		t.Fatal(err)
	}
	link := &netlink.Link{Index: 2, Name: "v0", MTU: 1500, Flags: unix.IFF_UP}
	updates := []netlink.Update{{Type: unix.RTM_NEWLINK, Object: link}}
	for _, fam := range []uint8{unix.AF_INET6, unix.AF_INET} {
		for _, table := range []uint32{255, 1000, 254, 300, 100} {
			dst := netip.MustParsePrefix("192.0.2.0/24")
			if fam == unix.AF_INET6 {
				dst = netip.MustParsePrefix("2001:db8::/64")
			}
			updates = append(updates, netlink.Update{Type: unix.RTM_NEWROUTE, Flags: unix.NLM_F_CREATE | unix.NLM_F_EXCL,
				Object: &netlink.Route{Family: fam, Dst: dst, Table: table, OIF: 2, Type: netlink.RouteUnicast, Protocol: netlink.ProtoBoot}})
		}
	}
	r.Apply(updates)
	type ft struct {
		fam   uint8
		table uint32
	}
	var got []ft
	for rt := range routesInDumpOrder(r.Snapshot()) {
		got = append(got, ft{rt.Family, rt.Table})
	}
	want := []ft{{unix.AF_INET, 300}, {unix.AF_INET, 100}, {unix.AF_INET, 1000}, {unix.AF_INET, 254}, {unix.AF_INET, 255},
		{unix.AF_INET6, 300}, {unix.AF_INET6, 100}, {unix.AF_INET6, 1000}, {unix.AF_INET6, 254}, {unix.AF_INET6, 255}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

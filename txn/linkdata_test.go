package txn

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// TestLinkDataChangesEveryInfoKind: for every kind of link data, a spec that
// differs from the existing link in a kind setting is either planned as an
// in-place change naming the setting as old -> new, or refused with an
// error naming it. Never "nothing to do". A kind without a row here fails
// the test.
func TestLinkDataChangesEveryInfoKind(t *testing.T) {
	u32p := func(v uint32) *uint32 { return &v }
	mode := netlink.BondActiveBackup
	rr := netlink.BondBalanceRR
	rows := []struct {
		cur, want netlink.LinkData
		parent    string // the spec's Parent
		change    string // in the plan line or the error
		refused   bool
	}{
		{&netlink.Bridge{StpState: u32p(0)}, &netlink.Bridge{StpState: u32p(1)}, "", "stp_state 0 -> 1", false},
		{&netlink.Veth{}, &netlink.Veth{Peer: &netlink.Link{Name: "zz"}}, "", "peer p1 -> zz", true},
		{&netlink.Vxlan{ID: 42, Port: 4789}, &netlink.Vxlan{ID: 43}, "", "id 42 -> 43", true},
		{&netlink.Vxlan{ID: 42, Port: 4789}, &netlink.Vxlan{ID: 42, Port: 8472}, "", "dstport 4789 -> 8472", true},
		{&netlink.Vxlan{ID: 42, Group: netip.MustParseAddr("198.51.100.1")}, &netlink.Vxlan{ID: 42, Group: netip.MustParseAddr("198.51.100.2")}, "", "remote 198.51.100.1 -> 198.51.100.2", false},
		{&netlink.Vxlan{ID: 42}, &netlink.Vxlan{ID: 42, TTL: 9}, "", "ttl 0 -> 9", false},
		{&netlink.Vxlan{ID: 42}, &netlink.Vxlan{ID: 42, Limit: 9}, "", "maxaddress 0 -> 9", true},
		{&netlink.Vxlan{ID: 42}, &netlink.Vxlan{ID: 42, L2Miss: true}, "", "l2miss off -> on", true},
		{&netlink.Macvlan{Mode: netlink.MacvlanBridge}, &netlink.Macvlan{Mode: netlink.MacvlanVEPA}, "", "mode bridge -> vepa", false},
		{&netlink.Macvlan{Mode: netlink.MacvlanBridge}, &netlink.Macvlan{Mode: netlink.MacvlanPassthru}, "", "mode bridge -> passthru", true},
		{&netlink.Macvlan{Mode: netlink.MacvlanBridge}, &netlink.Macvlan{}, "p1", "link p0 -> p1", true},
		{&netlink.Vlan{ID: 5}, &netlink.Vlan{ID: 6}, "", "id 5 -> 6", true},
		{&netlink.Vlan{ID: 5, Protocol: unix.ETH_P_8021Q}, &netlink.Vlan{ID: 5, Protocol: unix.ETH_P_8021AD}, "", "protocol 0x8100 -> 0x88a8", true},
		{&netlink.Vlan{ID: 5}, &netlink.Vlan{ID: 5, Flags: 1, FlagsMask: 1}, "", "flags 0x0 -> 0x1", false},
		{&netlink.Bond{Mode: &rr}, &netlink.Bond{Mode: &mode}, "", "mode balance-rr -> active-backup", false},
		{&netlink.Vrf{Table: 10}, &netlink.Vrf{Table: 11}, "", "table 10 -> 11", true},
		{&netlink.Tuntap{Type: netlink.TapType}, &netlink.Tuntap{Type: netlink.TunType}, "", "type tap -> tun", true},
		{&netlink.Gre{Kind: "gre", TTL: 32, Remote: netip.MustParseAddr("198.51.100.1")}, &netlink.Gre{Kind: "gre", TTL: 64}, "", "ttl 32 -> 64", true},
		{&netlink.Gre{Kind: "ip6erspan"}, &netlink.Gre{Kind: "ip6erspan", ErspanVer: new(uint8(2))}, "", "erspan_ver (default) -> 2", true},
		{&netlink.IPTun{Kind: "ipip", Remote: netip.MustParseAddr("198.51.100.1")}, &netlink.IPTun{Kind: "ipip", Remote: netip.MustParseAddr("198.51.100.2")}, "", "remote 198.51.100.1 -> 198.51.100.2", true},
		{&netlink.IPTun{Kind: "ip6tnl", Proto: new(uint8(41))}, &netlink.IPTun{Kind: "ip6tnl", Proto: new(uint8(4))}, "", "mode 41 -> 4", true},
		{&netlink.Vti{Kind: "vti", IKey: 7}, &netlink.Vti{Kind: "vti", IKey: 8}, "", "ikey 7 -> 8", true},
		{&netlink.Geneve{ID: 5, Port: 6081}, &netlink.Geneve{ID: 6}, "", "id 5 -> 6", true},
		{&netlink.RawLinkData{LinkKind: "geneve", Data: []byte{1}}, &netlink.RawLinkData{LinkKind: "geneve", Data: []byte{2}}, "", "data", true},
	}
	seen := map[string]bool{}
	for _, r := range rows {
		kind := r.want.InfoKind()
		seen[kind] = true
		l0 := &netlink.Link{Index: 2, Name: "l0", MTU: 1500, ParentIndex: 3, Info: &netlink.LinkInfo{InfoKind: kind, Data: r.cur}}
		if kind == "veth" {
			l0.ParentIndex = 4
		}
		st := replayState(t, l0,
			&netlink.Link{Index: 3, Name: "p0", Info: &netlink.LinkInfo{InfoKind: "veth"}, ParentIndex: 4},
			&netlink.Link{Index: 4, Name: "p1", Info: &netlink.LinkInfo{InfoKind: "veth"}, ParentIndex: 3},
		)
		p, err := newPlanner(st, &specSet{links: []LinkSpec{{Name: "l0", Parent: r.parent, Info: &netlink.LinkInfo{InfoKind: kind, Data: r.want}}}}, false)
		if err != nil {
			t.Fatal(err)
		}
		plan, err := p.plan()
		switch {
		case r.refused && err == nil:
			t.Errorf("%s %s: planned %q, want a refusal", kind, r.change, plan)
		case r.refused && (!strings.Contains(err.Error(), r.change) || !strings.Contains(err.Error(), "cannot be changed in place")):
			t.Errorf("%s: error %q does not name %q", kind, err, r.change)
		case !r.refused && err != nil:
			t.Errorf("%s %s: %v", kind, r.change, err)
		case !r.refused && (len(plan.Steps) != 1 || !strings.Contains(plan.Steps[0].String(), r.change)):
			t.Errorf("%s: plan %q does not show %q", kind, plan, r.change)
		}
	}
	// Every kind of link data the netlink package decodes has a row.
	for _, d := range []netlink.LinkData{&netlink.Bridge{}, &netlink.Veth{}, &netlink.Vxlan{}, &netlink.Macvlan{},
		&netlink.Vlan{}, &netlink.Bond{}, &netlink.Vrf{}, &netlink.Tuntap{}, &netlink.RawLinkData{LinkKind: "geneve"},
		&netlink.Gre{}, &netlink.Gre{Kind: "ip6erspan"}, &netlink.IPTun{}, &netlink.IPTun{Kind: "ip6tnl"}, &netlink.Vti{}, &netlink.Geneve{}} {
		if !seen[d.InfoKind()] {
			t.Errorf("kind %s has no row", d.InfoKind())
		}
	}
}

package ipdb_test

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// wg-quick's policy routing, replayed without a kernel: unmarked packets
// go to table 51820, the tunnel's own (marked) packets to main, and main's
// routes other than the default one win over the tunnel.
func ExampleSnapshot_RouteGet() {
	r, err := ipdb.NewReplay()
	if err != nil {
		panic(err)
	}
	u32 := func(v uint32) *uint32 { return &v }
	rules := []*netlink.Rule{
		{Family: unix.AF_INET, Action: netlink.RuleToTable, Table: unix.RT_TABLE_LOCAL},
		{Family: unix.AF_INET, Action: netlink.RuleToTable, Table: unix.RT_TABLE_MAIN, Priority: 99, SuppressPrefixLen: u32(0)},
		{Family: unix.AF_INET, Action: netlink.RuleToTable, Table: 51820, Priority: 100, Mark: 51820, Mask: 0xffffffff, Flags: unix.FIB_RULE_INVERT},
		{Family: unix.AF_INET, Action: netlink.RuleToTable, Table: unix.RT_TABLE_MAIN, Priority: 32766},
		{Family: unix.AF_INET, Action: netlink.RuleBlackhole, Priority: 50, Dst: netip.MustParsePrefix("203.0.113.0/24")},
	}
	route := func(dst, gw string, oif, table uint32) *netlink.Route {
		rt := &netlink.Route{Family: unix.AF_INET, Dst: netip.MustParsePrefix(dst), Table: table, OIF: oif,
			Type: netlink.RouteUnicast, Protocol: netlink.ProtoBoot}
		if gw != "" {
			rt.Gateway = netip.MustParseAddr(gw)
		}
		return rt
	}
	batch := []netlink.Update{
		{Type: unix.RTM_NEWLINK, Object: &netlink.Link{Index: 2, Name: "eth0", Flags: unix.IFF_UP}},
		{Type: unix.RTM_NEWLINK, Object: &netlink.Link{Index: 3, Name: "wg0", Flags: unix.IFF_UP}},
		{Type: unix.RTM_NEWROUTE, Object: route("0.0.0.0/0", "192.0.2.254", 2, unix.RT_TABLE_MAIN)},
		{Type: unix.RTM_NEWROUTE, Object: route("192.0.2.0/24", "", 2, unix.RT_TABLE_MAIN)},
		{Type: unix.RTM_NEWROUTE, Object: route("0.0.0.0/0", "", 3, 51820)},
	}
	for _, rule := range rules {
		batch = append(batch, netlink.Update{Type: unix.RTM_NEWRULE, Object: rule})
	}
	r.Apply(batch)
	s := r.Snapshot()
	for _, q := range []ipdb.RouteQuery{
		{Dst: netip.MustParseAddr("198.51.100.7")},
		{Dst: netip.MustParseAddr("198.51.100.7"), Mark: 51820},
		{Dst: netip.MustParseAddr("192.0.2.9")},
		{Dst: netip.MustParseAddr("203.0.113.1"), Mark: 51820},
	} {
		a, err := s.RouteGet(q)
		switch {
		case errors.Is(err, unix.EINVAL):
			fmt.Printf("%s mark %d: blackhole\n", q.Dst, q.Mark)
		case err != nil:
			fmt.Println(err)
		default:
			fmt.Printf("%s mark %d: %s table %d (rule %d)\n", q.Dst, q.Mark, a.Route.Dst, a.Table, a.Rule.Priority)
		}
	}
	// Output:
	// 198.51.100.7 mark 0: 0.0.0.0/0 table 51820 (rule 100)
	// 198.51.100.7 mark 51820: 0.0.0.0/0 table 254 (rule 32766)
	// 192.0.2.9 mark 0: 192.0.2.0/24 table 254 (rule 99)
	// 203.0.113.1 mark 51820: blackhole
}

package main

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/ipdb-go/ipdb/netlink"
)

// TestTunnelInfoDataGolden: the tunnels' linkinfo as iproute2 6.1's
// print_opt functions print it with -j -d, from decoded objects (the
// guest's TestShowTunnelsJSONEqualsIP compares the same with ip itself).
func TestTunnelInfoDataGolden(t *testing.T) {
	a := netip.MustParseAddr
	names := newLinkNames(nil)
	names.m[4] = linkRef{name: "lower0"}
	for _, tt := range []struct {
		kind string
		data netlink.LinkData
		want string
	}{
		{"gre", &netlink.Gre{Kind: "gre", Link: 4, IFlags: netlink.GreKey, OFlags: netlink.GreKey, IKey: 5, OKey: 5,
			Local: a("192.0.2.1"), Remote: a("198.51.100.1"), TTL: 64, TOS: 0x10, PMTUDisc: new(false), IgnoreDF: new(true),
			FwMark: 7, ErspanVer: new(uint8(0))},
			`"remote":"198.51.100.1","local":"192.0.2.1","link":"lower0","ttl":64,"tos":"0x10","pmtudisc":false,"ignore_df":true,` +
				`"ikey":"0.0.0.5","okey":"0.0.0.5","fwmark":"0x7","erspan_ver":0`},
		{"gretap", &netlink.Gre{Kind: "gretap", IFlags: netlink.GreSeq | netlink.GreCsum, OFlags: netlink.GreSeq | netlink.GreCsum,
			PMTUDisc: new(true), IgnoreDF: new(false), ErspanVer: new(uint8(0))},
			`"remote":"any","local":"any","ttl":0,"pmtudisc":true,"iseq":true,"oseq":true,"icsum":true,"ocsum":true,"erspan_ver":0`},
		{"ip6erspan", &netlink.Gre{Kind: "ip6erspan", Link: 7, OFlags: netlink.GreKey | netlink.GreSeq, OKey: 12,
			Local: a("2001:db8::1"), Remote: a("2001:db8::4"), EncapLimit: new(uint8(4)), FlowInfo: new(uint32(0x2012345)),
			Flags: netlink.IP6TnlAllowLocalRemote, FwMark: 42, Encap: netlink.TunnelEncap{Type: 1, Flags: 1, DPort: 6698},
			ErspanVer: new(uint8(2)), ErspanDir: new(uint8(1)), ErspanHwid: new(uint16(7))},
			`"remote":"2001:db8::4","local":"2001:db8::1","link":"if7","ttl":0,"encap_limit":4,"tclass":"0x20","flowlabel":"0x12345",` +
				`"okey":"0.0.0.12","oseq":true,"ip6_tnl_f_allow_local_remote":true,"fwmark":"0x2a","erspan_ver":2,"erspan_dir":"egress",` +
				`"erspan_hwid":"0x7","encap":{"type":"fou","sport":0,"dport":6698,"csum":true,"csum6":false,"remcsum":false}`},
		{"ip6gre", &netlink.Gre{Kind: "ip6gre", FlowInfo: new(uint32(0)), EncapLimit: new(uint8(4)),
			Flags:  netlink.IP6TnlIgnEncapLimit | netlink.IP6TnlUseOrigTclass | netlink.IP6TnlUseOrigFlowlabel | netlink.IP6TnlRcvDSCPCopy | netlink.IP6TnlUseOrigFwMark,
			FwMark: 3, Encap: netlink.TunnelEncap{Type: 9}},
			`"remote":"any","local":"any","ttl":0,"ip6_tnl_f_ign_encap_limit":true,"ip6_tnl_f_use_orig_tclass":true,` +
				`"ip6_tnl_f_use_orig_flowlabel":true,"ip6_tnl_f_rcv_dscp_copy":true,"ip6_tnl_f_use_orig_fwmark":true,` +
				`"encap":{"type":null,"sport":0,"dport":0,"csum":false,"csum6":false,"remcsum":false}`},
		{"sit", &netlink.IPTun{Kind: "sit", Local: a("192.0.2.1"), TTL: 32, TOS: 1, Proto: new(uint8(41)), PMTUDisc: new(true),
			Flags: netlink.SitISATAP, SixRD: &netlink.IPTun6RD{Prefix: a("2002::"), PrefixLen: 16, RelayPrefix: a("192.0.2.0"), RelayPrefixLen: 24}},
			`"proto":"ip6ip","remote":"any","local":"192.0.2.1","ttl":32,"tos":"0x1","pmtudisc":true,"isatap":true,` +
				`"prefix":"2002::","prefixlen":16,"relay_prefix":"192.0.2.0","relay_prefixlen":24`},
		{"ipip", &netlink.IPTun{Kind: "ipip", Proto: new(uint8(137)), FwMark: 9, Encap: netlink.TunnelEncap{Type: 2, SPort: 1, DPort: 2, Flags: 6}},
			`"proto":"mplsip","remote":"any","local":"any","ttl":0,"pmtudisc":false,"fwmark":"0x9",` +
				`"encap":{"type":"gue","sport":1,"dport":2,"csum":false,"csum6":true,"remcsum":true}`},
		{"ip6tnl", &netlink.IPTun{Kind: "ip6tnl", Local: a("2001:db8::1"), Remote: a("2001:db8::5"), TTL: 64, Proto: new(uint8(4)),
			Flags: netlink.IP6TnlIgnEncapLimit | netlink.IP6TnlMIP6Dev, EncapLimit: new(uint8(4)), FlowInfo: new(uint32(0x54321)), CollectMetadata: true},
			`"external":true,"proto":"ipip6","remote":"2001:db8::5","local":"2001:db8::1","ttl":64,"ip6_tnl_f_ign_encap_limit":true,` +
				`"tclass":"0x00","flowlabel":"0x54321","ip6_tnl_f_mip6_dev":true`},
		{"vti", &netlink.Vti{Kind: "vti", IKey: 7, OKey: 8, Local: a("192.0.2.1"), Remote: a("198.51.100.6"), FwMark: 16},
			`"remote":"198.51.100.6","local":"192.0.2.1","ikey":"0.0.0.7","okey":"0.0.0.8","fwmark":"0x10"`},
		{"vti6", &netlink.Vti{Kind: "vti6", Link: 4, Remote: a("2001:db8::6")},
			`"remote":"2001:db8::6","local":"any","link":"lower0"`},
		{"geneve", &netlink.Geneve{ID: 100, Remote: a("198.51.100.7"), TOS: 0x10, Port: 6081, UDPCsum: new(false), DF: new(uint8(0)),
			UDPZeroCsum6Tx: new(false), UDPZeroCsum6Rx: new(true)},
			`"id":100,"remote":"198.51.100.7","ttl":0,"tos":"0x10","df":"unset","port":6081,"udp_csum":false,` +
				`"udp_zero_csum6_tx":false,"udp_zero_csum6_rx":true`},
		{"geneve", &netlink.Geneve{ID: 5, Remote: a("2001:db8::7"), TTLInherit: true, Label: 0xabcde, InnerProtoInherit: true, DF: new(uint8(2))},
			`"id":5,"remote6":"2001:db8::7","df":"inherit","label":"0xabcde","port":0,"inner_proto_inherit":true`},
		{"geneve", &netlink.Geneve{CollectMetadata: true, Remote: a("ff05::1"), TTL: 3, DF: new(uint8(1))},
			`"external":true,"id":0,"ttl":3,"df":"set","port":0`},
		// No kind data at all: ip still opens info_data.
		{"gre", nil, ``},
	} {
		var buf bytes.Buffer
		j := newJSONOut(&buf)
		j.openObject("")
		writeLinkInfo(j, &netlink.LinkInfo{InfoKind: tt.kind, Data: tt.data}, names)
		j.closeObject()
		j.flush()
		want := `{"linkinfo":{"info_kind":"` + tt.kind + `","info_data":{` + tt.want + `}}}`
		if buf.String() != want {
			t.Errorf("%s:\n got: %s\nwant: %s", tt.kind, buf.String(), want)
		}
	}
}

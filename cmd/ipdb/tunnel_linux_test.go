package main

import (
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// TestShowTunnelsJSONEqualsIP: for a tunnel of every kind netlink has
// typed data for, with settings away from the defaults, `show links -o
// json` prints what `ip -j -d link show` prints, info_data key by key and
// in ip's order. Needs the tunnel modules (the guest's kernel; this host's
// lacks them). Not FOU/GUE encapsulation: the guest has no fou module
// (ip_tunnel_encap_setup refuses the request); TestTunnelInfoDataGolden
// covers its printing.
func TestShowTunnelsJSONEqualsIP(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add lower0 type veth peer name lower1")
		for _, args := range []string{
			"t-gre type gre local 192.0.2.1 remote 198.51.100.1 dev lower0 ttl 64 tos 0x10 key 5 fwmark 0x7 nopmtudisc ignore-df",
			"t-gretap type gretap local 192.0.2.1 remote 198.51.100.2 ikey 6 okey 7 iseq oseq icsum ocsum",
			"t-erspan type erspan local 192.0.2.1 remote 198.51.100.3 seq key 10 erspan_ver 1 erspan 123",
			"t-ip6gre type ip6gre local 2001:db8::1 remote 2001:db8::2 hoplimit 64 key 11 encaplimit none tclass 0x20 flowlabel 0x12345 allow-localremote fwmark inherit",
			"t-ip6gtap type ip6gretap local 2001:db8::1 remote 2001:db8::3 tclass inherit flowlabel inherit dscp inherit encaplimit 2",
			"t-ip6ers type ip6erspan local 2001:db8::1 remote 2001:db8::4 seq key 12 erspan_ver 2 erspan_dir egress erspan_hwid 7",
			"t-ipip type ipip local 192.0.2.1 remote 198.51.100.4 ttl 32 mode mplsip fwmark 9",
			"t-ipipx type ipip external",
			"t-sit type sit local 192.0.2.1 remote 198.51.100.5 ttl 32 mode any tos inherit",
			"t-isatap type sit local 192.0.2.7 mode ip6ip isatap",
			"t-ip6tnl type ip6tnl local 2001:db8::1 remote 2001:db8::5 mode ipip6 encaplimit none tclass 0x10 flowlabel 0x54321",
			"t-ip6mip type ip6tnl local 2001:db8::1 remote 2001:db8::7 mode ip6ip6 dscp inherit fwmark inherit allow-localremote",
			"t-vti type vti local 192.0.2.1 remote 198.51.100.6 ikey 7 okey 8 fwmark 0x10",
			"t-vti6 type vti6 local 2001:db8::1 remote 2001:db8::6 key 9 dev lower0",
			"t-gnv type geneve id 100 remote 198.51.100.7 tos 0x10 ttl 20 dstport 6081 noudpcsum df set",
			"t-gnv6 type geneve id 101 remote 2001:db8::8 ttl inherit flowlabel 0x1234 udp6zerocsumtx udp6zerocsumrx df inherit",
			"t-gnvx type geneve external dstport 6090",
		} {
			a := append([]string{"link", "add"}, strings.Fields(args)...)
			if _, err := ns.IPErr(a...); err != nil {
				if strings.Contains(err.Error(), "Unknown device type") || strings.Contains(err.Error(), "not supported") {
					nstest.LacksKind(t, a[4], err)
				}
				t.Fatal(err)
			}
		}
		ns.IPErr("tunnel", "6rd", "dev", "t-sit", "6rd-prefix", "2001:db8::/32", "6rd-relay_prefix", "192.0.2.0/24")
		out := compareJSONWithIP(t, ns, "links", false, func() []byte {
			code, out, errs := runCmd(t, "--netns", ns.Name, "show", "links", "-o", "json")
			if code != 0 {
				t.Fatalf("show links: exit %d: %s", code, errs)
			}
			return []byte(out)
		})
		// Settings the setup asked for, so that a kernel or ip that
		// dropped them cannot let the comparison pass unnoticed.
		for _, w := range []string{`"ikey":"0.0.0.6"`, `"icsum":true`, `"erspan_index":123`,
			`"ip6_tnl_f_ign_encap_limit":true`, `"flowlabel":"0x12345"`, `"ip6_tnl_f_use_orig_tclass":true`, `"erspan_dir":"egress"`,
			`"proto":"mplsip"`, `"isatap":true`, `"proto":"ipip6"`, `"ip6_tnl_f_rcv_dscp_copy":true`, `"okey":"0.0.0.8"`,
			`"remote6":"2001:db8::8"`, `"df":"inherit"`, `"external":true`, `"link":"lower0"`} {
			if !strings.Contains(string(out), w) {
				t.Errorf("show links -o json lacks %s", w)
			}
		}
	})
}

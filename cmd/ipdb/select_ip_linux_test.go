package main

import (
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// TestIPSelectorsEqualIP: the selectors of select_ip.go (issues 17 and
// 11) select what ip's do: link type KIND_slave and group, route scope,
// metric and tos, and the address flags and to. The try-17 cases are the
// first three.
func TestIPSelectorsEqualIP(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		selectorNamespace(ns)
		ns.Batch(
			"link set v1 group 5",
			"link set vx0 group 5",
			"route add 198.51.100.192/26 dev v1 tos 0x10",
			"route add 203.0.113.0/26 dev br0 metric 77",
			"route add 2001:db8:7::/48 dev br0 metric 77",
			"route add 198.51.100.128/26 dev br0 scope host",
			"addr add 2001:db8:9::1/64 dev v1 nodad valid_lft 3000 preferred_lft 2000",
			"addr add 2001:db8:a::1/64 dev v1 nodad valid_lft 3000 preferred_lft 0",
		)
		for _, c := range [][]string{
			{"show link type bridge_slave", "-d link show type bridge_slave"},
			{"-4 show route scope link", "-4 route show table all scope link"},
			{"show addr permanent", "addr show permanent"},
			{"show link type bridge", "-d link show type bridge"},
			{"show link group 5", "-d link show group 5"},
			{"show link group default", "-d link show group default"},
			{"show addr group 5", "addr show group 5"},
			{"show route scope host", "route show table all scope host"},
			{"show route scope all", "route show table all scope all"},
			{"show route table main tos 0x10", "route show table main tos 0x10"},
			{"show route dsfield 10", "route show table all dsfield 10"},
			{"-4 show route metric 0", "-4 route show table all metric 0"},
			{"show route metric 77", "route show table all metric 77"},
			{"-6 show route priority 77", "-6 route show table all priority 77"},
			{"show route preference 0", "route show table all preference 0"},
			{"show addr dynamic", "addr show dynamic"},
			{"show addr secondary", "addr show secondary"},
			{"show addr primary", "addr show primary"},
			{"show addr temporary", "addr show temporary"},
			{"show addr deprecated", "addr show deprecated"},
			// A negated flag needs -- before it (else it is an option).
			{"show addr -- -secondary", "addr show -secondary"},
			{"show addr -- -nodad", "addr show -nodad"},
			{"show addr nodad", "addr show nodad"},
			{"show addr nodad dev v1", "addr show nodad dev v1"},
			{"show addr to 192.0.2.0/24", "addr show to 192.0.2.0/24"},
			{"show addr to 2001:db8::/32", "addr show to 2001:db8::/32"},
		} {
			args := strings.Fields(c[0])
			t.Run(strings.Join(args, "_"), func(t *testing.T) {
				compareSelectorWithIP(t, ns, args, append([]string{"ip", "-j"}, strings.Fields(c[1])...)...)
			})
		}
		// A word that can be no prefix is an unknown selector: exit 2 with
		// the list; ip's own error is kept for a malformed prefix.
		for _, c := range []struct {
			args []string
			code int
			want string
		}{
			{[]string{"show", "route", "scoop", "link"}, exitUsage, `routes takes no selector "scoop" (want table, dev, root, match, exact, to, proto, protocol, type, via, src, scope, metric`},
			{[]string{"show", "route", "metric", "x"}, exitUsage, `bad metric "x"`},
			{[]string{"show", "route", "tos", "zz"}, exitUsage, `bad tos "zz"`},
			{[]string{"show", "link", "group", "nosuch"}, exitUsage, `bad group "nosuch"`},
			{[]string{"-4", "show", "route", "192.0.2.300"}, exitError, `Error: inet prefix is expected rather than "192.0.2.300".`},
		} {
			code, _, errs := runCmd(t, append([]string{"-n", ns.Name}, c.args...)...)
			if code != c.code || !strings.Contains(errs, c.want) {
				t.Errorf("%v: exit %d, %q; want %d and %q", c.args, code, errs, c.code, c.want)
			}
		}
	})
}

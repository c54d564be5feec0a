package main

import (
	"os"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/internal/oracle"
)

// TestLookupIIFSourceEqualsRouteGet: `lookup --iif DEV --from SRC`
// answers what `ip route get ... from SRC iif DEV fibmatch` answers: a
// source that is an address of the namespace is refused (EINVAL), before
// and after a rule unmerges the tables, under rp_filter 1 a source whose
// route back leaves by another device is EXDEV, rp_filter 2 and
// accept_local let them through; IPv6 answers say iif DEV as ip's do.
func TestLookupIIFSourceEqualsRouteGet(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		sysctl := func(name, v string) {
			t.Helper()
			if err := ns.Do(func() error {
				return os.WriteFile("/proc/sys/net/"+name, []byte(v), 0)
			}); err != nil {
				t.Fatal(err)
			}
		}
		sysctl("ipv4/ip_forward", "1")
		sysctl("ipv6/conf/all/forwarding", "1")
		ns.Batch(
			"link set lo up",
			"link add v0 type veth peer name v1",
			"link set v0 up", "link set v1 up",
			"addr add 192.0.2.1/24 dev v0",
			"addr add 198.51.100.1/24 dev v1",
			"addr add 2001:db8::1/64 dev v0 nodad",
			"addr add 2001:db8:1::1/64 dev v1 nodad",
			"route add 203.0.113.0/24 via 192.0.2.254",
			"route add 2001:db8:2::/48 via 2001:db8:1::fe",
		)
		ns.SettleDAD()
		type lookupCase struct{ dst, from, iif string }
		check := func(stage string, cases []lookupCase) {
			t.Helper()
			for _, c := range cases {
				args := []string{"-n", ns.Name, "-j", "lookup", c.dst, "--from", c.from, "--iif", c.iif}
				code, out, errs := runCmd(t, args...)
				ipOut, ipErr := ns.IPErr("-j", "route", "get", c.dst, "from", c.from, "iif", c.iif, "fibmatch")
				if ipErr != nil {
					msg := ipErr.Error()
					i := strings.LastIndex(msg, "RTNETLINK answers: ")
					if i < 0 {
						t.Fatal(ipErr)
					}
					reason := strings.ToLower(strings.TrimSpace(msg[i+len("RTNETLINK answers: "):]))
					if code != exitError || !strings.Contains(errs, reason) {
						t.Errorf("%s: %v: exit %d, %q %s; ip route get: %s", stage, c, code, errs, out, reason)
					}
					continue
				}
				if code != exitOK {
					t.Errorf("%s: %v: exit %d: %s; ip route get: %s", stage, c, code, errs, ipOut)
					continue
				}
				if err := oracle.CompareJSON([]byte(out), []byte(ipOut), oracle.JSONOptions{Extra: ipdbExtraKeys}); err != nil {
					t.Errorf("%s: %v: %v", stage, c, err)
				}
			}
		}
		all := []lookupCase{
			{"203.0.113.5", "192.0.2.1", "v0"},     // a local source, forwarded
			{"203.0.113.5", "198.51.100.1", "v0"},  // another link's local source
			{"203.0.113.5", "192.0.2.77", "v0"},    // out by the way it came: the full check
			{"203.0.113.5", "198.51.100.77", "v0"}, // the route back by v1
			{"203.0.113.5", "203.0.113.9", "v0"},   // the route back by v0
			{"192.0.2.1", "192.0.2.77", "v0"},      // delivered here
			{"192.0.2.1", "198.51.100.1", "v0"},    // delivered here from a local source
			{"198.51.100.1", "192.0.2.77", "v0"},   // delivered here, another link's address
			{"198.51.100.9", "198.51.100.77", "v1"},
			{"2001:db8:2::5", "2001:db8::9", "v0"},
			{"2001:db8::5", "2001:db8::9", "v0"},
			{"2001:db8::1", "2001:db8:1::9", "v0"},
		}
		check("merged, rp_filter 0", all)
		sysctl("ipv4/conf/v0/rp_filter", "1")
		check("rp_filter 1", all)
		sysctl("ipv4/conf/v0/accept_local", "1")
		check("rp_filter 1, accept_local", all)
		sysctl("ipv4/conf/v0/accept_local", "0")
		sysctl("ipv4/conf/all/rp_filter", "2")
		check("rp_filter 2", all)
		sysctl("ipv4/conf/all/rp_filter", "0")
		sysctl("ipv4/conf/v0/rp_filter", "0")
		ns.IP("rule", "add", "to", "203.0.113.0/24", "lookup", "main", "pref", "100")
		ns.IP("rule", "del", "pref", "100")
		check("unmerged, rp_filter 0", all)
		sysctl("ipv4/conf/v0/send_redirects", "0")
		sysctl("ipv4/conf/all/send_redirects", "0")
		check("unmerged, no redirects", all)
	})
}

package main

import (
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// TestTCShowFilterStats: `show filter -s` prints what tc -s filter show
// prints: each action's times (installed, used) and its counters under
// "stats" in the JSON, "Action statistics: Sent ..." in the text (found
// by try7: -s was refused for filters).
func TestTCShowFilterStats(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add v0 type veth peer name v1", "link set v0 up", "link set v1 up")
		ns.NeedTC(t, "action", "mirred", "egress", "redirect", "dev", "v1") // CONFIG_NET_ACT_MIRRED
		tcIn(t, ns, "qdisc", "add", "dev", "v0", "clsact")
		tcIn(t, ns, "filter", "add", "dev", "v0", "ingress", "protocol", "ip", "pref", "1", "u32", "match", "ip", "dst", "192.0.2.0/24",
			"action", "mirred", "egress", "redirect", "dev", "v1")
		tcIn(t, ns, "filter", "add", "dev", "v0", "ingress", "protocol", "ipv6", "pref", "2", "u32", "match", "ip6", "dst", "2001:db8::/32",
			"action", "mirred", "egress", "mirror", "dev", "v1", "action", "mirred", "ingress", "redirect", "dev", "v1")
		compareTCJSON(t, ns, []string{"-s", "show", "filter", "dev", "v0", "ingress"}, "-s", "filter", "show", "dev", "v0", "ingress")
		compareTCText(t, ns, "filter", false, []string{"-s", "show", "filter", "dev", "v0", "ingress"}, "-s", "filter", "show", "dev", "v0", "ingress")
		compareTCJSON(t, ns, []string{"-s", "-d", "show", "filter", "dev", "v0", "ingress"}, "-s", "-d", "filter", "show", "dev", "v0", "ingress")
		// Without -s, neither.
		compareTCJSON(t, ns, []string{"show", "filter", "dev", "v0", "ingress"}, "filter", "show", "dev", "v0", "ingress")
	})
}

package txn

import (
	"testing"

	"github.com/ipdb-go/ipdb/netlink"
)

// TestMirredVerdictWords: a plan prints a mirred action's verdict only
// where tc takes one back (after mirror; parse_direction in iproute2's
// tc/m_mirred.c reads none after redirect, so "redirect dev p1 pipe"
// pasted into tc fails); a redirect's verdict other than stolen, which
// only a netlink request sets, prints as a note (found by try7).
func TestMirredVerdictWords(t *testing.T) {
	m := func(eaction, verdict int32) netlink.TCActions {
		return netlink.TCActions{{Options: &netlink.Mirred{TCActionGen: netlink.TCActionGen{Action: verdict}, Eaction: eaction, Ifindex: 3}}}
	}
	for _, c := range []struct {
		acts netlink.TCActions
		want string
	}{
		{m(netlink.MirredEgressRedirect, netlink.TCActStolen), "action mirred egress redirect dev #3"},
		{m(netlink.MirredIngressRedirect, netlink.TCActStolen), "action mirred ingress redirect dev #3"},
		{m(netlink.MirredEgressRedirect, netlink.TCActPipe), "action mirred egress redirect dev #3 (verdict pipe, which tc sets for no redirect)"},
		{m(netlink.MirredEgressMirror, netlink.TCActPipe), "action mirred egress mirror dev #3"},
		{m(netlink.MirredEgressMirror, netlink.TCActShot), "action mirred egress mirror dev #3 drop"},
		{m(netlink.MirredIngressMirror, netlink.TCActOK), "action mirred ingress mirror dev #3 pass"},
		{m(netlink.MirredEgressMirror, netlink.TCActStolen), "action mirred egress mirror dev #3 (verdict stolen, which tc sets for no mirror)"},
		{m(netlink.MirredEgressMirror, netlink.TCActUnspec), "action mirred egress mirror dev #3 continue"},
	} {
		if got := actionsWords(c.acts, nil); got != c.want {
			t.Errorf("words %q, want %q", got, c.want)
		}
	}
}

package txn

import (
	"errors"
	"testing"

	"github.com/ipdb-go/ipdb/netlink"
)

// TestDraftInvalidMessage checks that a spec netlink refuses at plan says
// why in netlink's words, named by the spec, without the draft request's
// description (a placeholder link "#1", every zero field): "txn: invalid
// spec: qdisc 1: dev v0 root: tbf needs a rate", where it said "...: netlink:
// add qdisc tbf 1: dev #1 root rate 0Bps burst 0b limit 0b: invalid
// argument: tbf needs a rate".
func TestDraftInvalidMessage(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{(&QdiscSpec{Dev: "v0", Handle: netlink.NewHandle(1, 0), Parent: netlink.HandleRoot, Options: &netlink.TBF{}}).validate(),
			"txn: invalid spec: qdisc 1: dev v0 root: tbf needs a rate"},
		{(&ClassSpec{Dev: "v0", ClassID: netlink.NewHandle(1, 10), Parent: netlink.NewHandle(1, 0), Options: &netlink.HTBClass{}}).validate(),
			"txn: invalid spec: class 1:a dev v0: htb class needs a rate"},
		{(&LinkSpec{Name: "vx1", Info: &netlink.LinkInfo{InfoKind: "vxlan", Data: &netlink.Vxlan{ID: 99999999}}}).validate(),
			"txn: invalid spec: link vx1: vxlan id 99999999 over 24 bits"},
	} {
		if c.err == nil || c.err.Error() != c.want {
			t.Errorf("got %v\nwant %s", c.err, c.want)
			continue
		}
		var oe *netlink.OpError
		if !errors.Is(c.err, ErrInvalid) || !errors.Is(c.err, netlink.ErrInvalid) || !errors.As(c.err, &oe) {
			t.Errorf("%v: not txn.ErrInvalid, netlink.ErrInvalid and a *netlink.OpError", c.err)
		}
	}
}

package ipdb

import (
	"testing"

	"github.com/ipdb-go/ipdb/netlink"
)

// TestSetPublishOrder checks the set's publishing rule without a kernel:
// held revisions of a namespace go out in order, a move's two sides go
// out in one set revision once both are the oldest held revisions of
// their namespaces, and an unresolved side holds back its namespace only.
func TestSetPublishOrder(t *testing.T) {
	s := &Set{members: map[string]*member{}, ready: make(chan struct{}), cfg: SetConfig{ChangeLog: 100}}
	a := &member{set: s, ns: NetNS{Name: "a"}}
	b := &member{set: s, ns: NetNS{Name: "b"}}
	c := &member{set: s, ns: NetNS{Name: "c"}}
	s.members["a"], s.members["b"], s.members["c"] = a, b, c
	link := func(i int, name string) *netlink.Link { return &netlink.Link{Index: i, Name: name} }
	commit := func(m *member, rev uint64, ch ...Change) *heldCommit {
		hc := &heldCommit{m: m, snap: &Snapshot{rev: rev}, changes: ch}
		m.held = append(m.held, hc)
		return hc
	}
	// a: revision 2 deletes mv0 (moved to b as index 7).
	a2 := commit(a, 2, Change{Kind: netlink.KindLink, Op: OpDelete, Old: link(3, "mv0")})
	out := &moveEnd{c: a2, i: 0, out: true, info: true, verified: true, target: b, ifindex: 7}
	a2.ends = []*moveEnd{out}
	// b: revision 2 is an unrelated change, revision 3 adds mv0.
	commit(b, 2, Change{Kind: netlink.KindLink, Op: OpChange, Old: link(1, "lo"), New: link(1, "lo")})
	b3 := commit(b, 3, Change{Kind: netlink.KindLink, Op: OpAdd, New: link(7, "mv0")})
	in := &moveEnd{c: b3, i: 0, ifindex: 7}
	b3.ends = []*moveEnd{in}
	// c: an add not resolved yet holds c back, and only c.
	c2 := commit(c, 2, Change{Kind: netlink.KindLink, Op: OpAdd, New: link(9, "x")})
	c2.ends = []*moveEnd{{c: c2, i: 0, ifindex: 9}}

	s.publishLocked()
	if s.rev != 1 || len(b.held) != 1 || len(a.held) != 1 || len(c.held) != 1 {
		t.Fatalf("before pairing: rev %d, held a %d b %d c %d; want only b's revision 2 out", s.rev, len(a.held), len(b.held), len(c.held))
	}
	s.matchLocked(b3)
	if out.partner != in || in.partner != out {
		t.Fatal("the out and the in were not paired")
	}
	s.publishLocked()
	if s.rev != 2 || len(a.held) != 0 || len(b.held) != 0 || len(c.held) != 1 {
		t.Fatalf("after pairing: rev %d, held a %d b %d c %d", s.rev, len(a.held), len(b.held), len(c.held))
	}
	got, _, _, err := s.ChangesSince(1, 0)
	if err != nil || len(got) != 1 || got[0].MovedFrom == nil || got[0].MovedFrom.Name != "a" || got[0].NS.Name != "b" ||
		got[0].Change.Old.(*netlink.Link).Index != 3 || got[0].Change.New.(*netlink.Link).Index != 7 {
		t.Fatalf("move entry: %+v %v", got, err)
	}
	if a.pub.Revision() != 2 || b.pub.Revision() != 3 || c.pub != nil {
		t.Fatalf("published revisions: a %v b %v c %v", a.pub, b.pub, c.pub)
	}
	c2.ends[0].plain = true
	s.publishLocked()
	if s.rev != 3 || len(c.held) != 0 {
		t.Fatalf("c after resolution: rev %d, held %d", s.rev, len(c.held))
	}
}

package watch

import (
	"slices"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// blockBindings follows, for one subscription and one namespace, which
// links' qdiscs are bound to which shared tc blocks (an ingress qdisc's or
// clsact's ingress_block, clsact's egress_block): from a snapshot, then
// from the qdisc events in revision order. A shared block's filter has no
// link (netlink.Filter.Block is set, Index is 0); LinkIndex and LinkName
// select it for the links bound to its block, as `tc filter show dev X
// ingress` lists it. When a block's last qdisc or link goes, the kernel
// destroys the block and its filters without a filter notification
// (tcf_block_put), and the database deletes them after the qdisc's or
// link's deletion, in its revision (or a re-read's, later, as a safety
// net): so the deletions of a block's filters still pass for the link
// whose qdisc was the block's last (the last departedMax such
// unbindings). A link that lets go of a block others still hold sees no
// more of its filters; a link that binds to a block with filters gets no
// filter events (nothing changed in the block): its qdisc's event says
// which blocks it holds (netlink.Qdisc.IngressBlock, EgressBlock), and
// ipdb.Snapshot.FiltersOfBlock lists them.
type blockBindings struct {
	bound    map[blockLink]int // qdiscs of the link bound to the block
	departed []departure       // recent unbindings, oldest first
	// linkName is the name of each link with a binding: the database
	// may announce a link's deletion before its qdiscs'.
	linkName map[int]string
}

type blockLink struct {
	block uint32
	index int
}

type departure struct {
	blockLink
	name string // the link's name then: the link may be gone since
}

// departedMax bounds the unbindings blockBindings remembers.
const departedMax = 256

// reset forgets everything (a Resync: the initial adds that follow bring
// the qdiscs back).
func (b *blockBindings) reset() {
	b.bound, b.departed, b.linkName = nil, nil, nil
}

// fill starts from the qdiscs of a snapshot.
func (b *blockBindings) fill(qdiscs func(yield func(*netlink.Qdisc) bool), names *linkNames) {
	for q := range qdiscs {
		b.bind(q, +1, names)
	}
}

// follow takes one event into account; names (ifindex to name, as the
// subscription knows them) name the links that let go of a block.
func (b *blockBindings) follow(e *Event, names *linkNames) {
	switch e.Kind {
	case netlink.KindLink:
		if l, ok := e.New.(*netlink.Link); ok {
			if _, bound := b.linkName[l.Index]; bound {
				b.linkName[l.Index] = l.Name // a rename
			}
		}
	case netlink.KindQdisc:
		if q, ok := e.Old.(*netlink.Qdisc); ok {
			name := b.linkName[q.Index]
			for _, n := range b.bind(q, -1, names) {
				if b.blockHeld(n) {
					continue // the block lives on: its filters are not this link's any more
				}
				b.departed = append(b.departed, departure{blockLink{n, q.Index}, name})
				if len(b.departed) > departedMax {
					b.departed = b.departed[1:]
				}
			}
		}
		if q, ok := e.New.(*netlink.Qdisc); ok {
			for _, n := range b.bind(q, +1, names) {
				// A block bound again is a new block (the old one died
				// with its last qdisc): what left the old one is not its.
				b.departed = slices.DeleteFunc(b.departed, func(d departure) bool { return d.block == n })
			}
		}
	}
}

// bind counts q's blocks up or down (delta +1 or -1) and returns those
// its link no longer holds (delta -1), or the blocks no link held before
// (delta +1).
func (b *blockBindings) bind(q *netlink.Qdisc, delta int, names *linkNames) (changed []uint32) {
	for _, n := range []uint32{q.IngressBlock, q.EgressBlock} {
		if n == 0 {
			continue
		}
		k := blockLink{n, q.Index}
		if b.bound == nil {
			b.bound, b.linkName = map[blockLink]int{}, map[int]string{}
		}
		if delta > 0 {
			if name, ok := names.byIndex[q.Index]; ok {
				b.linkName[q.Index] = name
			}
			if !b.blockHeld(n) {
				changed = append(changed, n)
			}
		}
		if b.bound[k] += delta; b.bound[k] <= 0 {
			delete(b.bound, k)
			if delta < 0 {
				changed = append(changed, n)
			}
		}
	}
	if delta < 0 && len(changed) > 0 && !b.holds(q.Index) {
		delete(b.linkName, q.Index)
	}
	return changed
}

// blockHeld reports whether any link's qdisc is bound to block n.
func (b *blockBindings) blockHeld(n uint32) bool {
	for k := range b.bound {
		if k.block == n {
			return true
		}
	}
	return false
}

// holds reports whether the link with this index is bound to any block.
func (b *blockBindings) holds(index int) bool {
	for k := range b.bound {
		if k.index == index {
			return true
		}
	}
	return false
}

// passes reports whether an event of a filter of block n is one of the
// link's: the link with this index if index != 0, else the link named
// name.
func (b *blockBindings) passes(n uint32, op ipdb.Op, index int, name string) bool {
	if b == nil {
		return false
	}
	for k := range b.bound {
		if k.block == n && (index != 0 && k.index == index || index == 0 && b.linkName[k.index] == name) {
			return true
		}
	}
	if op != ipdb.OpDelete {
		return false
	}
	for _, d := range b.departed {
		if d.block == n && (index != 0 && d.index == index || index == 0 && d.name == name) {
			return true
		}
	}
	return false
}

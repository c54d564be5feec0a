package txn

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// Multi is one transaction across several network namespaces: the specs
// of each namespace (a Txn of its own DB and Conn), and the links that
// move from one namespace to another (Move). It plans every namespace
// against its own database, commits namespace by namespace, verifies
// each, and on any failure rolls back every namespace, the last committed
// first, to the state before the commit.
//
// The CNI ADD flow is one Multi:
//
//	up := true
//	m := txn.NewMulti()
//	host := m.Namespace("host", hostDB, hostConn, nil) // this process's namespace
//	pod := m.Namespace("pod", podDB, podConn, &txn.Config{NetNS: "/var/run/netns/cni-1234"})
//	host.Link(txn.LinkSpec{Name: "veth1234", Up: &up, Info: &netlink.LinkInfo{InfoKind: "veth",
//		Data: &netlink.Veth{Peer: &netlink.Link{Name: "tmp1234"}}}})
//	host.Addr(txn.AddrSpec{Link: "veth1234", Prefix: netip.MustParsePrefix("192.0.2.1/24")})
//	host.Route(txn.RouteSpec{Dst: podNet, Gateway: netip.MustParseAddr("192.0.2.2"), Dev: "veth1234"})
//	m.Move(txn.Move{From: "host", Link: "tmp1234", To: "pod", Name: "eth0"})
//	pod.Link(txn.LinkSpec{Name: "eth0", Up: &up})
//	pod.Addr(txn.AddrSpec{Link: "eth0", Prefix: netip.MustParsePrefix("192.0.2.2/24")})
//	pod.Route(txn.RouteSpec{Dst: netip.MustParsePrefix("0.0.0.0/0"),
//		Gateway: netip.MustParseAddr("192.0.2.1"), Dev: "eth0"})
//	plan, err := m.Plan() // per namespace: "netns host:\n+ link veth1234 ..."
//	err = m.Commit(ctx)   // all or nothing, in both namespaces
//
// The move is the pod's first operation, printed "+ link eth0 from netns
// host (link tmp1234)".
//
// The DEL flow is a Multi whose host specs remove the host end's routes
// and addresses and whose pod spec makes the pod end Absent (deleting one
// end of a veth pair deletes its peer, in whichever namespace it is:
// veth_dellink).
//
// # Order
//
// Namespaces commit in the order Namespace added them, except that the
// namespace a link moves from commits before the one it moves into (a
// cycle of moves is refused with ErrInvalid). Within a namespace the
// stages of Commit apply; a move is the first operation of its
// destination's link creation stage, so the destination's specs can bring
// the arrived link up and give it addresses and routes. Each namespace
// after the first is planned when its turn comes, against its database
// once that has seen the earlier namespaces' changes (it is resynchronized
// first when an earlier namespace deleted or moved links, whose veth
// peers may live in it): a pod end already gone with its host end is
// then nothing to do rather than an error.
//
// # Moves
//
// A move is one RTM_NEWLINK request to the source namespace with
// IFLA_NET_NS_FD (the destination) and, when the name changes,
// IFLA_IFNAME. do_setlink (net/core/rtnetlink.c) first moves the link
// (__dev_change_net_namespace, net/core/dev.c, which takes the new name
// at once only when the old one is taken in the destination), then
// renames it there: the destination may announce the old name before the
// new one. A name taken in the destination is refused at plan time; if
// it is taken between plan and commit, the kernel moves the link and
// then refuses the rename with EEXIST, leaving the link in the
// destination under its old name, where the rollback looks for it
// (TestMoveRenamesInOneRequest checks these facts on the running
// kernel). The kernel flushes the link's addresses and routes and brings
// it down on the way (dev_close, then NETDEV_UNREGISTER in the old
// namespace), so a moved link's settings
// belong to the destination's specs; specs of the source namespace that
// name a link that moves away are refused with ErrInvalid. The source
// namespace is not told that the moved link's veth peer, if it stays
// there, now has its peer elsewhere; Commit resynchronizes the source's
// database after the move (see resyncSources).
//
// # Rollback
//
// On a kernel error, a verification timeout or a cancelled context in any
// namespace, every namespace is rolled back, in reverse commit order,
// each from the pre-image of its database taken before the first
// namespace committed (see Commit's rollback in the package doc). First
// the moves are undone: a link that arrived by a move and was in its
// source before goes back there under its old name; one the transaction
// created is deleted in its destination (with its veth peer, wherever
// that is). Then the veth pairs between two of the namespaces that the
// commit deleted are recreated whole (restorePairs). The error is a *MultiCommitError naming the namespace and the
// operation that failed, and each namespace's rollback.
//
// # Conflicts
//
// Plan records what each namespace's plan looked at; Commit re-plans
// every namespace first and reports ErrConflict for each namespace in
// which something the plan looked at changed since, before anything is
// applied (errors.Join of one error per namespace, each "netns NAME:
// ...").
//
// # Limits
//
// A veth pair whose ends were in two of the namespaces and that a failed
// transaction deleted is recreated whole, with its names and interface
// indexes, before the namespaces' rollbacks restore the rest (see
// restorePairs); a pair with one end in a namespace outside the Multi
// cannot be. Multi is not safe for concurrent use.
type Multi struct {
	members []*member
	byName  map[string]*member
	moves   []Move
	err     error
	plan    *MultiPlan
}

type member struct {
	name string
	path string // the namespace's path: for its fd and for dialing it
	tx   *Txn
	pos  int
}

// Move moves a link from one namespace of a Multi to another, possibly
// under a new name, as `ip -n FROM link set LINK netns TO name NAME`
// does, in one request.
type Move struct {
	// From names the namespace the link is in (a name given to
	// Namespace). The link must exist there or be created by From's
	// specs, for example as the peer of a veth.
	From string
	// Link is the link's name in From.
	Link string
	// To names the namespace the link moves into.
	To string
	// Name is the link's name in To; empty keeps Link. To's specs may set
	// its attributes (a LinkSpec named Name, without Info), addresses and
	// routes.
	Name string
}

func (mv Move) name() string { return cmp.Or(mv.Name, mv.Link) }

// NewMulti returns an empty transaction across namespaces.
func NewMulti() *Multi { return &Multi{byName: map[string]*member{}} }

// Namespace adds a namespace under name (how plans, errors and Moves name
// it) with the DB and Conn of that namespace, and returns its Txn, to
// which the namespace's specs are added. cfg.NetNS must name the
// namespace (a name under /run/netns or a path) unless it is the
// process's own namespace, which at most one may be: moves open the
// destination by that path and reach the source through it. cfg's other
// fields apply to that namespace. A name or namespace given twice, or a
// nil db or conn, makes Plan and Commit fail with ErrInvalid.
func (m *Multi) Namespace(name string, db *ipdb.DB, conn *netlink.Conn, cfg *Config) *Txn {
	t := New(db, conn, cfg)
	path := "/proc/self/ns/net"
	if cfg != nil && cfg.NetNS != "" {
		path = nsPath(cfg.NetNS)
	}
	switch {
	case name == "":
		m.fail(invalid("namespace without a name"))
	case m.byName[name] != nil:
		m.fail(invalid("namespace %q given twice", name))
	case db == nil || conn == nil:
		m.fail(invalid("namespace %q: nil DB or Conn", name))
	}
	for _, o := range m.members {
		if o.path == path {
			m.fail(invalid("namespaces %q and %q are both %s", o.name, name, path))
		}
	}
	mb := &member{name: name, path: path, tx: t, pos: len(m.members)}
	m.members = append(m.members, mb)
	if m.byName[name] == nil {
		m.byName[name] = mb
	}
	m.plan = nil
	return t
}

func (m *Multi) fail(err error) {
	if m.err == nil {
		m.err = err
	}
}

// Txn returns the Txn of the namespace added under name, or nil.
func (m *Multi) Txn(name string) *Txn {
	if mb := m.byName[name]; mb != nil {
		return mb.tx
	}
	return nil
}

// Move adds a move of a link between two of the namespaces.
func (m *Multi) Move(mv Move) *Multi {
	m.moves = append(m.moves, mv)
	m.plan = nil
	return m
}

// Writes returns how many netlink write requests the namespaces' Txns
// have sent, rollbacks included.
func (m *Multi) Writes() uint64 {
	var n uint64
	for _, mb := range m.members {
		n += mb.tx.Writes()
	}
	return n
}

// nsSpecs is a namespace's part of a prepared Multi: its spec set, with a
// link spec for each link that moves into it.
type nsSpecs struct {
	mb *member
	ss *specSet
}

// prepare validates the Multi and returns the namespaces in commit order
// with their spec sets. The Txns' own specs are not changed.
func (m *Multi) prepare() ([]nsSpecs, error) {
	if m.err != nil {
		return nil, m.err
	}
	if len(m.members) == 0 {
		return nil, invalid("a transaction across namespaces without namespaces")
	}
	sets := map[*member]*specSet{}
	for _, mb := range m.members {
		ss := mb.tx.specs
		ss.links = slices.Clone(ss.links)
		sets[mb] = &ss
	}
	arrive := map[[2]string]bool{}
	leave := map[[2]string]bool{}
	after := map[*member][]*member{} // from -> to
	for _, mv := range m.moves {
		what := fmt.Sprintf("move of link %s from netns %s to %s", mv.Link, mv.From, mv.To)
		from, to := m.byName[mv.From], m.byName[mv.To]
		switch {
		case from == nil:
			return nil, invalid("%s: no namespace %q", what, mv.From)
		case to == nil:
			return nil, invalid("%s: no namespace %q", what, mv.To)
		case from == to:
			return nil, invalid("%s: the same namespace", what)
		}
		if err := validName(what, mv.Link); err != nil {
			return nil, err
		}
		name := mv.name()
		if err := validName(what+" name", name); err != nil {
			return nil, err
		}
		if mv.Link == "lo" {
			return nil, invalid("%s: the loopback device cannot move (NETIF_F_NETNS_LOCAL)", what)
		}
		if name == "lo" {
			return nil, invalid("%s: every namespace has its own lo; a moved link cannot take that name", what)
		}
		if leave[[2]string{mv.From, mv.Link}] {
			return nil, invalid("%s: the link moves twice", what)
		}
		if arrive[[2]string{mv.To, name}] {
			return nil, invalid("%s: two links arrive as %s", what, name)
		}
		leave[[2]string{mv.From, mv.Link}] = true
		arrive[[2]string{mv.To, name}] = true
		if err := leaving(sets[from], mv.Link, what); err != nil {
			return nil, err
		}
		dst := sets[to]
		i := slices.IndexFunc(dst.links, func(s LinkSpec) bool { return s.Name == name })
		if i < 0 {
			dst.links = append(dst.links, LinkSpec{Name: name})
			i = len(dst.links) - 1
		}
		s := &dst.links[i]
		if s.Info != nil || s.Absent || s.NetNS != "" || s.RenameFrom != "" || s.Parent != "" {
			return nil, invalid("%s: link %s arrives by the move; its spec in %s may not create, delete, move or rename it", what, name, mv.To)
		}
		s.fetchNS, s.fetchName, s.fetchLabel = from.path, mv.Link, from.name
		after[from] = append(after[from], to)
	}
	order, err := commitOrder(m.members, after)
	if err != nil {
		return nil, err
	}
	out := make([]nsSpecs, len(order))
	for i, mb := range order {
		out[i] = nsSpecs{mb: mb, ss: sets[mb]}
		if err := sets[mb].validate(); err != nil {
			return nil, fmt.Errorf("netns %s: %w", mb.name, err)
		}
	}
	return out, nil
}

// leaving refuses specs of a namespace that name link, which leaves it by
// a move: the kernel flushes a moving link's addresses and routes, so
// they would not hold after the commit.
func leaving(ss *specSet, link, what string) error {
	for i := range ss.links {
		s := &ss.links[i]
		if s.Name == link && (s.Absent || s.NetNS != "") {
			return invalid("%s: the link's spec there deletes or moves it", what)
		}
		if s.Master != nil && *s.Master == link || s.Parent == link || s.RenameFrom == link {
			return invalid("%s: link %s there names it", what, s.Name)
		}
	}
	named := func(kind, l string) error {
		if l == link {
			return invalid("%s: %s spec there names it; give it in the namespace it moves to", what, kind)
		}
		return nil
	}
	for i := range ss.addrs {
		if err := named("an address", ss.addrs[i].Link); err != nil {
			return err
		}
	}
	for i := range ss.sets {
		if err := named("an address set", ss.sets[i].Link); err != nil {
			return err
		}
	}
	for i := range ss.routes {
		r := &ss.routes[i]
		if err := named("a route", r.Dev); err != nil {
			return err
		}
		for _, h := range r.Multipath {
			if err := named("a route", h.Dev); err != nil {
				return err
			}
		}
	}
	for i := range ss.mplsRoutes {
		r := &ss.mplsRoutes[i]
		if err := named("an MPLS route", r.Dev); err != nil {
			return err
		}
		for _, h := range r.Multipath {
			if err := named("an MPLS route", h.Dev); err != nil {
				return err
			}
		}
	}
	for i := range ss.nexthops {
		if err := named("a nexthop", ss.nexthops[i].Dev); err != nil {
			return err
		}
	}
	for i := range ss.neighs {
		if err := named("a neighbour", ss.neighs[i].Link); err != nil {
			return err
		}
	}
	// A moving link loses its qdiscs, classes and filters (dev_shutdown).
	for i := range ss.qdiscs {
		if err := named("a qdisc", ss.qdiscs[i].Dev); err != nil {
			return err
		}
	}
	for i := range ss.classes {
		if err := named("a class", ss.classes[i].Dev); err != nil {
			return err
		}
	}
	for i := range ss.filters {
		if err := named("a filter", ss.filters[i].Dev); err != nil {
			return err
		}
	}
	return nil
}

// commitOrder orders the namespaces: the order they were added in, except
// that the source of a move commits before its destination.
func commitOrder(members []*member, after map[*member][]*member) ([]*member, error) {
	in := map[*member]int{}
	for _, tos := range after {
		for _, to := range tos {
			in[to]++
		}
	}
	var order []*member
	done := map[*member]bool{}
	for len(order) < len(members) {
		next := -1
		for i, mb := range members {
			if !done[mb] && in[mb] == 0 {
				next = i
				break
			}
		}
		if next < 0 {
			var names []string
			for _, mb := range members {
				if !done[mb] {
					names = append(names, mb.name)
				}
			}
			return nil, invalid("the moves between namespaces %s form a cycle", strings.Join(names, ", "))
		}
		mb := members[next]
		done[mb] = true
		order = append(order, mb)
		for _, to := range after[mb] {
			in[to]--
		}
	}
	return order, nil
}

// planMoves checks each move against the namespaces' states: its link
// is in its source or is created there, and its name is free in its
// destination; a move whose link is in its destination and neither in nor
// created in its source is done already.
func (m *Multi) planMoves(parts []nsSpecs, snaps map[*member]State) error {
	ss := map[*member]*specSet{}
	for _, p := range parts {
		ss[p.mb] = p.ss
	}
	for _, mv := range m.moves {
		from, to := m.byName[mv.From], m.byName[mv.To]
		what := fmt.Sprintf("move of link %s from netns %s to %s", mv.Link, mv.From, mv.To)
		_, err := snaps[to].LinkByName(mv.name())
		inDst := err == nil
		_, err = snaps[from].LinkByName(mv.Link)
		inSrc := err == nil
		created := !inSrc && createsLink(ss[from], snaps[from], mv.Link)
		switch {
		case inDst && (inSrc || created):
			return invalid("%s: netns %s has a link %s already", what, mv.To, mv.name())
		case !inDst && !inSrc && !created:
			return invalid("%s: no such link in %s, and its specs create none", what, mv.From)
		}
	}
	return nil
}

// createsLink reports whether planning ss on st creates link name, as
// itself or as the peer of a veth that does not exist yet.
func createsLink(ss *specSet, st State, name string) bool {
	for i := range ss.links {
		s := &ss.links[i]
		if _, err := st.LinkByName(s.Name); err == nil || s.Info == nil {
			continue
		}
		if s.Name == name {
			return true
		}
		if v, ok := linkData(s.Info).(*netlink.Veth); ok && v.Peer != nil && v.Peer.Name == name {
			return true
		}
	}
	return false
}

// NSPlan is the plan of one namespace of a Multi.
type NSPlan struct {
	// Namespace is the name the namespace was added under.
	Namespace string
	*Plan
}

// MultiPlan is the plan of a Multi: one Plan per namespace, in commit
// order. The plans of namespaces after the first are computed before
// anything is applied, so they show what the earlier ones will do to
// them only through the moves.
type MultiPlan struct {
	Namespaces []NSPlan
}

// Empty reports whether there is nothing to do in any namespace.
func (mp *MultiPlan) Empty() bool {
	for _, p := range mp.Namespaces {
		if !p.Empty() {
			return false
		}
	}
	return true
}

// Of returns the plan of the namespace added under name, or nil.
func (mp *MultiPlan) Of(name string) *Plan {
	for _, p := range mp.Namespaces {
		if p.Namespace == name {
			return p.Plan
		}
	}
	return nil
}

// String prints each namespace's plan under a "netns NAME:" line.
func (mp *MultiPlan) String() string {
	var b strings.Builder
	for _, p := range mp.Namespaces {
		fmt.Fprintf(&b, "netns %s:\n", p.Namespace)
		b.WriteString(p.Plan.String())
	}
	return b.String()
}

// Summary counts the operations per namespace: "host: +1 link, ~1 link;
// pod: ...".
func (mp *MultiPlan) Summary() string {
	parts := make([]string, len(mp.Namespaces))
	for i, p := range mp.Namespaces {
		parts[i] = p.Namespace + ": " + p.Plan.Summary()
	}
	return strings.Join(parts, "; ")
}

// Plan validates the specs and moves and plans every namespace against
// its database's current snapshot. Commit later reports ErrConflict for
// each namespace in which something a plan looked at changed since.
func (m *Multi) Plan() (*MultiPlan, error) {
	parts, err := m.prepare()
	if err != nil {
		return nil, err
	}
	snaps := map[*member]State{}
	revs := map[*member]uint64{}
	for _, p := range parts {
		s := p.mb.tx.db.Snapshot()
		if !s.Synced() {
			return nil, fmt.Errorf("netns %s: %w", p.mb.name, ipdb.ErrNotSynced)
		}
		snaps[p.mb], revs[p.mb] = s, s.Revision()
	}
	if err := m.planMoves(parts, snaps); err != nil {
		return nil, err
	}
	mp, err := m.planAll(parts, snaps)
	if err != nil {
		return nil, err
	}
	for i := range mp.Namespaces {
		mp.Namespaces[i].Revision = revs[parts[i].mb]
	}
	m.plan = mp
	return mp, nil
}

func (m *Multi) planAll(parts []nsSpecs, snaps map[*member]State) (*MultiPlan, error) {
	mp := &MultiPlan{}
	for _, p := range parts {
		pl, err := planSpecs(snaps[p.mb], p.ss)
		if err != nil {
			return nil, fmt.Errorf("netns %s: %w", p.mb.name, err)
		}
		mp.Namespaces = append(mp.Namespaces, NSPlan{Namespace: p.mb.name, Plan: pl})
	}
	return mp, nil
}

// planSpecs validates ss and plans it against st, recording what it
// looks at for the conflict check.
func planSpecs(st State, ss *specSet) (*Plan, error) {
	if err := ss.validate(); err != nil {
		return nil, err
	}
	pl, err := newPlanner(st, ss, true)
	if err != nil {
		return nil, err
	}
	return pl.plan()
}

// NSRollback is the outcome of one namespace's rollback.
type NSRollback struct {
	// Namespace is the name the namespace was added under.
	Namespace string
	// Err is the rollback's first failure, if any.
	Err error
	// Left lists what the rollback could not restore, as plan operations.
	Left []string
}

// A MultiCommitError is the error of a Multi's Commit that failed after
// it started to apply operations. Unwrap returns the cause, so
// errors.Is(err, unix.EEXIST) and errors.As(err, **netlink.OpError) see
// the kernel's answer.
type MultiCommitError struct {
	// Namespace is the namespace whose operation or verification failed.
	Namespace string
	// Step is the operation that failed, as the plan prints it; empty when
	// the failure was the verification or the context.
	Step string
	// Err is the cause (see CommitError.Err).
	Err error
	// RolledBack reports whether every namespace's rollback restored its
	// pre-image and its database confirmed it.
	RolledBack bool
	// Rollbacks are the namespaces' rollbacks in the order they ran
	// (reverse commit order), after those of undone moves and recreated
	// veth pairs that failed.
	Rollbacks []NSRollback
}

// Error implements error.
func (e *MultiCommitError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "txn: commit across namespaces failed in netns %s", e.Namespace)
	if e.Step != "" {
		fmt.Fprintf(&b, " at %q", e.Step)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	if e.RolledBack {
		names := make([]string, len(e.Rollbacks))
		for i, r := range e.Rollbacks {
			names[i] = r.Namespace
		}
		fmt.Fprintf(&b, "; rolled back in %s", strings.Join(names, ", "))
		return b.String()
	}
	for _, r := range e.Rollbacks {
		if r.Err == nil && len(r.Left) == 0 {
			continue
		}
		fmt.Fprintf(&b, "; ROLLBACK INCOMPLETE in netns %s", r.Namespace)
		if r.Err != nil {
			fmt.Fprintf(&b, ": %v", r.Err)
		}
		if len(r.Left) > 0 {
			left := r.Left[:min(len(r.Left), 10)]
			fmt.Fprintf(&b, "; left (%d): %s", len(r.Left), strings.Join(left, "; "))
		}
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *MultiCommitError) Unwrap() error { return e.Err }

// Commit validates the specs and moves, plans every namespace against its
// database (reporting ErrConflict, per namespace, if Plan was called and
// something it looked at changed since), then commits the namespaces in
// order (see Multi), each applied and verified before the next. On any
// failure it rolls back every namespace and returns a *MultiCommitError.
// A Multi whose plans are all empty sends nothing.
func (m *Multi) Commit(ctx context.Context) error {
	parts, err := m.prepare()
	if err != nil {
		return err
	}
	for _, p := range parts {
		if err := p.mb.tx.db.WaitSynced(ctx); err != nil {
			return fmt.Errorf("netns %s: %w", p.mb.name, err)
		}
	}
	pre := map[*member]*ipdb.Snapshot{}
	snaps := map[*member]State{}
	for _, p := range parts {
		pre[p.mb] = p.mb.tx.db.Snapshot()
		snaps[p.mb] = pre[p.mb]
	}
	mp, err := m.planAll(parts, snaps)
	if err != nil {
		return err
	}
	if old := m.plan; old != nil {
		m.plan = nil
		var errs []error
		for _, np := range mp.Namespaces {
			op := old.Of(np.Namespace)
			if op == nil {
				errs = append(errs, fmt.Errorf("netns %s: %w: namespaces changed", np.Namespace, ErrConflict))
				continue
			}
			if err := conflict(op, np.Plan); err != nil {
				errs = append(errs, fmt.Errorf("netns %s: %w", np.Namespace, err))
			}
		}
		if len(errs) > 0 {
			return errors.Join(errs...)
		}
	}
	if err := m.planMoves(parts, snaps); err != nil {
		return err
	}
	if mp.Empty() {
		return nil
	}
	linksGone := false // an earlier namespace deleted or moved links
	for i, p := range parts {
		t := p.mb.tx
		plan := mp.Namespaces[i].Plan
		var err error
		if i > 0 {
			// Plan on what the earlier namespaces left: a veth peer deleted
			// or moved with a link of theirs is announced here too.
			if linksGone {
				err = t.db.Resync(ctx)
			}
			if err == nil {
				plan, err = planSpecs(t.db.Snapshot(), p.ss)
			}
		}
		var failed *Step
		if err == nil && !plan.Empty() {
			failed, err = t.apply(ctx, plan, false)
			if err == nil {
				vctx, cancel := context.WithTimeout(ctx, t.verifyTimeout(len(plan.Steps)))
				err = t.verify(vctx, p.ss, plan.Steps)
				cancel()
			}
		}
		if err == nil {
			err = m.resyncSources(ctx, p.mb, plan)
		}
		if err != nil {
			me := &MultiCommitError{Namespace: p.mb.name, Err: err}
			if failed != nil {
				me.Step = failed.String()
			}
			m.rollback(ctx, parts, pre, me)
			return me
		}
		for _, o := range plan.Steps {
			if o.Kind == netlink.KindLink && (o.stage == stageLinkDel || o.netns != "") {
				linksGone = true
			}
		}
	}
	return nil
}

// resyncSources resynchronizes the databases of the namespaces that links
// moved from into mb by plan. The kernel does not tell a source namespace
// that the veth peer of a moved link now lives elsewhere: the peer's
// IFLA_LINK and IFLA_LINK_NETNSID change without a notification there
// (only the moved link's RTM_DELLINK, with IFLA_NEW_NETNSID, is sent;
// seen with `ip monitor link` on Linux 6.18), so its database would show
// the peer's old index until its periodic re-read (about 2 s later in a
// test), and a plan right after the commit would see a veth without its
// peer.
func (m *Multi) resyncSources(ctx context.Context, mb *member, plan *Plan) error {
	done := map[string]bool{}
	for _, o := range plan.Steps {
		if o.Kind != netlink.KindLink || o.stage != stageLinkCreate || o.netns == "" || done[o.netns] {
			continue
		}
		done[o.netns] = true
		for _, src := range m.members {
			if src.path == o.netns && src != mb {
				if err := src.tx.db.Resync(ctx); err != nil {
					return fmt.Errorf("resynchronizing netns %s after the move: %w", src.name, err)
				}
			}
		}
	}
	return nil
}

// rollback restores every namespace's pre-image, the last committed
// first.
func (m *Multi) rollback(ctx context.Context, parts []nsSpecs, pre map[*member]*ipdb.Snapshot, me *MultiCommitError) {
	var budget time.Duration
	for _, p := range parts {
		budget += 2 * p.mb.tx.verifyTimeout(p.ss.count())
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), budget)
	defer cancel()
	me.RolledBack = true
	synced := map[*member]bool{}
	back := m.undoMoves(rctx, pre, me, synced)
	for mb, names := range m.restorePairs(rctx, pre, me, synced) {
		back[mb] = append(back[mb], names...)
	}
	for i := len(parts) - 1; i >= 0; i-- {
		p := parts[i]
		ss := p.ss
		if names := back[p.mb]; len(names) > 0 {
			// The links moved back are in the scope of the rollback: their
			// pre-image (up, MTU, addresses, routes) is restored.
			c := *ss
			c.links = slices.Clone(c.links)
			for _, n := range names {
				c.links = append(c.links, LinkSpec{Name: n})
			}
			ss = &c
		}
		left, err := p.mb.tx.rollbackOf(rctx, pre[p.mb], ss)
		me.Rollbacks = append(me.Rollbacks, NSRollback{Namespace: p.mb.name, Err: err, Left: left})
		if err != nil || len(left) > 0 {
			me.RolledBack = false
		}
	}
}

// undoMoves, first in a rollback, undoes the moves, the last first: a
// link that arrived in a move's destination and was in its source before
// the commit goes back there under its old name; one that the
// transaction created in the source is deleted (with its veth peer). The
// arrived link is looked for under both names: when the new name is
// taken in the destination and the old one is not, the kernel moves the
// link, then refuses the rename with EEXIST (do_setlink renames after
// __dev_change_net_namespace, which uses the new name only when the old
// one is taken), and the link is there under its old name. It returns,
// per source namespace, the links it moved back; a failure is recorded in
// me as that destination's rollback error.
func (m *Multi) undoMoves(ctx context.Context, pre map[*member]*ipdb.Snapshot, me *MultiCommitError, synced map[*member]bool) map[*member][]string {
	back := map[*member][]string{}
	for i := len(m.moves) - 1; i >= 0; i-- {
		mv := m.moves[i]
		from, to := m.byName[mv.From], m.byName[mv.To]
		t := to.tx
		fail := func(err error) {
			me.RolledBack = false
			me.Rollbacks = append(me.Rollbacks, NSRollback{Namespace: to.name, Err: fmt.Errorf("undoing the move of link %s from netns %s: %w", mv.Link, mv.From, err)})
		}
		if !synced[to] {
			if err := t.db.Resync(ctx); err != nil {
				fail(err)
				continue
			}
			synced[to] = true
		}
		cur := t.db.Snapshot()
		for _, n := range []string{mv.name(), mv.Link} {
			l, err := cur.LinkByName(n)
			if err != nil {
				continue
			}
			if p, err := pre[to].LinkByName(n); err == nil && p.Index == l.Index {
				continue // there before the commit
			}
			var req netlink.Request
			if _, err := pre[from].LinkByName(mv.Link); err == nil {
				r := newResolver(cur, "")
				fd, err := r.nsFD(from.path)
				if err != nil {
					fail(err)
					break
				}
				bl := &netlink.Link{Index: l.Index, NetNSFD: fd}
				if n != mv.Link {
					bl.Name = mv.Link
				}
				req = netlink.LinkRequest(netlink.Set, bl)
				t.writes.Add(1)
				err = t.conn.Do(ctx, req)
				r.close()
				if err != nil {
					fail(err)
					break
				}
				back[from] = append(back[from], mv.Link)
			} else {
				t.writes.Add(1)
				if err := t.conn.Do(ctx, netlink.LinkRequest(netlink.Delete, &netlink.Link{Index: l.Index})); err != nil {
					fail(err)
				}
			}
			break
		}
	}
	return back
}

// restorePairs, in a rollback after undoMoves, recreates the veth pairs
// whose ends were in two of the namespaces before the commit and are gone
// from both (deleting one end deletes the other: veth_dellink), each
// namespace's own rollback seeing one end only. Both ends come back in
// one request, with their names and interface indexes (ifi_index of the
// request and of VETH_INFO_PEER: rtnl_newlink, veth_newlink), the peer
// created in its namespace by IFLA_NET_NS_FD. A pair is matched by each
// end's IFLA_LINK naming the other's index; an end matched in more than
// one namespace is left alone. It returns the recreated links per
// namespace, so that their rollbacks restore the rest of the pre-image
// (addresses, MTU, MAC address, up, routes).
func (m *Multi) restorePairs(ctx context.Context, pre map[*member]*ipdb.Snapshot, me *MultiCommitError, synced map[*member]bool) map[*member][]string {
	back := map[*member][]string{}
	cur := map[*member]*ipdb.Snapshot{}
	for _, mb := range m.members {
		if !synced[mb] {
			if err := mb.tx.db.Resync(ctx); err != nil {
				me.RolledBack = false
				me.Rollbacks = append(me.Rollbacks, NSRollback{Namespace: mb.name, Err: fmt.Errorf("resynchronizing: %w", err)})
				return back
			}
			synced[mb] = true
		}
		cur[mb] = mb.tx.db.Snapshot()
	}
	gone := func(mb *member, l *netlink.Link) bool {
		_, err1 := cur[mb].LinkByIndex(l.Index)
		_, err2 := cur[mb].LinkByName(l.Name)
		return err1 != nil && err2 != nil
	}
	done := map[*member]map[int]bool{}
	for _, a := range m.members {
		for la := range pre[a].Links() {
			if infoKind(la) != "veth" || la.LinkNetNSID == nil || done[a][la.Index] || !gone(a, la) {
				continue
			}
			var peerNS *member
			var peer *netlink.Link
			n := 0
			for _, b := range m.members {
				if b == a {
					continue
				}
				lb, err := pre[b].LinkByIndex(la.ParentIndex)
				if err != nil || infoKind(lb) != "veth" || lb.LinkNetNSID == nil || lb.ParentIndex != la.Index || !gone(b, lb) {
					continue
				}
				peerNS, peer = b, lb
				n++
			}
			if n != 1 || done[peerNS][peer.Index] {
				continue
			}
			t := a.tx
			r := newResolver(cur[a], "")
			fd, err := r.nsFD(peerNS.path)
			if err == nil {
				req := netlink.LinkRequest(netlink.Add, &netlink.Link{Index: la.Index, Name: la.Name,
					Info: &netlink.LinkInfo{InfoKind: "veth", Data: &netlink.Veth{Peer: &netlink.Link{Index: peer.Index, Name: peer.Name, NetNSFD: fd}}}})
				t.writes.Add(1)
				err = t.conn.Do(ctx, req)
			}
			r.close()
			if err != nil {
				me.RolledBack = false
				me.Rollbacks = append(me.Rollbacks, NSRollback{Namespace: a.name,
					Err: fmt.Errorf("recreating veth %s with its peer %s in netns %s: %w", la.Name, peer.Name, peerNS.name, err)})
				continue
			}
			for _, x := range []struct {
				mb *member
				l  *netlink.Link
			}{{a, la}, {peerNS, peer}} {
				if done[x.mb] == nil {
					done[x.mb] = map[int]bool{}
				}
				done[x.mb][x.l.Index] = true
				back[x.mb] = append(back[x.mb], x.l.Name)
			}
		}
	}
	return back
}

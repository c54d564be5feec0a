package ipdb

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// NetNS identifies one namespace of a Set.
type NetNS struct {
	// Name is the set's name for the namespace: its file name under the
	// followed directory (SetConfig.RunDir), or the name given to Attach.
	Name string
	// Path is the file the namespace was opened from (/run/netns/NAME,
	// /proc/PID/ns/net, ...), or "" for one attached by file descriptor.
	Path string
	// NSID is the kernel's id of the namespace as seen from the set's own
	// namespace (RTM_GETNSID, `ip netns list-id`), or
	// netlink.NSIDNotAssigned if it has none (see SetConfig.AssignNSIDs).
	// It is read when the namespace is attached and follows the kernel's
	// RTM_NEWNSID and RTM_DELNSID notifications after.
	NSID int32
	// Inode is the namespace's nsfs inode number, its identity (as `ls
	// -i /run/netns/NAME` or `readlink /proc/PID/ns/net` show).
	Inode uint64
}

func (n NetNS) String() string { return n.Name }

// SetConfig configures OpenSet. A nil *SetConfig means all defaults.
type SetConfig struct {
	// RunDir is the directory of named namespaces the set follows with
	// inotify: every namespace file in it is attached under its file
	// name, and detached when the file goes. Empty means
	// netlink.NetNSRunDir (/run/netns); "-" means follow none.
	RunDir string
	// Match, when not nil, limits the followed namespaces to the names
	// it accepts. Namespaces added with Attach are not filtered.
	Match func(name string) bool
	// AssignNSIDs makes the set ask the kernel to allocate an id
	// (RTM_NEWNSID, `ip netns set NAME auto`) for each attached namespace
	// that has none in the set's namespace, so that NetNS.NSID is always
	// set. Off by default: the set then changes nothing in the kernel, and
	// NSID follows the ids the kernel assigns and removes by itself
	// (RTNLGRP_NSID, nsset_nsid.go).
	AssignNSIDs bool
	// MoveWindow bounds how long one side of a link moved between two
	// attached namespaces is held back waiting for the other side before
	// it is published alone (as a plain delete or add). Zero means 1 s.
	MoveWindow time.Duration
	// ChangeLog is how many entries the set's change feed keeps. Zero
	// means 65536. The feed grows to it as entries come; each
	// SetAttached and SetDetached entry keeps its namespace's snapshot
	// alive until it leaves the feed (about 8 KiB for an empty
	// namespace), so a host that creates and deletes namespaces all day
	// may want a smaller feed.
	ChangeLog int
}

// setOp says what a SetChange is about.
type SetOp uint8

// The kinds of SetChange.
const (
	// SetObject is an object's change in one namespace (SetChange.Change),
	// or a link moved between two namespaces (SetChange.MovedFrom).
	SetObject SetOp = iota + 1
	// SetAttached: a namespace's first full picture is in
	// (SetChange.Snapshot); its objects are not listed as changes.
	SetAttached
	// SetDetached: a namespace left the set; its objects are gone from
	// the set's view, not listed as changes.
	SetDetached
)

func (o SetOp) String() string {
	switch o {
	case SetObject:
		return "object"
	case SetAttached:
		return "attached"
	case SetDetached:
		return "detached"
	}
	return "setop?"
}

// A SetChange is one entry of a Set's change feed.
type SetChange struct {
	// Rev is the set's revision: every entry of one revision is
	// published at once (see Set, "Consistency").
	Rev uint64
	// NS is the namespace the change happened in; for a move, the one
	// the link moved to.
	NS NetNS
	// Op says what the entry is about.
	Op SetOp
	// Change is the object's change (SetObject); Change.Rev is the
	// revision of NS's own database. For a move it is the link's add in
	// NS, with Change.Old set to the link as MovedFrom last had it.
	Change Change
	// MovedFrom, for a link moved between two namespaces of the set
	// (an RTM_DELLINK carrying IFLA_NEW_NETNSID/IFLA_NEW_IFINDEX in one,
	// the RTM_NEWLINK in the other), is the namespace it left; the link
	// with Change.Old's index is gone from it in the same revision.
	MovedFrom *NetNS
	// Snapshot is the namespace's first full picture (SetAttached), or
	// its last one in the set's view (SetDetached).
	Snapshot *Snapshot
}

// Set follows many network namespaces, one DB per namespace: the named
// ones under SetConfig.RunDir, attached and detached as they come and go,
// and any added with Attach, AttachPath, AttachFD or AttachPID. It keeps
// one change feed across them (ChangesSince) and a snapshot across them
// (Snapshot).
//
// # Consistency
//
// The set's revisions are its own. At every set revision R, the set's
// snapshot holds, for each attached and synced namespace, that
// namespace's database at some revision r(R), and the feed's entries up
// to R replayed over the SetAttached snapshots give exactly those
// snapshots. r(R) never goes backwards. A link moved from namespace A to
// namespace B of the set is one SetChange (MovedFrom A), and at every R
// the link is in exactly one of the two: in A before the move's revision,
// in B from it on, never in both and never in neither. To ensure that,
// the set holds back a revision of A that deletes a link with
// IFLA_NEW_NETNSID until B's revision with the link's add arrives (and
// the other way round, since the two namespaces' notifications are read
// on different sockets), and publishes both in one set revision. A side
// whose partner cannot come (the target is not in the set, the link was
// really created) is published alone once every other namespace of the
// set has nothing in flight (its socket and queue are empty, so the
// partner would have been seen), and at the latest after MoveWindow.
// Held revisions delay that namespace's later revisions, never reorder
// them.
//
// # Cost
//
// Each namespace costs its DB's two goroutines (reader and applier) and
// two sockets; the set keeps no file of the namespace open. The periodic
// refresh of every database is driven by one scheduler goroutine for the
// set (instead of a ticker each); a quiet namespace's periodic re-reads
// back off to every 128 intervals (256 s by default, instead of 64 s for
// a lone DB; any notification in the namespace brings them back to every
// interval), and its neighbour re-read is skipped while it sends nothing
// (refresher.neighSkip). The set itself adds three goroutines (that
// scheduler, the RunDir follower, the nsid follower) and three file
// descriptors (inotify, a socket for nsid lookups, one for RTNLGRP_NSID). Databases of a set keep a smaller change log (1024
// entries, WithChangeLog overrides) and a 4 MiB listener buffer
// (WithReadBuffer overrides); the set's feed is the one to follow.
type Set struct {
	cfg   SetConfig
	opts  []Option      // for each DB
	base  options       // opts resolved, for their values
	own   *netlink.Conn // the set's namespace: nsid lookups
	ids   *netlink.Conn // RTNLGRP_NSID (nsset_nsid.go)
	sched *refreshScheduler

	mu sync.Mutex
	// The fields below are guarded by mu.
	members map[string]*member
	rev     uint64
	log     []SetChange // ring
	head, n int
	lost    uint64
	ready   chan struct{}
	closed  bool
	retries map[string]*time.Timer // named namespaces not bound yet
	// attachErrs holds why a namespace under RunDir could not be
	// attached, until it goes or attaches; guarded by mu.
	attachErrs map[string]error
	checkAt    *time.Timer // pending resolution of held moves

	notify *os.File // inotify, nil if RunDir is not followed
	wg     sync.WaitGroup
	done   chan struct{} // closed by Close
}

type member struct {
	set  *Set
	ns   NetNS
	db   *DB
	pub  *Snapshot // the published snapshot, nil before the first sync
	auto bool      // attached by following RunDir
	// held are this namespace's revisions not published yet, oldest
	// first; guarded by set.mu.
	held []*heldCommit
	// peers caches which member an nsid of this namespace names (for
	// IFLA_NEW_NETNSID); guarded by set.mu.
	peers map[int32]*member
	gone  bool // detached; guarded by set.mu
}

type heldCommit struct {
	m       *member
	snap    *Snapshot
	changes []Change
	attach  bool
	ends    []*moveEnd
}

// moveEnd is one side of a possible move: a link deleted with
// IFLA_NEW_NETNSID (out) or a link added (in).
type moveEnd struct {
	c       *heldCommit
	i       int // index in c.changes
	out     bool
	nsid    int32 // out: the target's id in the source namespace
	ifindex int   // out: IFLA_NEW_IFINDEX; in: the link's index
	partner *moveEnd
	plain   bool // resolved as no move
	since   time.Time
	// drained is when the namespaces the side waits on were first seen
	// with nothing in flight, in an unbroken run of checks; zero when the
	// last check saw something.
	drained  time.Time
	info     bool    // out: nsid and ifindex are known
	verified bool    // out: target is known
	target   *member // out: the member its nsid names, or nil
}

func (e *moveEnd) resolved() bool { return e.partner != nil || e.plain }

// OpenSet starts a set of databases, one per namespace, each opened with
// opts (WithNetNS and WithNetNSFD are not allowed: the set chooses the
// namespace). It attaches the namespaces under cfg.RunDir and follows
// that directory until Close. The set's own namespace, for NetNS.NSID, is
// the calling thread's.
func OpenSet(ctx context.Context, cfg *SetConfig, opts ...Option) (*Set, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := &Set{members: map[string]*member{}, retries: map[string]*time.Timer{}, ready: make(chan struct{}), done: make(chan struct{})}
	if cfg != nil {
		s.cfg = *cfg
	}
	if s.cfg.RunDir == "" {
		s.cfg.RunDir = netlink.NetNSRunDir
	}
	if s.cfg.MoveWindow <= 0 {
		s.cfg.MoveWindow = time.Second
	}
	if s.cfg.ChangeLog <= 0 {
		s.cfg.ChangeLog = 1 << 16
	}
	s.opts = append([]Option{WithChangeLog(1024), WithReadBuffer(4 << 20)}, opts...)
	s.base = defaultOptions()
	for _, o := range s.opts {
		if err := o(&s.base); err != nil {
			return nil, err
		}
	}
	if s.base.netns != "" || s.base.netnsFD != 0 {
		return nil, fmt.Errorf("%w: a set chooses each database's namespace (no WithNetNS, WithNetNSFD)", ErrInvalid)
	}
	var err error
	if s.own, err = netlink.Dial(nil); err != nil {
		return nil, err
	}
	if s.base.refresh > 0 {
		s.sched = newRefreshScheduler(s.base.refresh)
	}
	if err := s.followIDs(); err != nil {
		s.Close()
		return nil, err
	}
	if s.cfg.RunDir != "-" {
		if err := s.follow(); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// Close detaches every namespace, closing its database, and stops
// following RunDir. It waits for every goroutine the set started and is
// safe to call more than once.
func (s *Set) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	for name, t := range s.retries {
		if t.Stop() {
			s.wg.Done()
		}
		delete(s.retries, name)
	}
	if s.checkAt != nil && s.checkAt.Stop() {
		s.wg.Done()
	}
	s.checkAt = nil
	notify := s.notify
	var names []string
	for name := range s.members {
		names = append(names, name)
	}
	s.mu.Unlock()
	if notify != nil {
		notify.Close() // unblocks the follower's read
	}
	if s.ids != nil {
		s.ids.Close() // unblocks followIDs
	}
	for _, name := range names {
		s.detach(name, false)
	}
	s.wg.Wait()
	if s.sched != nil {
		s.sched.close()
	}
	s.own.Close()
	return nil
}

// Done returns a channel that is closed when Close is called.
func (s *Set) Done() <-chan struct{} { return s.done }

// AttachPath adds the namespace at path (a name under RunDir or any path,
// e.g. /proc/PID/ns/net) under name. The file must be a network
// namespace (an nsfs inode), else ErrInvalid. The namespace appears in
// Snapshot and in the feed (SetAttached) once its database has synced.
func (s *Set) AttachPath(name, path string) error {
	if !filepathHasSlash(path) {
		path = netlink.NetNSPath(path)
	}
	ok, err := netlink.IsNetNS(path)
	if err != nil {
		return fmt.Errorf("ipdb: attach %s: %w", name, err)
	}
	if !ok {
		return fmt.Errorf("%w: attach %s: %s is not a network namespace", ErrInvalid, name, path)
	}
	return s.attach(name, path, 0, false)
}

// AttachPID adds the network namespace of process pid under name.
func (s *Set) AttachPID(name string, pid int) error {
	if pid <= 0 {
		return fmt.Errorf("%w: attach %s: pid %d", ErrInvalid, name, pid)
	}
	return s.AttachPath(name, fmt.Sprintf("/proc/%d/ns/net", pid))
}

// AttachFD adds the network namespace of the open file descriptor fd
// under name. The caller keeps ownership of fd; the set does not keep it.
func (s *Set) AttachFD(name string, fd int) error {
	if fd <= 0 {
		return fmt.Errorf("%w: attach %s: netns fd %d", ErrInvalid, name, fd)
	}
	return s.attach(name, "", fd, false)
}

func filepathHasSlash(p string) bool { return filepath.Base(p) != p }

func (s *Set) attach(name, path string, fd int, auto bool) error {
	if name == "" {
		return fmt.Errorf("%w: attach: empty name", ErrInvalid)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if _, ok := s.members[name]; ok {
		s.mu.Unlock()
		return fmt.Errorf("%w: namespace %q is already attached", ErrInvalid, name)
	}
	m := &member{set: s, ns: NetNS{Name: name, Path: path, NSID: netlink.NSIDNotAssigned}, auto: auto, peers: map[int32]*member{}}
	s.members[name] = m // reserve the name
	s.mu.Unlock()

	if err := m.identify(s, path, fd); err != nil {
		s.mu.Lock()
		delete(s.members, name)
		s.mu.Unlock()
		return fmt.Errorf("ipdb: attach %s: %w", name, err)
	}
	opts := append(slices.Clip(s.opts), func(o *options) error {
		o.member, o.sharedRefresh = m, s.sched
		return nil
	})
	if fd > 0 {
		opts = append(opts, WithNetNSFD(fd))
	} else {
		opts = append(opts, WithNetNS(path))
	}
	db, err := Open(context.Background(), opts...)
	s.mu.Lock()
	if err != nil || s.closed {
		delete(s.members, name)
		m.gone = true
		s.mu.Unlock()
		if err == nil {
			db.Close()
			return ErrClosed
		}
		return fmt.Errorf("ipdb: attach %s: %w", name, err)
	}
	m.db = db
	delete(s.attachErrs, name)
	s.mu.Unlock()
	if auto {
		// Its file may have gone while the database opened: the
		// follower's detach found no database then.
		if ok, _ := netlink.IsNetNS(path); !ok {
			s.detach(name, true)
		}
	}
	return nil
}

// identify reads the namespace's inode and its nsid in the set's
// namespace, assigning an id first if the set is asked to. It opens path
// (or uses fd) for that only.
func (m *member) identify(s *Set, path string, fd int) error {
	if fd <= 0 {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		fd = int(f.Fd())
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ref := netlink.NetNSRef{FD: fd}
	id, err := s.own.NSID(ctx, ref)
	if err != nil {
		return err
	}
	if id == netlink.NSIDNotAssigned && s.cfg.AssignNSIDs {
		if err := s.own.SetNSID(ctx, ref, netlink.NSIDNotAssigned); err != nil && !errors.Is(err, unix.EEXIST) {
			return err
		}
		if id, err = s.own.NSID(ctx, ref); err != nil {
			return err
		}
	}
	s.mu.Lock()
	m.ns.Inode, m.ns.NSID = st.Ino, id
	s.mu.Unlock()
	return nil
}

// AttachErrors returns, by name, why namespaces under the followed
// directory (SetConfig.RunDir) could not be attached: entering one needs
// CAP_SYS_ADMIN over its user namespace (setns(2), EPERM without it), and
// a namespace that vanishes while it is attached is no error. The
// follower tries for a moment (as `ip netns add` binds a namespace just
// after creating its file), then records the last error; the entry stays
// until the namespace's file goes or the name is attached (AttachPath
// may try again once the cause is fixed). Namespaces
// attached by AttachPath, AttachPID and AttachFD report their errors to
// the caller instead.
func (s *Set) AttachErrors() map[string]error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.attachErrs)
}

// setAttachErr records (err not nil) or clears why name could not be
// attached.
func (s *Set) setAttachErr(name string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		delete(s.attachErrs, name)
		return
	}
	if s.attachErrs == nil {
		s.attachErrs = map[string]error{}
	}
	s.attachErrs[name] = err
}

// Detach removes the namespace named name from the set and closes its
// database; its objects leave the set's view in one revision
// (SetDetached). An unknown name is ErrNotFound.
func (s *Set) Detach(name string) error {
	if !s.detach(name, false) {
		return fmt.Errorf("%w: namespace %q", ErrNotFound, name)
	}
	return nil
}

// detach removes name (only if it was attached by following RunDir when
// autoOnly) and reports whether it did.
func (s *Set) detach(name string, autoOnly bool) bool {
	s.mu.Lock()
	m, ok := s.members[name]
	if !ok || m.db == nil || (autoOnly && !m.auto) {
		s.mu.Unlock()
		return false
	}
	delete(s.members, name)
	m.gone = true
	// Publish what it holds: its moves that lack a partner now never get
	// one, and a partner elsewhere is published alone.
	for _, c := range m.held {
		for _, e := range c.ends {
			if e.partner != nil {
				e.partner.partner, e.partner.plain = nil, true
				e.partner = nil
			}
			e.plain = true
		}
	}
	for _, other := range s.members {
		for id, p := range other.peers {
			if p == m {
				delete(other.peers, id)
			}
		}
	}
	s.publishLocked()
	if len(m.held) > 0 { // cannot happen: all its ends are resolved
		s.publishCommitsLocked(m.held)
		m.held = nil
	}
	if m.pub != nil {
		s.appendLocked([]SetChange{{NS: m.ns, Op: SetDetached, Snapshot: m.pub}})
	}
	m.pub = nil
	s.mu.Unlock()
	m.db.Close()
	return true
}

// Namespaces returns the attached namespaces, synced or not, by name.
func (s *Set) Namespaces() []NetNS {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []NetNS
	for _, m := range s.members {
		if m.db != nil {
			out = append(out, m.ns)
		}
	}
	slices.SortFunc(out, func(a, b NetNS) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// DB returns the database of the namespace named name. Its own
// snapshots may be ahead of the set's (a revision held for a move).
func (s *Set) DB(name string) (*DB, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.members[name]
	if !ok || m.db == nil {
		return nil, false
	}
	return m.db, true
}

// Revision returns the set's newest revision.
func (s *Set) Revision() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rev
}

// committed is a member database's commit hook, called on its applier
// goroutine right after each commit (revision 1 is the first sync).
func (m *member) committed(db *DB, rev uint64, changes []Change, batch []netlink.Update) {
	s := m.set
	snap := db.Snapshot()
	snap.synced = true // every commit the hook hears is of a synced picture; Synced closes just after revision 1
	c := &heldCommit{m: m, snap: snap, changes: changes, attach: rev == 1 && changes == nil}
	var moved map[int][2]int
	for _, u := range batch {
		if l, ok := u.Object.(*netlink.Link); ok && u.Deleted() {
			if nsid, idx, ok := l.LinkMovedTo(); ok {
				if moved == nil {
					moved = map[int][2]int{}
				}
				moved[l.Index] = [2]int{int(nsid), idx}
			}
		}
	}
	now := time.Now()
	for i, ch := range changes {
		if ch.Kind != netlink.KindLink {
			continue
		}
		switch ch.Op {
		case OpDelete:
			if mv, ok := moved[ch.Old.(*netlink.Link).Index]; ok {
				c.ends = append(c.ends, &moveEnd{c: c, i: i, out: true, info: true, nsid: int32(mv[0]), ifindex: mv[1], since: now})
			} else if batch == nil {
				// Found gone by a re-read: the RTM_DELLINK, which says
				// whether it moved, may still be on its way (applied).
				c.ends = append(c.ends, &moveEnd{c: c, i: i, out: true, since: now})
			}
		case OpAdd:
			c.ends = append(c.ends, &moveEnd{c: c, i: i, ifindex: ch.New.(*netlink.Link).Index, since: now})
		}
	}
	s.mu.Lock()
	if m.gone || s.closed {
		s.mu.Unlock()
		return
	}
	if m.db == nil {
		m.db = db // the first sync can come before Open returned
	}
	m.held = append(m.held, c)
	s.mu.Unlock()
	for _, e := range c.ends {
		if e.out && e.info {
			t := s.targetOf(m, e.nsid)
			s.mu.Lock()
			e.target, e.verified = t, true
			s.mu.Unlock()
		}
	}
	s.mu.Lock()
	if !m.gone && !s.closed {
		s.matchLocked(c)
		s.publishLocked()
		s.scheduleCheckLocked()
	}
	s.mu.Unlock()
}

// targetOf returns the member that nsid names in m's namespace (an
// out's IFLA_NEW_NETNSID), or nil if it names none of the set's. It asks
// m's command socket (RTM_GETNSID with each candidate's namespace, from
// SIOCGSKNS) without holding the lock, and caches the answers, so that a
// namespace's moves to one target cost one scan.
func (s *Set) targetOf(m *member, nsid int32) *member {
	s.mu.Lock()
	if t, ok := m.peers[nsid]; ok {
		s.mu.Unlock()
		return t
	}
	var others []*member
	for _, o := range s.members {
		if o != m && o.db != nil && !o.gone && !slices.Contains(slices.Collect(maps.Values(m.peers)), o) {
			others = append(others, o)
		}
	}
	s.mu.Unlock()
	for _, o := range others {
		f, err := o.db.cmd.NetNSFile()
		if err != nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		id, err := m.db.cmd.NSID(ctx, netlink.NetNSRef{FD: int(f.Fd())})
		cancel()
		f.Close()
		if err != nil || id < 0 {
			continue
		}
		s.mu.Lock()
		if !m.gone && !o.gone {
			m.peers[id] = o
		}
		s.mu.Unlock()
		if id == nsid {
			return o
		}
	}
	return nil
}

// matchLocked pairs the possible moves of c with unpaired ones of other
// members: an out of namespace A (nsid, new index) with an in of the
// member A's nsid names, of that index.
func (s *Set) matchLocked(c *heldCommit) {
	for _, e := range c.ends {
		if e.resolved() {
			continue
		}
		for _, other := range s.members {
			if other == c.m || other.gone {
				continue
			}
			for _, oc := range other.held {
				for _, oe := range oc.ends {
					if e.resolved() {
						break
					}
					if oe.resolved() || oe.out == e.out || oe.ifindex != e.ifindex {
						continue
					}
					out, in := e, oe
					if !e.out {
						out, in = oe, e
					}
					if out.info && out.verified && out.target == in.c.m {
						out.partner, in.partner = in, out
					}
				}
			}
		}
	}
}

// scheduleCheckLocked makes sure the held moves are looked at again soon.
func (s *Set) scheduleCheckLocked() {
	if s.checkAt != nil || s.closed {
		return
	}
	held := false
	for _, m := range s.members {
		if len(m.held) > 0 {
			held = true
			break
		}
	}
	if !held {
		return
	}
	s.wg.Add(1)
	s.checkAt = time.AfterFunc(moveCheckEvery, func() {
		defer s.wg.Done()
		s.mu.Lock()
		defer s.mu.Unlock()
		s.checkAt = nil
		if s.closed {
			return
		}
		s.resolveLocked(time.Now())
		s.publishLocked()
		s.scheduleCheckLocked()
	})
}

// moveCheckEvery is how often held moves are looked at; moveMinHold is
// how long a side waits at least, for the kernel to have queued the
// other side's message (both are sent in one dev_change_net_namespace).
const (
	moveCheckEvery = 2 * time.Millisecond
	moveMinHold    = 2 * time.Millisecond
)

// moveDrainHold is how long the namespaces a side waits on must be seen
// drained, check after check, before the side goes out alone. drained
// has a blind spot: a datagram the reader has taken off the socket but
// not yet decoded, or a batch the applier has taken off the queue but not
// yet marked, is in no counter for a few instructions. A goroutine
// preempted there (the race detector makes that likelier) looked drained
// for one check and a move went out as a delete (TestSetMove under -race
// in CI); it must stay so for this long.
const moveDrainHold = 20 * time.Millisecond

// drainedFor records whether ok (the namespaces e waits on are drained)
// holds at now, and reports whether it has held for moveDrainHold.
func (e *moveEnd) drainedFor(ok bool, now time.Time) bool {
	if !ok {
		e.drained = time.Time{}
		return false
	}
	if e.drained.IsZero() {
		e.drained = now
	}
	return now.Sub(e.drained) >= moveDrainHold
}

// resolveLocked publishes alone the unpaired sides that can no longer get
// a partner: every other member drained (nothing in its socket, queue or
// applier) after the side's minimum hold, or MoveWindow passed.
func (s *Set) resolveLocked(now time.Time) {
	var waiting []*moveEnd
	for _, m := range s.members {
		for _, c := range m.held {
			for _, e := range c.ends {
				if !e.resolved() {
					waiting = append(waiting, e)
				}
			}
		}
	}
	if len(waiting) == 0 {
		return
	}
	drained := map[*member]bool{}
	allDrainedBut := func(m *member) bool {
		for _, o := range s.members {
			if o == m || o.db == nil {
				continue
			}
			d, ok := drained[o]
			if !ok {
				d = o.db.drained()
				drained[o] = d
			}
			if !d {
				return false
			}
		}
		return true
	}
	for _, e := range waiting {
		age := now.Sub(e.since)
		switch {
		case age >= s.cfg.MoveWindow:
			e.plain = true
		case e.out && !e.info:
			// A delete found by a re-read: its RTM_DELLINK was queued
			// before the re-read's dump, and is applied once the
			// namespace's own database is drained.
			e.plain = e.drainedFor(e.c.m.db.drained(), now) && age >= moveMinHold
		case e.out:
			// The other side is sent after this one, possibly
			// milliseconds later (dev_change_net_namespace waits for
			// RCU in between): wait for it if the target is ours.
			e.plain = e.verified && (e.target == nil || e.target.gone)
		default:
			// This side is sent after the other, which is thus
			// queued somewhere already if it exists.
			e.plain = e.drainedFor(allDrainedBut(e.c.m), now) && age >= moveMinHold
		}
	}
}

// drained reports whether the database has nothing in flight: no
// datagram in its listener socket, no batch read but not queued, queued
// or being applied.
func (db *DB) drained() bool {
	return db.busy.Load() == 0 && db.queue.empty() && !db.listen.Pending() && db.busy.Load() == 0
}

// publishLocked publishes every held revision that can be: a group of
// revisions tied by paired moves goes out as one set revision once each
// of them is the oldest held revision of its namespace (or follows only
// others of the group) and all their sides are resolved.
func (s *Set) publishLocked() {
	for progress := true; progress; {
		progress = false
		for _, m := range s.members {
			if len(m.held) == 0 {
				continue
			}
			group, ok := groupOf(m.held[0])
			if !ok {
				continue
			}
			s.publishCommitsLocked(group)
			for _, c := range group {
				c.m.held = slices.DeleteFunc(c.m.held, func(h *heldCommit) bool { return slices.Contains(group, h) })
			}
			progress = true
		}
	}
}

// groupOf returns the revisions tied to c by paired moves, and whether
// they can all be published now.
func groupOf(c *heldCommit) ([]*heldCommit, bool) {
	group := []*heldCommit{c}
	for i := 0; i < len(group); i++ {
		for _, e := range group[i].ends {
			if !e.resolved() {
				return nil, false
			}
			if p := e.partner; p != nil && !slices.Contains(group, p.c) {
				group = append(group, p.c)
			}
		}
	}
	// Each member's revisions in the group must be its oldest held ones.
	for _, g := range group {
		for _, h := range g.m.held {
			if h == g {
				break
			}
			if !slices.Contains(group, h) {
				return nil, false
			}
		}
	}
	return group, true
}

// publishCommitsLocked appends the entries of commits as one revision
// and moves each member's published snapshot.
func (s *Set) publishCommitsLocked(commits []*heldCommit) {
	var out []SetChange
	for _, c := range commits {
		m := c.m
		if c.attach {
			out = append(out, SetChange{NS: m.ns, Op: SetAttached, Snapshot: c.snap})
		}
		for i, ch := range c.changes {
			var e *moveEnd
			for _, x := range c.ends {
				if x.i == i {
					e = x
				}
			}
			switch {
			case e != nil && e.partner != nil && e.out:
				continue // published with its in
			case e != nil && e.partner != nil:
				from := e.partner.c.m.ns
				ch.Old = e.partner.c.changes[e.partner.i].Old
				out = append(out, SetChange{NS: m.ns, Op: SetObject, Change: ch, MovedFrom: &from})
			default:
				out = append(out, SetChange{NS: m.ns, Op: SetObject, Change: ch})
			}
		}
		if m.pub == nil || c.snap.Revision() > m.pub.Revision() {
			m.pub = c.snap
		}
	}
	if len(out) > 0 {
		s.appendLocked(out)
	}
}

// appendLocked adds one revision of entries to the feed and wakes
// readers.
func (s *Set) appendLocked(entries []SetChange) {
	s.rev++
	for _, e := range entries {
		e.Rev = s.rev
		if s.n == len(s.log) && len(s.log) < s.cfg.ChangeLog {
			// Grow by doubling up to ChangeLog, keeping the order.
			log := make([]SetChange, min(max(2*len(s.log), 64), s.cfg.ChangeLog))
			for i := range s.n {
				log[i] = s.log[(s.head+i)%len(s.log)]
			}
			s.log, s.head = log, 0
		}
		if s.n == len(s.log) {
			s.lost = max(s.lost, s.log[s.head].Rev)
			s.log[s.head] = SetChange{}
			s.head = (s.head + 1) % len(s.log)
			s.n--
		}
		s.log[(s.head+s.n)%len(s.log)] = e
		s.n++
	}
	close(s.ready)
	s.ready = make(chan struct{})
}

// ChangesSince returns the feed's entries after set revision rev (at
// most max, never splitting a revision; max <= 0 means all), the
// revision they reach, and a channel that closes when a newer revision
// is published. If rev has left the bounded feed it returns
// ErrTruncated: take a Snapshot and continue from its revision.
func (s *Set) ChangesSince(rev uint64, max int) ([]SetChange, uint64, <-chan struct{}, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rev < s.lost {
		return nil, s.rev, s.ready, ErrTruncated
	}
	lo, n := logWindow(s.n, rev, max, func(i int) uint64 { return s.log[(s.head+i)%len(s.log)].Rev })
	out := make([]SetChange, 0, n)
	for i := range n {
		out = append(out, s.log[(s.head+lo+i)%len(s.log)])
	}
	upTo := s.rev
	if lo+n < s.n {
		upTo = out[len(out)-1].Rev
	}
	return out, upTo, s.ready, nil
}

// commitHook hears every commit of a database that belongs to a Set,
// and every batch of notifications it applied (changes or not).
type commitHook interface {
	committed(db *DB, rev uint64, changes []Change, batch []netlink.Update)
	applied(db *DB, batch []netlink.Update)
}

// applied gives the link deletes found by a re-read (outs without info)
// the move information of their RTM_DELLINK, which changed nothing when
// it was applied after the re-read.
func (m *member) applied(db *DB, batch []netlink.Update) {
	s := m.set
	var found []*moveEnd
	for _, u := range batch {
		l, ok := u.Object.(*netlink.Link)
		if !ok || !u.Deleted() {
			continue
		}
		nsid, idx, ok := l.LinkMovedTo()
		if !ok {
			continue
		}
		s.mu.Lock()
		for _, c := range m.held {
			for _, e := range c.ends {
				if e.out && !e.info && !e.plain && c.changes[e.i].Old.(*netlink.Link).Index == l.Index {
					e.nsid, e.ifindex, e.info = nsid, idx, true
					found = append(found, e)
				}
			}
		}
		s.mu.Unlock()
	}
	if len(found) == 0 {
		return
	}
	for _, e := range found {
		t := s.targetOf(m, e.nsid)
		s.mu.Lock()
		e.target, e.verified = t, true
		s.mu.Unlock()
	}
	s.mu.Lock()
	if !m.gone && !s.closed {
		for _, e := range found {
			s.matchLocked(e.c)
		}
		s.publishLocked()
		s.scheduleCheckLocked()
	}
	s.mu.Unlock()
}

package txn

import (
	"iter"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// State is the read side of a database snapshot that planning needs;
// *ipdb.Snapshot implements it.
type State interface {
	// Links yields every link (the plan names the links the kernel
	// deletes with a deleted one: link_cascade.go).
	Links() iter.Seq[*netlink.Link]
	LinkByName(name string) (*netlink.Link, error)
	LinkByIndex(index int) (*netlink.Link, error)
	AddrsOf(index int) iter.Seq[*netlink.Addr]
	RoutesTo(table uint32, dst netip.Prefix) iter.Seq[*netlink.Route]
	// RoutesInTable yields a table's routes in destination order: by
	// address, then prefix length.
	RoutesInTable(family uint8, table uint32) iter.Seq[*netlink.Route]
	RoutesOf(index int) iter.Seq[*netlink.Route]
	NeighsOf(index int) iter.Seq[*netlink.Neigh]
	Rules() iter.Seq[*netlink.Rule]
	// Nexthop returns the nexthop object with this id, or an error if
	// there is none.
	Nexthop(id uint32) (*netlink.Nexthop, error)
	// Nexthops yields the nexthop objects by id.
	Nexthops() iter.Seq[*netlink.Nexthop]
	// RoutesUsingNexthop yields the routes whose nhid is id.
	RoutesUsingNexthop(id uint32) iter.Seq[*netlink.Route]
	// GroupsContaining yields the nexthop groups that have id as a member.
	GroupsContaining(id uint32) iter.Seq[*netlink.Nexthop]
	// QdiscsOf, ClassesOf and FiltersOf yield the tc objects of the link
	// with this index.
	QdiscsOf(index int) iter.Seq[*netlink.Qdisc]
	ClassesOf(index int) iter.Seq[*netlink.Class]
	FiltersOf(index int) iter.Seq[*netlink.Filter]
	// FiltersOfBlock yields the filters of the shared filter block with
	// this index (Block set, Index and Parent 0).
	FiltersOfBlock(block uint32) iter.Seq[*netlink.Filter]
	// BlocksOf returns the shared filter blocks the qdiscs of the link
	// with this index are bound to, by filter parent
	// (netlink.HandleIngressBlock, netlink.HandleEgressBlock).
	BlocksOf(index int) map[netlink.Handle]uint32
}

var _ State = (*ipdb.Snapshot)(nil)

// Config configures a Txn. A nil *Config means all defaults.
type Config struct {
	// VerifyTimeout bounds the wait for the database to show the desired
	// state after applying, and again after a rollback. Zero means 10 s
	// plus 50 µs per operation.
	VerifyTimeout time.Duration
	// NetNS is the namespace the DB and Conn work in (a name under
	// /run/netns or a path), needed only to bring back a link a rolled
	// back transaction moved to another namespace. Empty means the
	// process's namespace (/proc/self/ns/net).
	NetNS string

	// inject, in tests, replaces the request of the i-th applied operation.
	inject func(i int, s *Step, req netlink.Request) netlink.Request
}

// Txn is a set of specs to plan and commit against one database and
// connection, which must be of the same network namespace. The DB must keep
// every kind of object the specs name (see ipdb.WithKinds).
type Txn struct {
	db   *ipdb.DB
	conn *netlink.Conn
	cfg  Config

	specs specSet
	plan  *Plan

	writes atomic.Uint64
}

// specSet holds the specs by kind; a spec is referred to by a specRef.
type specSet struct {
	links    []LinkSpec
	addrs    []AddrSpec
	sets     []AddrSetSpec
	nexthops []NexthopSpec
	routes   []RouteSpec
	// mplsRoutes are the MPLS route specs (route_mpls.go), of kind
	// KindRoute with specRef.mpls.
	mplsRoutes []MPLSRouteSpec
	neighs     []NeighSpec
	rules      []RuleSpec
	qdiscs     []QdiscSpec
	classes    []ClassSpec
	filters    []FilterSpec
}

type specRef struct {
	kind netlink.Kind
	set  bool // an AddrSetSpec
	mpls bool // an MPLSRouteSpec
	i    int32
}

// New returns an empty transaction on db and conn. It starts nothing.
func New(db *ipdb.DB, conn *netlink.Conn, cfg *Config) *Txn {
	t := &Txn{db: db, conn: conn}
	if cfg != nil {
		t.cfg = *cfg
	}
	return t
}

// Writes returns how many netlink write requests this Txn has sent,
// rollbacks included.
func (t *Txn) Writes() uint64 { return t.writes.Load() }

// validate checks every spec, kind by kind in kindTable's order.
func (ss *specSet) validate() error {
	for i := range kindTable {
		if ops := kindTable[i].ops; ops != nil {
			if err := ops.validate(ss); err != nil {
				return err
			}
		}
	}
	return checkDuplicates(ss) // duplicate.go
}

// count returns the number of specs.
func (ss *specSet) count() int {
	n := 0
	for i := range kindTable {
		if ops := kindTable[i].ops; ops != nil {
			n += ops.count(ss)
		}
	}
	return n
}

// each calls fn with every spec reference, kind by kind in kindTable's
// order (links first).
func (ss *specSet) each(fn func(specRef)) {
	for i := range kindTable {
		if ops := kindTable[i].ops; ops != nil {
			ops.each(ss, fn)
		}
	}
}

// Package txn changes a network namespace transactionally: specs say what
// must be true (links, addresses, nexthop objects, routes, neighbours,
// rules, tc qdiscs, classes and filters present with some attributes, or
// absent), Plan diffs them against
// the ipdb cache, and Commit applies the difference through the rtnetlink
// core, verifies it through the cache and, on any failure or timeout,
// rolls everything back to the state before the commit.
//
// # Specs
//
// LinkSpec, AddrSpec, AddrSetSpec, NexthopSpec, RouteSpec, NeighSpec,
// RuleSpec, QdiscSpec, ClassSpec and FilterSpec each describe one object (or, for AddrSetSpec, the full address
// set of a link). Attributes that are nil or zero are left alone: a spec
// says only what it cares about. Links are referred to by name; names
// resolve to interface indexes at commit time, from the database once the links this
// transaction creates have appeared in it, so that one transaction can
// create a veth pair and a bridge, enslave, address and route them.
//
// # Plan
//
// Plan diffs the specs against a database snapshot and returns the ordered
// operations, printable like `terraform plan` ("+ route 198.51.100.0/24 via
// 192.0.2.2 table 300", "~ link v0 mtu 1500 -> 1400"). A satisfied set of
// specs gives an empty plan, and committing it sends nothing. Every
// modification lists each attribute it changes as old -> new ("~ route
// 198.51.100.0/24 dev br0: mtu lock 1400 -> lock 1300"); a route replaced
// keeps what its spec does not mention (protocol, metrics and their locks,
// and its source and scope while its next hop stays).
//
// What the kernel cannot change in place is refused with ErrInvalid,
// naming each setting: a vxlan's id or port, a veth's peer, a link's
// lower device, a vrf's table, a macvlan into or out of passthru (see
// linkDataChanges for the full list, checked against Linux 6.18), and an
// address's peer, broadcast, label or scope. So are what the kernel
// would refuse and planning can tell: a link that is its own parent,
// deleting or moving the loopback device, a master that is no bridge,
// bond or vrf, an MTU outside the device's range.
//
// # Nexthop objects
//
// A NexthopSpec is a nexthop object by id: a device with an optional
// gateway, a blackhole, an fdb nexthop, or a group (mpath or resilient)
// of single nexthops with weights. A RouteSpec with NHID uses one; it
// holds when the route's nhid is NHID, whatever hops the kernel expands
// it to. Single nexthops are created after addresses, groups after their
// members, routes after both; removals run in reverse. A nexthop that
// differs is replaced in place (`ip nexthop replace`: the routes over it
// follow). What replace_nexthop and nh_check_attr_group refuse is refused
// with ErrInvalid before anything is sent: a single nexthop into a group
// or back, a group's type, a resilient group's buckets, nested groups, a
// blackhole in a group of several, fdb and non-fdb mixed, and IPv6 routes
// over IPv4 nexthops. Removing a nexthop makes the kernel drop the routes
// over it and shrink the groups that contain it without telling; so does
// a link going down for the nexthops on it. A rollback brings back, from
// the pre-image, those nexthops, the groups that contain them, and the
// routes over any of them.
//
// # Traffic control
//
// QdiscSpec, ClassSpec and FilterSpec are tc's objects, with identities
// as the database keys them (qdisc: link, parent, handle; class: link,
// class id; filter: link, parent, chain, priority, protocol, handle, or
// for a shared block's filter block, chain, priority, protocol, handle) and
// netlink's typed options (a field left at zero is the kernel's choice;
// statistics and what the kernel only reports never count). Qdiscs and
// classes are created in the order of their tree (a root qdisc, its
// classes from the top, a qdisc under a class after the class, its
// classes...), then filters; removals run in reverse. A qdisc at a parent that has another (the kernel's default
// root qdisc or one of another handle or kind) is replaced by one request
// (`tc qdisc replace`), and the kernel deletes the old one's classes and
// filters with it; a handle whose kind changes is removed and added again
// (the kernel keeps a handle's kind), and so is a changed u32 node (u32
// keeps a node's selector). A rollback restores the tc objects of every
// link a tc spec names, whole: what the transaction added goes, and what
// it or the kernel removed comes back. A filter's actions
// are compared by what a request sets (their order, kinds and settable
// options; not the index, counts, counters and times the kernel adds),
// and a mirred action may name its target link (FilterSpec.MirredDevs),
// resolved at commit like any link name, also an ifb the transaction
// creates. An empty action list asks for none; a nil one keeps the
// filter's actions (and an old-style policer the spec leaves nil too),
// which a change of the filter sends again. The plan
// prints options in tc's words and units ("rate 1Mbit burst 10Kb lat
// 25ms"), filters as `tc filter add` takes them ("u32 match ip dst
// 192.0.2.0/24 flowid 1:10 action mirred egress redirect dev ifb0"),
// with a mirred verdict only where tc takes one back.
//
// A shared filter block's filters are named by the block
// (FilterSpec.Block, `tc filter add block 22`), to which a QdiscSpec
// binds an ingress or clsact qdisc (IngressBlock, EgressBlock; another
// block is the qdisc's removal and creation): the kernel refuses a
// change of them named by a bound link, so such a spec is ErrInvalid at
// Plan, as is one whose parent is no block of the qdisc there (egress
// without clsact) and one for a block no qdisc stays bound to. A
// rollback restores the blocks the specs name and those the links in
// scope were bound to, with their qdiscs bound again. A mirred target the
// transaction creates counts as a new interface index: an action whose
// target was deleted (ifindex 0) is changed when the link comes back.
//
// An absent RuleSpec selects rules as `ip rule del` does: the fields it
// gives must match, the others are wildcards.
//
// # MPLS
//
// An MPLSRouteSpec (Txn.MPLSRoute; route_mpls.go) is the MPLS route of one
// incoming label, the route's whole identity (the kernel keeps one route
// per label, in no table): outgoing labels (ip's "as"), a via address, a
// device, or next hops without weights, TTL propagation and a protocol.
// A route of that label that differs is replaced ("~ route mpls 100 as to
// 200 via inet 192.0.2.2 dev v0: as to (none) -> 200"). Specs are
// refused as rtm_to_route_config and nla_get_labels would refuse them
// (reserved labels 0-15, more than 30 labels, the implicit null label 3,
// next hops beside a single hop, one label given twice); a label at or
// above net.mpls.platform_labels, or a device without MPLS, is the
// kernel's error at commit. RouteSpec.MPLSEncap and RouteHopSpec.MPLSEncap
// push labels on an IP route's next hop ("encap mpls 100/200 ttl 10"),
// as part of the hop, like its gateway. A rollback restores the MPLS
// routes of the labels the specs name, and the MPLS routes through the
// links whose routes it restores (the kernel deletes them with their
// link, silently).
//
// # Commit
//
// Commit validates every spec first (bad input is an error wrapping
// ErrInvalid and nothing is applied), checks that the objects the plan
// looked at have not been changed by someone else since Plan (ErrConflict),
// then applies the operations stage by stage in dependency order — link
// removals and the other removals in reverse dependency order first, then
// link creation, attributes, enslaving, bringing links up, addresses,
// nexthop objects (singles, then groups), routes, neighbours and rules —
// each stage pipelined with Conn.Pipeline. Before the nexthop objects of
// a transaction that also changes links, it waits (at most 3 s) until
// each up link they go out of has a carrier: the kernel refuses a nexthop
// object on a link without one, and a link that was just created, brought
// up or given a port gets it after the acknowledgements (a bridge's
// through the kernel's linkwatch work).
// It then waits until the database shows the desired state.
//
// On a kernel error, a verification timeout or a cancelled context,
// Commit rolls back: from the pre-image (the database snapshot the commit
// started from) it derives the specs that restore every object the
// transaction touched, and the links' addresses, routes and neighbours that
// the kernel may have dropped as a side effect (routes through a link that
// went down or was deleted, routes using a removed address, the permanent
// and user-made NOARP neighbours the kernel flushes from a link, or from
// its bridge, that went down, lost its carrier or changed its address),
// plans them
// against the current state, applies them in the same stage order (which
// undoes in reverse) and verifies them. Kernel-made routes (the local and
// prefix routes of addresses) are not restored as routes: they come back
// with their addresses, which are restored exactly (with their flags, and
// removed and added again where a replace cannot undo a change); the
// rollback returns once the IPv6 addresses it restored have finished
// duplicate address detection, when the kernel has made their routes. The error is a *CommitError naming
// the failed operation, the kernel's reason (a *netlink.OpError, so that
// errors.Is(err, unix.EEXIST) works) and whether the rollback succeeded.
//
// CommitConfirm applies like Commit and rolls back by itself unless
// Confirm is called in time, for changes that may cut off the caller.
//
// # Concurrency
//
// A Txn is not safe for concurrent use. The DB and Conn it uses may be
// shared with other goroutines. Another process changing the same objects
// during a commit cannot be prevented; it is detected between Plan and
// Commit.
//
// # Limits
//
// Bridge FDB entries are not specs. Rollback restores at most one IPv4 route
// per (table, destination, TOS, metric) — the kernel's `ip route append`
// duplicates beyond the first are reported as left over — and cannot
// recreate tun/tap devices that a transaction deleted, nor a veth whose
// peer is in another namespace (Multi can, when both namespaces are its);
// the rollback reports these in CommitError.Left.
//
// # Across namespaces
//
// Multi is one transaction over several namespaces, each with its own
// DB, Conn and specs, with links moving between them (Move: one request
// that moves and renames). It commits the namespaces in order, and on a
// failure anywhere rolls back all of them, the moves and the veth pairs
// between them included. It is the CNI ADD and DEL flows in one
// transaction; see Multi and examples/cni.
package txn

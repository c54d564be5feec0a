// Package ipdb keeps an in-memory, indexed copy of one network namespace's
// links, addresses, routes, neighbours, rules and forwarding database (FDB)
// entries, and keeps it equal to the kernel's state from rtnetlink
// notifications.
//
// # Sync
//
// Open subscribes to the multicast groups first, then dumps every table on
// a second socket, then replays what arrived meanwhile; Synced closes when
// that first picture is in. Each batch of notifications read from the
// socket is applied in one go-memdb write transaction, which is one
// revision, and its changes are appended to a bounded change log
// (ChangesSince) that package watch reads.
//
// When notifications are lost (ENOBUFS on the listener, a full queue, a
// malformed message), the database re-dumps everything and sweeps in one
// write transaction: only true differences become changes, and Stats counts
// it. Resync forces the same.
//
// # Overflow: why the resync is ordered
//
// Every notification carries the whole state of its object (or its
// deletion), and the kernel queues them on the listener socket in the
// order it made the changes. So if a dump starts at time T and every
// notification sent after some time S <= T is applied after the dump, in
// order, the result is the kernel's state: for an object with no
// notification after S, the dump read it after S and nothing changed it
// since; for any other, the last notification applied is its newest state.
// What must never happen is a notification sent before a gap (a lost
// message) being applied after the dump: the notifications that would have
// superseded it may be exactly the ones lost, and the stale one overwrites
// newer dump state. That was the fault of a 200,000-route flush and re-add,
// whose queued deletes removed re-added routes after the resync.
//
// The protocol:
//   - On ENOBUFS the kernel has marked the socket congested
//     (NETLINK_S_CONGESTED) and delivers nothing more until its queue has
//     been emptied once (netlink_broadcast_deliver, netlink_rcv_wake in
//     net/netlink/af_netlink.c). Everything still queued in the socket is
//     therefore older than the loss. The reader discards it without
//     decoding (netlink.Conn.DiscardQueued) until the queue is empty: the
//     point S after which the stream is unbroken.
//   - The reader then discards every batch queued for the applier (all of
//     them older than S) and flags the loss. A batch dropped because the
//     applier's queue is full, and a malformed message, are gaps too and
//     are handled the same way.
//   - The applier, seeing the flag, waits until no ENOBUFS came for 100 ms
//     (a dump in the middle of a burst would be lost again), then dumps
//     and sweeps. Its dump starts after S.
//   - Batches queued after S are applied after the dump, in order. They
//     form the unbroken stream from S, so by the argument above no older
//     message overwrites newer dump state. Those that the dump already
//     reflects change nothing (equal objects are not changes).
//   - A new loss during any of this starts the protocol again.
//
// Targeted re-reads (below) rely on the same argument: notifications
// taken from the queue before a re-read's dump are applied before it, the
// rest after, and none is ever dropped without a resync. On a loaded host
// the reader lags behind the kernel, and notifications older than the
// dump may still wait in the socket: each re-read first sends a barrier
// on the listener socket (netlink.Conn.SendBarrier, an acknowledgement
// the kernel queues behind every notification queued before it) and
// waits until the reader has read it (catchUp), so everything sent before
// the dump started is applied before it. Without it a link that a re-read
// found deleted was re-added by its own earlier change and deleted again
// (TestRereadWaitsForReader). A change made during the re-read's own dump
// (a few hundred microseconds for one link) is announced by a
// notification that may be older than what the dump read: so after the
// dump a second barrier waits for everything sent until then, and the
// re-read leaves alone every object whose notifications are queued; they
// follow, in order, and end at a state at least as new as the dump's
// (yieldToAnnounced, TestRereadYieldsToAnnounced). Routes are the
// exception: an IPv6 multipath route may be announced hop by hop, so a
// queued route notification does not stand for the whole route, and a
// route re-read keeps the dump's version; a route changed during its own
// re-read can therefore show the older state for one revision before the
// notifications that follow bring it back. The final state is exact
// either way.
//
// # What the kernel does without telling
//
// The database also follows what the kernel changes without a
// notification, and stays equal to `ip -j` output. Every such effect is
// one function in effects.go, documented there with the kernel function
// responsible, and hangs on the kind whose change causes it through that
// kind's row of the kind table (kindDef.effects): re-reads a change calls
// for (onChange, run for every notification and for every change a
// re-read or resync finds), changes made inside the notification's own
// write transaction (inTxn), checks on the committed state after a batch
// (afterCommit), and the periodic refresh (refresh). The live tests that
// cover them are TestSilentKernelChanges, TestDisableIPv6,
// TestFDBFollowsLinkChanges, TestNexthopObjects, TestTCSilentKernelChanges
// and TestDifferential. The effects:
//   - linkChanged: a link taken down or losing carrier drops its IPv4
//     routes (fib_sync_down_dev from fib_netdev_event), its IPv6
//     addresses and routes (addrconf_ifdown), its neighbours
//     (neigh_ifdown) and FDB entries, and flags or unflags routes
//     linkdown (fib_sync_down_dev, fib_sync_up, rt6_sync_down_dev): the
//     routes, addresses, neighbours and FDB entries of the link are
//     re-read, now, after the kernel's deferred work and once more a
//     second later. A carrier change
//     that a re-read finds before the kernel's linkwatch work has acted on
//     it is followed again when that work announces the link
//     (linkwatchWait: the announcement then changes nothing). A link appearing,
//     going or renamed flips the detached flag of rules naming it
//     (fib_rules_event: attach_rules, detach_rules): those rules are
//     re-read. A bridge port joining, changing or leaving changes its
//     bridge, and attributes settle just after a link event (a veth's
//     peer index, a bridge's offload limits, a tun/tap's persist flag,
//     the device address lists shown as "self permanent" FDB entries):
//     the link, its masters, its peer and its FDB entries are re-read
//     shortly after;
//   - linkDeleted: a deleted link takes its addresses, neighbours, FDB
//     entries (its bridge table's too) and routes with it
//     (unregister_netdevice); they are deleted in the same transaction,
//     and IPv6 and MPLS multipath routes that keep other hops are
//     re-read (mpls_ifdown marks an MPLS hop dead and linkdown, silently,
//     and deletes, announced, only a route whose every hop went);
//   - MPLS routes (one per label, keyed by it): a link down, up or
//     losing carrier flags their hops dead or linkdown silently
//     (mpls_ifdown, mpls_ifup), caught by linkChanged's re-read of the
//     link's routes; lowering net.mpls.platform_labels frees the routes
//     above it with no message at all (resize_platform_label_table):
//     while the database holds an MPLS route the refresh re-reads the
//     MPLS routes too (TestMPLSSilentKernelChanges, in the guest);
//   - addrChanged: removing an IPv4 address removes the routes using it as
//     preferred source (fib_sync_down_addr); removing the link's last one
//     removes every IPv4 route through the link and its ARP entries
//     (fib_del_ifaddr -> fib_disable_ip: fib_sync_down_dev, arp_ifdown);
//     IPv6 addresses join multicast groups shown as FDB entries;
//   - routeChanged, ipv6Siblings: IPv6 multipath routes are announced hop
//     by hop (fib6_add_rt2 siblings, fib6_del): the route is re-read;
//   - routeReplaced: `ip route replace` announces only the new route
//     (fib_table_insert, fib6_add_rt2): the one it replaced is removed,
//     or the candidates re-read;
//   - routeListed: no message carries a route's place among its
//     alternates (same table, destination, TOS and priority), which
//     decides the IPv4 lookup (fib_table_lookup takes the first usable)
//     and ip's listing; the database keeps it from the notifications'
//     NLM_F_EXCL and NLM_F_APPEND flags and from every dump that holds
//     the whole group (route_order.go), and Routes, RoutesTo, Lookup and
//     RouteGet follow it;
//   - ruleChanged: a goto rule is flagged unresolved while no rule has its
//     target priority, and the flag flips without a notification when
//     such a rule comes or goes (fib_nl_newrule, fib_nl_delrule): the
//     rules are re-read, only if some rule jumps there;
//   - fdbSiblings: `bridge fdb replace` of a vxlan entry replaces its
//     first remote in place and announces only the new one
//     (vxlan_fdb_replace): the entry is re-read when it has more remotes;
//   - an MTU below 1280 or disable_ipv6 tears IPv6 down on the link
//     (addrconf_notify NETDEV_CHANGEMTU, addrconf_disable_ipv6 ->
//     addrconf_ifdown): addresses and routes go, announced; the link
//     re-read that follows an MTU change (linkChanged) catches the rest;
//   - refresh: a link's alias and the multicast neighbour entries the
//     kernel creates for its own MLD and IGMP reports, and the multicast
//     addresses it joins (shown as "self permanent" FDB entries), are
//     never announced: links, neighbours and FDB entries are re-read
//     every WithRefresh interval (2 s) while the namespace is busy, backing
//     off to 32 intervals while it is quiet (refresh.go);
//   - nexthopChanged: deleting a nexthop object removes the routes that
//     use it (IPv4 and IPv6) and shrinks the groups that contain it, and a
//     group that lost a member changes the hops of the routes over it,
//     with no route notification (remove_nexthop, __remove_nexthop_fib,
//     remove_nexthop_from_groups in net/ipv4/nexthop.c): the routes over
//     nexthop objects are re-read;
//   - nexthopsFollowLink: a link going down, losing its carrier or going
//     away deletes its nexthops and shrinks their groups without a
//     notification (nh_netdev_event -> nexthop_flush_dev): the nexthops
//     are re-read, and what changed goes through nexthopChanged. A route
//     over a nexthop object is keyed by its nexthop id, not by the hops
//     it expands to, and is never dropped with a link (a group keeps its
//     route through its other members).
//   - tcChanged: the kernel announces the qdisc or class a tc request
//     names and not what goes or comes with it: a replaced or deleted
//     qdisc's classes, child qdiscs and filters (qdisc_graft,
//     notify_and_destroy), the default qdisc attached when the root one is
//     deleted (dev_activate), mq's classes and default children and tbf's
//     class (mq_attach, tbf_dump_class), an htb class's leaf qdisc
//     destroyed when it gets a child and its parent turned leaf again
//     when it goes (htb_change_class, htb_parent_to_leaf): what can be
//     derived is changed in the notification's own transaction, so that
//     a command's events are one revision (qdiscInTxn, classInTxn in
//     tc_effects.go: a destroyed qdisc's or class's tree, tbf's class,
//     an htb parent's leaf qdisc and level; TestTCOneRevision), and a
//     qdisc notification still re-reads the qdiscs and the link's
//     classes, a class deletion and a class added under a class the
//     link's qdiscs, classes and filters, the safety net for the rest
//     (the default qdisc, mq's children; TestTCSilentKernelChanges);
//   - filterChanged: a priority's own entry and u32's hash table come
//     unannounced with a priority's first filter, a priority goes with its
//     last filter (tcf_chain_tp_delete_empty), a priority or chain deleted
//     whole is one message per priority (tfilter_notify_chain), and u32
//     shares its hash tables among the blocks of one qdisc (tc_u_common):
//     for kinds other than u32 whose parent names the block as dumps do,
//     the priority's entry comes and goes, and a priority's deletion takes
//     its filters, in the notification's transaction
//     (filterPriorityInTxn); otherwise the filter block is re-read for a
//     deletion or a new priority, and the link's filters (a shared
//     block's own) for any u32 change, whose first filter in a qdisc or
//     shared block brings its priority and the table 800: in its own
//     transaction (u32FirstInTxn); a new matchall filter is announced
//     only as its priority's entry, with no handle or options (6.1's
//     mall_change), and found by the re-read, one revision later;
//   - tcFollowsLink: a link coming up gets its default root qdisc without
//     a notification (attach_default_qdiscs), a link going down keeps its
//     qdiscs: the qdiscs and the link's classes are re-read when it comes
//     up;
//   - tcDeletedWith: a deleted link takes its qdiscs, classes and filters
//     (dev_shutdown), unannounced: they are deleted in the same
//     transaction;
//   - blockJobs: a shared filter block (ingress_block, egress_block) is
//     stored once, its filters keyed by the block, and dies with its last
//     qdisc or that qdisc's link, taking its filters with no filter
//     notification (only RTM_DELCHAIN; tcf_block_put_ext): the deletion
//     of a block's last bound qdisc, or of that qdisc's link, deletes
//     the block's filters in its transaction (tcBlockDeaths), and a qdisc
//     notification or a deleted link re-reads the blocks its qdiscs were
//     bound to as the safety net (TestTCSharedBlock, TestTCOneRevision);
//   - mirredFollowsLink: a deleted link leaves the mirred actions that
//     send to it pointing at no device (mirred_device_event), in the
//     filters of other links, unannounced: those links' filters are
//     re-read.
//
// A new kind with effects of its own is one more function in effects.go
// and a field in that kind's row.
//
// Attributes the kernel changes continuously (counters, bridge and
// bridge-port timers: netlink.Link.Stable; address lifetimes, kept as
// deadlines: netlink.Addr.Remaining) are never a change, never start a
// re-read and never a conflict in package txn.
//
// # Kinds
//
// Each object kind (netlink.Kinds) has one file here, link.go, addr.go,
// route.go, neigh.go, rule.go, fdb.go and nexthop.go (tc.go for qdiscs,
// classes and filters), holding its row of the kind
// table (kindDef in kinds.go): its table, key, equality, Open filter,
// dump and its scope, secondary indexes, multicast groups, and its
// unannounced effects. Everything generic goes through the table: the
// schema, the groups Open joins, the first sync and every resync, the
// periodic refresh, Snapshot.Objects and Snapshot.All, Stats.Objects.
// A kind without a row fails TestKindTableComplete.
//
// Every kind is kept unless WithKinds says otherwise, tc's qdiscs, classes
// and filters included: a database is a copy of the whole namespace. The
// tc kinds cost one class dump per link and one filter dump per filter
// block at every sync (the kernel dumps them no other way); a program on
// a host with many links that does not need tc leaves them out with
// WithKinds, and such a database neither dumps them nor joins the tc
// multicast group.
//
// # Keys and indexes
//
// Each table is keyed by the kernel's identity of its objects, what the
// kernel compares to decide that two objects are the same (each key's doc
// comment names the kernel function; TestIdentity adds pairs that differ
// in one identity field only), as binary keys built without fmt or
// reflection: a link by ifindex; an IPv4 address by (ifindex, local,
// prefix length, peer), an IPv6 address by (ifindex, local); a route by
// (family, table, destination, TOS, priority, IPv6 source, type, and for
// IPv4 preferred source, protocol and scope, then next hops, or the
// nexthop id of a route over a nexthop object); a neighbour
// by (ifindex, family, destination, proxy); an FDB entry of a bridge's
// table by (bridge, MAC, VLAN), one of a device's own table by (device,
// MAC, VLAN, source VNI, remote) (see fdbKey); a rule by everything rule_exists
// compares, protocol included; a nexthop object by its id; a qdisc by
// (ifindex, parent, handle), a class by (ifindex, class id), a filter by
// (ifindex, parent, chain, priority, protocol, handle) with the parent as
// dumps report it (qdiscKey, classKey, filterKey in tc.go). Keys start with the fields queries scan by,
// so addresses, neighbours and tc objects of a link and routes of a table are prefix
// scans of the primary index; only links have a second index (by name).
// Routes have no per-link index, which would cost about 400 bytes per
// route; RoutesOf scans.
//
// Two rules identical in everything rule_exists compares can exist when a
// client adds them without NLM_F_EXCL; the kernel cannot tell them apart
// either (rule_find deletes the first), and the database keeps one.
//
// # Concurrency
//
// All methods are safe for concurrent use. A Snapshot is a consistent view
// at one revision that never changes and never blocks the writer. Objects
// returned by queries, snapshots and change records are shared and
// immutable: never modify them; copy first.
//
// # Namespaces
//
// WithNetNS and WithNetNSFD open the database on another network namespace
// without moving the calling thread.
//
// A Set (OpenSet, nsset*.go) follows many namespaces, one DB each: the
// named ones under /run/netns, followed with inotify (a file is attached
// once it is an nsfs inode, that is once `ip netns add` has bind-mounted
// the namespace on it, and detached when it is removed), and any added by
// path, file descriptor or process. Each is tagged by its name and the
// kernel's id for it in the set's namespace (NetNS). SetSnapshot answers
// across namespaces (LinksNamed, AddrHolders); the set's feed
// (Set.ChangesSince) carries every change with its namespace, and a link
// moved between two namespaces of the set (an RTM_DELLINK with
// IFLA_NEW_NETNSID in one, the RTM_NEWLINK in the other, read on two
// sockets in either order) as one entry. Set's doc comment defines what
// the feed and snapshots guarantee at every set revision
// ("Consistency"); TestSetMove checks it. A set's databases share one
// refresh scheduler (nsset_refresh.go) and cost two goroutines and two
// sockets each; the set keeps no namespace file open.
package ipdb

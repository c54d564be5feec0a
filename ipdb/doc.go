// Package ipdb keeps an in-memory, indexed copy of one network namespace's
// links, addresses, routes, neighbours and rules, and keeps it equal to the
// kernel's state from rtnetlink notifications.
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
// rest after, and none is ever dropped without a resync.
//
// # What the kernel does not announce
//
// The database also follows what the kernel changes without a
// notification, and stays equal to `ip -j` output:
//   - routes, addresses and neighbours that go with a link that is deleted
//     or taken down, and the linkdown flag of routes on carrier changes
//     (targeted re-dumps filtered by link in the kernel, or deletes
//     synthesized inside the same transaction for a deleted link);
//   - IPv4 routes removed with the address they use as preferred source;
//   - IPv6 multipath routes announced hop by hop (the route is re-read);
//   - attributes that settle just after a link event: a veth's peer index,
//     a bridge's offload limits, a tun/tap's persist flag, the device
//     address lists shown as "self permanent" FDB entries (links and
//     forwarding entries are re-read shortly after);
//   - a link's alias and the multicast neighbour entries the kernel creates
//     for its own MLD and IGMP reports, which are never announced: links
//     and neighbours are re-read every WithRefresh interval (2 s).
//
// # Keys and indexes
//
// Each table is keyed by the kernel's identity of its objects, as binary
// keys built without fmt or reflection: a link by ifindex; an address by
// (ifindex, family, local, prefix length, peer); a route by (family, table,
// destination, TOS, priority, IPv6 source, type, next hops); a neighbour by
// (ifindex, family, destination, proxy) or an FDB entry by (ifindex, MAC,
// VLAN, self/master, VNI, remote); a rule by its whole selector. Keys start
// with the fields queries scan by, so addresses and neighbours of a link and
// routes of a table are prefix scans of the primary index; only links have
// a second index (by name). Routes have no per-link index, which would cost
// about 400 bytes per route; RoutesOf scans.
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
package ipdb

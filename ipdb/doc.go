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

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
// # What the kernel does not announce
//
// The database also follows what the kernel changes without a
// notification, and stays equal to `ip -j` output:
//   - routes, addresses, neighbours and FDB entries that go with a link
//     that is deleted or taken down, and the linkdown flag of routes on
//     carrier changes
//     (targeted re-dumps filtered by link in the kernel, or deletes
//     synthesized inside the same transaction for a deleted link);
//   - IPv4 routes removed with the address they use as preferred source;
//   - IPv6 multipath routes announced hop by hop (the route is re-read);
//   - a vxlan FDB entry's remote replaced in place by `bridge fdb replace`,
//     announced as the new remote only (vxlan_fdb_replace; the entry is
//     re-read when it has more than one remote);
//   - attributes that settle just after a link event: a veth's peer index,
//     a bridge's offload limits, a tun/tap's persist flag, the device
//     address lists shown as "self permanent" FDB entries (links and
//     forwarding entries are re-read shortly after);
//   - a link's alias and the multicast neighbour entries the kernel creates
//     for its own MLD and IGMP reports, and the multicast addresses it
//     joins (shown as "self permanent" FDB entries), which are never
//     announced: links, neighbours and FDB entries are re-read every
//     WithRefresh interval (2 s).
//
// # Keys and indexes
//
// Each table is keyed by the kernel's identity of its objects, as binary
// keys built without fmt or reflection: a link by ifindex; an address by
// (ifindex, family, local, prefix length, peer); a route by (family, table,
// destination, TOS, priority, IPv6 source, type, next hops); a neighbour by
// (ifindex, family, destination, proxy); an FDB entry of a bridge's table
// by (bridge, MAC, VLAN), one of a device's own table by (device, MAC,
// VLAN, source VNI, remote) (see fdbKey); a rule by its whole selector.
// Keys start with the fields queries scan by, so addresses and neighbours of a link and
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

// Package netlink is the rtnetlink core of ipdb: typed links, addresses,
// routes, neighbours and rules, encoded and decoded with
// github.com/mdlayher/netlink's attribute coders, and a Conn that dumps,
// gets and changes them, pipelines many requests, and receives multicast
// notifications. It knows nothing of caching; package ipdb builds on it.
//
// The package is Linux-only.
//
// # Objects
//
// Link, Addr, Route, Neigh and Rule use net/netip types and plain integers.
// Every attribute the kernel sends is either decoded into a field or kept
// in the object's Unknown list, so that decoding and encoding again loses
// nothing. Values passed to dump callbacks are freshly allocated and owned
// by the callee.
//
// # Requests
//
// Reads stream: LinkDump, RouteDump and the other *Dump methods call a
// function per object, so a million routes never need a second copy; the
// Links, Routes, ... methods collect them. A dump the kernel marks
// interrupted (NLM_F_DUMP_INTR) is repeated, a bounded number of times; the
// callback then sees objects again and must treat calls as upserts.
//
// Writes are Requests built by LinkRequest, AddrRequest, RouteRequest,
// NeighRequest, RuleRequest and FDBRequest, which validate their input (a bad prefix, an unknown kind, a name over 15
// bytes) so that nothing is sent for invalid input. Conn.Do runs one and
// Conn.Pipeline many, with many requests in flight and each
// acknowledgement matched to its request by sequence number.
//
// # Errors
//
// Every error is an *OpError. Kernel errors keep their unix.Errno, so
// errors.Is(err, unix.EEXIST) works, and the kernel's extended-ACK text is
// in OpError.Message.
//
// # Namespaces
//
// Config.NetNS (a name under /run/netns or a path) or Config.NetNSFD opens
// a Conn in another network namespace; the caller's thread is unaffected.
//
// # Security
//
// Replies and notifications are accepted only from the kernel (sender port
// id 0); anything else is dropped and counted (Conn.ForeignDropped).
package netlink

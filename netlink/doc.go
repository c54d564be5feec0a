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
// NeighRequest, RuleRequest, FDBRequest, NexthopRequest, QdiscRequest,
// ClassRequest and FilterRequest, which validate their input (a bad prefix, an unknown kind, a name over 15
// bytes) so that nothing is sent for invalid input. Conn.Do runs one and
// Conn.Pipeline many, with many requests in flight and each
// acknowledgement matched to its request by sequence number.
//
// # Layout and kind tables
//
// One file per object kind (link.go, addr.go, route.go, neigh.go, rule.go,
// fdb.go) and one per link kind (link_bridge.go, link_veth.go,
// link_vxlan.go, link_macvlan.go, link_vlan.go, link_bond.go,
// link_vrf.go, link_tuntap.go) or family of tunnel kinds (link_gre.go,
// link_iptun.go, link_vti.go, link_geneve.go), each with its type, decode,
// encode and validate. Two tables tie them together: kinds.go's kind table gives
// each object Kind its name, RTM_NEW*/RTM_DEL*/RTM_GET* message types,
// address family where two kinds share messages (FDB entries are
// AF_BRIDGE neighbour messages), multicast groups (Kind.Groups,
// Kind.GroupsFor) and decoder, and is what DecodeUpdate, Update.Deleted,
// Kind.String and Kinds read; link_kinds.go's linkDataTypes gives each
// IFLA_INFO_KIND with a type its constructor. TestKindTableComplete fails
// when a kind lacks a row.
//
// Traffic control follows the same pattern: tc.go (struct tcmsg, the
// shared TCA_* attributes, statistics, the options interfaces), tc_handle.go
// (Handle in tc's "major:minor" notation), tc_qdisc.go, tc_class.go and
// tc_filter.go (the three object kinds, their requests, dumps and gets),
// and one file per option kind (tc_fifo.go, tc_htb.go, tc_tbf.go,
// tc_u32.go, tc_bpf.go), each a row in one of tc_kinds.go's three tables
// (qdiscOptionTypes, classOptionTypes, filterOptionTypes). A kind without
// a row decodes into RawTCOptions, sent back byte for byte. The kernel
// dumps qdiscs globally but classes per link and filters per block
// (link and parent): QdiscDump, ClassDump and FilterDump hide the
// difference and say what they ask for.
//
// # Words of ip(8)
//
// words.go is the one home of the words ip(8) and bridge(8) print for
// numbers (route types, scopes, protocols, tables, rule actions,
// neighbour and FDB states, flags), each a table read in both directions:
// String or XxxNames out, ParseXxx in. ValidLinkName is the one link-name
// rule (dev_valid_name).
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
// AddNetNS and DeleteNetNS create and delete named namespaces exactly as
// `ip netns add/delete` do (netns_linux.go, after iproute2's
// ip/ipnetns.c), IsNetNS tells a namespace file from the empty file `ip
// netns add` creates before its bind mount, and Conn.NetNSFile returns the
// namespace a Conn lives in (SIOCGSKNS). Namespace ids (`ip netns
// list-id`): Conn.NSID, SetNSID and NSIDs (RTM_GETNSID, RTM_NEWNSID,
// net/core/net_namespace.c), their notifications (JoinNSIDGroup,
// ReceiveNSIDs: RTNLGRP_NSID), and Link.LinkMovedTo, which reads where a
// link moved to another namespace went from the RTM_DELLINK its old
// namespace gets (IFLA_NEW_NETNSID, IFLA_NEW_IFINDEX).
//
// # Security
//
// Replies and notifications are accepted only from the kernel (sender port
// id 0); anything else is dropped and counted (Conn.ForeignDropped).
package netlink

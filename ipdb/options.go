package ipdb

import (
	"fmt"
	"time"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// An Option configures Open.
type Option func(*options) error

type options struct {
	netns      string
	netnsFD    int
	kinds      map[netlink.Kind]bool // nil: all
	families   map[uint8]bool        // nil: all
	tables     map[uint32]bool       // nil: all
	readBuffer int
	logSize    int
	batchMax   int
	// readPause, for tests only (export_test.go), makes the reader sleep
	// after each batch, so that the socket's backlog grows as it does on
	// a loaded host.
	readPause time.Duration
	// beforeDump, for tests only (export_test.go), runs in each targeted
	// re-read just before its dump.
	beforeDump func()
	queueMax   int
	refresh    time.Duration
	// member, set by a Set only (nsset.go), hears every commit.
	member commitHook
	// sharedRefresh, set by a Set only, replaces the applier's own
	// refresh ticker with the set's scheduler (nsset_refresh.go).
	sharedRefresh *refreshScheduler
}

func defaultOptions() options {
	return options{readBuffer: 32 << 20, logSize: 1 << 16, batchMax: 4096, queueMax: 1 << 20, refresh: 2 * time.Second}
}

// WithNetNS opens the database on a network namespace given by name (under
// /run/netns) or path, instead of the caller's.
func WithNetNS(nameOrPath string) Option {
	return func(o *options) error { o.netns = nameOrPath; return nil }
}

// WithNetNSFD opens the database on the network namespace of an open file
// descriptor. The caller keeps ownership of fd.
func WithNetNSFD(fd int) Option {
	return func(o *options) error {
		if fd <= 0 {
			return fmt.Errorf("%w: netns fd %d", ErrInvalid, fd)
		}
		o.netnsFD = fd
		return nil
	}
}

// WithKinds keeps only the given object kinds; the others are neither
// dumped nor subscribed to, and their tables stay empty. Without it every
// kind is kept, netlink.KindQdisc, KindClass and KindFilter included
// (their sync costs a dump per link: see the package doc, "Kinds").
func WithKinds(kinds ...netlink.Kind) Option {
	return func(o *options) error {
		o.kinds = map[netlink.Kind]bool{}
		for _, k := range kinds {
			if defOf(k) == nil {
				return fmt.Errorf("%w: unknown kind %d", ErrInvalid, k)
			}
			o.kinds[k] = true
		}
		return nil
	}
}

// WithFamilies keeps only addresses, routes, neighbours and rules of the
// given families (unix.AF_INET, unix.AF_INET6, unix.AF_BRIDGE for FDB
// entries, and unix.AF_MPLS for MPLS routes and their notifications,
// RTNLGRP_MPLS_ROUTE). Links are kept regardless.
func WithFamilies(families ...uint8) Option {
	return func(o *options) error {
		o.families = map[uint8]bool{}
		for _, f := range families {
			switch f {
			case unix.AF_INET, unix.AF_INET6, unix.AF_BRIDGE, unix.AF_MPLS:
			default:
				return fmt.Errorf("%w: unsupported family %d", ErrInvalid, f)
			}
			o.families[f] = true
		}
		return nil
	}
}

// WithTables keeps only routes of the given routing tables (254 is main,
// 255 local). A router with a full table elsewhere can skip it this way.
func WithTables(tables ...uint32) Option {
	return func(o *options) error {
		o.tables = map[uint32]bool{}
		for _, t := range tables {
			if t == 0 {
				return fmt.Errorf("%w: table 0 is not a table", ErrInvalid)
			}
			o.tables[t] = true
		}
		return nil
	}
}

// WithReadBuffer sets the listener socket's receive buffer in bytes
// (default 32 MiB). A small buffer overflows under bursts; the database
// then resynchronizes, which is correct but costs a full dump.
func WithReadBuffer(bytes int) Option {
	return func(o *options) error {
		if bytes <= 0 {
			return fmt.Errorf("%w: read buffer %d", ErrInvalid, bytes)
		}
		o.readBuffer = bytes
		return nil
	}
}

// WithChangeLog sets how many changes the change log keeps for watchers
// (default 65536). A watcher that falls further behind gets ErrTruncated
// and re-reads a snapshot.
func WithChangeLog(entries int) Option {
	return func(o *options) error {
		if entries < 1 {
			return fmt.Errorf("%w: change log size %d", ErrInvalid, entries)
		}
		o.logSize = entries
		return nil
	}
}

// WithRefresh sets how often links, neighbours and FDB entries are re-read
// while the namespace is busy (default every 2 s; 0 turns it off). The
// kernel changes some of them without any notification: a link's alias
// written through sysfs, the multicast neighbour entries it creates for
// its own MLD and IGMP reports, the multicast addresses a device joins (its
// "self permanent" FDB entries). Re-reading them costs one dump of each of
// these tables, and only true differences become changes. In a quiet
// namespace each re-read that finds nothing doubles that kind's interval,
// up to 32 intervals (64 s by default); a notification of any kind, or a
// re-read that finds a difference, brings it back to every interval.
// Routes, addresses and rules are never polled: everything about them is
// either announced or caught by the database's targeted re-reads.
func WithRefresh(every time.Duration) Option {
	return func(o *options) error {
		if every < 0 {
			return fmt.Errorf("%w: refresh interval %v", ErrInvalid, every)
		}
		o.refresh = every
		return nil
	}
}

func (o *options) keepKind(k netlink.Kind) bool { return o.kinds == nil || o.kinds[k] }

func (o *options) keepFamily(f uint8) bool { return o.families == nil || o.families[f] }

func (o *options) keepTable(t uint32) bool { return o.tables == nil || o.tables[t] }

// keeps reports whether the database keeps kind d (WithKinds, or the
// kind is always kept).
func (o *options) keeps(d *kindDef) bool { return d.always || o.keepKind(d.kind) }

// groups returns the multicast groups the options need: those of every
// kept kind and of the kinds it follows (kindDef.groups, kindDef.follows),
// for the families WithFamilies keeps.
func (o *options) groups() netlink.Groups {
	var g netlink.Groups
	for _, d := range kindDefs {
		if d == nil || !o.keeps(d) {
			continue
		}
		g |= o.groupsOf(d)
		for _, k := range d.follows {
			g |= o.groupsOf(defOf(k))
		}
	}
	return g
}

// groupsOf returns the groups of kind d for the kept families.
func (o *options) groupsOf(d *kindDef) netlink.Groups {
	g := d.groups.any
	if o.keepFamily(unix.AF_INET) {
		g |= d.groups.v4
	}
	if o.keepFamily(unix.AF_INET6) {
		g |= d.groups.v6
	}
	if o.keepFamily(unix.AF_MPLS) {
		g |= d.groups.mpls
	}
	return g
}

// Stats are the database's counters.
type Stats struct {
	// Objects counts the objects of every kind, by kind: one entry for
	// each kind the database knows (netlink.Kinds), 0 for a kind it does
	// not keep (WithKinds).
	Objects map[netlink.Kind]int
	// The same counts, by name: links, addrs, routes, neighs (ARP and NDP
	// entries, as `ip neigh show nud all` and `ip neigh show proxy` list
	// them), rules (IPv4 and IPv6, as `ip rule` lists them) and fdb
	// (forwarding database entries, as `bridge fdb show` lists them).
	Links, Addrs, Routes, Neighs, Rules, FDB int
	// Revision is the current revision.
	Revision uint64
	// Events is the number of kernel notifications applied.
	Events uint64
	// Batches is the number of write transactions of notifications.
	Batches uint64
	// Resyncs counts full mark-and-sweep resynchronizations.
	Resyncs uint64
	// Reconciles counts targeted re-dumps after silent kernel deletions.
	Reconciles uint64
	// Overflows counts lost-notification signs: ENOBUFS on the listener
	// or a full internal queue.
	Overflows uint64
	// ForeignDropped counts messages dropped because their sender was not
	// the kernel.
	ForeignDropped uint64
	// DecodeErrors counts notifications that could not be decoded.
	DecodeErrors uint64
	// LastSync is how long the last full sync (initial or resync) took.
	LastSync time.Duration
}

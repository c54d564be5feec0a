package ipdb

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"iter"
	"reflect"
	"slices"
	"sync"
	"weak"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// Key tags of the two kinds of FDB entries: those of a bridge's table and
// those of a device's own table.
const (
	fdbTagMaster = 'M'
	fdbTagSelf   = 'S'
)

// fdbMasterEntry reports whether f is an entry of a bridge's forwarding
// table (fdb_fill_info in net/bridge/br_fdb.c always sends NDA_MASTER and
// never NTF_SELF), as opposed to a device's own table: its address lists
// (ndo_dflt_fdb_dump in net/core/rtnetlink.c) or a vxlan device's remotes
// (vxlan_fdb_info in drivers/net/vxlan/vxlan_core.c), sent with NTF_SELF.
func fdbMasterEntry(f *netlink.FDB) bool {
	return f.Master > 0 && f.Flags&unix.NTF_SELF == 0
}

// fdbOwner is the link whose table holds f: the bridge for entries of a
// bridge's table, the device itself for its own entries.
func fdbOwner(f *netlink.FDB) uint32 {
	if fdbMasterEntry(f) {
		return uint32(f.Master)
	}
	return uint32(f.Index)
}

// fdbKeyPrefix appends the leading part of an FDB key: the owner, the
// table (bridge or self), the MAC address and the VLAN, and for a device's
// own table the source VNI. It is the whole key of a bridge's entry and
// the identity of a vxlan entry's list of remotes.
func fdbKeyPrefix(b []byte, f *netlink.FDB) []byte {
	b = appendU32(b, fdbOwner(f))
	if fdbMasterEntry(f) {
		b = append(b, fdbTagMaster)
	} else {
		b = append(b, fdbTagSelf)
	}
	b = append(b, uint8(len(f.LLAddr)))
	b = append(b, f.LLAddr...)
	b = binary.BigEndian.AppendUint16(b, f.VLAN)
	if fdbMasterEntry(f) {
		return b
	}
	return appendU32(b, f.SrcVNI)
}

// fdbKey is an FDB entry's identity, as the kernel finds entries:
//
//   - A bridge's entry (bridge, MAC, VLAN): br_fdb_find in
//     net/bridge/br_fdb.c looks entries up by struct net_bridge_fdb_key
//     {addr, vlan_id} in the bridge's hash table. The port is not part of
//     it: when a MAC address moves to another port (learning, or `bridge
//     fdb replace`), br_fdb_update and fdb_add_entry change the entry's
//     dst and send one RTM_NEWNEIGH with the new port, and no
//     RTM_DELNEIGH for the old one.
//   - A device's own entry (device, MAC, VLAN, source VNI, and for vxlan
//     the remote: dst, port, VNI, via): a device's address list holds an
//     address once (__hw_addr_add_ex in net/core/dev_addr_lists.c);
//     vxlan finds an entry by (MAC, source VNI) (vxlan_find_mac in
//     drivers/net/vxlan/vxlan_core.c) and keeps a list of remotes in it,
//     each identified by (ip, port, vni, ifindex) (vxlan_fdb_find_rdst);
//     every remote is dumped and announced as an entry of its own. A
//     nexthop id (NDA_NH_ID) replaces the remotes and is not part of the
//     identity: `bridge fdb replace` changes it in place.
func fdbKey(f *netlink.FDB) []byte {
	b := fdbKeyPrefix(make([]byte, 0, 64), f)
	if fdbMasterEntry(f) {
		return b
	}
	b = appendAddr(b, f.Dst)
	b = binary.BigEndian.AppendUint16(b, f.Port)
	b = appendU32(b, f.VNI)
	return appendU32(b, uint32(f.Via))
}

var fdbDef = kindDef{
	kind:  netlink.KindFDB,
	table: "fdb",
	key: func(o netlink.Object) []byte {
		f := o.(*netlink.FDB)
		if f.Index <= 0 || f.Family != unix.AF_BRIDGE {
			return nil
		}
		return fdbKey(f)
	},
	keep: func(opts *options, o netlink.Object) bool { return opts.keepFamily(unix.AF_BRIDGE) },
	dump: func(ctx context.Context, c *netlink.Conn, s scope, fn func(netlink.Object) error) error {
		births := fdbDumpBirths{base: fdbNextSlot()}
		return c.FDBDump(ctx, &netlink.FDBFilter{Index: int(s.ifindex)}, func(f *netlink.FDB) error {
			births.born(f)
			return fn(f)
		})
	},
	inScope: func(o netlink.Object, s scope) bool { return fdbInScope(o.(*netlink.FDB), s) },
	stored:  func(o, old netlink.Object) { fdbStored(o.(*netlink.FDB), old) },
	equal: func(a, b netlink.Object) bool {
		// Ages, and the reachable or stale state the kernel derives from
		// them, are not a change of the entry.
		return reflect.DeepEqual(a.(*netlink.FDB).Stable(), b.(*netlink.FDB).Stable())
	},
	// Neighbours and FDB entries share a group.
	groups: kindGroups{any: netlink.GroupNeigh},
	// The multicast addresses a device joins, its "self permanent"
	// entries, are never announced.
	// A device's multicast addresses (its "self permanent" entries)
	// change with its links and addresses (groups joined).
	effects: kindEffects{afterCommit: fdbSiblings, checkAfterCommit: isRemoteAdded, refresh: true,
		refreshWakers: []netlink.Kind{netlink.KindLink, netlink.KindAddr}},
}

// fdbInScope reports whether f is among the entries an FDB dump limited to
// s returns: the kernel filters by the port or device (ndm_ifindex).
func fdbInScope(f *netlink.FDB, s scope) bool {
	return s.ifindex == 0 || uint32(f.Index) == s.ifindex
}

// fdbRemote reports whether f is one remote of a vxlan entry, whose
// siblings the kernel may have changed silently (see fdbSiblings).
func fdbRemote(f *netlink.FDB) bool {
	return !fdbMasterEntry(f) && (f.Dst.IsValid() || f.Via != 0 || f.Port != 0 || f.VNI != 0)
}

// FDB iterates the forwarding database entries (`bridge fdb show`):
// grouped by the table that holds them, a bridge's entries by bridge, a
// device's own entries by device; within a table by MAC address and VLAN.
func (s *Snapshot) FDB() iter.Seq[*netlink.FDB] {
	return objects[*netlink.FDB](s, fdbDef.table, "id")
}

// FDBOf iterates the forwarding database entries on link index: as bridge
// port (entries of its bridge's table that point to it) or as device (its
// own entries, with unix.NTF_SELF, and for a bridge the entries of its own
// addresses), as `bridge fdb show brport DEV` lists them. It scans the
// table: entries carry no per-link index.
func (s *Snapshot) FDBOf(index int) iter.Seq[*netlink.FDB] {
	return func(yield func(*netlink.FDB) bool) {
		for f := range s.FDB() {
			if f.Index == index && !yield(f) {
				return
			}
		}
	}
}

// The order `bridge fdb show` lists entries in is the order of the
// kernel's lists, which no message carries: a bridge's table and a vxlan
// device's are lists with the newest entry first (fdb_create in
// net/bridge/br_fdb.c and vxlan_fdb_insert add at the head), a vxlan
// entry's remotes and a device's address lists have the oldest first
// (vxlan_fdb_append and __hw_addr_add_ex add at the tail). The database
// records when it first saw each entry, its birth, so that later means
// newer. Every dump and every notification that adds an entry takes a slot
// of fdbSlot births after all earlier ones; within a dump's slot, entries
// of the newest-first lists are born in reverse dump order (the first
// dumped is the newest), the others in dump order, and a vxlan entry's
// remotes in dump order within their entry's place. A new version of an
// entry inherits the birth of the old one. Births are kept per object,
// by weak pointer, and forgotten some time after the object is garbage
// collected, so an old snapshot still finds them.
var fdbBirths struct {
	mu   sync.Mutex
	slot int64 // the last slot given; guarded by mu
	live int   // len(m) after the last pruning; guarded by mu
	// m maps stored entries to their births; guarded by mu.
	m map[weak.Pointer[netlink.FDB]]int64
}

// A slot holds up to 1<<20 entries per dump, each with up to 1<<11
// remotes.
const (
	fdbSlotEntries = 1 << 20
	fdbSlotRemotes = 1 << 11
	fdbSlot        = fdbSlotEntries * fdbSlotRemotes
)

// fdbBirthSet records f's birth. Entries of objects that were garbage
// collected are pruned when the map has doubled since the last pruning.
func fdbBirthSet(f *netlink.FDB, birth int64) {
	fdbBirths.mu.Lock()
	defer fdbBirths.mu.Unlock()
	if fdbBirths.m == nil {
		fdbBirths.m = map[weak.Pointer[netlink.FDB]]int64{}
	}
	if len(fdbBirths.m) >= 2*fdbBirths.live+1024 {
		for w := range fdbBirths.m {
			if w.Value() == nil {
				delete(fdbBirths.m, w)
			}
		}
		fdbBirths.live = len(fdbBirths.m)
	}
	fdbBirths.m[weak.Make(f)] = birth
}

// fdbBirth returns f's birth, and whether it has one.
func fdbBirth(f *netlink.FDB) (int64, bool) {
	fdbBirths.mu.Lock()
	defer fdbBirths.mu.Unlock()
	b, ok := fdbBirths.m[weak.Make(f)]
	return b, ok
}

// fdbNextSlot returns the first birth of a slot after every one given.
func fdbNextSlot() int64 {
	fdbBirths.mu.Lock()
	defer fdbBirths.mu.Unlock()
	fdbBirths.slot++
	return fdbBirths.slot * fdbSlot
}

// fdbDumpBirths gives the entries of one dump their births in its slot.
type fdbDumpBirths struct {
	base         int64
	n, entry, at int64 // entries seen; vxlan entries seen, remote index
	prefix       []byte
}

func (d *fdbDumpBirths) born(f *netlink.FDB) {
	var b int64
	switch {
	case fdbRemote(f):
		if p := fdbKeyPrefix(nil, f); d.prefix == nil || !bytes.Equal(p, d.prefix) {
			d.entry, d.at, d.prefix = d.entry+1, 0, p
		} else {
			d.at++
		}
		b = d.base + (fdbSlotEntries-min(d.entry, fdbSlotEntries))*fdbSlotRemotes + min(d.at, fdbSlotRemotes-1)
	case fdbMasterEntry(f):
		b = d.base + (fdbSlotEntries-1-min(d.n, fdbSlotEntries-1))*fdbSlotRemotes
	default:
		b = d.base + min(d.n, fdbSlot-1)
	}
	d.n++
	fdbBirthSet(f, b)
}

// fdbStored gives an entry about to be stored over old (nil if none) its
// birth: old's, the one its dump gave it, or a slot of its own.
func fdbStored(f *netlink.FDB, old netlink.Object) {
	if o, ok := old.(*netlink.FDB); ok {
		if b, ok := fdbBirth(o); ok {
			fdbBirthSet(f, b)
			return
		}
	}
	if _, ok := fdbBirth(f); !ok {
		fdbBirthSet(f, fdbNextSlot())
	}
}

// FDBListed returns the forwarding database entries in the order `bridge
// fdb show` lists them: by device in ifindex order (the order of the
// kernel's device list in a namespace no link was moved into); on a bridge
// port the entries of the bridge's table before the port's own, on a bridge
// its own addresses before the entries of its table that point to no port
// (rtnl_fdb_dump in net/core/rtnetlink.c), a device's unicast addresses
// before its multicast ones; within each the order of the kernel's lists
// as far as the database saw it happen (see above). Entries whose list
// position changed in a way no message shows (a vxlan remote replaced in
// place, an entry missed in an overflow and found by the resync) may be
// out of place.
func (s *Snapshot) FDBListed() []*netlink.FDB {
	type row struct {
		f                  *netlink.FDB
		rank               int
		birth, entryBirth  int64
		vxlan, newestFirst bool
	}
	var rows []row
	entryBirth := map[string]int64{} // a vxlan entry's: its oldest remote's
	for f := range s.FDB() {
		b, _ := fdbBirth(f)
		r := row{f: f, birth: b, newestFirst: fdbMasterEntry(f), vxlan: fdbRemote(f)}
		switch {
		case fdbMasterEntry(f) && f.Master != f.Index:
			r.rank = 0
		case fdbMasterEntry(f):
			r.rank = 3
		case r.vxlan || len(f.LLAddr) == 0 || f.LLAddr[0]&1 == 0:
			r.rank = 1
		default:
			r.rank = 2
		}
		if r.vxlan {
			p := string(fdbKeyPrefix(nil, f))
			if e, ok := entryBirth[p]; !ok || b < e {
				entryBirth[p] = b
			}
		}
		rows = append(rows, r)
	}
	for i := range rows {
		if rows[i].vxlan {
			rows[i].entryBirth = entryBirth[string(fdbKeyPrefix(nil, rows[i].f))]
		}
	}
	slices.SortStableFunc(rows, func(a, b row) int {
		if c := cmp.Or(cmp.Compare(a.f.Index, b.f.Index), cmp.Compare(a.rank, b.rank)); c != 0 {
			return c
		}
		switch {
		case a.vxlan && b.vxlan:
			// Entries newest first, each entry's remotes oldest first.
			return cmp.Or(cmp.Compare(b.entryBirth, a.entryBirth), cmp.Compare(a.birth, b.birth))
		case a.newestFirst:
			return cmp.Compare(b.birth, a.birth)
		}
		return cmp.Compare(a.birth, b.birth)
	})
	out := make([]*netlink.FDB, len(rows))
	for i, r := range rows {
		out[i] = r.f
	}
	return out
}

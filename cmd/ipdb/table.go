package main

import (
	"io"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
)

// This file renders the tables people read: one row per object, aligned
// columns two spaces apart, "-" for an empty cell.
//
// Column widths are measured on the first tableChunk rows of a table
// (the header included) and then kept: a table of up to that many rows is
// aligned exactly, and a longer one (a full routing table) is printed as
// it is read, without holding its rows in memory; a later cell wider than
// its column pushes the rest of that one row to the right.

// tableChunk is how many rows the column widths are measured on.
const tableChunk = 4096

// tableOut writes aligned rows to w through a large buffer.
type tableOut struct {
	w    io.Writer
	b    []byte
	werr error

	// The row being built: its cells' bytes and where each ends.
	row  []byte
	ends []int

	// pending holds the first rows of a table until widths is known.
	pending  [][]string
	widths   []int
	measured bool

	// nsColumn makes every row start with a NETNS cell: netns, or
	// "NETNS" in a header (--all-netns, allnetns.go). headed says the
	// current table has its header, so that the next namespace's is
	// dropped.
	nsColumn bool
	netns    string
	headed   bool
}

func newTableOut(w io.Writer) *tableOut {
	return &tableOut{w: w, b: make([]byte, 0, jsonFlushAt+4096)}
}

func (t *tableOut) err() error { return t.werr }

// cell adds a cell to the current row ("" prints as "-").
func (t *tableOut) cell(s string) {
	t.lead()
	if s == "" {
		s = "-"
	}
	t.row = append(t.row, s...)
	t.ends = append(t.ends, len(t.row))
}

// cellBytes adds a cell from bytes appended by fn.
func (t *tableOut) cellFunc(fn func(b []byte) []byte) {
	t.lead()
	n := len(t.row)
	t.row = fn(t.row)
	if len(t.row) == n {
		t.row = append(t.row, '-')
	}
	t.ends = append(t.ends, len(t.row))
}

func (t *tableOut) cellUint(v uint64) {
	t.lead()
	t.row = strconv.AppendUint(t.row, v, 10)
	t.ends = append(t.ends, len(t.row))
}

// endRow finishes the current row.
func (t *tableOut) endRow() {
	if !t.measured {
		cells := make([]string, len(t.ends))
		start := 0
		for i, e := range t.ends {
			cells[i] = string(t.row[start:e])
			start = e
		}
		t.pending = append(t.pending, cells)
		t.row, t.ends = t.row[:0], t.ends[:0]
		if len(t.pending) >= tableChunk {
			t.measure()
		}
		return
	}
	start := 0
	for i, e := range t.ends {
		c := t.row[start:e]
		start = e
		t.b = append(t.b, c...)
		if i < len(t.ends)-1 {
			t.pad(i, len(c))
		}
	}
	t.b = append(t.b, '\n')
	t.row, t.ends = t.row[:0], t.ends[:0]
	if len(t.b) >= jsonFlushAt {
		t.flushBuf()
	}
}

func (t *tableOut) pad(col, n int) {
	w := 0
	if col < len(t.widths) {
		w = t.widths[col]
	}
	// A cell wider than its column still gets two spaces.
	for target := max(w, n) + 2; n < target; n++ {
		t.b = append(t.b, ' ')
	}
}

// measure fixes the column widths from the pending rows and prints them.
func (t *tableOut) measure() {
	t.widths = t.widths[:0]
	for _, r := range t.pending {
		for i, c := range r {
			for len(t.widths) <= i {
				t.widths = append(t.widths, 0)
			}
			if len(c) > t.widths[i] {
				t.widths[i] = len(c)
			}
		}
	}
	t.measured = true
	for _, r := range t.pending {
		for i, c := range r {
			t.b = append(t.b, c...)
			if i < len(r)-1 {
				n := len(c)
				if n >= t.widths[i]+2 {
					t.b = append(t.b, ' ', ' ')
				}
				for ; n < t.widths[i]+2; n++ {
					t.b = append(t.b, ' ')
				}
			}
		}
		t.b = append(t.b, '\n')
		if len(t.b) >= jsonFlushAt {
			t.flushBuf()
		}
	}
	t.pending = t.pending[:0]
}

// endTable prints what is pending; the next rows start a new table.
func (t *tableOut) endTable() {
	if !t.measured {
		t.measure()
	}
	t.measured = false
	t.widths = t.widths[:0]
	t.headed = false
}

// line prints a line outside any table.
func (t *tableOut) line(s string) {
	t.b = append(t.b, s...)
	t.b = append(t.b, '\n')
}

func (t *tableOut) flushBuf() {
	if len(t.b) > 0 && t.werr == nil {
		_, t.werr = t.w.Write(t.b)
	}
	t.b = t.b[:0]
}

func (t *tableOut) flush() error {
	if len(t.pending) > 0 {
		t.endTable()
	}
	t.flushBuf()
	return t.werr
}

func (t *tableOut) header(cells ...string) {
	if t.nsColumn {
		if t.headed {
			return
		}
		t.headed = true
		t.row = append(t.row, "NETNS"...)
		t.ends = append(t.ends, len(t.row))
	}
	for _, c := range cells {
		t.cell(c)
	}
	t.endRow()
}

func linkRowsHeader(t *tableOut) {
	t.header(linkColumns...)
}

var linkColumns = []string{"INDEX", "NAME", "KIND", "STATE", "FLAGS", "MTU", "MASTER", "ADDRESS"}

func linkRow(t *tableOut, l *netlink.Link, names *linkNames) {
	linkCells(t, l, names)
	t.endRow()
}

// linkCells adds linkRow's cells to the row.
func linkCells(t *tableOut, l *netlink.Link, names *linkNames) {
	kind := ""
	if l.Info != nil {
		kind = l.Info.InfoKind
	}
	master := ""
	if l.Master != 0 {
		master = names.name(l.Master)
	}
	t.cellUint(uint64(l.Index))
	t.cell(l.Name)
	t.cell(kind)
	t.cell(l.OperState.String())
	t.cell(strings.Join(netlink.LinkFlagNames(l.Flags), ","))
	t.cellUint(uint64(l.MTU))
	t.cell(master)
	t.cell(l.Address.String())
}

func addrRowsHeader(t *tableOut) {
	t.header("DEV", "FAMILY", "ADDRESS", "PEER", "SCOPE", "FLAGS", "LABEL")
}

func addrRow(t *tableOut, a *netlink.Addr, names *linkNames) {
	peer := ""
	if a.Peer.IsValid() {
		peer = a.Peer.String()
	}
	t.cell(names.name(a.Index))
	t.cell(familyName(a.Family))
	t.cell(a.Prefix.String())
	t.cell(peer)
	t.cell(netlink.AddrScopeName(a.Scope))
	t.cell(strings.Join(netlink.AddrFlagNames(a.Family, a.Flags), ","))
	t.cell(a.Label)
	t.endRow()
}

func routeRowsHeader(t *tableOut) {
	t.header("TABLE", "TYPE", "DST", "GATEWAY", "DEV", "PROTO", "SCOPE", "METRIC", "PREFSRC", "TOS", "NHID")
}

// routeRow writes a route's row and one row per next hop, appending
// addresses in place rather than allocating their strings.
func routeRow(t *tableOut, r *netlink.Route, names *linkNames) {
	if r.Family == unix.AF_MPLS {
		mplsRouteRow(t, r, names) // render_mpls.go
		return
	}
	t.cell(tableName(r.Table))
	t.cell(r.Type.String())
	t.cellFunc(func(b []byte) []byte {
		b = appendPrefix(b, r.Dst)
		if r.Family == unix.AF_INET6 && r.Dst.IsValid() && r.Dst.Bits() == 0 {
			b = append(b, " (v6)"...)
		}
		return b
	})
	t.cellFunc(func(b []byte) []byte {
		if r.Gateway.IsValid() {
			b = r.Gateway.AppendTo(b)
		} else if len(r.Multipath) > 0 {
			// The hops follow, one row each: say so rather than "-".
			b = strconv.AppendInt(b, int64(len(r.Multipath)), 10)
			b = append(b, " nexthops:"...)
		}
		return b
	})
	if r.OIF != 0 {
		t.cell(names.name(int(r.OIF)))
	} else {
		t.cell("")
	}
	t.cell(ipNames().protoName(uint8(r.Protocol)))
	t.cell(r.Scope.String())
	t.cellUint(uint64(r.Priority))
	t.cellFunc(func(b []byte) []byte {
		if r.PrefSrc.IsValid() {
			b = r.PrefSrc.AppendTo(b)
		}
		return b
	})
	if r.TOS != 0 {
		t.cell(ipNames().dsfieldName(r.TOS))
	} else {
		t.cell("")
	}
	if r.Extra != nil && r.Extra.NHID != 0 {
		t.cellUint(uint64(r.Extra.NHID))
	} else {
		t.cell("")
	}
	t.endRow()
	for _, nh := range r.Multipath {
		gw, dev := "", ""
		if nh.Gateway.IsValid() {
			gw = nh.Gateway.String()
		}
		if nh.IfIndex != 0 {
			dev = names.name(int(nh.IfIndex))
		}
		t.cell("")
		t.cell("")
		t.cell("  nexthop weight " + strconv.Itoa(nh.Weight()))
		t.cell(gw)
		t.cell(dev)
		for range 6 {
			t.cell("")
		}
		t.endRow()
	}
}

func neighRowsHeader(t *tableOut) {
	t.header("DEV", "DST", "LLADDR", "STATE", "FLAGS")
}

func neighRow(t *tableOut, n *netlink.Neigh, names *linkNames) {
	t.cell(names.name(n.Index))
	t.cell(n.Dst.String())
	t.cell(n.LLAddr.String())
	t.cell(strings.Join(netlink.NeighStateNames(n.State), ","))
	t.cell(strings.Join(netlink.NeighFlagNames(n.Flags), ","))
	t.endRow()
}

func ruleRowsHeader(t *tableOut) {
	t.header("FAMILY", "PRIORITY", "RULE")
}

func ruleRow(t *tableOut, r *netlink.Rule) {
	t.cell(familyName(r.Family))
	t.cellUint(uint64(r.Priority))
	t.cell(ruleText(r))
	t.endRow()
}

// writeSnapshotRows writes one table of a snapshot.
func writeSnapshotRows(t *tableOut, s *ipdb.Snapshot, table string) {
	names := snapshotLinks(s)
	if k := commandKindOfTable(table); k != nil {
		k.snapshotRows(t, s, names)
	}
	t.endTable()
}

// Each kind's table of a snapshot as rows (rows of the command's kind
// table, kinds.go).

func snapshotLinkRows(t *tableOut, s *ipdb.Snapshot, names *linkNames) {
	linkRowsHeader(t)
	for l := range s.Links() {
		linkRow(t, l, names)
	}
}

func snapshotAddrRows(t *tableOut, s *ipdb.Snapshot, names *linkNames) {
	addrRowsHeader(t)
	for a := range s.Addrs() {
		addrRow(t, a, names)
	}
}

func snapshotRouteRows(t *tableOut, s *ipdb.Snapshot, names *linkNames) {
	routeRowsHeader(t)
	for r := range routesInDumpOrder(s) {
		if showRoute(r) {
			routeRow(t, r, names)
		}
	}
}

func snapshotNeighRows(t *tableOut, s *ipdb.Snapshot, names *linkNames) {
	neighRowsHeader(t)
	for n := range s.Neighs() {
		if showNeigh(n) {
			neighRow(t, n, names)
		}
	}
}

func snapshotFDBRows(t *tableOut, s *ipdb.Snapshot, names *linkNames) {
	fdbRowsHeader(t)
	for _, f := range s.FDBListed() {
		fdbRow(t, f, names)
	}
}

func snapshotRuleRows(t *tableOut, s *ipdb.Snapshot, _ *linkNames) {
	ruleRowsHeader(t)
	for r := range s.Rules() {
		if showRule(r) {
			ruleRow(t, r)
		}
	}
}

// ruleText is the rule as `ip rule` prints it (print_rule), without the
// priority.
func ruleText(r *netlink.Rule) string {
	var b strings.Builder
	db := ipNames()
	if r.Flags&unix.FIB_RULE_INVERT != 0 {
		b.WriteString("not ")
	}
	bits := 32
	if r.Family == unix.AF_INET6 {
		bits = 128
	}
	prefix := func(p netip.Prefix) {
		b.WriteString(p.Addr().String())
		if p.Bits() != bits {
			b.WriteString("/" + strconv.Itoa(p.Bits()))
		}
	}
	b.WriteString("from ")
	if r.Src.IsValid() && r.Src.Bits() > 0 {
		prefix(r.Src)
	} else {
		b.WriteString("all")
	}
	if r.Dst.IsValid() && r.Dst.Bits() > 0 {
		b.WriteString(" to ")
		prefix(r.Dst)
	}
	if r.TOS != 0 {
		b.WriteString(" tos " + db.dsfieldName(r.TOS))
	}
	if r.Mark != 0 || r.Mask != 0 {
		b.WriteString(" fwmark 0x" + strconv.FormatUint(uint64(r.Mark), 16))
		if r.Mask != 0xffffffff {
			b.WriteString("/0x" + strconv.FormatUint(uint64(r.Mask), 16))
		}
	}
	if r.IIFName != "" {
		b.WriteString(" iif " + r.IIFName)
		if r.Flags&unix.FIB_RULE_IIF_DETACHED != 0 {
			b.WriteString(" [detached]")
		}
	}
	if r.OIFName != "" {
		b.WriteString(" oif " + r.OIFName)
		if r.Flags&unix.FIB_RULE_OIF_DETACHED != 0 {
			b.WriteString(" [detached]")
		}
	}
	if r.L3MDev != 0 {
		b.WriteString(" lookup [l3mdev-table]")
	}
	if r.UIDRange != nil {
		b.WriteString(" uidrange " + strconv.FormatUint(uint64(r.UIDRange.Start), 10) + "-" + strconv.FormatUint(uint64(r.UIDRange.End), 10))
	}
	if r.IPProto != 0 {
		b.WriteString(" ipproto " + db.ipProtoName(r.IPProto))
	}
	for _, p := range [...]struct {
		name string
		r    netlink.RulePortRange
	}{{"sport", r.SPort}, {"dport", r.DPort}} {
		if p.r == (netlink.RulePortRange{}) {
			continue
		}
		b.WriteString(" " + p.name + " " + strconv.Itoa(int(p.r.Start)))
		if p.r.End != p.r.Start {
			b.WriteString("-" + strconv.Itoa(int(p.r.End)))
		}
	}
	if r.TunID != 0 {
		b.WriteString(" tun_id " + strconv.FormatUint(r.TunID, 10))
	}
	if r.Table != 0 {
		b.WriteString(" lookup " + tableName(r.Table))
		if r.SuppressPrefixLen != nil && *r.SuppressPrefixLen != 0xffffffff {
			b.WriteString(" suppress_prefixlength " + strconv.Itoa(int(int32(*r.SuppressPrefixLen))))
		}
		if r.SuppressIfGroup != nil && *r.SuppressIfGroup != 0xffffffff {
			b.WriteString(" suppress_ifgroup " + db.groupName(*r.SuppressIfGroup))
		}
	}
	if r.Flow != 0 {
		b.WriteString(" realms ")
		if from := r.Flow >> 16; from != 0 {
			b.WriteString(db.realmName(from) + "/")
		}
		b.WriteString(db.realmName(r.Flow & 0xffff))
	}
	switch r.Action {
	case netlink.RuleToTable:
	case netlink.RuleGoto:
		b.WriteString(" goto " + strconv.FormatUint(uint64(r.Goto), 10))
		if r.Flags&unix.FIB_RULE_UNRESOLVED != 0 {
			b.WriteString(" [unresolved]")
		}
	case netlink.RuleNop:
		b.WriteString(" nop")
	default:
		b.WriteString(" " + netlink.RouteType(r.Action).String())
	}
	if r.Protocol != netlink.ProtoUnspec && r.Protocol != netlink.ProtoKernel {
		b.WriteString(" proto " + db.protoName(uint8(r.Protocol)))
	}
	return b.String()
}

// lead starts a row with its NETNS cell under --all-netns.
func (t *tableOut) lead() {
	if t.nsColumn && len(t.ends) == 0 {
		t.row = append(t.row, t.netns...)
		t.ends = append(t.ends, len(t.row))
	}
}

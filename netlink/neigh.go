package netlink

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strings"

	nl "github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Constants of linux/neighbour.h that golang.org/x/sys/unix lacks.
const (
	ndaProtocol = 12 // NDA_PROTOCOL: u8, originator of the entry
	ndaNHID     = 13 // NDA_NH_ID: u32, nexthop id
	ndaFlagsExt = 15 // NDA_FLAGS_EXT: u32, NTF_EXT_* flags

	// NeighFlagSticky is NTF_STICKY: an FDB entry that never moves.
	NeighFlagSticky = 0x40
	// NeighFlagExtManaged is NTF_EXT_MANAGED in Neigh.FlagsExt: the kernel
	// keeps the entry resolved.
	NeighFlagExtManaged = 1 << 0
	// NeighFlagExtLocked is NTF_EXT_LOCKED in Neigh.FlagsExt: an FDB entry
	// of a locked bridge port.
	NeighFlagExtLocked = 1 << 1
)

const (
	ndmsgLen        = 12
	ndaCacheinfoLen = 16
	maxLLAddrLen    = 32 // MAX_ADDR_LEN
)

// Neigh is a neighbour entry (struct ndmsg and its NDA_* attributes): an
// ARP entry (Family unix.AF_INET), an NDP entry (unix.AF_INET6) or a bridge
// forwarding database entry (unix.AF_BRIDGE).
type Neigh struct {
	// Family is unix.AF_INET, unix.AF_INET6 or unix.AF_BRIDGE.
	Family uint8
	// Index is the interface index of the link (for FDB entries, the
	// bridge port or the vxlan device).
	Index int
	// State is the NUD_* state (unix.NUD_PERMANENT, NUD_REACHABLE...).
	State uint16
	// Flags are the NTF_* flags (unix.NTF_ROUTER, NTF_PROXY, NTF_SELF,
	// NTF_MASTER, NTF_EXT_LEARNED, NeighFlagSticky...).
	Flags uint8
	// Type is the route type of the entry (unix.RTN_UNICAST...).
	Type uint8
	// Dst is the neighbour's protocol address (NDA_DST); for a vxlan FDB
	// entry, the remote tunnel endpoint.
	Dst netip.Addr
	// LLAddr is the link-layer address (NDA_LLADDR), nil where the kernel
	// sends none (incomplete or failed entries).
	LLAddr net.HardwareAddr
	// Confirmed, Used and Updated are the ages in clock ticks (USER_HZ) of
	// the last confirmation, use and update; RefCount is the reference
	// count (NDA_CACHEINFO). Kernel-only.
	Confirmed uint32
	Used      uint32
	Updated   uint32
	RefCount  uint32
	// Probes is the number of probes sent (NDA_PROBES). Kernel-only.
	Probes uint32
	// VLAN is the bridge VLAN id of an FDB entry (NDA_VLAN), 0 for none.
	VLAN uint16
	// Port is the UDP destination port of a vxlan FDB entry (NDA_PORT), 0
	// for the device's default.
	Port uint16
	// VNI is the vxlan network identifier of an FDB entry (NDA_VNI), 0 for
	// the device's default.
	VNI uint32
	// SrcVNI is the source VNI of a collect-metadata vxlan FDB entry
	// (NDA_SRC_VNI).
	SrcVNI uint32
	// Via is the index of the link that reaches a vxlan FDB entry's Dst
	// (NDA_IFINDEX).
	Via int
	// Master is the index of the bridge of an FDB entry (NDA_MASTER).
	Master int
	// LinkNetNSID is the namespace id of Via's namespace
	// (NDA_LINK_NETNSID), valid when HasLinkNetNSID is true.
	LinkNetNSID    int32
	HasLinkNetNSID bool
	// Protocol is the originator of the entry (NDA_PROTOCOL, RTPROT_*).
	Protocol uint8
	// NHID is the nexthop id of an FDB entry (NDA_NH_ID).
	NHID uint32
	// FlagsExt are the extended flags (NDA_FLAGS_EXT, NeighFlagExt*).
	FlagsExt uint32
	// Unknown holds the attributes this package does not decode.
	Unknown []Attribute
}

// Kind implements Object.
func (*Neigh) Kind() Kind { return KindNeigh }

var neighStateNames = []bitName{
	{unix.NUD_INCOMPLETE, "INCOMPLETE"},
	{unix.NUD_REACHABLE, "REACHABLE"},
	{unix.NUD_STALE, "STALE"},
	{unix.NUD_DELAY, "DELAY"},
	{unix.NUD_PROBE, "PROBE"},
	{unix.NUD_FAILED, "FAILED"},
	{unix.NUD_NOARP, "NOARP"},
	{unix.NUD_PERMANENT, "PERMANENT"},
}

var neighFlagNames = []bitName{
	{unix.NTF_USE, "use"},
	{unix.NTF_SELF, "self"},
	{unix.NTF_MASTER, "master"},
	{unix.NTF_PROXY, "proxy"},
	{unix.NTF_EXT_LEARNED, "extern_learn"},
	{unix.NTF_OFFLOADED, "offload"},
	{NeighFlagSticky, "sticky"},
	{unix.NTF_ROUTER, "router"},
}

// NeighFlagNames returns the names of the NTF_* flags set in flags, as
// ip(8) and bridge(8) print them.
func NeighFlagNames(flags uint8) []string {
	names, _ := appendBitNames(nil, uint32(flags), neighFlagNames)
	return names
}

// String describes the entry as `ip neigh` or `bridge fdb` prints it.
func (n *Neigh) String() string {
	var b strings.Builder
	if n.Family == unix.AF_BRIDGE {
		b.WriteString("fdb ")
		if n.LLAddr != nil {
			b.WriteString(n.LLAddr.String())
		} else {
			b.WriteString("none")
		}
		fmt.Fprintf(&b, " dev %d", n.Index)
		if n.Master != 0 {
			fmt.Fprintf(&b, " master %d", n.Master)
		}
		if n.VLAN != 0 {
			fmt.Fprintf(&b, " vlan %d", n.VLAN)
		}
		if n.Dst.IsValid() {
			fmt.Fprintf(&b, " dst %s", n.Dst)
		}
		if n.Port != 0 {
			fmt.Fprintf(&b, " port %d", n.Port)
		}
		if n.VNI != 0 {
			fmt.Fprintf(&b, " vni %d", n.VNI)
		}
		if n.SrcVNI != 0 {
			fmt.Fprintf(&b, " src_vni %d", n.SrcVNI)
		}
		if n.Via != 0 {
			fmt.Fprintf(&b, " via %d", n.Via)
		}
	} else {
		b.WriteString("neigh ")
		if n.Dst.IsValid() {
			b.WriteString(n.Dst.String())
		} else {
			b.WriteString("none")
		}
		fmt.Fprintf(&b, " dev %d", n.Index)
		if n.LLAddr != nil {
			fmt.Fprintf(&b, " lladdr %s", n.LLAddr)
		}
	}
	for _, f := range NeighFlagNames(n.Flags) {
		b.WriteByte(' ')
		b.WriteString(f)
	}
	if n.Family != unix.AF_BRIDGE || n.State != unix.NUD_NOARP {
		for _, s := range NeighStateNames(n.State) {
			b.WriteByte(' ')
			b.WriteString(s)
		}
	}
	return b.String()
}

// decode decodes an RTM_NEWNEIGH/RTM_DELNEIGH payload.
func (n *Neigh) decode(b []byte) error {
	if len(b) < ndmsgLen {
		return malformedf("ndmsg of %d bytes", len(b))
	}
	*n = Neigh{
		Family: b[0],
		Index:  int(int32(binary.NativeEndian.Uint32(b[4:8]))),
		State:  binary.NativeEndian.Uint16(b[8:10]),
		Flags:  b[10],
		Type:   b[11],
	}
	ad, err := nl.NewAttributeDecoder(b[ndmsgLen:])
	if err != nil {
		return malformedf("neigh attributes: %v", err)
	}
	var derr error
	fail := func(format string, args ...any) {
		if derr == nil {
			derr = malformedf(format, args...)
		}
	}
	for ad.Next() {
		switch ad.Type() {
		case unix.NDA_DST:
			ip, err := addrIP(ad.Bytes(), "NDA_DST")
			if err != nil && derr == nil {
				derr = err
			}
			n.Dst = ip
		case unix.NDA_LLADDR:
			if v := ad.Bytes(); len(v) > 0 {
				n.LLAddr = net.HardwareAddr(v)
			}
		case unix.NDA_CACHEINFO:
			ci := ad.Bytes()
			if len(ci) < ndaCacheinfoLen {
				fail("NDA_CACHEINFO of %d bytes", len(ci))
				continue
			}
			n.Confirmed = binary.NativeEndian.Uint32(ci[0:4])
			n.Used = binary.NativeEndian.Uint32(ci[4:8])
			n.Updated = binary.NativeEndian.Uint32(ci[8:12])
			n.RefCount = binary.NativeEndian.Uint32(ci[12:16])
		case unix.NDA_PROBES:
			n.Probes = ad.Uint32()
		case unix.NDA_VLAN:
			n.VLAN = ad.Uint16()
		case unix.NDA_PORT:
			v := ad.Bytes()
			if len(v) != 2 {
				fail("NDA_PORT of %d bytes", len(v))
				continue
			}
			n.Port = binary.BigEndian.Uint16(v)
		case unix.NDA_VNI:
			n.VNI = ad.Uint32()
		case unix.NDA_SRC_VNI:
			n.SrcVNI = ad.Uint32()
		case unix.NDA_IFINDEX:
			n.Via = int(ad.Uint32())
		case unix.NDA_MASTER:
			n.Master = int(ad.Uint32())
		case unix.NDA_LINK_NETNSID:
			n.LinkNetNSID = ad.Int32()
			n.HasLinkNetNSID = true
		case ndaProtocol:
			n.Protocol = ad.Uint8()
		case ndaNHID:
			n.NHID = ad.Uint32()
		case ndaFlagsExt:
			n.FlagsExt = ad.Uint32()
		default:
			n.Unknown = append(n.Unknown, Attribute{Type: ad.Type() | ad.TypeFlags(), Data: ad.Bytes()})
		}
	}
	if err := ad.Err(); err != nil {
		return malformedf("neigh attributes: %v", err)
	}
	return derr
}

// marshal encodes every field, as the kernel would send the entry.
func (n *Neigh) marshal() ([]byte, error) { return n.encode(false) }

// encode builds the ndmsg and attributes. A request leaves out the
// kernel-only fields (cache info, probes, unknown attributes).
func (n *Neigh) encode(request bool) ([]byte, error) {
	hdr := make([]byte, ndmsgLen)
	hdr[0] = n.Family
	binary.NativeEndian.PutUint32(hdr[4:8], uint32(int32(n.Index)))
	binary.NativeEndian.PutUint16(hdr[8:10], n.State)
	hdr[10] = n.Flags
	hdr[11] = n.Type

	ae := nl.NewAttributeEncoder()
	if n.Dst.IsValid() {
		ae.Bytes(unix.NDA_DST, n.Dst.AsSlice())
	}
	if len(n.LLAddr) > 0 {
		ae.Bytes(unix.NDA_LLADDR, n.LLAddr)
	}
	if !request {
		ci := make([]byte, ndaCacheinfoLen)
		binary.NativeEndian.PutUint32(ci[0:4], n.Confirmed)
		binary.NativeEndian.PutUint32(ci[4:8], n.Used)
		binary.NativeEndian.PutUint32(ci[8:12], n.Updated)
		binary.NativeEndian.PutUint32(ci[12:16], n.RefCount)
		ae.Bytes(unix.NDA_CACHEINFO, ci)
		if n.Probes != 0 {
			ae.Uint32(unix.NDA_PROBES, n.Probes)
		}
	}
	if n.VLAN != 0 {
		ae.Uint16(unix.NDA_VLAN, n.VLAN)
	}
	if n.Port != 0 {
		port := make([]byte, 2)
		binary.BigEndian.PutUint16(port, n.Port)
		ae.Bytes(unix.NDA_PORT, port)
	}
	if n.VNI != 0 {
		ae.Uint32(unix.NDA_VNI, n.VNI)
	}
	if n.Via != 0 {
		ae.Uint32(unix.NDA_IFINDEX, uint32(n.Via))
	}
	if n.Master != 0 {
		ae.Uint32(unix.NDA_MASTER, uint32(n.Master))
	}
	if n.HasLinkNetNSID {
		ae.Int32(unix.NDA_LINK_NETNSID, n.LinkNetNSID)
	}
	if n.SrcVNI != 0 {
		ae.Uint32(unix.NDA_SRC_VNI, n.SrcVNI)
	}
	if n.Protocol != 0 {
		ae.Uint8(ndaProtocol, n.Protocol)
	}
	if n.NHID != 0 {
		ae.Uint32(ndaNHID, n.NHID)
	}
	if n.FlagsExt != 0 {
		ae.Uint32(ndaFlagsExt, n.FlagsExt)
	}
	if !request {
		for _, u := range n.Unknown {
			ae.Bytes(u.Type, u.Data)
		}
	}
	attrs, err := ae.Encode()
	if err != nil {
		return nil, invalidf("neigh attributes: %v", err)
	}
	return append(hdr, attrs...), nil
}

// validate checks an entry for a request of verb v.
func (n *Neigh) validate(v Verb) error {
	if n.Index <= 0 {
		return invalidf("neighbour without link index")
	}
	if n.Dst.IsValid() && n.Dst.Zone() != "" {
		return invalidf("neighbour address %s has a zone", n.Dst)
	}
	if n.Dst.Is4In6() {
		return invalidf("IPv4-mapped IPv6 neighbour address %s", n.Dst)
	}
	if len(n.LLAddr) > maxLLAddrLen {
		return invalidf("link-layer address of %d bytes (at most %d)", len(n.LLAddr), maxLLAddrLen)
	}
	switch n.Family {
	case unix.AF_INET, unix.AF_INET6:
		if !n.Dst.IsValid() {
			return invalidf("neighbour without destination address")
		}
		if n.Dst.Is4() != (n.Family == unix.AF_INET) {
			return invalidf("address %s does not match family %d", n.Dst, n.Family)
		}
		if v == Append {
			return invalidf("append applies only to bridge FDB entries")
		}
		if n.VLAN != 0 || n.VNI != 0 || n.Port != 0 || n.SrcVNI != 0 || n.Master != 0 || n.Via != 0 {
			return invalidf("FDB attributes (vlan, vni, port, master, via) on a family %d entry", n.Family)
		}
	case unix.AF_BRIDGE:
		if len(n.LLAddr) != 6 {
			if n.LLAddr == nil {
				return invalidf("FDB entry without link-layer address")
			}
			return invalidf("FDB link-layer address of %d bytes, want 6", len(n.LLAddr))
		}
		if n.VLAN >= 4095 {
			return invalidf("VLAN id %d out of range 1-4094", n.VLAN)
		}
		if n.VNI >= 1<<24 || n.SrcVNI >= 1<<24 {
			return invalidf("VNI beyond 24 bits")
		}
	default:
		return invalidf("neighbour family %d", n.Family)
	}
	return nil
}

func (n *Neigh) object() string {
	if n == nil {
		return "neigh"
	}
	if n.Family == unix.AF_BRIDGE {
		s := fmt.Sprintf("fdb %s dev %d", n.LLAddr, n.Index)
		if n.VLAN != 0 {
			s += fmt.Sprintf(" vlan %d", n.VLAN)
		}
		if n.Dst.IsValid() {
			s += " dst " + n.Dst.String()
		}
		return s
	}
	return fmt.Sprintf("neigh %s dev %d", n.Dst, n.Index)
}

// NeighRequest builds a request that adds (Add), replaces (Replace), changes
// (Change), appends (Append, bridge FDB only: another vxlan remote for the
// same address) or deletes (Delete) entry n.
//
// For writes other than Delete a zero State means unix.NUD_PERMANENT for ARP
// and NDP entries, as `ip neigh add` does, and unix.NUD_NOARP ("static")
// for FDB entries, as `bridge fdb add` does. An FDB entry with neither
// unix.NTF_SELF nor unix.NTF_MASTER in Flags goes to the bridge (master).
// Kernel-only fields (cache info, probes, Unknown) are not sent. Invalid
// input (no link index, an ARP/NDP entry without Dst or with a Dst of the
// other family, an FDB entry without a 6-byte LLAddr, an over-long LLAddr,
// an unknown family) makes a Request that reports ErrInvalid and sends nothing.
func NeighRequest(v Verb, n *Neigh) Request {
	return newRequest(v, KindNeigh, n.object(), func() ([]byte, error) {
		if n == nil {
			return nil, invalidf("nil neighbour")
		}
		switch v {
		case Add, Replace, Change, Append, Delete:
		default:
			return nil, invalidf("verb %s does not apply to neighbours", v)
		}
		if err := n.validate(v); err != nil {
			return nil, err
		}
		req := *n
		if v != Delete && req.State == 0 {
			req.State = unix.NUD_PERMANENT
			if req.Family == unix.AF_BRIDGE {
				req.State = unix.NUD_NOARP
			}
		}
		return req.encode(true)
	})
}

// NeighAdd adds a neighbour or FDB entry (`ip neigh add`, `bridge fdb
// add`); it fails with EEXIST if the entry exists.
func (c *Conn) NeighAdd(ctx context.Context, n *Neigh) error {
	return c.Do(ctx, NeighRequest(Add, n))
}

// NeighReplace adds an entry or replaces the existing one (`ip neigh
// replace`, `bridge fdb replace`).
func (c *Conn) NeighReplace(ctx context.Context, n *Neigh) error {
	return c.Do(ctx, NeighRequest(Replace, n))
}

// NeighChange changes an existing entry (`ip neigh change`).
func (c *Conn) NeighChange(ctx context.Context, n *Neigh) error {
	return c.Do(ctx, NeighRequest(Change, n))
}

// NeighAppend appends an FDB entry (`bridge fdb append`), e.g. another
// remote for the all-zero address of a vxlan device.
func (c *Conn) NeighAppend(ctx context.Context, n *Neigh) error {
	return c.Do(ctx, NeighRequest(Append, n))
}

// NeighDel deletes a neighbour or FDB entry (`ip neigh del`, `bridge fdb
// del`).
func (c *Conn) NeighDel(ctx context.Context, n *Neigh) error {
	return c.Do(ctx, NeighRequest(Delete, n))
}

// NeighFilter selects entries in NeighDump. The zero value selects the ARP
// and NDP entries; set Family to unix.AF_BRIDGE for the FDB.
type NeighFilter struct {
	// Family is 0 (ARP and NDP), unix.AF_INET, unix.AF_INET6 or
	// unix.AF_BRIDGE (the forwarding databases of bridges, vxlan and other
	// devices).
	Family uint8
	// Index, if not zero, keeps the entries of this link (for the FDB, this
	// bridge port or device); filtered in the kernel where strict checking
	// is on.
	Index int
	// Master, if not zero, keeps the entries of links enslaved to this
	// master (for the FDB, of this bridge); filtered in the kernel.
	Master int
	// State, if not zero, keeps the entries with any of these NUD_* bits.
	State uint16
	// Proxy dumps the proxy entries (`ip neigh show proxy`) instead of the
	// others. Not for the FDB.
	Proxy bool
}

// NeighDump streams the entries that match f (nil for ARP and NDP) to fn,
// one freshly allocated *Neigh per call. If the dump is interrupted by
// concurrent changes it is repeated, so fn may see an entry again.
//
// Master filtering is done by the kernel, which needs strict checking
// (Linux 4.20 or later): ARP and NDP entries do not name the master of
// their link, nor FDB entries of a bridge's own addresses, so without it
// only FDB entries that carry NDA_MASTER are filtered.
func (c *Conn) NeighDump(ctx context.Context, f *NeighFilter, fn func(*Neigh) error) error {
	return c.neighDump(ctx, f, nil, fn)
}

func (c *Conn) neighDump(ctx context.Context, f *NeighFilter, restart func(), fn func(*Neigh) error) error {
	if f == nil {
		f = &NeighFilter{}
	}
	object := "neigh"
	if f.Family == unix.AF_BRIDGE {
		object = "fdb"
	}
	switch f.Family {
	case 0, unix.AF_INET, unix.AF_INET6, unix.AF_BRIDGE:
	default:
		return &OpError{Op: "dump", Object: object, Err: invalidf("neighbour family %d", f.Family)}
	}
	if f.Index < 0 || f.Master < 0 {
		return &OpError{Op: "dump", Object: object, Err: invalidf("negative link index")}
	}
	if f.Proxy && f.Family == unix.AF_BRIDGE {
		return &OpError{Op: "dump", Object: object, Err: invalidf("proxy entries are not in the FDB")}
	}
	req := make([]byte, ndmsgLen)
	req[0] = f.Family
	if f.Proxy {
		req[10] = unix.NTF_PROXY
	}
	if c.strict && (f.Index != 0 || f.Master != 0) {
		ae := nl.NewAttributeEncoder()
		if f.Index != 0 {
			ae.Uint32(unix.NDA_IFINDEX, uint32(f.Index))
		}
		if f.Master != 0 {
			ae.Uint32(unix.NDA_MASTER, uint32(f.Master))
		}
		attrs, err := ae.Encode()
		if err != nil {
			return &OpError{Op: "dump", Object: object, Err: err}
		}
		req = append(req, attrs...)
	} else if !c.strict && f.Family == unix.AF_BRIDGE && f.Index != 0 {
		// Without strict checking the FDB dump reads the port from the header.
		binary.NativeEndian.PutUint32(req[4:8], uint32(f.Index))
	}
	return c.dump(ctx, object, KindNeigh.row().getType, req, restart, func(p []byte) error {
		n := new(Neigh)
		if err := n.decode(p); err != nil {
			return err
		}
		if f.Family != 0 && n.Family != f.Family ||
			f.Index != 0 && n.Index != f.Index ||
			f.Master != 0 && n.Master != 0 && n.Master != f.Master ||
			f.State != 0 && n.State&f.State == 0 ||
			f.Proxy != (n.Flags&unix.NTF_PROXY != 0) && n.Family != unix.AF_BRIDGE {
			return nil
		}
		return fn(n)
	})
}

// Neighs returns the entries that match f (nil for ARP and NDP).
func (c *Conn) Neighs(ctx context.Context, f *NeighFilter) ([]*Neigh, error) {
	var out []*Neigh
	err := c.neighDump(ctx, f, func() { out = out[:0] }, func(n *Neigh) error {
		out = append(out, n)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// NeighGet asks the kernel for one entry (`ip neigh get`, `bridge fdb
// get`). For ARP and NDP, key needs Index and Dst (and unix.NTF_PROXY in
// Flags for a proxy entry); for the FDB, LLAddr, VLAN if any, and Index
// (the port or device) or Master (the bridge). A missing entry is an
// *OpError wrapping unix.ENOENT.
func (c *Conn) NeighGet(ctx context.Context, key *Neigh) (*Neigh, error) {
	if key == nil {
		return nil, &OpError{Op: "get", Object: "neigh", Err: invalidf("nil key")}
	}
	object := key.object()
	q := &Neigh{Family: key.Family, Index: key.Index}
	switch key.Family {
	case unix.AF_INET, unix.AF_INET6:
		if key.Index <= 0 {
			return nil, &OpError{Op: "get", Object: object, Err: invalidf("neighbour without link index")}
		}
		if !key.Dst.IsValid() || key.Dst.Is4() != (key.Family == unix.AF_INET) {
			return nil, &OpError{Op: "get", Object: object, Err: invalidf("neighbour address %s for family %d", key.Dst, key.Family)}
		}
		q.Dst = key.Dst
		q.Flags = key.Flags & unix.NTF_PROXY
	case unix.AF_BRIDGE:
		if len(key.LLAddr) != 6 {
			return nil, &OpError{Op: "get", Object: object, Err: invalidf("FDB link-layer address of %d bytes, want 6", len(key.LLAddr))}
		}
		if key.Index <= 0 && key.Master <= 0 {
			return nil, &OpError{Op: "get", Object: object, Err: invalidf("FDB entry without link or master index")}
		}
		q.LLAddr, q.VLAN, q.Master, q.VNI = key.LLAddr, key.VLAN, key.Master, key.VNI
		q.Flags = key.Flags & (unix.NTF_SELF | unix.NTF_MASTER)
	default:
		return nil, &OpError{Op: "get", Object: object, Err: invalidf("neighbour family %d", key.Family)}
	}
	body, err := q.encode(true)
	if err != nil {
		return nil, &OpError{Op: "get", Object: object, Err: err}
	}
	var n *Neigh
	err = c.get(ctx, object, KindNeigh.row().getType, body, func(p []byte) error {
		n = new(Neigh)
		return n.decode(p)
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

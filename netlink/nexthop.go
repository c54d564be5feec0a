package netlink

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Nexthop object attributes and structures (include/uapi/linux/nexthop.h)
// that x/sys/unix does not name.
const (
	nhmsgLen       = 8 // sizeof(struct nhmsg)
	nexthopGrpLen  = 8 // sizeof(struct nexthop_grp)
	nhaFDB         = 11
	nhaResGroup    = 12
	nhaResBucket   = 13
	nhaOpFlags     = 14
	nhaResBuckets  = 1 // NHA_RES_GROUP_BUCKETS: u16
	nhaResIdle     = 2 // NHA_RES_GROUP_IDLE_TIMER: u32, clock_t
	nhaResUnbTimer = 3 // NHA_RES_GROUP_UNBALANCED_TIMER: u32, clock_t
	nhaResUnbTime  = 4 // NHA_RES_GROUP_UNBALANCED_TIME: u64, clock_t

	// userHZ is USER_HZ, the unit of the clock_t values the kernel reports
	// (jiffies_to_clock_t): 100 per second on every architecture Linux
	// exports to user space.
	userHZ = 100
)

// NexthopGroupType is a nexthop group's type (NHA_GROUP_TYPE,
// NEXTHOP_GRP_TYPE_*).
type NexthopGroupType uint16

// Nexthop group types.
const (
	// GroupMpath is a hash-threshold group, the default
	// (NEXTHOP_GRP_TYPE_MPATH, ip's "mpath").
	GroupMpath NexthopGroupType = 0
	// GroupResilient is a resilient group, whose flows keep their member
	// when the group changes (NEXTHOP_GRP_TYPE_RES, ip's "resilient").
	GroupResilient NexthopGroupType = 1
)

// String returns ip(8)'s word: "mpath" or "resilient".
func (t NexthopGroupType) String() string {
	switch t {
	case GroupMpath:
		return "mpath"
	case GroupResilient:
		return "resilient"
	}
	return "type" + strconv.Itoa(int(t))
}

// A NexthopGroupMember is one member of a nexthop group (struct
// nexthop_grp).
type NexthopGroupMember struct {
	// ID is the member nexthop's id.
	ID uint32
	// Weight is the member's weight, 1 to 256 (1 to 65536 from Linux 6.12,
	// which added nexthop_grp.weight_high). In requests zero means 1.
	Weight uint32
}

// NexthopResilient holds a resilient group's parameters (NHA_RES_GROUP).
type NexthopResilient struct {
	// Buckets is the number of hash buckets (NHA_RES_GROUP_BUCKETS); in
	// requests zero lets the kernel choose (128).
	Buckets uint16
	// IdleTimer is how long a bucket must be idle before it may move to
	// another member (NHA_RES_GROUP_IDLE_TIMER, reported in USER_HZ ticks,
	// so with 10 ms resolution).
	IdleTimer time.Duration
	// UnbalancedTimer is how long the group may stay unbalanced before
	// busy buckets move too; zero means never (NHA_RES_GROUP_UNBALANCED_TIMER).
	UnbalancedTimer time.Duration
	// UnbalancedTime is how long the group has been unbalanced
	// (NHA_RES_GROUP_UNBALANCED_TIME). It is read-only and volatile: the
	// kernel's clock, not state (see Nexthop.Stable).
	UnbalancedTime time.Duration
}

// A Nexthop is a nexthop object (RTM_NEWNEXTHOP; net/ipv4/nexthop.c): a
// gateway and/or device, a blackhole, or a group of other nexthops, that
// routes refer to by id (Route.Extra.NHID, ip's "nhid"). Zero values mean
// absent unless said otherwise.
type Nexthop struct {
	// ID is the nexthop's id (NHA_ID). In an Add request zero lets the
	// kernel choose one.
	ID uint32
	// Family is nh_family: unix.AF_INET or unix.AF_INET6 for a nexthop
	// with a gateway, a device or blackhole, unix.AF_UNSPEC for a group.
	// In requests for a single nexthop, zero means the gateway's family,
	// or AF_INET without a gateway (as ip does without -6); a group has
	// none.
	Family uint8
	// Scope is nh_scope, set by the kernel (link for a device without a
	// gateway, global otherwise); it cannot be sent.
	Scope Scope
	// Protocol says who installed the nexthop (nh_protocol, ip's "proto").
	Protocol RouteProtocol
	// Flags are nh_flags, RTNH_F_* (onlink, dead, linkdown, offload,
	// trap...). Only unix.RTNH_F_ONLINK can be sent.
	Flags uint32
	// Blackhole marks a nexthop that drops packets (NHA_BLACKHOLE).
	Blackhole bool
	// OIF is the output interface index (NHA_OIF, ip's "dev").
	OIF uint32
	// Gateway is the next hop's address (NHA_GATEWAY, ip's "via").
	Gateway netip.Addr
	// FDB marks a nexthop for the bridge FDB (vxlan) rather than for
	// routes (NHA_FDB, ip's "fdb").
	FDB bool
	// Group lists the members of a group nexthop (NHA_GROUP), in the
	// kernel's order; empty for a single nexthop.
	Group []NexthopGroupMember
	// GroupType is the group's type (NHA_GROUP_TYPE); meaningful only with
	// Group.
	GroupType NexthopGroupType
	// Resilient holds a resilient group's parameters (NHA_RES_GROUP); nil
	// for other nexthops.
	Resilient *NexthopResilient
	// EncapType is the lightweight tunnel type (NHA_ENCAP_TYPE) and Encap
	// its raw attributes (NHA_ENCAP), kept as the kernel sent them.
	EncapType uint16
	Encap     []byte
	// Unknown holds the attributes not decoded above, copied.
	Unknown []Attribute
}

// Kind implements Object.
func (*Nexthop) Kind() Kind { return KindNexthop }

// IsGroup reports whether n is a group of other nexthops.
func (n *Nexthop) IsGroup() bool { return len(n.Group) > 0 }

// Stable returns n without its volatile attributes (a resilient group's
// unbalanced time, which the kernel's clock advances), for comparing two
// versions of a nexthop. It returns n itself when there are none.
func (n *Nexthop) Stable() *Nexthop {
	if n.Resilient == nil || n.Resilient.UnbalancedTime == 0 {
		return n
	}
	c := *n
	r := *n.Resilient
	r.UnbalancedTime = 0
	c.Resilient = &r
	return &c
}

// String describes n in the words of `ip nexthop show`, with interface
// indexes for names: "id 100 via 192.0.2.2 dev #3 scope link proto static".
func (n *Nexthop) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "id %d", n.ID)
	if len(n.Group) > 0 {
		b.WriteString(" group ")
		for i, m := range n.Group {
			if i > 0 {
				b.WriteByte('/')
			}
			b.WriteString(strconv.FormatUint(uint64(m.ID), 10))
			if m.Weight > 1 {
				b.WriteString("," + strconv.FormatUint(uint64(m.Weight), 10))
			}
		}
		if n.GroupType != GroupMpath {
			b.WriteString(" type " + n.GroupType.String())
		}
		if r := n.Resilient; r != nil {
			fmt.Fprintf(&b, " buckets %d idle_timer %s unbalanced_timer %s", r.Buckets, clockSeconds(r.IdleTimer), clockSeconds(r.UnbalancedTimer))
		}
	}
	if n.Blackhole {
		b.WriteString(" blackhole")
	}
	if n.Gateway.IsValid() {
		b.WriteString(" via " + n.Gateway.String())
	}
	if n.OIF != 0 {
		fmt.Fprintf(&b, " dev #%d", n.OIF)
	}
	if n.Scope != 0 && len(n.Group) == 0 && !n.Blackhole {
		b.WriteString(" scope " + n.Scope.String())
	}
	if n.Protocol != 0 {
		b.WriteString(" proto " + n.Protocol.String())
	}
	if n.Flags&unix.RTNH_F_ONLINK != 0 {
		b.WriteString(" onlink")
	}
	if n.FDB {
		b.WriteString(" fdb")
	}
	return b.String()
}

// clockSeconds prints d in seconds as ip does for clock_t values.
func clockSeconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

func clockToDuration(ticks uint64) time.Duration {
	return time.Duration(ticks) * (time.Second / userHZ)
}

func durationToClock(d time.Duration) uint64 {
	return uint64(d / (time.Second / userHZ))
}

// decode decodes an nhmsg and its attributes.
func (n *Nexthop) decode(b []byte) error {
	if len(b) < nhmsgLen {
		return malformedf("nexthop message of %d bytes", len(b))
	}
	n.Family, n.Scope, n.Protocol = b[0], Scope(b[1]), RouteProtocol(b[2])
	n.Flags = binary.NativeEndian.Uint32(b[4:8])
	var groupType bool
	d := newAttrDecoder(b[nhmsgLen:])
	for d.Next() {
		switch d.Type() {
		case unix.NHA_ID:
			n.ID = d.Uint32()
		case unix.NHA_GROUP:
			g, err := decodeNexthopGroup(d.Data())
			if err != nil {
				return err
			}
			n.Group = g
		case unix.NHA_GROUP_TYPE:
			n.GroupType, groupType = NexthopGroupType(d.Uint16()), true
		case unix.NHA_BLACKHOLE:
			n.Blackhole = true
		case unix.NHA_OIF:
			n.OIF = d.Uint32()
		case unix.NHA_GATEWAY:
			switch len(d.Data()) {
			case 4, 16:
				n.Gateway = addrFromSlice(d.Data())
			default:
				return malformedf("nexthop gateway of %d bytes", len(d.Data()))
			}
		case unix.NHA_ENCAP_TYPE:
			n.EncapType = d.Uint16()
		case unix.NHA_ENCAP:
			n.Encap = d.Bytes()
		case nhaFDB:
			n.FDB = true
		case nhaResGroup:
			r, err := decodeResilient(d.Nested())
			if err != nil {
				return err
			}
			n.Resilient = r
		default:
			n.Unknown = append(n.Unknown, d.Attribute())
		}
	}
	if err := d.Err(); err != nil {
		return err
	}
	if (groupType || n.Resilient != nil) && len(n.Group) == 0 {
		return malformedf("nexthop %d has a group type or resilient parameters but no group", n.ID)
	}
	return nil
}

func decodeNexthopGroup(b []byte) ([]NexthopGroupMember, error) {
	if len(b) == 0 || len(b)%nexthopGrpLen != 0 {
		return nil, malformedf("nexthop group of %d bytes", len(b))
	}
	g := make([]NexthopGroupMember, len(b)/nexthopGrpLen)
	for i := range g {
		e := b[i*nexthopGrpLen:]
		g[i] = NexthopGroupMember{
			ID:     binary.NativeEndian.Uint32(e[0:4]),
			Weight: (uint32(e[5])<<8 | uint32(e[4])) + 1,
		}
	}
	return g, nil
}

func decodeResilient(d attrDecoder) (*NexthopResilient, error) {
	r := new(NexthopResilient)
	for d.Next() {
		switch d.Type() {
		case nhaResBuckets:
			r.Buckets = d.Uint16()
		case nhaResIdle:
			r.IdleTimer = clockToDuration(uint64(d.Uint32()))
		case nhaResUnbTimer:
			r.UnbalancedTimer = clockToDuration(uint64(d.Uint32()))
		case nhaResUnbTime:
			if len(d.Data()) != 8 {
				return nil, malformedf("resilient group unbalanced time of %d bytes", len(d.Data()))
			}
			ticks := binary.NativeEndian.Uint64(d.Data())
			if ticks > math.MaxInt64/uint64(time.Second/userHZ) {
				return nil, malformedf("resilient group unbalanced time of %d ticks", ticks)
			}
			r.UnbalancedTime = clockToDuration(ticks)
		}
	}
	return r, d.Err()
}

// appendMessage encodes n with the header fields given (scope and family
// are the caller's choice: requests send scope 0).
func (n *Nexthop) appendMessage(b []byte, family uint8, scope Scope) ([]byte, error) {
	b = append(b, family, uint8(scope), uint8(n.Protocol), 0)
	e := attrEncoder{b: binary.NativeEndian.AppendUint32(b, n.Flags)}
	if n.ID != 0 {
		e.Uint32(unix.NHA_ID, n.ID)
	}
	if len(n.Group) > 0 {
		g := make([]byte, 0, len(n.Group)*nexthopGrpLen)
		for _, m := range n.Group {
			w := max(m.Weight, 1) - 1
			g = binary.NativeEndian.AppendUint32(g, m.ID)
			g = append(g, uint8(w), uint8(w>>8), 0, 0)
		}
		e.Bytes(unix.NHA_GROUP, g)
		e.Uint16(unix.NHA_GROUP_TYPE, uint16(n.GroupType))
		if r := n.Resilient; r != nil {
			off := e.Nest(nhaResGroup | attrNested)
			if r.Buckets != 0 {
				e.Uint16(nhaResBuckets, r.Buckets)
			}
			e.Uint32(nhaResIdle, uint32(durationToClock(r.IdleTimer)))
			e.Uint32(nhaResUnbTimer, uint32(durationToClock(r.UnbalancedTimer)))
			if r.UnbalancedTime != 0 {
				e.Bytes(nhaResUnbTime, binary.NativeEndian.AppendUint64(nil, durationToClock(r.UnbalancedTime)))
			}
			e.End(off)
		}
	}
	if n.Blackhole {
		e.Bytes(unix.NHA_BLACKHOLE, nil)
	}
	if n.OIF != 0 {
		e.Uint32(unix.NHA_OIF, n.OIF)
	}
	if n.Gateway.IsValid() {
		e.Addr(unix.NHA_GATEWAY, n.Gateway)
	}
	if n.EncapType != 0 {
		e.Uint16(unix.NHA_ENCAP_TYPE, n.EncapType)
	}
	if n.Encap != nil {
		e.Bytes(unix.NHA_ENCAP|attrNested, n.Encap)
	}
	if n.FDB {
		e.Bytes(nhaFDB, nil)
	}
	for _, a := range n.Unknown {
		e.Bytes(a.Type, a.Data)
	}
	return e.b, e.err
}

// marshal encodes n completely, as the kernel would send it.
func (n *Nexthop) marshal() ([]byte, error) {
	return n.appendMessage(nil, n.Family, n.Scope)
}

// nexthopObject names a nexthop for errors and plans.
func nexthopObject(n *Nexthop) string {
	if n == nil {
		return "nexthop <nil>"
	}
	return "nexthop " + n.String()
}

// NexthopRequest prepares a request that adds, replaces or deletes the
// nexthop n (Add, Replace or Delete), as `ip nexthop add|replace|del` does.
// It validates n first (the kernel's rules from net/ipv4/nexthop.c,
// rtm_to_nh_config): a nexthop is exactly one of a group, a blackhole, or a
// device with an optional gateway (an FDB nexthop may have a gateway
// only); a group has distinct, non-zero member ids with weights up to
// 65536 and no device, gateway or encapsulation; resilient parameters need
// a resilient group; only the onlink flag can be sent; Replace and Delete
// need an id. Delete sends only the id.
func NexthopRequest(v Verb, n *Nexthop) Request {
	return newRequest(v, KindNexthop, nexthopObject(n), func() ([]byte, error) {
		if n == nil {
			return nil, invalidf("nil nexthop")
		}
		switch v {
		case Add, Replace:
		case Delete:
			if n.ID == 0 {
				return nil, invalidf("deleting a nexthop needs its id")
			}
			e := attrEncoder{b: make([]byte, nhmsgLen, 16)}
			e.Uint32(unix.NHA_ID, n.ID)
			return e.b, e.err
		default:
			return nil, invalidf("nexthops can only be added, replaced or deleted, not %s", v)
		}
		family, err := n.validate(v)
		if err != nil {
			return nil, err
		}
		req := *n
		req.Resilient = nil
		if r := n.Resilient; r != nil {
			c := *r
			c.UnbalancedTime = 0
			req.Resilient = &c
		}
		return req.appendMessage(make([]byte, 0, 64), family, 0)
	})
}

// validate checks n for an add or replace and returns the nhmsg family to
// send.
func (n *Nexthop) validate(v Verb) (uint8, error) {
	if v == Replace && n.ID == 0 {
		return 0, invalidf("replacing a nexthop needs its id")
	}
	if n.Flags&^unix.RTNH_F_ONLINK != 0 {
		return 0, invalidf("nexthop flags %#x: only onlink can be set", n.Flags)
	}
	if n.Family != 0 && n.Family != unix.AF_INET && n.Family != unix.AF_INET6 {
		return 0, invalidf("nexthop family %d (want AF_INET, AF_INET6 or 0)", n.Family)
	}
	if n.Scope != 0 {
		return 0, invalidf("nexthop scope is set by the kernel and cannot be sent")
	}
	if len(n.Group) > 0 {
		if n.Blackhole || n.OIF != 0 || n.Gateway.IsValid() || n.EncapType != 0 || n.Encap != nil || n.Flags != 0 {
			return 0, invalidf("nexthop group %d: a group has members only (no blackhole, dev, gateway, encap or onlink)", n.ID)
		}
		if n.GroupType != GroupMpath && n.GroupType != GroupResilient {
			return 0, invalidf("nexthop group type %d", n.GroupType)
		}
		if n.Resilient != nil && n.GroupType != GroupResilient {
			return 0, invalidf("resilient parameters on a %s group", n.GroupType)
		}
		if n.Family != 0 {
			return 0, invalidf("nexthop group %d: a group has no family", n.ID)
		}
		seen := make(map[uint32]bool, len(n.Group))
		for _, m := range n.Group {
			switch {
			case m.ID == 0:
				return 0, invalidf("nexthop group member with id 0")
			case m.ID == n.ID:
				return 0, invalidf("nexthop group %d contains itself", n.ID)
			case seen[m.ID]:
				return 0, invalidf("nexthop group member %d listed twice", m.ID)
			case m.Weight > 65536:
				return 0, invalidf("nexthop group member %d: weight %d above 65536", m.ID, m.Weight)
			}
			seen[m.ID] = true
		}
		return 0, nil
	}
	if n.GroupType != 0 || n.Resilient != nil {
		return 0, invalidf("nexthop %d: a group type without members", n.ID)
	}
	if n.Blackhole {
		if n.OIF != 0 || n.Gateway.IsValid() || n.EncapType != 0 || n.Encap != nil || n.Flags != 0 || n.FDB {
			return 0, invalidf("blackhole nexthop %d has no dev, gateway, encap, onlink or fdb", n.ID)
		}
		return cmp.Or(n.Family, unix.AF_INET), nil
	}
	family := n.Family
	if n.Gateway.IsValid() {
		gf := uint8(unix.AF_INET)
		if !n.Gateway.Is4() {
			gf = unix.AF_INET6
		}
		if family == 0 {
			family = gf
		}
		if family != gf {
			return 0, invalidf("nexthop gateway %s does not match family %d", n.Gateway, family)
		}
	}
	switch {
	case n.FDB && n.OIF != 0:
		return 0, invalidf("fdb nexthop %d has no dev", n.ID)
	case n.FDB && !n.Gateway.IsValid():
		return 0, invalidf("fdb nexthop %d needs a gateway", n.ID)
	case !n.FDB && n.OIF == 0:
		return 0, invalidf("nexthop %d needs a dev, a group or blackhole", n.ID)
	}
	return cmp.Or(family, unix.AF_INET), nil
}

// NexthopAdd adds n (`ip nexthop add`).
func (c *Conn) NexthopAdd(ctx context.Context, n *Nexthop) error {
	return c.Do(ctx, NexthopRequest(Add, n))
}

// NexthopReplace adds n or replaces the nexthop with its id (`ip nexthop
// replace`). Routes using it follow the new version.
func (c *Conn) NexthopReplace(ctx context.Context, n *Nexthop) error {
	return c.Do(ctx, NexthopRequest(Replace, n))
}

// NexthopDel deletes the nexthop with n's id. The kernel also removes the
// routes that use it and shrinks the groups that contain it, without a
// notification for either (net/ipv4/nexthop.c, remove_nexthop).
func (c *Conn) NexthopDel(ctx context.Context, n *Nexthop) error {
	return c.Do(ctx, NexthopRequest(Delete, n))
}

// NexthopFilter selects nexthops in NexthopDump and Nexthops. Zero fields
// match everything. Every field is sent to the kernel (nh_valid_dump_req)
// and applied here again: the kernel accepts NHA_FDB in a dump request
// but, up to 6.18 at least, does not filter by it.
type NexthopFilter struct {
	// Family keeps nexthops of this nh_family.
	Family uint8
	// OIF keeps nexthops whose device is this interface index (NHA_OIF).
	OIF uint32
	// Master keeps nexthops whose device is enslaved to this interface
	// index (NHA_MASTER).
	Master uint32
	// Groups keeps only groups (NHA_GROUPS).
	Groups bool
	// FDB keeps only FDB nexthops (NHA_FDB).
	FDB bool
}

// Match reports whether n passes the filter. A nil filter matches all.
// Master cannot be checked without the links, so it is the kernel's alone.
func (f *NexthopFilter) Match(n *Nexthop) bool {
	return f == nil || ((f.Family == 0 || n.Family == f.Family) && (f.OIF == 0 || n.OIF == f.OIF) &&
		(!f.Groups || n.IsGroup()) && (!f.FDB || n.FDB))
}

func (f *NexthopFilter) request() []byte {
	e := attrEncoder{b: make([]byte, nhmsgLen, 32)}
	if f == nil {
		return e.b
	}
	e.b[0] = f.Family
	if f.OIF != 0 {
		e.Uint32(unix.NHA_OIF, f.OIF)
	}
	if f.Master != 0 {
		e.Uint32(unix.NHA_MASTER, f.Master)
	}
	if f.Groups {
		e.Bytes(unix.NHA_GROUPS, nil)
	}
	if f.FDB {
		e.Bytes(nhaFDB, nil)
	}
	return e.b
}

// NexthopDump streams the nexthops that match f (nil: all) to fn, one
// freshly allocated *Nexthop per call, owned by fn, in the kernel's order
// (by id).
func (c *Conn) NexthopDump(ctx context.Context, f *NexthopFilter, fn func(*Nexthop) error) error {
	return c.nexthopDump(ctx, f, nil, fn)
}

func (c *Conn) nexthopDump(ctx context.Context, f *NexthopFilter, restart func(), fn func(*Nexthop) error) error {
	return c.dump(ctx, "nexthops", KindNexthop.row().getType, f.request(), restart, func(p []byte) error {
		n := new(Nexthop)
		if err := n.decode(p); err != nil {
			return err
		}
		if !f.Match(n) {
			return nil
		}
		return fn(n)
	})
}

// Nexthops returns the nexthops that match f (nil: all of them), by id.
func (c *Conn) Nexthops(ctx context.Context, f *NexthopFilter) ([]*Nexthop, error) {
	var out []*Nexthop
	err := c.nexthopDump(ctx, f, func() { out = out[:0] }, func(n *Nexthop) error {
		out = append(out, n)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// NexthopByID asks the kernel for the nexthop with this id (`ip nexthop get
// id ID`). A missing nexthop is an *OpError wrapping unix.ENOENT.
func (c *Conn) NexthopByID(ctx context.Context, id uint32) (*Nexthop, error) {
	if id == 0 {
		return nil, &OpError{Op: "get", Object: "nexthop", Err: invalidf("nexthop id 0")}
	}
	e := attrEncoder{b: make([]byte, nhmsgLen, 16)}
	e.Uint32(unix.NHA_ID, id)
	var got *Nexthop
	err := c.get(ctx, "nexthop id "+strconv.FormatUint(uint64(id), 10), KindNexthop.row().getType, e.b, func(p []byte) error {
		n := new(Nexthop)
		if err := n.decode(p); err != nil {
			return err
		}
		got = n
		return nil
	})
	if err != nil {
		return nil, err
	}
	return got, nil
}

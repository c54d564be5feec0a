package netlink

import (
	"context"
	"encoding/binary"
	"fmt"
	"iter"
	"net/netip"
	"strings"
	"time"

	nl "github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Constants of linux/if_addr.h that golang.org/x/sys/unix lacks.
const (
	ifaProto = 0xb // IFA_PROTO: u8, originator of the address (IFAPROT_*)

	// AddrProtoKernelLo is IFAPROT_KERNEL_LO: loopback address set by the kernel.
	AddrProtoKernelLo = 1
	// AddrProtoKernelRA is IFAPROT_KERNEL_RA: set from a router advertisement.
	AddrProtoKernelRA = 2
	// AddrProtoKernelLL is IFAPROT_KERNEL_LL: link-local address set by the kernel.
	AddrProtoKernelLL = 3
)

// LifetimeForever is the lifetime of an address that never expires
// (INFINITY_LIFE_TIME).
const LifetimeForever = 0xffffffff

const (
	ifaddrmsgLen     = 8
	ifaCacheinfoLen  = 16
	addrLabelMaxSize = 15 // IFNAMSIZ - 1
)

// Addr is an interface address (struct ifaddrmsg and its IFA_* attributes).
type Addr struct {
	// Family is unix.AF_INET or unix.AF_INET6.
	Family uint8
	// Index is the interface index of the link the address is on.
	Index int
	// Prefix is the local address and the prefix length (IFA_LOCAL, or
	// IFA_ADDRESS where the kernel sends no IFA_LOCAL, and ifa_prefixlen).
	// The address bits beyond the prefix length are kept: 192.0.2.1/24.
	Prefix netip.Prefix
	// Peer is the remote address of a point-to-point address (IFA_ADDRESS
	// where it differs from IFA_LOCAL); invalid otherwise.
	Peer netip.Addr
	// Broadcast is the IPv4 broadcast address (IFA_BROADCAST), if any.
	Broadcast netip.Addr
	// Anycast is IFA_ANYCAST, if any.
	Anycast netip.Addr
	// Label is the IPv4 address label (IFA_LABEL), by default the link name;
	// ip(8) requires it to start with the link name ("eth0:1").
	Label string
	// Scope is the address scope (unix.RT_SCOPE_UNIVERSE, _SITE, _LINK,
	// _HOST, _NOWHERE).
	Scope uint8
	// Flags are the IFA_F_* flags: IFA_FLAGS where present, otherwise the
	// 8-bit ifa_flags of the header.
	Flags uint32
	// ValidLifetime and PreferredLifetime are the remaining lifetimes in
	// seconds (IFA_CACHEINFO), LifetimeForever for a permanent address. In
	// requests both zero means "not given" (the kernel makes the address
	// permanent); otherwise both are sent as they are.
	ValidLifetime     uint32
	PreferredLifetime uint32
	// Created and Updated are the creation and last-update times in
	// hundredths of a second since boot (IFA_CACHEINFO); kernel-only.
	Created uint32
	Updated uint32
	// ValidUntil and PreferredUntil are the deadlines the lifetimes count
	// down to: when the message was received plus ValidLifetime and
	// PreferredLifetime. The kernel sends remaining seconds, computed when
	// it sends (inet_fill_ifaddr, inet6_fill_ifaddr), so two messages
	// about an unchanged address differ in them but not in the deadline.
	// Zero for a permanent lifetime, and unless the receiver set them:
	// decoding leaves them zero, package ipdb sets them (SetDeadlines).
	ValidUntil, PreferredUntil time.Time
	// Metric is the priority of the prefix route (IFA_RT_PRIORITY).
	Metric uint32
	// Proto is the originator of the address (IFA_PROTO, AddrProto*), 0 if
	// unspecified.
	Proto uint8
	// Unknown holds the attributes this package does not decode.
	Unknown []Attribute
}

// Kind implements Object.
func (*Addr) Kind() Kind { return KindAddr }

var addrFlagNames = []bitName{
	{unix.IFA_F_SECONDARY, "secondary"},
	{unix.IFA_F_NODAD, "nodad"},
	{unix.IFA_F_OPTIMISTIC, "optimistic"},
	{unix.IFA_F_DADFAILED, "dadfailed"},
	{unix.IFA_F_HOMEADDRESS, "home"},
	{unix.IFA_F_DEPRECATED, "deprecated"},
	{unix.IFA_F_TENTATIVE, "tentative"},
	{unix.IFA_F_PERMANENT, "permanent"},
	{unix.IFA_F_MANAGETEMPADDR, "mngtmpaddr"},
	{unix.IFA_F_NOPREFIXROUTE, "noprefixroute"},
	{unix.IFA_F_MCAUTOJOIN, "autojoin"},
	{unix.IFA_F_STABLE_PRIVACY, "stable-privacy"},
}

// AddrFlagWords yields each IFA_F_* flag with ip(8)'s word for it, in the
// order ip prints them (ifa_flag_data in iproute2's ipaddress.c).
func AddrFlagWords() iter.Seq2[uint32, string] {
	return func(yield func(uint32, string) bool) {
		for _, f := range addrFlagNames {
			if !yield(f.bit, f.name) {
				return
			}
		}
	}
}

// AddrFlagNames returns the ip(8) names of the IFA_F_* flags set in flags
// ("secondary" is "temporary" for IPv6, as ip prints it); flags without a
// name are returned as one hexadecimal number.
func AddrFlagNames(family uint8, flags uint32) []string {
	names, rest := appendBitNames(nil, flags, addrFlagNames)
	if family == unix.AF_INET6 && flags&unix.IFA_F_SECONDARY != 0 {
		names[0] = "temporary" // the first entry of the table
	}
	if rest != 0 {
		names = append(names, fmt.Sprintf("%#x", rest))
	}
	return names
}

func addrFamilyName(f uint8) string {
	switch f {
	case unix.AF_INET:
		return "inet"
	case unix.AF_INET6:
		return "inet6"
	}
	return fmt.Sprintf("family%d", f)
}

// String describes the address as `ip addr show` does, e.g.
// "inet 192.0.2.1/24 brd 192.0.2.255 scope global eth0 dev 2".
func (a *Addr) String() string {
	var b strings.Builder
	b.WriteString(addrFamilyName(a.Family))
	b.WriteByte(' ')
	if a.Prefix.IsValid() {
		if a.Peer.IsValid() {
			fmt.Fprintf(&b, "%s peer %s/%d", a.Prefix.Addr(), a.Peer, a.Prefix.Bits())
		} else {
			b.WriteString(a.Prefix.String())
		}
	} else {
		b.WriteString("none")
	}
	if a.Broadcast.IsValid() {
		fmt.Fprintf(&b, " brd %s", a.Broadcast)
	}
	if a.Anycast.IsValid() {
		fmt.Fprintf(&b, " any %s", a.Anycast)
	}
	if a.Metric != 0 {
		fmt.Fprintf(&b, " metric %d", a.Metric)
	}
	fmt.Fprintf(&b, " scope %s", AddrScopeName(a.Scope))
	for _, n := range AddrFlagNames(a.Family, a.Flags) {
		b.WriteByte(' ')
		b.WriteString(n)
	}
	if a.Label != "" {
		fmt.Fprintf(&b, " %s", a.Label)
	}
	fmt.Fprintf(&b, " dev %d", a.Index)
	if a.ValidLifetime != 0 || a.PreferredLifetime != 0 {
		fmt.Fprintf(&b, " valid_lft %s preferred_lft %s", addrLifetime(a.ValidLifetime), addrLifetime(a.PreferredLifetime))
	}
	return b.String()
}

// SetDeadlines sets ValidUntil and PreferredUntil from the remaining
// lifetimes as of received, the time the message was read.
func (a *Addr) SetDeadlines(received time.Time) {
	deadline := func(left uint32) time.Time {
		if left == LifetimeForever || left == 0 && a.ValidLifetime == 0 && a.PreferredLifetime == 0 {
			return time.Time{}
		}
		return received.Add(time.Duration(left) * time.Second)
	}
	a.ValidUntil, a.PreferredUntil = deadline(a.ValidLifetime), deadline(a.PreferredLifetime)
}

// Remaining returns the valid and preferred lifetimes left at now, in
// seconds, as ip(8) prints them: from the deadlines when they are set
// (never below 0), otherwise the lifetimes as received. LifetimeForever
// stays LifetimeForever.
func (a *Addr) Remaining(now time.Time) (valid, preferred uint32) {
	left := func(lft uint32, until time.Time) uint32 {
		if lft == LifetimeForever || until.IsZero() {
			return lft
		}
		d := until.Sub(now)
		if d <= 0 {
			return 0
		}
		// Rounded up, as the kernel's remaining time is (lft minus the
		// whole seconds gone) and the deadline was taken from a value
		// rounded down when sent.
		return uint32((d + time.Second - 1) / time.Second)
	}
	return left(a.ValidLifetime, a.ValidUntil), left(a.PreferredLifetime, a.PreferredUntil)
}

func addrLifetime(v uint32) string {
	if v == LifetimeForever {
		return "forever"
	}
	return fmt.Sprintf("%dsec", v)
}

// addrIP decodes an address attribute of 4 or 16 bytes.
func addrIP(b []byte, what string) (netip.Addr, error) {
	switch len(b) {
	case 4:
		return netip.AddrFrom4([4]byte(b)), nil
	case 16:
		return netip.AddrFrom16([16]byte(b)), nil
	}
	return netip.Addr{}, malformedf("%s of %d bytes", what, len(b))
}

// decode decodes an RTM_NEWADDR/RTM_DELADDR payload.
func (a *Addr) decode(b []byte) error {
	if len(b) < ifaddrmsgLen {
		return malformedf("ifaddrmsg of %d bytes", len(b))
	}
	*a = Addr{
		Family: b[0],
		Scope:  b[3],
		Flags:  uint32(b[2]),
		Index:  int(binary.NativeEndian.Uint32(b[4:8])),
	}
	prefixLen := int(b[1])
	ad, err := nl.NewAttributeDecoder(b[ifaddrmsgLen:])
	if err != nil {
		return malformedf("addr attributes: %v", err)
	}
	var (
		local, address netip.Addr
		derr           error
	)
	ip := func(what string) netip.Addr {
		v, err := addrIP(ad.Bytes(), what)
		if err != nil && derr == nil {
			derr = err
		}
		return v
	}
	for ad.Next() {
		switch ad.Type() {
		case unix.IFA_ADDRESS:
			address = ip("IFA_ADDRESS")
		case unix.IFA_LOCAL:
			local = ip("IFA_LOCAL")
		case unix.IFA_BROADCAST:
			a.Broadcast = ip("IFA_BROADCAST")
		case unix.IFA_ANYCAST:
			a.Anycast = ip("IFA_ANYCAST")
		case unix.IFA_LABEL:
			a.Label = ad.String()
		case unix.IFA_CACHEINFO:
			ci := ad.Bytes()
			if len(ci) < ifaCacheinfoLen {
				if derr == nil {
					derr = malformedf("IFA_CACHEINFO of %d bytes", len(ci))
				}
				continue
			}
			a.PreferredLifetime = binary.NativeEndian.Uint32(ci[0:4])
			a.ValidLifetime = binary.NativeEndian.Uint32(ci[4:8])
			a.Created = binary.NativeEndian.Uint32(ci[8:12])
			a.Updated = binary.NativeEndian.Uint32(ci[12:16])
		case unix.IFA_FLAGS:
			a.Flags = ad.Uint32()
		case unix.IFA_RT_PRIORITY:
			a.Metric = ad.Uint32()
		case ifaProto:
			a.Proto = ad.Uint8()
		default:
			a.Unknown = append(a.Unknown, Attribute{Type: ad.Type() | ad.TypeFlags(), Data: ad.Bytes()})
		}
	}
	if err := ad.Err(); err != nil {
		return malformedf("addr attributes: %v", err)
	}
	if derr != nil {
		return derr
	}
	if !local.IsValid() {
		local, address = address, netip.Addr{}
	}
	if address.IsValid() && address != local {
		a.Peer = address
	}
	if local.IsValid() {
		if prefixLen > local.BitLen() {
			return malformedf("prefix length %d for %s", prefixLen, local)
		}
		a.Prefix = netip.PrefixFrom(local, prefixLen)
	}
	return nil
}

// marshal encodes every field, as the kernel would send the address.
func (a *Addr) marshal() ([]byte, error) { return a.encode(false) }

// encode builds the ifaddrmsg and attributes. A request leaves out the
// kernel-only fields and sends IFA_CACHEINFO only when lifetimes are given.
func (a *Addr) encode(request bool) ([]byte, error) {
	hdr := make([]byte, ifaddrmsgLen)
	hdr[0] = a.Family
	if a.Prefix.IsValid() {
		hdr[1] = uint8(a.Prefix.Bits())
	}
	hdr[2] = uint8(a.Flags)
	hdr[3] = a.Scope
	binary.NativeEndian.PutUint32(hdr[4:8], uint32(a.Index))

	ae := nl.NewAttributeEncoder()
	if a.Prefix.IsValid() {
		local := a.Prefix.Addr().AsSlice()
		ae.Bytes(unix.IFA_LOCAL, local)
		if a.Peer.IsValid() {
			ae.Bytes(unix.IFA_ADDRESS, a.Peer.AsSlice())
		} else {
			ae.Bytes(unix.IFA_ADDRESS, local)
		}
	} else if a.Peer.IsValid() {
		// Not produced by decode; kept so that nothing is lost.
		ae.Bytes(unix.IFA_ADDRESS, a.Peer.AsSlice())
	}
	if a.Broadcast.IsValid() {
		ae.Bytes(unix.IFA_BROADCAST, a.Broadcast.AsSlice())
	}
	if a.Anycast.IsValid() {
		ae.Bytes(unix.IFA_ANYCAST, a.Anycast.AsSlice())
	}
	if a.Label != "" {
		ae.String(unix.IFA_LABEL, a.Label)
	}
	if !request || a.ValidLifetime != 0 || a.PreferredLifetime != 0 {
		ci := make([]byte, ifaCacheinfoLen)
		binary.NativeEndian.PutUint32(ci[0:4], a.PreferredLifetime)
		binary.NativeEndian.PutUint32(ci[4:8], a.ValidLifetime)
		if !request {
			binary.NativeEndian.PutUint32(ci[8:12], a.Created)
			binary.NativeEndian.PutUint32(ci[12:16], a.Updated)
		}
		ae.Bytes(unix.IFA_CACHEINFO, ci)
	}
	if !request || a.Flags > 0xff {
		ae.Uint32(unix.IFA_FLAGS, a.Flags)
	}
	if a.Metric != 0 {
		ae.Uint32(unix.IFA_RT_PRIORITY, a.Metric)
	}
	if a.Proto != 0 {
		ae.Uint8(ifaProto, a.Proto)
	}
	if !request {
		for _, u := range a.Unknown {
			ae.Bytes(u.Type, u.Data)
		}
	}
	attrs, err := ae.Encode()
	if err != nil {
		return nil, invalidf("addr attributes: %v", err)
	}
	return append(hdr, attrs...), nil
}

// validate checks an address for a request of verb v.
func (a *Addr) validate(v Verb) error {
	if a.Index <= 0 {
		return invalidf("address without link index")
	}
	if !a.Prefix.IsValid() {
		return invalidf("address without a valid prefix")
	}
	local := a.Prefix.Addr()
	fam := uint8(unix.AF_INET)
	if !local.Is4() {
		fam = unix.AF_INET6
	}
	if local.Is4In6() {
		return invalidf("IPv4-mapped IPv6 address %s", local)
	}
	if a.Family != 0 && a.Family != fam {
		return invalidf("family %d does not match address %s", a.Family, local)
	}
	for _, o := range []struct {
		name string
		ip   netip.Addr
	}{{"peer", a.Peer}, {"broadcast", a.Broadcast}, {"anycast", a.Anycast}} {
		if o.ip.IsValid() && (o.ip.Is4() != local.Is4() || o.ip.Is4In6()) {
			return invalidf("%s %s does not match the family of %s", o.name, o.ip, local)
		}
	}
	if a.Broadcast.IsValid() && fam != unix.AF_INET {
		return invalidf("broadcast address on IPv6 address %s", local)
	}
	if a.Label != "" {
		if fam != unix.AF_INET {
			return invalidf("label %q on IPv6 address %s: labels are IPv4-only", a.Label, local)
		}
		if len(a.Label) > addrLabelMaxSize {
			return invalidf("label %q longer than %d bytes", a.Label, addrLabelMaxSize)
		}
		if strings.IndexByte(a.Label, 0) >= 0 {
			return invalidf("label %q contains a NUL byte", a.Label)
		}
	}
	if v != Delete && (a.ValidLifetime != 0 || a.PreferredLifetime != 0) {
		if a.ValidLifetime == 0 {
			return invalidf("valid lifetime zero with preferred lifetime %d", a.PreferredLifetime)
		}
		if a.PreferredLifetime > a.ValidLifetime {
			return invalidf("preferred lifetime %d greater than valid lifetime %d", a.PreferredLifetime, a.ValidLifetime)
		}
	}
	return nil
}

func (a *Addr) object() string {
	if a == nil {
		return "addr"
	}
	return fmt.Sprintf("addr %s dev %d", a.Prefix, a.Index)
}

// AddrRequest builds a request that adds (Add), replaces (Replace), changes
// (Change) or deletes (Delete) address a. Family may be zero; it is taken
// from the prefix. Kernel-only fields (Created, Updated, Unknown) are not
// sent; IFA_FLAGS is sent only when a flag beyond the 8-bit header is set.
// Invalid input (no link index, an invalid prefix, a peer, broadcast or
// anycast address of another family, an IPv6 label or one over 15 bytes, a
// preferred lifetime above the valid one) makes a Request that reports
// ErrInvalid and sends nothing.
func AddrRequest(v Verb, a *Addr) Request {
	return newRequest(v, KindAddr, a.object(), func() ([]byte, error) {
		if a == nil {
			return nil, invalidf("nil address")
		}
		switch v {
		case Add, Replace, Change, Delete:
		default:
			return nil, invalidf("verb %s does not apply to addresses", v)
		}
		if err := a.validate(v); err != nil {
			return nil, err
		}
		req := *a
		if req.Prefix.Addr().Is4() {
			req.Family = unix.AF_INET
		} else {
			req.Family = unix.AF_INET6
		}
		return req.encode(true)
	})
}

// AddrAdd adds an address (`ip addr add`); it fails with EEXIST if the
// address exists.
func (c *Conn) AddrAdd(ctx context.Context, a *Addr) error {
	return c.Do(ctx, AddrRequest(Add, a))
}

// AddrReplace adds an address or updates the existing one (`ip addr
// replace`): flags, lifetimes, metric, broadcast.
func (c *Conn) AddrReplace(ctx context.Context, a *Addr) error {
	return c.Do(ctx, AddrRequest(Replace, a))
}

// AddrChange updates an existing address (`ip addr change`).
func (c *Conn) AddrChange(ctx context.Context, a *Addr) error {
	return c.Do(ctx, AddrRequest(Change, a))
}

// AddrDel deletes an address (`ip addr del`).
func (c *Conn) AddrDel(ctx context.Context, a *Addr) error {
	return c.Do(ctx, AddrRequest(Delete, a))
}

// AddrFilter selects addresses in AddrDump. The zero value selects all.
type AddrFilter struct {
	// Family, if not zero, is unix.AF_INET or unix.AF_INET6.
	Family uint8
	// Index, if not zero, keeps the addresses of this link (filtered in the
	// kernel where strict checking is on).
	Index int
	// Label, if not empty, keeps the IPv4 addresses with this label.
	Label string
	// Scope, when HasScope is true, keeps the addresses of this scope.
	Scope    uint8
	HasScope bool
}

func (f *AddrFilter) match(a *Addr) bool {
	if f == nil {
		return true
	}
	return (f.Family == 0 || a.Family == f.Family) &&
		(f.Index == 0 || a.Index == f.Index) &&
		(f.Label == "" || a.Label == f.Label) &&
		(!f.HasScope || a.Scope == f.Scope)
}

// AddrDump streams the addresses that match f (nil for all) to fn, one
// freshly allocated *Addr per call. If the dump is interrupted by
// concurrent changes it is repeated, so fn may see an address again.
func (c *Conn) AddrDump(ctx context.Context, f *AddrFilter, fn func(*Addr) error) error {
	return c.addrDump(ctx, f, nil, fn)
}

func (c *Conn) addrDump(ctx context.Context, f *AddrFilter, restart func(), fn func(*Addr) error) error {
	req := make([]byte, ifaddrmsgLen)
	object := "addr"
	if f != nil {
		if f.Family != 0 && f.Family != unix.AF_INET && f.Family != unix.AF_INET6 {
			return &OpError{Op: "dump", Object: object, Err: invalidf("address family %d", f.Family)}
		}
		if f.Index < 0 {
			return &OpError{Op: "dump", Object: object, Err: invalidf("link index %d", f.Index)}
		}
		req[0] = f.Family
		if c.strict {
			binary.NativeEndian.PutUint32(req[4:8], uint32(f.Index))
		}
		if f.Index != 0 {
			object = fmt.Sprintf("addr dev %d", f.Index)
		}
	}
	return c.dump(ctx, object, KindAddr.row().getType, req, restart, func(p []byte) error {
		a := new(Addr)
		if err := a.decode(p); err != nil {
			return err
		}
		if !f.match(a) {
			return nil
		}
		return fn(a)
	})
}

// Addrs returns the addresses that match f (nil for all).
func (c *Conn) Addrs(ctx context.Context, f *AddrFilter) ([]*Addr, error) {
	var out []*Addr
	err := c.addrDump(ctx, f, func() { out = out[:0] }, func(a *Addr) error {
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

package netlink

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"

	nl "github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// LinkInfo is a link's kind and kind data (IFLA_LINKINFO).
//
// In requests only Kind and Data are sent, and on a set request only if
// Info is not nil: leave Info nil to change plain attributes of a link
// whose kind cannot change its data (tun, veth).
type LinkInfo struct {
	// InfoKind is IFLA_INFO_KIND: "bridge", "veth", "vxlan", "macvlan", "vlan",
	// "bond", "dummy", "tun" (for tun and tap), "vrf", "ifb"... In requests
	// it may be left empty when Data says it.
	InfoKind string
	// Data is the decoded IFLA_INFO_DATA: *Bridge, *Veth, *Vxlan, *Macvlan,
	// *Vlan, *Bond, *Tuntap, *Vrf, *Gre (gre, gretap, erspan and their ip6
	// kinds), *IPTun (ipip, sit, ip6tnl), *Vti (vti, vti6), *Geneve, or
	// *RawLinkData for other kinds. It is
	// nil when the kernel sent no kind data (dummy, ifb, veth).
	Data LinkData
	// InfoSlaveKind is IFLA_INFO_SLAVE_KIND, the kind of the master a port
	// belongs to ("bridge", "bond"); read-only.
	InfoSlaveKind string
	// SlaveData is the raw IFLA_INFO_SLAVE_DATA (port attributes such as
	// IFLA_BRPORT_*); read-only.
	SlaveData []byte
	// Unknown holds other IFLA_INFO_* attributes (e.g. IFLA_INFO_XSTATS).
	Unknown []Attribute
}

// LinkData is the kind-specific data of a link (IFLA_INFO_DATA). It is
// implemented by *Bridge, *Veth, *Vxlan, *Macvlan, *Vlan, *Bond, *Tuntap,
// *Vrf, *Gre, *IPTun, *Vti, *Geneve and *RawLinkData.
type LinkData interface {
	// InfoKind returns the IFLA_INFO_KIND this data belongs to.
	InfoKind() string
	decode(b []byte) error
	encode(mode linkEncodeMode) ([]byte, error)
	validate(v Verb) error
}

// kinds the kernel knows; LinkRequest rejects others unless their data is raw.
var linkKnownKinds = map[string]bool{
	"bridge": true, "veth": true, "vxlan": true, "macvlan": true, "macvtap": true,
	"vlan": true, "bond": true, "dummy": true, "tun": true, "vrf": true, "ifb": true,
	"ipvlan": true, "ipvtap": true, "geneve": true, "gre": true, "gretap": true,
	"ip6gre": true, "ip6gretap": true, "erspan": true, "ip6erspan": true,
	"ipip": true, "sit": true, "ip6tnl": true, "vti": true, "vti6": true,
	"xfrm": true, "wireguard": true, "nlmon": true, "team": true, "macsec": true,
	"hsr": true, "bareudp": true, "gtp": true, "vcan": true, "vxcan": true,
	"can": true, "batadv": true, "netkit": true, "amt": true, "virt_wifi": true,
	"lowpan": true, "ipoib": true, "rmnet": true, "netdevsim": true,
}

// linkDataTypes is the link-kind table: for each IFLA_INFO_KIND this
// package has a type for, a constructor of its empty kind data. Each row's
// type lives in its own file (link_bridge.go, link_veth.go, ...). Kinds
// without a row decode into RawLinkData.
var linkDataTypes = map[string]func() LinkData{
	"bridge":  func() LinkData { return new(Bridge) },
	"veth":    func() LinkData { return new(Veth) },
	"vxlan":   func() LinkData { return new(Vxlan) },
	"macvlan": func() LinkData { return new(Macvlan) },
	"vlan":    func() LinkData { return new(Vlan) },
	"bond":    func() LinkData { return new(Bond) },
	"tun":     func() LinkData { return new(Tuntap) },
	"vrf":     func() LinkData { return new(Vrf) },
	// The tunnels: link_gre.go, link_iptun.go, link_vti.go, link_geneve.go.
	"gre":       func() LinkData { return &Gre{Kind: "gre"} },
	"gretap":    func() LinkData { return &Gre{Kind: "gretap"} },
	"erspan":    func() LinkData { return &Gre{Kind: "erspan"} },
	"ip6gre":    func() LinkData { return &Gre{Kind: "ip6gre"} },
	"ip6gretap": func() LinkData { return &Gre{Kind: "ip6gretap"} },
	"ip6erspan": func() LinkData { return &Gre{Kind: "ip6erspan"} },
	"ipip":      func() LinkData { return &IPTun{Kind: "ipip"} },
	"sit":       func() LinkData { return &IPTun{Kind: "sit"} },
	"ip6tnl":    func() LinkData { return &IPTun{Kind: "ip6tnl"} },
	"vti":       func() LinkData { return &Vti{Kind: "vti"} },
	"vti6":      func() LinkData { return &Vti{Kind: "vti6"} },
	"geneve":    func() LinkData { return new(Geneve) },
}

// newLinkData returns empty typed data for kind, or raw data.
func newLinkData(kind string) LinkData {
	if f, ok := linkDataTypes[kind]; ok {
		return f()
	}
	return &RawLinkData{LinkKind: kind}
}

// kind returns Kind, or the kind of Data when Kind is empty.
func (i *LinkInfo) kind() string {
	if i.InfoKind == "" && i.Data != nil {
		return i.Data.InfoKind()
	}
	return i.InfoKind
}

// String returns "vxlan id 42 ..." style text.
func (i *LinkInfo) String() string {
	s := i.kind()
	if s == "" {
		s = "?"
	}
	if i.Data != nil {
		if d := fmt.Sprint(i.Data); d != "" {
			s += " " + d
		}
	}
	return s
}

func (i *LinkInfo) decode(b []byte) error {
	ad, err := nl.NewAttributeDecoder(b)
	if err != nil {
		return malformedf("IFLA_LINKINFO: %v", err)
	}
	var data []byte
	hasData := false
	for ad.Next() {
		switch ad.Type() {
		case unix.IFLA_INFO_KIND:
			i.InfoKind = ad.String()
		case unix.IFLA_INFO_DATA:
			data, hasData = ad.Bytes(), true
		case unix.IFLA_INFO_SLAVE_KIND:
			i.InfoSlaveKind = ad.String()
		case unix.IFLA_INFO_SLAVE_DATA:
			i.SlaveData = ad.Bytes()
		default:
			i.Unknown = append(i.Unknown, Attribute{Type: ad.Type() | ad.TypeFlags(), Data: ad.Bytes()})
		}
	}
	if err := ad.Err(); err != nil {
		return malformedf("IFLA_LINKINFO: %v", err)
	}
	if hasData {
		i.Data = newLinkData(i.InfoKind)
		if err := i.Data.decode(data); err != nil {
			return err
		}
	}
	return nil
}

func (i *LinkInfo) encode(mode linkEncodeMode) ([]byte, error) {
	ae := nl.NewAttributeEncoder()
	if k := i.kind(); k != "" && mode == linkEncodeAll {
		ae.String(unix.IFLA_INFO_KIND, k)
	} else if k != "" {
		// Requests carry the kind without a terminating NUL, as ip(8)
		// sends it.
		ae.Bytes(unix.IFLA_INFO_KIND, []byte(k))
	}
	if i.Data != nil {
		ae.Do(unix.IFLA_INFO_DATA, func() ([]byte, error) { return i.Data.encode(mode) })
	}
	if mode == linkEncodeAll {
		if i.InfoSlaveKind != "" {
			ae.String(unix.IFLA_INFO_SLAVE_KIND, i.InfoSlaveKind)
		}
		if i.SlaveData != nil {
			ae.Bytes(unix.IFLA_INFO_SLAVE_DATA, i.SlaveData)
		}
		for _, a := range i.Unknown {
			ae.Bytes(a.Type, a.Data)
		}
	}
	return ae.Encode()
}

func (i *LinkInfo) validate(v Verb) error {
	kind := i.kind()
	if kind == "" {
		return invalidf("link kind missing")
	}
	if strings.IndexByte(kind, 0) >= 0 || len(kind) > 64 {
		return invalidf("link kind %q", kind)
	}
	_, isRaw := i.Data.(*RawLinkData)
	if i.Data != nil && i.Data.InfoKind() != kind {
		return invalidf("link kind %q with %q kind data", kind, i.Data.InfoKind())
	}
	if !linkKnownKinds[kind] && !isRaw {
		return invalidf("unknown link kind %q (use RawLinkData to send it anyway)", kind)
	}
	if kind == "tun" && (v == Add || v == Replace) {
		return fmt.Errorf("%w: tun/tap links cannot be created through rtnetlink; use CreateTuntap", ErrNotSupported)
	}
	if i.Data != nil {
		return i.Data.validate(v)
	}
	return nil
}

// encoder helpers for optional values.
func putU8(ae *nl.AttributeEncoder, typ uint16, v *uint8) {
	if v != nil {
		ae.Uint8(typ, *v)
	}
}

func putU16(ae *nl.AttributeEncoder, typ uint16, v *uint16) {
	if v != nil {
		ae.Uint16(typ, *v)
	}
}

func putU32(ae *nl.AttributeEncoder, typ uint16, v *uint32) {
	if v != nil {
		ae.Uint32(typ, *v)
	}
}

func putBool(ae *nl.AttributeEncoder, typ uint16, v *bool) {
	if v != nil {
		ae.Uint8(typ, boolToU8(*v))
	}
}

func boolToU8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func putBE16(ae *nl.AttributeEncoder, typ uint16, v uint16) {
	b := make([]byte, 2)
	binary.BigEndian.PutUint16(b, v)
	ae.Bytes(typ, b)
}

func be16(ad *nl.AttributeDecoder) uint16 {
	var v uint16
	ad.Do(func(b []byte) error {
		if len(b) != 2 {
			return fmt.Errorf("attribute %d is not a be16; length %d", ad.Type(), len(b))
		}
		v = binary.BigEndian.Uint16(b)
		return nil
	})
	return v
}

func u8Ptr(ad *nl.AttributeDecoder) *uint8 {
	v := ad.Uint8()
	return &v
}

func u16Ptr(ad *nl.AttributeDecoder) *uint16 {
	v := ad.Uint16()
	return &v
}

func u32Ptr(ad *nl.AttributeDecoder) *uint32 {
	v := ad.Uint32()
	return &v
}

func boolPtr(ad *nl.AttributeDecoder) *bool {
	v := ad.Uint8() != 0
	return &v
}

func unknownAttr(ad *nl.AttributeDecoder) Attribute {
	return Attribute{Type: ad.Type() | ad.TypeFlags(), Data: ad.Bytes()}
}

// decodeKindData runs fn over the attributes of kind data b.
func decodeKindData(kind string, b []byte, fn func(ad *nl.AttributeDecoder)) error {
	ad, err := nl.NewAttributeDecoder(b)
	if err != nil {
		return malformedf("%s data: %v", kind, err)
	}
	for ad.Next() {
		fn(ad)
	}
	if err := ad.Err(); err != nil {
		return malformedf("%s data: %v", kind, err)
	}
	return nil
}

func encodeUnknown(ae *nl.AttributeEncoder, mode linkEncodeMode, attrs []Attribute) {
	if mode != linkEncodeAll {
		return
	}
	for _, a := range attrs {
		ae.Bytes(a.Type, a.Data)
	}
}

// RawLinkData is the undecoded IFLA_INFO_DATA of a kind this package has no
// type for. In requests it is sent as it is, for any kind.
type RawLinkData struct {
	// LinkKind is the IFLA_INFO_KIND the data belongs to.
	LinkKind string
	// Data is the attribute payload.
	Data []byte
}

// InfoKind implements LinkData.
func (d *RawLinkData) InfoKind() string { return d.LinkKind }

// String returns the data length.
func (d *RawLinkData) String() string { return fmt.Sprintf("data[%d]", len(d.Data)) }

func (d *RawLinkData) decode(b []byte) error {
	d.Data = append([]byte(nil), b...)
	return nil
}

func (d *RawLinkData) encode(linkEncodeMode) ([]byte, error) { return d.Data, nil }

func (d *RawLinkData) validate(Verb) error { return nil }

func addrAttr(ad *nl.AttributeDecoder, size int) netip.Addr {
	var a netip.Addr
	ad.Do(func(b []byte) error {
		if len(b) != size {
			return fmt.Errorf("attribute %d is not a %d-byte address", ad.Type(), size)
		}
		a, _ = netip.AddrFromSlice(b)
		return nil
	})
	return a
}

func putAddr(ae *nl.AttributeEncoder, v4, v6 uint16, a netip.Addr) {
	switch {
	case a.Is4():
		b := a.As4()
		ae.Bytes(v4, b[:])
	case a.IsValid():
		b := a.As16()
		ae.Bytes(v6, b[:])
	}
}

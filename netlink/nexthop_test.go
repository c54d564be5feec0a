package netlink

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// nhTestAttr builds one netlink attribute by hand (struct nlattr, padded to
// 4 bytes), independently of attrEncoder.
func nhTestAttr(typ uint16, data []byte) []byte {
	b := binary.NativeEndian.AppendUint16(nil, uint16(4+len(data)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, data...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func nhTestU32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }
func nhTestU16(v uint16) []byte { return binary.NativeEndian.AppendUint16(nil, v) }

// nhTestMsg is struct nhmsg followed by attributes.
func nhTestMsg(family, scope, proto uint8, flags uint32, attrs ...[]byte) []byte {
	b := binary.NativeEndian.AppendUint32([]byte{family, scope, proto, 0}, flags)
	for _, a := range attrs {
		b = append(b, a...)
	}
	return b
}

// nhTestGrp is struct nexthop_grp: id, weight-1 low byte, high byte, resvd.
func nhTestGrp(members ...[2]uint32) []byte {
	var b []byte
	for _, m := range members {
		w := m[1] - 1
		b = binary.NativeEndian.AppendUint32(b, m[0])
		b = append(b, byte(w), byte(w>>8), 0, 0)
	}
	return b
}

var nexthopGolden = []struct {
	name string
	msg  []byte
	want *Nexthop
}{
	{
		"gateway",
		nhTestMsg(unix.AF_INET, unix.RT_SCOPE_LINK, unix.RTPROT_STATIC, 0,
			nhTestAttr(unix.NHA_ID, nhTestU32(100)),
			nhTestAttr(unix.NHA_OIF, nhTestU32(3)),
			nhTestAttr(unix.NHA_GATEWAY, []byte{192, 0, 2, 2})),
		&Nexthop{ID: 100, Family: unix.AF_INET, Scope: unix.RT_SCOPE_LINK, Protocol: ProtoStatic, OIF: 3,
			Gateway: netip.MustParseAddr("192.0.2.2")},
	},
	{
		"ipv6 onlink",
		nhTestMsg(unix.AF_INET6, unix.RT_SCOPE_LINK, 0, unix.RTNH_F_ONLINK,
			nhTestAttr(unix.NHA_ID, nhTestU32(104)),
			nhTestAttr(unix.NHA_OIF, nhTestU32(3)),
			nhTestAttr(unix.NHA_GATEWAY, netip.MustParseAddr("2001:db8::2").AsSlice())),
		&Nexthop{ID: 104, Family: unix.AF_INET6, Scope: unix.RT_SCOPE_LINK, Flags: unix.RTNH_F_ONLINK, OIF: 3,
			Gateway: netip.MustParseAddr("2001:db8::2")},
	},
	{
		"blackhole",
		nhTestMsg(unix.AF_INET, 0, 0, 0,
			nhTestAttr(unix.NHA_ID, nhTestU32(102)),
			nhTestAttr(unix.NHA_BLACKHOLE, nil)),
		&Nexthop{ID: 102, Family: unix.AF_INET, Blackhole: true},
	},
	{
		"group with weights",
		nhTestMsg(unix.AF_UNSPEC, 0, 0, 0,
			nhTestAttr(unix.NHA_ID, nhTestU32(200)),
			nhTestAttr(unix.NHA_GROUP, nhTestGrp([2]uint32{100, 3}, [2]uint32{101, 1}, [2]uint32{102, 300})),
			nhTestAttr(unix.NHA_GROUP_TYPE, nhTestU16(0))),
		&Nexthop{ID: 200, Group: []NexthopGroupMember{{100, 3}, {101, 1}, {102, 300}}},
	},
	{
		"resilient group",
		nhTestMsg(unix.AF_UNSPEC, 0, 0, 0,
			nhTestAttr(unix.NHA_ID, nhTestU32(201)),
			nhTestAttr(unix.NHA_GROUP, nhTestGrp([2]uint32{100, 1}, [2]uint32{101, 1})),
			nhTestAttr(unix.NHA_GROUP_TYPE, nhTestU16(1)),
			nhTestAttr(nhaResGroup|unix.NLA_F_NESTED, bytes.Join([][]byte{
				nhTestAttr(nhaResBuckets, nhTestU16(8)),
				nhTestAttr(nhaResIdle, nhTestU32(6000)),
				nhTestAttr(nhaResUnbTimer, nhTestU32(12000)),
				nhTestAttr(nhaResUnbTime, binary.NativeEndian.AppendUint64(nil, 250)),
			}, nil))),
		&Nexthop{ID: 201, Group: []NexthopGroupMember{{100, 1}, {101, 1}}, GroupType: GroupResilient,
			Resilient: &NexthopResilient{Buckets: 8, IdleTimer: time.Minute, UnbalancedTimer: 2 * time.Minute, UnbalancedTime: 2500 * time.Millisecond}},
	},
	{
		"fdb with unknown attribute",
		nhTestMsg(unix.AF_INET, unix.RT_SCOPE_LINK, 0, 0,
			nhTestAttr(unix.NHA_ID, nhTestU32(106)),
			nhTestAttr(unix.NHA_GATEWAY, []byte{192, 0, 2, 5}),
			nhTestAttr(nhaFDB, nil),
			nhTestAttr(40, []byte{1, 2, 3, 4})),
		&Nexthop{ID: 106, Family: unix.AF_INET, Scope: unix.RT_SCOPE_LINK, Gateway: netip.MustParseAddr("192.0.2.5"), FDB: true,
			Unknown: []Attribute{{Type: 40, Data: []byte{1, 2, 3, 4}}}},
	},
}

// TestNexthopGolden decodes hand-built nhmsg messages (the layout of
// include/uapi/linux/nexthop.h), checks every field, and checks that
// encoding gives the same bytes back.
func TestNexthopGolden(t *testing.T) {
	for _, tc := range nexthopGolden {
		t.Run(tc.name, func(t *testing.T) {
			n := new(Nexthop)
			if err := n.decode(tc.msg); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(n, tc.want) {
				t.Fatalf("decode:\n got %+v\nwant %+v", n, tc.want)
			}
			b, err := n.marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, tc.msg) {
				t.Fatalf("marshal:\n got %x\nwant %x", b, tc.msg)
			}
			roundTrip(t, n)
			u, err := DecodeUpdate(unix.RTM_DELNEXTHOP, 0, tc.msg)
			if err != nil || !u.Deleted() || !reflect.DeepEqual(u.Object, tc.want) {
				t.Fatalf("DecodeUpdate(RTM_DELNEXTHOP): %+v, %v", u, err)
			}
		})
	}
}

// TestNexthopRequestBytes checks what add, replace and delete send: the
// flags, the message type, a zero scope, and only the id for a delete.
func TestNexthopRequestBytes(t *testing.T) {
	g := &Nexthop{ID: 200, Group: []NexthopGroupMember{{100, 3}, {101, 0}}}
	add := NexthopRequest(Add, g)
	want := nhTestMsg(0, 0, 0, 0,
		nhTestAttr(unix.NHA_ID, nhTestU32(200)),
		nhTestAttr(unix.NHA_GROUP, nhTestGrp([2]uint32{100, 3}, [2]uint32{101, 1})),
		nhTestAttr(unix.NHA_GROUP_TYPE, nhTestU16(0)))
	if add.Err() != nil || add.typ != unix.RTM_NEWNEXTHOP || add.flags != unix.NLM_F_CREATE|unix.NLM_F_EXCL || !bytes.Equal(add.body, want) {
		t.Errorf("add: type %d flags %#x err %v\n got %x\nwant %x", add.typ, add.flags, add.Err(), add.body, want)
	}
	// A resilient group's unbalanced time is read-only and not sent; a
	// nexthop read from the kernel (with its scope) is sent with scope 0.
	r := &Nexthop{ID: 201, Group: []NexthopGroupMember{{100, 1}}, GroupType: GroupResilient,
		Resilient: &NexthopResilient{Buckets: 8, IdleTimer: time.Minute, UnbalancedTime: time.Second}}
	rep := NexthopRequest(Replace, r)
	want = nhTestMsg(0, 0, 0, 0,
		nhTestAttr(unix.NHA_ID, nhTestU32(201)),
		nhTestAttr(unix.NHA_GROUP, nhTestGrp([2]uint32{100, 1})),
		nhTestAttr(unix.NHA_GROUP_TYPE, nhTestU16(1)),
		nhTestAttr(nhaResGroup|unix.NLA_F_NESTED, bytes.Join([][]byte{
			nhTestAttr(nhaResBuckets, nhTestU16(8)),
			nhTestAttr(nhaResIdle, nhTestU32(6000)),
			nhTestAttr(nhaResUnbTimer, nhTestU32(0)),
		}, nil)))
	if rep.Err() != nil || rep.flags != unix.NLM_F_CREATE|unix.NLM_F_REPLACE || !bytes.Equal(rep.body, want) {
		t.Errorf("replace: flags %#x err %v\n got %x\nwant %x", rep.flags, rep.Err(), rep.body, want)
	}
	if r.Resilient.UnbalancedTime != time.Second {
		t.Error("the request changed its input")
	}
	del := NexthopRequest(Delete, &Nexthop{ID: 7, OIF: 3, Gateway: netip.MustParseAddr("192.0.2.2")})
	want = nhTestMsg(0, 0, 0, 0, nhTestAttr(unix.NHA_ID, nhTestU32(7)))
	if del.Err() != nil || del.typ != unix.RTM_DELNEXTHOP || !bytes.Equal(del.body, want) {
		t.Errorf("delete: type %d err %v\n got %x\nwant %x", del.typ, del.Err(), del.body, want)
	}
	gw := NexthopRequest(Add, &Nexthop{ID: 1, OIF: 2, Gateway: netip.MustParseAddr("2001:db8::1"), Scope: 0, Protocol: ProtoStatic})
	if gw.Err() != nil || gw.body[0] != unix.AF_INET6 || gw.body[2] != unix.RTPROT_STATIC {
		t.Errorf("family from the gateway: %x %v", gw.body, gw.Err())
	}
}

// TestNexthopMalformed feeds truncated and inconsistent messages: each is
// an ErrMalformed error, never a panic.
func TestNexthopMalformed(t *testing.T) {
	for name, b := range map[string][]byte{
		"short header":  {2, 0, 0},
		"group of 7":    nhTestMsg(0, 0, 0, 0, nhTestAttr(unix.NHA_GROUP, make([]byte, 7))),
		"empty group":   nhTestMsg(0, 0, 0, 0, nhTestAttr(unix.NHA_GROUP, nil)),
		"gateway of 5":  nhTestMsg(2, 0, 0, 0, nhTestAttr(unix.NHA_GATEWAY, make([]byte, 5))),
		"id of 2":       nhTestMsg(2, 0, 0, 0, nhTestAttr(unix.NHA_ID, []byte{1, 2})),
		"type no group": nhTestMsg(0, 0, 0, 0, nhTestAttr(unix.NHA_GROUP_TYPE, nhTestU16(1))),
		"unbalanced 4":  nhTestMsg(0, 0, 0, 0, nhTestAttr(nhaResGroup|unix.NLA_F_NESTED, nhTestAttr(nhaResUnbTime, nhTestU32(1)))),
		"attr overrun":  append(nhTestMsg(2, 0, 0, 0), 0x20, 0, 1, 0, 0, 0, 0, 0),
	} {
		var n Nexthop
		if err := n.decode(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
		if _, err := DecodeUpdate(unix.RTM_NEWNEXTHOP, 0, b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: DecodeUpdate %v, want ErrMalformed", name, err)
		}
	}
}

// TestNexthopStable drops only the unbalanced time.
func TestNexthopStable(t *testing.T) {
	a := &Nexthop{ID: 1, Group: []NexthopGroupMember{{2, 1}}, GroupType: GroupResilient,
		Resilient: &NexthopResilient{Buckets: 8, UnbalancedTime: time.Second}}
	b := &Nexthop{ID: 1, Group: []NexthopGroupMember{{2, 1}}, GroupType: GroupResilient,
		Resilient: &NexthopResilient{Buckets: 8, UnbalancedTime: 3 * time.Second}}
	if !reflect.DeepEqual(a.Stable(), b.Stable()) {
		t.Error("unbalanced time counted as a difference")
	}
	if a.Resilient.UnbalancedTime != time.Second {
		t.Error("Stable changed its receiver")
	}
	c := &Nexthop{ID: 1, Group: []NexthopGroupMember{{2, 1}}, GroupType: GroupResilient,
		Resilient: &NexthopResilient{Buckets: 16}}
	if reflect.DeepEqual(a.Stable(), c.Stable()) {
		t.Error("bucket count not counted")
	}
	if p := (&Nexthop{ID: 5}); p.Stable() != p {
		t.Error("Stable copied a nexthop without volatile attributes")
	}
}

func FuzzDecodeNexthop(f *testing.F) {
	for _, tc := range nexthopGolden {
		f.Add(tc.msg)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var n Nexthop
		if err := n.decode(b); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		_ = n.String()
		out, err := n.marshal()
		if err != nil {
			return
		}
		var again Nexthop
		if err := again.decode(out); err != nil {
			t.Fatalf("decode(marshal(n)): %v\nn = %#v", err, &n)
		}
		if !reflect.DeepEqual(&n, &again) {
			t.Fatalf("round trip changed the nexthop:\n got %#v\nwant %#v", &again, &n)
		}
	})
}

package netlink

import (
	"errors"
	"fmt"
	"math/bits"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// kindSamples has one object per kind, to push through the kind table.
var kindSamples = map[Kind]interface {
	Object
	marshal() ([]byte, error)
}{
	KindLink:    &Link{Index: 7, Name: "eth7", Flags: unix.IFF_UP},
	KindAddr:    &Addr{Family: unix.AF_INET, Index: 7, Prefix: netip.MustParsePrefix("192.0.2.1/24")},
	KindRoute:   &Route{Family: unix.AF_INET6, Table: unix.RT_TABLE_MAIN, Dst: netip.MustParsePrefix("2001:db8::/64"), OIF: 7},
	KindNeigh:   &Neigh{Family: unix.AF_INET, Index: 7, State: unix.NUD_REACHABLE, Dst: netip.MustParseAddr("192.0.2.9"), LLAddr: net.HardwareAddr{2, 0, 0, 0, 0, 9}},
	KindRule:    &Rule{Family: unix.AF_INET, Table: 100, Priority: 1000},
	KindFDB:     &FDB{Family: unix.AF_BRIDGE, Index: 7, State: unix.NUD_NOARP, LLAddr: net.HardwareAddr{2, 0, 0, 0, 0, 9}},
	KindNexthop: &Nexthop{ID: 100, Family: unix.AF_INET, OIF: 7, Gateway: netip.MustParseAddr("192.0.2.2")},
	KindQdisc:   &Qdisc{Index: 7, Handle: NewHandle(1, 0), Parent: HandleRoot, TCKind: "pfifo", Options: &Fifo{Kind: "pfifo", Limit: 1000}, Refcnt: 2},
	KindClass:   &Class{Index: 7, Handle: NewHandle(1, 0x10), Parent: NewHandle(1, 0), TCKind: "htb"},
	KindFilter:  &Filter{Index: 7, Parent: NewHandle(1, 0), Priority: 1, Protocol: unix.ETH_P_IP, Handle: 1, TCKind: "bpf"},
}

// TestKindTableRows pushes a message of each kind through its row: the
// RTM_NEW* type decodes to an object of the kind that is not a delete, the
// RTM_DEL* type to one that is, and the groups agree with GroupsFor.
func TestKindTableRows(t *testing.T) {
	for _, k := range Kinds() {
		s, ok := kindSamples[k]
		if !ok {
			t.Errorf("no sample object for kind %s", k)
			continue
		}
		r := k.row()
		if r == nil {
			t.Errorf("kind %s: no row", k)
			continue
		}
		b, err := s.marshal()
		if err != nil {
			t.Fatalf("%s: marshal: %v", k, err)
		}
		for _, typ := range []uint16{r.newType, r.delType} {
			u, err := DecodeUpdate(typ, 0, b)
			if err != nil {
				t.Errorf("%s: DecodeUpdate(%d): %v", k, typ, err)
				continue
			}
			if u.Object.Kind() != k {
				t.Errorf("%s: message type %d decodes as %s", k, typ, u.Object.Kind())
			}
			if u.Deleted() != (typ == r.delType) {
				t.Errorf("%s: message type %d: Deleted() = %v", k, typ, u.Deleted())
			}
		}
		if v, err := ParseKind(k.String()); err != nil || v != k {
			t.Errorf("ParseKind(%q) = %v, %v", k, v, err)
		}
		var all Groups
		for _, f := range []uint8{unix.AF_INET, unix.AF_INET6, unix.AF_MPLS} {
			all |= k.GroupsFor(f)
		}
		if all != r.groups {
			t.Errorf("%s: GroupsFor(v4)|GroupsFor(v6)|GroupsFor(mpls) = %b, row has %b", k, all, r.groups)
		}
		var want []uint32
		for i, g := range groupRows {
			if r.groups&(1<<i) != 0 {
				want = append(want, g.rtnlgrp)
			}
		}
		if got := k.Groups(); len(got) == 0 || !slices.Equal(got, want) {
			t.Errorf("%s: Groups() = %v, want %v", k, got, want)
		}
	}
	if got := KindRoute.GroupsFor(unix.AF_INET6); got != GroupIPv6Route {
		t.Errorf("KindRoute.GroupsFor(AF_INET6) = %b", got)
	}
	if got := KindNeigh.Groups(); !slices.Equal(got, []uint32{unix.RTNLGRP_NEIGH}) {
		t.Errorf("KindNeigh.Groups() = %v", got)
	}
	if Kind(0).Groups() != nil || kindEnd.GroupsFor(unix.AF_INET) != 0 || kindEnd.String() != fmt.Sprintf("kind(%d)", uint8(kindEnd)) {
		t.Errorf("a value that is no kind has groups or a name")
	}
	if _, err := ParseKind("links"); !errors.Is(err, ErrInvalid) {
		t.Errorf("ParseKind(links): %v", err)
	}
	if _, err := DecodeUpdate(unix.RTM_NEWNSID, 0, nil); err == nil {
		t.Errorf("RTM_NEWNSID decoded")
	}
}

// marshal encodes f as the kernel sends it (a neighbour message of family
// AF_BRIDGE), for tests that push an FDB entry through DecodeUpdate.
func (f *FDB) marshal() ([]byte, error) { return (*Neigh)(f).marshal() }

// TestGroupRows: every Groups bit has a row, and GroupAll is every bit.
func TestGroupRows(t *testing.T) {
	if Groups(1)<<len(groupRows) != groupEnd {
		t.Errorf("%d group rows for %d Groups bits", len(groupRows), bits.Len32(uint32(groupEnd))-1)
	}
	if GroupAll != GroupLink|GroupIPv4Addr|GroupIPv6Addr|GroupIPv4Route|GroupIPv6Route|GroupNeigh|GroupIPv4Rule|GroupIPv6Rule|GroupNexthop|GroupMPLSRoute|GroupTC {
		t.Errorf("GroupAll = %b", GroupAll)
	}
	var union Groups
	for _, k := range Kinds() {
		union |= k.row().groups
	}
	if union != GroupAll {
		t.Errorf("the kinds' groups %b are not every group %b", union, GroupAll)
	}
}

// BenchmarkDecodeUpdateRoute decodes one route notification through the
// kind table, as the listener does for each message.
func BenchmarkDecodeUpdateRoute(b *testing.B) {
	p, err := kindSamples[KindRoute].marshal()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		u, err := DecodeUpdate(unix.RTM_NEWROUTE, 0, p)
		if err != nil || u.Deleted() {
			b.Fatal(err)
		}
	}
}

// TestKinds: every kind has a name, and Kinds lists each once, in order.
func TestKinds(t *testing.T) {
	ks := Kinds()
	if len(ks) == 0 || ks[0] != KindLink || ks[len(ks)-1] != kindEnd-1 || !slices.Contains(ks, KindFDB) {
		t.Fatalf("Kinds() = %v", ks)
	}
	seen := map[string]bool{}
	for i, k := range ks {
		if i > 0 && k <= ks[i-1] {
			t.Errorf("Kinds() not in order: %v", ks)
		}
		s := k.String()
		if strings.HasPrefix(s, "kind(") || seen[s] {
			t.Errorf("kind %d has name %q", k, s)
		}
		seen[s] = true
	}
	if s := kindEnd.String(); !strings.HasPrefix(s, "kind(") {
		t.Errorf("an unknown kind is named %q", s)
	}
}

package netlink

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestDecodeUpdateFDB: a neighbour message of family AF_BRIDGE is an *FDB
// of KindFDB, any other family a *Neigh of KindNeigh, with the same fields.
func TestDecodeUpdateFDB(t *testing.T) {
	var sawFDB, sawNeigh bool
	for _, g := range neighGolden {
		for _, typ := range []uint16{unix.RTM_NEWNEIGH, unix.RTM_DELNEIGH} {
			u, err := DecodeUpdate(typ, 0, addrHex(t, g.hex))
			if err != nil {
				t.Fatalf("%s: %v", g.name, err)
			}
			var got Neigh
			switch o := u.Object.(type) {
			case *FDB:
				if g.want.Family != unix.AF_BRIDGE || o.Kind() != KindFDB {
					t.Fatalf("%s: decoded as FDB entry of kind %v", g.name, o.Kind())
				}
				got, sawFDB = Neigh(*o), true
			case *Neigh:
				if g.want.Family == unix.AF_BRIDGE || o.Kind() != KindNeigh {
					t.Fatalf("%s: decoded as neighbour of kind %v", g.name, o.Kind())
				}
				got, sawNeigh = *o, true
			default:
				t.Fatalf("%s: decoded as %T", g.name, u.Object)
			}
			if !reflect.DeepEqual(got, g.want) {
				t.Errorf("%s:\n got %+v\nwant %+v", g.name, got, g.want)
			}
			if u.Deleted() != (typ == unix.RTM_DELNEIGH) {
				t.Errorf("%s: Deleted() = %v for type %d", g.name, u.Deleted(), typ)
			}
		}
	}
	if !sawFDB || !sawNeigh {
		t.Fatalf("the golden messages lack an FDB entry (%v) or a neighbour (%v)", sawFDB, sawNeigh)
	}
	// A malformed bridge message is an error naming the fdb kind.
	if _, err := DecodeUpdate(unix.RTM_NEWNEIGH, 0, []byte{unix.AF_BRIDGE, 0, 0}); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "fdb") {
		t.Errorf("short AF_BRIDGE message: %v", err)
	}
}

// TestFDBOp: an FDB request is a neighbour request of family AF_BRIDGE;
// another family, a nil entry or bad input is ErrInvalid.
func TestFDBOp(t *testing.T) {
	mac := neighMAC("02:00:00:00:00:aa")
	f := &FDB{Index: 2, Flags: unix.NTF_MASTER, LLAddr: mac, VLAN: 10}
	op := FDBRequest(Add, f)
	if op.Err() != nil {
		t.Fatal(op.Err())
	}
	want := NeighRequest(Add, &Neigh{Family: unix.AF_BRIDGE, Index: 2, Flags: unix.NTF_MASTER, LLAddr: mac, VLAN: 10})
	if !reflect.DeepEqual(op, want) {
		t.Errorf("FDBRequest = %+v, want %+v", op, want)
	}
	if f.Family != 0 {
		t.Errorf("FDBRequest changed its argument: %+v", f)
	}
	for name, bad := range map[string]*FDB{
		"nil":         nil,
		"inet family": {Family: unix.AF_INET, Index: 2, LLAddr: mac},
		"no lladdr":   {Index: 2},
		"no index":    {LLAddr: mac},
		"vlan 4095":   {Index: 2, LLAddr: mac, VLAN: 4095},
	} {
		if err := FDBRequest(Add, bad).Err(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

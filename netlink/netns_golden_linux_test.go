package netlink

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// TestNSIDPayloadGolden checks the RTM_GETNSID / RTM_NEWNSID payloads byte
// for byte: struct rtgenmsg padded to 4 bytes, then the attributes of
// include/uapi/linux/net_namespace.h in host byte order (this is amd64).
func TestNSIDPayloadGolden(t *testing.T) {
	five := int32(5)
	for _, tc := range []struct {
		name   string
		peer   NetNSRef
		target *int32
		set    bool
		nsid   int32
		want   string
	}{
		{"get by pid", NetNSRef{PID: 1}, nil, false, 0, "00000000" + "08000200" + "01000000"},
		{"get by fd", NetNSRef{FD: 7}, nil, false, 0, "00000000" + "08000300" + "07000000"},
		{"get by nsid with target", NetNSRef{NSID: &five}, &five, false, 0, "00000000" + "08000100" + "05000000" + "08000400" + "05000000"},
		{"set auto by fd", NetNSRef{FD: 5}, nil, true, NSIDNotAssigned, "00000000" + "08000300" + "05000000" + "08000100" + "ffffffff"},
		{"set 9 by pid", NetNSRef{PID: 300}, nil, true, 9, "00000000" + "08000200" + "2c010000" + "08000100" + "09000000"},
	} {
		got, err := nsidPayload(tc.peer, tc.target, tc.set, tc.nsid)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want, _ := hex.DecodeString(tc.want)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: got %x, want %x", tc.name, got, want)
		}
	}
	neg := int32(-3)
	for _, tc := range []struct {
		name string
		peer NetNSRef
		set  bool
		nsid int32
	}{
		{"no reference", NetNSRef{}, false, 0},
		{"two references", NetNSRef{FD: 3, PID: 1}, false, 0},
		{"negative nsid reference", NetNSRef{NSID: &neg}, false, 0},
		{"set by nsid", NetNSRef{NSID: &five}, true, 1},
		{"set below -1", NetNSRef{FD: 3}, true, -2},
	} {
		if _, err := nsidPayload(tc.peer, nil, tc.set, tc.nsid); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", tc.name, err)
		}
	}
}

// TestDecodeNSID decodes RTM_NEWNSID / RTM_DELNSID payloads as
// rtnl_net_fill writes them, and rejects malformed ones without panicking.
func TestDecodeNSID(t *testing.T) {
	dec := func(s string) []byte { b, _ := hex.DecodeString(s); return b }
	ev, err := DecodeNSID(unix.RTM_NEWNSID, dec("00000000"+"08000100"+"07000000"))
	if err != nil || ev.NSID != 7 || ev.Deleted || ev.CurrentNSID != nil {
		t.Errorf("new nsid 7: %+v %v", ev, err)
	}
	ev, err = DecodeNSID(unix.RTM_DELNSID, dec("00000000"+"08000100"+"03000000"))
	if err != nil || ev.NSID != 3 || !ev.Deleted || ev.String() != "delete nsid 3" {
		t.Errorf("del nsid 3: %+v %v", ev, err)
	}
	ev, err = DecodeNSID(unix.RTM_NEWNSID, dec("00000000"+"08000100"+"ffffffff"+"08000500"+"02000000"))
	if err != nil || ev.NSID != NSIDNotAssigned || ev.CurrentNSID == nil || *ev.CurrentNSID != 2 {
		t.Errorf("not assigned, current 2: %+v %v", ev, err)
	}
	for _, bad := range []string{"", "0000", "00000000", "00000000" + "0800", "00000000" + "08000100" + "0700", "00000000" + "08000500" + "02000000"} {
		if _, err := DecodeNSID(unix.RTM_NEWNSID, dec(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: got %v, want ErrMalformed", bad, err)
		}
	}
	if _, err := DecodeNSID(unix.RTM_NEWLINK, dec("00000000"+"08000100"+"07000000")); !errors.Is(err, ErrInvalid) {
		t.Errorf("RTM_NEWLINK: got %v, want ErrInvalid", err)
	}
}

func FuzzDecodeNSID(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 8, 0, 1, 0, 7, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = DecodeNSID(unix.RTM_NEWNSID, b)
	})
}

// TestLinkMovedTo reads IFLA_NEW_NETNSID and IFLA_NEW_IFINDEX from the
// raw attributes of an RTM_DELLINK, and only when both are there.
func TestLinkMovedTo(t *testing.T) {
	l := &Link{Unknown: []Attribute{
		{Type: unix.IFLA_NEW_NETNSID, Data: []byte{3, 0, 0, 0}},
		{Type: unix.IFLA_NEW_IFINDEX, Data: []byte{0x2a, 0, 0, 0}},
	}}
	if id, idx, ok := l.LinkMovedTo(); !ok || id != 3 || idx != 42 {
		t.Errorf("got %d %d %v, want 3 42 true", id, idx, ok)
	}
	l.Unknown = l.Unknown[:1]
	if _, _, ok := l.LinkMovedTo(); ok {
		t.Error("IFLA_NEW_NETNSID alone is not a move")
	}
	l.Unknown = []Attribute{{Type: unix.IFLA_NEW_NETNSID, Data: []byte{3, 0}}, {Type: unix.IFLA_NEW_IFINDEX, Data: []byte{1, 0, 0, 0}}}
	if _, _, ok := l.LinkMovedTo(); ok {
		t.Error("a malformed IFLA_NEW_NETNSID counts as absent")
	}
}

func TestValidNetNSName(t *testing.T) {
	for _, n := range []string{"", ".", "..", "a/b", string(make([]byte, 255))} {
		if err := ValidNetNSName(n); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: got %v, want ErrInvalid", n, err)
		}
	}
	for _, n := range []string{"a", "cni-1234", "ns.with.dots"} {
		if err := ValidNetNSName(n); err != nil {
			t.Errorf("%q: %v", n, err)
		}
	}
}

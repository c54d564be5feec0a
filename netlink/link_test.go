package netlink

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net"
	"net/netip"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// The test data was captured on Linux 6.18 with iproute2 6.1:
//
//   - testdata/link_dump.hex and link_dump_netns.hex: RTM_NEWLINK payloads
//     of an RTM_GETLINK dump of two namespaces (one message per line), set
//     up with `ip link add` for bridge, veth (one peer in the other
//     namespace), vxlan (IPv4 and IPv6), macvlan, ifb, and `ip tuntap add`
//     for tun and tap; testdata/link_dump_ip.json is `ip -d -j link show` of
//     the first namespace at the same moment.
//   - testdata/link_ip_requests.tsv: the RTM_NEWLINK/RTM_DELLINK payloads
//     that ip(8) sent (seen with strace) for the commands listed with each
//     case in TestLinkOpGolden, including kinds this kernel lacks (dummy,
//     vlan, bond, vrf), whose requests it sends before the kernel refuses.

func linkReadHex(t testing.TB, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		b, err := hex.DecodeString(line)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

type linkIPRequest struct {
	typ     uint16
	flags   string
	payload []byte
}

func linkReadIPRequests(t testing.TB) map[string]linkIPRequest {
	t.Helper()
	data, err := os.ReadFile("testdata/link_ip_requests.tsv")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]linkIPRequest{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			t.Fatalf("bad line %q", line)
		}
		b, err := hex.DecodeString(f[3])
		if err != nil {
			t.Fatal(err)
		}
		typ := uint16(unix.RTM_NEWLINK)
		if f[1] == "0x11" {
			typ = unix.RTM_DELLINK
		}
		m[f[0]] = linkIPRequest{typ: typ, flags: f[2], payload: b}
	}
	return m
}

func linkGoldenLinks(t testing.TB) map[string]*Link {
	t.Helper()
	links := map[string]*Link{}
	for _, file := range []string{"testdata/link_dump.hex", "testdata/link_dump_netns.hex"} {
		for _, b := range linkReadHex(t, file) {
			l := new(Link)
			if err := l.decode(b); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			links[l.Name] = l
		}
	}
	return links
}

func linkMAC(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

// TestLinkDecodeGolden checks decoded kernel messages field by field
// against what ip(8) printed for them.
func TestLinkDecodeGolden(t *testing.T) {
	links := linkGoldenLinks(t)
	get := func(name string) *Link {
		l := links[name]
		if l == nil {
			t.Fatalf("no link %s in the golden dump", name)
		}
		return l
	}

	lo := get("lo")
	if lo.Index != 1 || lo.Type != unix.ARPHRD_LOOPBACK || lo.Flags != unix.IFF_LOOPBACK || lo.MTU != 65536 ||
		lo.Info != nil || lo.OperState != OperDown || lo.Qdisc != "noop" || lo.TxQueueLen != 1000 {
		t.Errorf("lo = %s", lo)
	}

	br := get("br0")
	wantFlags := uint32(unix.IFF_UP | unix.IFF_BROADCAST | unix.IFF_RUNNING | unix.IFF_MULTICAST | unix.IFF_LOWER_UP)
	if br.Index != 2 || br.Flags != wantFlags || br.MTU != 1400 || br.MinMTU != 68 || br.MaxMTU != 65535 ||
		br.Group != 7 || br.Alias != "hello world" || !slices.Equal(br.AltNames, []string{"bridge-alt-name"}) ||
		!bytes.Equal(br.Address, linkMAC("02:00:00:00:00:02")) || !bytes.Equal(br.Broadcast, linkMAC("ff:ff:ff:ff:ff:ff")) ||
		br.OperState != OperUp || !br.Carrier || br.Type != unix.ARPHRD_ETHER || br.Stats == nil ||
		br.NumTxQueues != 1 || br.GSOMaxSegs != 65535 || br.GSOMaxSize != 65536 {
		t.Errorf("br0 = %s", br)
	}
	if got, want := LinkFlagNames(br.Flags), []string{"BROADCAST", "MULTICAST", "UP", "LOWER_UP"}; !slices.Equal(got, want) {
		t.Errorf("br0 flag names %v, want %v", got, want)
	}
	wantBridge := &Bridge{
		ForwardDelay: new(uint32(1500)), HelloTime: new(uint32(200)), MaxAge: new(uint32(2000)),
		AgeingTime: new(uint32(30000)), StpState: new(uint32(0)), Priority: new(uint16(32768)),
		VlanFiltering: new(false), McastSnooping: new(true),
	}
	if br.Info == nil || br.Info.InfoKind != "bridge" {
		t.Fatalf("br0 info %v", br.Info)
	}
	gotBridge := *br.Info.Data.(*Bridge)
	if len(gotBridge.Unknown) < 20 {
		t.Errorf("bridge kept %d unknown attributes, want the timers, ids and multicast settings", len(gotBridge.Unknown))
	}
	gotBridge.Unknown = nil
	if diff := cmp.Diff(wantBridge, &gotBridge); diff != "" {
		t.Errorf("bridge data (-want +got):\n%s", diff)
	}

	vx0 := get("vx0")
	if vx0.Master != 2 {
		t.Errorf("vx0 master %d, want 2", vx0.Master)
	}
	vx := *vx0.Info.Data.(*Vxlan)
	vx.Unknown = nil
	wantVx := Vxlan{ID: 42, Group: netip.MustParseAddr("198.51.100.1"), Local: netip.MustParseAddr("192.0.2.1"),
		Port: 4789, TTL: 10, Learning: new(true), Ageing: new(uint32(300)), UDPCsum: new(true)}
	if diff := cmp.Diff(wantVx, vx, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("vx0 data (-want +got):\n%s", diff)
	}
	vx1 := get("vx1").Info.Data.(*Vxlan)
	if vx1.Learning == nil || *vx1.Learning || vx1.ID != 100 {
		t.Errorf("vx1 = %s, want id 100 nolearning", vx1)
	}
	vx6 := get("vx6").Info.Data.(*Vxlan)
	if vx6.Group != netip.MustParseAddr("ff05::100") || vx6.Local != netip.MustParseAddr("2001:db8::1") ||
		vx6.Link != get("v0").Index || vx6.Port != 4790 || vx6.ID != 7 {
		t.Errorf("vx6 = %s", vx6)
	}

	v0, v1 := get("v0"), get("v1")
	if v0.ParentIndex != v1.Index || v1.ParentIndex != v0.Index || v1.Master != br.Index ||
		v0.Info.InfoKind != "veth" || v0.Info.Data != nil || v0.MTU != 1400 || v0.NumTxQueues != 2 {
		t.Errorf("v0 = %s\nv1 = %s", v0, v1)
	}
	if v1.Info.InfoSlaveKind != "bridge" || len(v1.Info.SlaveData) == 0 {
		t.Errorf("v1 slave kind %q with %d bytes, want bridge port data", v1.Info.InfoSlaveKind, len(v1.Info.SlaveData))
	}
	vp0 := get("vp0")
	if vp0.LinkNetNSID == nil || *vp0.LinkNetNSID != 0 || vp0.ParentIndex != 2 {
		t.Errorf("vp0 = %s, want @if2 link-netnsid 0", vp0)
	}
	vp1 := get("vp1")
	if vp1.LinkNetNSID == nil || vp1.ParentIndex != vp0.Index {
		t.Errorf("vp1 = %s, want @if%d with a link-netnsid", vp1, vp0.Index)
	}

	mv0 := get("mv0")
	if m := mv0.Info.Data.(*Macvlan); m.Mode != MacvlanPrivate || m.Flags != 0 || mv0.ParentIndex != v0.Index {
		t.Errorf("mv0 = %s", mv0)
	}

	tun0 := get("tun0")
	if tun0.Type != unix.ARPHRD_NONE || len(tun0.Address) != 0 {
		t.Errorf("tun0 = %s", tun0)
	}
	if diff := cmp.Diff(&Tuntap{Type: TunType, Persist: true}, tun0.Info.Data); diff != "" {
		t.Errorf("tun0 data (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&Tuntap{Type: TapType, Persist: true, MultiQueue: true}, get("tap0").Info.Data); diff != "" {
		t.Errorf("tap0 data (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&Tuntap{Type: TunType, Persist: true, PI: true, VnetHdr: true, Owner: new(uint32(1000)), Group: new(uint32(1001))}, get("tun1").Info.Data); diff != "" {
		t.Errorf("tun1 data (-want +got):\n%s", diff)
	}
	if k := get("ifb0").Info; k.InfoKind != "ifb" || k.Data != nil {
		t.Errorf("ifb0 info %v", k)
	}
}

// TestLinkRoundTrip checks decode(marshal(decode(x))) == decode(x) for every
// captured kernel message and ip(8) request.
func TestLinkRoundTrip(t *testing.T) {
	var msgs [][]byte
	msgs = append(msgs, linkReadHex(t, "testdata/link_dump.hex")...)
	msgs = append(msgs, linkReadHex(t, "testdata/link_dump_netns.hex")...)
	for _, r := range linkReadIPRequests(t) {
		msgs = append(msgs, r.payload)
	}
	for _, b := range msgs {
		var l1, l2 Link
		if err := l1.decode(b); err != nil {
			t.Fatal(err)
		}
		out, err := l1.marshal()
		if err != nil {
			t.Fatalf("marshal %s: %v", &l1, err)
		}
		if err := l2.decode(out); err != nil {
			t.Fatalf("decode marshalled %s: %v", &l1, err)
		}
		if diff := cmp.Diff(&l1, &l2, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
			t.Errorf("round trip of %s (-first +second):\n%s", &l1, diff)
		}
	}
}

// linkCanon sorts the attributes of a link payload at every nesting level
// (IFLA_LINKINFO, IFLA_INFO_DATA, a veth's peer), so that two encodings that
// differ only in attribute order compare equal byte for byte.
func linkCanon(t *testing.T, b []byte) []byte {
	t.Helper()
	if len(b) < ifinfomsgLen {
		t.Fatalf("short link payload %x", b)
	}
	return append(slices.Clone(b[:ifinfomsgLen]), linkCanonAttrs(t, b[ifinfomsgLen:], "link", "")...)
}

func linkCanonAttrs(t *testing.T, b []byte, level, kind string) []byte {
	t.Helper()
	type attr struct {
		typ  uint16
		data []byte
	}
	var attrs []attr
	for len(b) > 0 {
		if len(b) < 4 {
			t.Fatalf("trailing %x", b)
		}
		n := int(binary.NativeEndian.Uint16(b))
		if n < 4 || n > len(b) {
			t.Fatalf("attribute length %d of %d", n, len(b))
		}
		attrs = append(attrs, attr{binary.NativeEndian.Uint16(b[2:]), b[4:n]})
		b = b[min(align4(n), len(b)):]
	}
	if level == "linkinfo" {
		for _, a := range attrs {
			if a.typ == unix.IFLA_INFO_KIND {
				kind = string(bytes.TrimRight(a.data, "\x00"))
			}
		}
	}
	var out [][]byte
	for _, a := range attrs {
		data := a.data
		switch typ := a.typ & linkAttrTypeMask; {
		case level == "link" && typ == unix.IFLA_LINKINFO:
			data = linkCanonAttrs(t, data, "linkinfo", "")
		case level == "linkinfo" && typ == unix.IFLA_INFO_DATA:
			data = linkCanonAttrs(t, data, "data", kind)
		case level == "data" && kind == "veth" && typ == vethInfoPeer:
			data = linkCanon(t, data)
		}
		enc := make([]byte, align4(4+len(data)))
		binary.NativeEndian.PutUint16(enc, uint16(4+len(data)))
		binary.NativeEndian.PutUint16(enc[2:], a.typ)
		copy(enc[4:], data)
		out = append(out, enc)
	}
	slices.SortFunc(out, bytes.Compare)
	return bytes.Join(out, nil)
}

const linkAttrTypeMask = 0x3fff

// TestLinkOpGolden compares LinkRequest's requests with what ip(8) sends for the
// same command, attribute by attribute and byte for byte (the order of
// attributes aside), for every kind including those this kernel lacks.
func TestLinkOpGolden(t *testing.T) {
	reqs := linkReadIPRequests(t)
	// ip's veth_netns request passes the namespace as the file descriptor
	// it had open; use the same number.
	var ipPeerFD int
	{
		var l Link
		if err := l.decode(reqs["veth_netns"].payload); err != nil {
			t.Fatal(err)
		}
		ipPeerFD = l.Info.Data.(*Veth).Peer.NetNSFD
		if ipPeerFD <= 0 {
			t.Fatalf("veth_netns request without IFLA_NET_NS_FD: %+v", l.Info.Data.(*Veth).Peer)
		}
	}
	tests := []struct {
		name string // key in link_ip_requests.tsv
		cmd  string // the ip command that produced it
		verb Verb
		link *Link
	}{
		{"dummy", "link add d0 type dummy", Add, &Link{Name: "d0", Info: &LinkInfo{InfoKind: "dummy"}}},
		{"ifb", "link add ifb1 type ifb", Add, &Link{Name: "ifb1", Info: &LinkInfo{InfoKind: "ifb"}}},
		{"bridge", "link add br1 mtu 1400 type bridge stp_state 1 forward_delay 400 priority 100 vlan_filtering 1", Add,
			&Link{Name: "br1", MTU: 1400, Info: &LinkInfo{Data: &Bridge{StpState: new(uint32(1)), ForwardDelay: new(uint32(400)), Priority: new(uint16(100)), VlanFiltering: new(true)}}}},
		{"veth", "link add va address 02:00:00:00:00:01 type veth peer name vb mtu 1400", Add,
			&Link{Name: "va", Address: linkMAC("02:00:00:00:00:01"), Info: &LinkInfo{Data: &Veth{Peer: &Link{Name: "vb", MTU: 1400}}}}},
		{"veth_netns", "link add vc type veth peer name vd netns lcap2", Add,
			&Link{Name: "vc", Info: &LinkInfo{InfoKind: "veth", Data: &Veth{Peer: &Link{Name: "vd", NetNSFD: ipPeerFD}}}}},
		{"vxlan4", "link add vx1 type vxlan id 100 local 192.0.2.1 remote 198.51.100.1 dstport 4789 ttl 10 nolearning", Add,
			&Link{Name: "vx1", Info: &LinkInfo{Data: &Vxlan{ID: 100, Local: netip.MustParseAddr("192.0.2.1"), Group: netip.MustParseAddr("198.51.100.1"), Port: 4789, TTL: 10, Learning: new(false)}}}},
		{"vxlan6", "link add vx2 type vxlan id 200 local 2001:db8::1 group ff05::1 dev v0 dstport 4790", Add,
			&Link{Name: "vx2", Info: &LinkInfo{Data: &Vxlan{ID: 200, Local: netip.MustParseAddr("2001:db8::1"), Group: netip.MustParseAddr("ff05::1"), Link: 4, Port: 4790, Learning: new(true)}}}},
		{"macvlan", "link add mv1 link v0 type macvlan mode bridge", Add,
			&Link{Name: "mv1", ParentIndex: 4, Info: &LinkInfo{Data: &Macvlan{Mode: MacvlanBridge}}}},
		{"vlan", "link add vl0 link v0 type vlan id 100", Add,
			&Link{Name: "vl0", ParentIndex: 4, Info: &LinkInfo{Data: &Vlan{ID: 100}}}},
		{"vlan_ad", "link add vl1 link v0 type vlan protocol 802.1ad id 200 reorder_hdr off", Add,
			&Link{Name: "vl1", ParentIndex: 4, Info: &LinkInfo{Data: &Vlan{ID: 200, Protocol: unix.ETH_P_8021AD, Flags: 0, FlagsMask: 1}}}},
		{"bond", "link add bo0 type bond mode 802.3ad miimon 100", Add,
			&Link{Name: "bo0", Info: &LinkInfo{Data: &Bond{Mode: new(Bond8023AD), MIIMon: new(uint32(100))}}}},
		{"vrf", "link add vrf0 type vrf table 10", Add,
			&Link{Name: "vrf0", Info: &LinkInfo{Data: &Vrf{Table: 10}}}},
		{"set_mtu", "link set dev br0 mtu 1400", Set, &Link{Index: 2, MTU: 1400}},
		{"set_up", "link set dev br0 up", Set, &Link{Index: 2, Flags: unix.IFF_UP}},
		{"set_down", "link set dev br0 down", Set, &Link{Index: 2, Change: unix.IFF_UP}},
		{"set_addr", "link set dev br0 address 02:00:00:00:00:02", Set, &Link{Index: 2, Address: linkMAC("02:00:00:00:00:02")}},
		{"set_master", "link set dev v1 master br0", Set, &Link{Index: 3, Master: 2}},
		{"set_nomaster", "link set dev v1 nomaster", Set, &Link{Index: 3, Zero: ZeroMaster}},
		{"set_name", "link set dev v1 name v1new", Set, &Link{Index: 3, Name: "v1new"}},
		{"set_alias", "link set dev v1new alias hello", Set, &Link{Index: 3, Alias: "hello"}},
		{"set_txqlen", "link set dev v1new txqlen 100", Set, &Link{Index: 3, TxQueueLen: 100}},
		{"set_netns", "link set dev v1new netns 1", Set, &Link{Index: 3, NetNSPID: 1}},
		{"set_bridge", "link set dev br0 type bridge stp_state 0", Set, &Link{Index: 2, Info: &LinkInfo{Data: &Bridge{StpState: new(uint32(0))}}}},
		{"del", "link del dev vb", Delete, &Link{Index: 14}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen[tt.name] = true
			ip, ok := reqs[tt.name]
			if !ok {
				t.Fatalf("no captured request %q", tt.name)
			}
			op := LinkRequest(tt.verb, tt.link)
			if err := op.Err(); err != nil {
				t.Fatal(err)
			}
			if op.typ != ip.typ {
				t.Errorf("type %d, ip sent %d", op.typ, ip.typ)
			}
			wantFlags := uint16(0)
			if strings.Contains(ip.flags, "0x600") {
				wantFlags = unix.NLM_F_CREATE | unix.NLM_F_EXCL
			}
			if op.flags != wantFlags {
				t.Errorf("flags %#x, ip sent %s", op.flags, ip.flags)
			}
			got, want := linkCanon(t, op.body), linkCanon(t, ip.payload)
			if !bytes.Equal(got, want) {
				var gl, wl Link
				_ = gl.decode(op.body)
				_ = wl.decode(ip.payload)
				t.Errorf("ip %s:\n got  %x\n want %x\n%s", tt.cmd, got, want, cmp.Diff(&wl, &gl, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })))
			}
		})
	}
	for name := range reqs {
		if !seen[name] {
			t.Errorf("captured request %q has no test case", name)
		}
	}
}

// TestLinkOpEncodeFields pins the bytes of a request by hand, field by
// field against linux/if_link.h, for what ip(8) cannot be asked to send.
func TestLinkOpEncodeFields(t *testing.T) {
	op := LinkRequest(Set, &Link{Index: 7, Group: 0, Zero: ZeroGroup | ZeroAlias, NetNSFD: 9})
	if err := op.Err(); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"00000000" + "07000000" + "00000000" + "00000000" + // ifinfomsg: family 0, type 0, index 7, flags 0, change 0
		"0800" + "1b00" + "00000000" + // IFLA_GROUP (27) = 0
		"0400" + "1400" + // IFLA_IFALIAS (20), empty: remove the alias
		"0800" + "1c00" + "09000000" // IFLA_NET_NS_FD (28) = 9
	if got := hex.EncodeToString(op.body); got != want {
		t.Errorf("body\n got  %s\n want %s", got, want)
	}

	// The kernel refuses NLM_F_REPLACE on links: Replace creates without
	// NLM_F_EXCL, Change sets.
	for v, want := range map[Verb]uint16{Add: unix.NLM_F_CREATE | unix.NLM_F_EXCL, Replace: unix.NLM_F_CREATE, Change: 0, Set: 0} {
		op := LinkRequest(v, &Link{Index: 2, Name: "br0", Info: &LinkInfo{InfoKind: "bridge"}})
		if op.Err() != nil || op.flags != want || op.typ != unix.RTM_NEWLINK {
			t.Errorf("%s: flags %#x type %d err %v, want flags %#x", v, op.flags, op.typ, op.Err(), want)
		}
	}

	// Delete by name: ifinfomsg with index 0 and IFLA_IFNAME.
	op = LinkRequest(Delete, &Link{Name: "br0", MTU: 1500, Flags: unix.IFF_UP})
	want = "00000000" + "00000000" + "00000000" + "00000000" + "0800" + "0300" + "62723000"
	if got := hex.EncodeToString(op.body); got != want || op.typ != unix.RTM_DELLINK {
		t.Errorf("delete body %s type %d, want %s type %d", got, op.typ, want, unix.RTM_DELLINK)
	}

	// A get by name asks for VF info like ip(8): IFLA_EXT_MASK = RTEXT_FILTER_VF.
	body, err := linkGetRequest(0, "v0")
	if err != nil {
		t.Fatal(err)
	}
	want = "00000000" + "00000000" + "00000000" + "00000000" + "0700" + "0300" + "76300000" + "0800" + "1d00" + "01000000"
	if got := hex.EncodeToString(body); got != want {
		t.Errorf("get body\n got  %s\n want %s", got, want)
	}

	// Kernel-side dump filters: IFLA_MASTER and IFLA_LINKINFO{IFLA_INFO_KIND}.
	body, err = (&LinkFilter{Master: 2, InfoKind: "veth", Name: "x"}).dumpRequest(true)
	if err != nil {
		t.Fatal(err)
	}
	want = "00000000" + "00000000" + "00000000" + "00000000" + "0800" + "1d00" + "01000000" +
		"0800" + "0a00" + "02000000" + "1000" + "1200" + "0900" + "0100" + "76657468" + "00000000"
	if got := hex.EncodeToString(body); got != want {
		t.Errorf("dump body\n got  %s\n want %s", got, want)
	}
}

func TestLinkOpInvalid(t *testing.T) {
	long := strings.Repeat("a", 16)
	tests := []struct {
		name string
		verb Verb
		link *Link
		want error
	}{
		{"nil link", Add, nil, ErrInvalid},
		{"add without name", Add, &Link{Info: &LinkInfo{InfoKind: "bridge"}}, ErrInvalid},
		{"name of 16 bytes", Add, &Link{Name: long, Info: &LinkInfo{InfoKind: "bridge"}}, ErrInvalid},
		{"rename to 16 bytes", Set, &Link{Index: 3, Name: long}, ErrInvalid},
		{"name with slash", Add, &Link{Name: "a/b", Info: &LinkInfo{InfoKind: "bridge"}}, ErrInvalid},
		{"name with space", Add, &Link{Name: "a b", Info: &LinkInfo{InfoKind: "bridge"}}, ErrInvalid},
		{"name with tab", Set, &Link{Index: 1, Name: "a\tb"}, ErrInvalid},
		{"name with colon", Add, &Link{Name: "a:b", Info: &LinkInfo{InfoKind: "bridge"}}, ErrInvalid},
		{"name dot", Add, &Link{Name: ".", Info: &LinkInfo{InfoKind: "bridge"}}, ErrInvalid},
		{"add without kind", Add, &Link{Name: "x"}, ErrInvalid},
		{"unknown kind", Add, &Link{Name: "x", Info: &LinkInfo{InfoKind: "frobnicator"}}, ErrInvalid},
		{"kind data mismatch", Add, &Link{Name: "x", Info: &LinkInfo{InfoKind: "bridge", Data: &Vxlan{ID: 1}}}, ErrInvalid},
		{"set without index or name", Set, &Link{MTU: 1400}, ErrInvalid},
		{"delete without index or name", Delete, &Link{}, ErrInvalid},
		{"negative index", Set, &Link{Index: -1, MTU: 1400}, ErrInvalid},
		{"negative master", Set, &Link{Index: 1, Master: -2}, ErrInvalid},
		{"own master", Set, &Link{Index: 4, Master: 4}, ErrInvalid},
		{"master and nomaster", Set, &Link{Index: 4, Master: 2, Zero: ZeroMaster}, ErrInvalid},
		{"netns fd and pid", Set, &Link{Index: 4, NetNSFD: 3, NetNSPID: 1}, ErrInvalid},
		{"negative netns pid", Set, &Link{Index: 4, NetNSPID: -1}, ErrInvalid},
		{"address too long", Set, &Link{Index: 4, Address: make(net.HardwareAddr, 33)}, ErrInvalid},
		{"append", Append, &Link{Name: "x", Info: &LinkInfo{InfoKind: "bridge"}}, ErrInvalid},
		{"veth peer name", Add, &Link{Name: "va", Info: &LinkInfo{Data: &Veth{Peer: &Link{Name: "bad name"}}}}, ErrInvalid},
		{"veth peer long name", Add, &Link{Name: "va", Info: &LinkInfo{Data: &Veth{Peer: &Link{Name: long}}}}, ErrInvalid},
		{"veth peer kind", Add, &Link{Name: "va", Info: &LinkInfo{Data: &Veth{Peer: &Link{Name: "vb", Info: &LinkInfo{InfoKind: "bridge"}}}}}, ErrInvalid},
		{"vxlan id", Add, &Link{Name: "vx", Info: &LinkInfo{Data: &Vxlan{ID: 1 << 24}}}, ErrInvalid},
		{"vxlan families", Add, &Link{Name: "vx", Info: &LinkInfo{Data: &Vxlan{ID: 1, Group: netip.MustParseAddr("2001:db8::1"), Local: netip.MustParseAddr("192.0.2.1")}}}, ErrInvalid},
		{"vlan id 0", Add, &Link{Name: "vl", ParentIndex: 2, Info: &LinkInfo{Data: &Vlan{}}}, ErrInvalid},
		{"vlan id 4095", Add, &Link{Name: "vl", ParentIndex: 2, Info: &LinkInfo{Data: &Vlan{ID: 4095}}}, ErrInvalid},
		{"vlan protocol", Add, &Link{Name: "vl", ParentIndex: 2, Info: &LinkInfo{Data: &Vlan{ID: 5, Protocol: 0x0800}}}, ErrInvalid},
		{"macvlan mode", Add, &Link{Name: "mv", ParentIndex: 2, Info: &LinkInfo{Data: &Macvlan{Mode: 3}}}, ErrInvalid},
		{"bond mode", Add, &Link{Name: "bo", Info: &LinkInfo{Data: &Bond{Mode: new(BondMode(9))}}}, ErrInvalid},
		{"vrf without table", Add, &Link{Name: "vrf", Info: &LinkInfo{Data: &Vrf{}}}, ErrInvalid},
		{"bridge stp", Add, &Link{Name: "br", Info: &LinkInfo{Data: &Bridge{StpState: new(uint32(3))}}}, ErrInvalid},
		{"tun through rtnetlink", Add, &Link{Name: "t0", Info: &LinkInfo{Data: &Tuntap{Type: TunType}}}, ErrNotSupported},
		{"tap kind without data", Add, &Link{Name: "t0", Info: &LinkInfo{InfoKind: "tun"}}, ErrNotSupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := LinkRequest(tt.verb, tt.link)
			err := op.Err()
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var oe *OpError
			if !errors.As(err, &oe) {
				t.Errorf("err %T is not an *OpError", err)
			}
			if op.body != nil {
				t.Errorf("invalid op has a body")
			}
			// Do reports it without touching the (nil) connection: nothing
			// is sent.
			if err := (*Conn)(nil).Do(context.Background(), op); !errors.Is(err, tt.want) {
				t.Errorf("Do = %v", err)
			}
		})
	}
	// Raw data lets a kind this package does not list through.
	op := LinkRequest(Add, &Link{Name: "x", Info: &LinkInfo{InfoKind: "frobnicator", Data: &RawLinkData{LinkKind: "frobnicator", Data: []byte{4, 0, 1, 0}}}})
	if err := op.Err(); err != nil {
		t.Errorf("raw kind data: %v", err)
	}
}

func TestLinkDecodeMalformed(t *testing.T) {
	good := linkReadHex(t, "testdata/link_dump.hex")[1]
	cases := map[string][]byte{
		"short header":        good[:10],
		"truncated attribute": good[:ifinfomsgLen+6],
		"attribute too long":  append(slices.Clone(good[:ifinfomsgLen]), 0xff, 0x00, 0x03, 0x00, 'x'),
		"mtu of 2 bytes":      append(slices.Clone(good[:ifinfomsgLen]), 6, 0, unix.IFLA_MTU, 0, 1, 2, 0, 0),
		"stats64 of 9 bytes":  append(slices.Clone(good[:ifinfomsgLen]), 13, 0, unix.IFLA_STATS64, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 0),
		"linkinfo garbage":    append(slices.Clone(good[:ifinfomsgLen]), 8, 0, unix.IFLA_LINKINFO, 0, 9, 0, 1, 0),
		"vxlan group 3 bytes": linkWithInfo("vxlan", []byte{7, 0, unix.IFLA_VXLAN_GROUP, 0, 1, 2, 3, 0}),
		"vlan flags 4 bytes":  linkWithInfo("vlan", []byte{8, 0, unix.IFLA_VLAN_FLAGS, 0, 1, 2, 3, 4}),
		"veth peer short":     linkWithInfo("veth", []byte{8, 0, vethInfoPeer, 0, 1, 2, 3, 4}),
		"bridge port 3 bytes": linkWithInfo("bridge", []byte{7, 0, unix.IFLA_BR_VLAN_PROTOCOL, 0, 1, 2, 3, 0}),
	}
	for name, b := range cases {
		var l Link
		if err := l.decode(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
		if _, err := DecodeUpdate(unix.RTM_NEWLINK, 0, b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: DecodeUpdate err = %v, want ErrMalformed", name, err)
		}
	}
}

// linkWithInfo builds a link payload with IFLA_LINKINFO {kind, data}.
func linkWithInfo(kind string, data []byte) []byte {
	k := append([]byte(kind), 0)
	kindAttr := make([]byte, align4(4+len(k)))
	binary.NativeEndian.PutUint16(kindAttr, uint16(4+len(k)))
	binary.NativeEndian.PutUint16(kindAttr[2:], unix.IFLA_INFO_KIND)
	copy(kindAttr[4:], k)
	dataAttr := make([]byte, align4(4+len(data)))
	binary.NativeEndian.PutUint16(dataAttr, uint16(4+len(data)))
	binary.NativeEndian.PutUint16(dataAttr[2:], unix.IFLA_INFO_DATA)
	copy(dataAttr[4:], data)
	info := append(kindAttr, dataAttr...)
	b := make([]byte, ifinfomsgLen+4)
	binary.NativeEndian.PutUint16(b[ifinfomsgLen:], uint16(4+len(info)))
	binary.NativeEndian.PutUint16(b[ifinfomsgLen+2:], unix.IFLA_LINKINFO)
	return append(b, info...)
}

// TestLinkDecodeCopies checks that a decoded link shares no memory with the
// receive buffer, which the Conn reuses.
func TestLinkDecodeCopies(t *testing.T) {
	for _, b := range linkReadHex(t, "testdata/link_dump.hex") {
		var l Link
		if err := l.decode(b); err != nil {
			t.Fatal(err)
		}
		before, _ := l.marshal()
		var before1 Link
		_ = before1.decode(before)
		for i := range b {
			b[i] = 0xa5
		}
		if !reflect.DeepEqual(&l, &before1) {
			t.Fatalf("link %s changed when the buffer was overwritten", before1.Name)
		}
	}
}

func TestLinkFilterMatch(t *testing.T) {
	l := &Link{Index: 3, Name: "v1", Master: 2, Info: &LinkInfo{InfoKind: "veth"}}
	for _, tt := range []struct {
		f    *LinkFilter
		want bool
	}{
		{nil, true},
		{&LinkFilter{}, true},
		{&LinkFilter{InfoKind: "veth", Master: 2, Index: 3, Name: "v1"}, true},
		{&LinkFilter{InfoKind: "bridge"}, false},
		{&LinkFilter{Master: 5}, false},
		{&LinkFilter{Index: 4}, false},
		{&LinkFilter{Name: "v0"}, false},
	} {
		if got := tt.f.match(l); got != tt.want {
			t.Errorf("%v.match = %v, want %v", tt.f, got, tt.want)
		}
	}
	if (&LinkFilter{InfoKind: "bridge"}).match(&Link{Name: "lo"}) {
		t.Error("a kind filter matched a link without kind")
	}
}

func FuzzDecodeLink(f *testing.F) {
	for _, b := range linkReadHex(f, "testdata/link_dump.hex") {
		f.Add(b)
	}
	for _, b := range linkReadHex(f, "testdata/link_dump_netns.hex") {
		f.Add(b)
	}
	for _, r := range linkReadIPRequests(f) {
		f.Add(r.payload)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var l1 Link
		if err := l1.decode(b); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		_ = l1.String()
		out, err := l1.marshal()
		if err != nil {
			// Only values that cannot be encoded again (an attribute over
			// 64 KiB after re-encoding) may fail.
			return
		}
		var l2 Link
		if err := l2.decode(out); err != nil {
			t.Fatalf("decode of marshalled link: %v\n%x", err, out)
		}
		if !reflect.DeepEqual(linkNormalize(&l1), linkNormalize(&l2)) {
			t.Fatalf("round trip differs:\n%s", cmp.Diff(&l1, &l2, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })))
		}
	})
}

// linkNormalize maps the representations that encode identically to one
// (empty and nil byte slices).
func linkNormalize(l *Link) *Link {
	c := *l
	if len(c.Address) == 0 {
		c.Address = nil
	}
	if len(c.Broadcast) == 0 {
		c.Broadcast = nil
	}
	if len(c.PermAddress) == 0 {
		c.PermAddress = nil
	}
	return &c
}

// TestLinkDataTypes checks the link-kind table: every row builds data of
// its own kind, and every typed kind is one the kernel knows.
func TestLinkDataTypes(t *testing.T) {
	for kind, f := range linkDataTypes {
		d := f()
		if d.InfoKind() != kind {
			t.Errorf("row %q builds %T of kind %q", kind, d, d.InfoKind())
		}
		if !linkKnownKinds[kind] {
			t.Errorf("row %q is not in linkKnownKinds", kind)
		}
	}
}

// TestValidLinkName: the kernel's dev_valid_name rules, one case each.
func TestValidLinkName(t *testing.T) {
	// The kernel judges bytes, not runes (tried on 6.18: "x\u2000y" is
	// created, "x\xa0y" refused with EINVAL).
	for _, ok := range []string{"eth0", "a", "br-lan.10", "123456789012345", "veth@x", "x\u2000y"} {
		if err := ValidLinkName(ok); err != nil {
			t.Errorf("ValidLinkName(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "1234567890123456", ".", "..", "a/b", "a:1", "a b", "a\tb", "a\nb", "a\x00b", "a\u00a0b", "x\xa0y", "a\vb", "a\rb"} {
		if err := ValidLinkName(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ValidLinkName(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

// TestBridgeInTopologyChange: either flag, or the topology change timer
// running with both flags clear (as 6.18 reports a change that is ending),
// is a topology change; all zero is none.
func TestBridgeInTopologyChange(t *testing.T) {
	attr := func(typ uint16, data ...byte) Attribute { return Attribute{Type: typ, Data: data} }
	zero := []Attribute{attr(unix.IFLA_BR_TOPOLOGY_CHANGE, 0), attr(unix.IFLA_BR_TOPOLOGY_CHANGE_DETECTED, 0),
		attr(unix.IFLA_BR_TOPOLOGY_CHANGE_TIMER, 0, 0, 0, 0, 0, 0, 0, 0)}
	for _, c := range []struct {
		name  string
		attrs []Attribute
		want  bool
	}{
		{"none", zero, false},
		{"no attributes", nil, false},
		{"flag", append([]Attribute{attr(unix.IFLA_BR_TOPOLOGY_CHANGE, 1)}, zero[1:]...), true},
		{"detected", []Attribute{zero[0], attr(unix.IFLA_BR_TOPOLOGY_CHANGE_DETECTED, 1), zero[2]}, true},
		{"timer running", append(zero[:2:2], attr(unix.IFLA_BR_TOPOLOGY_CHANGE_TIMER, 0x18, 3, 0, 0, 0, 0, 0, 0)), true},
	} {
		if got := (&Bridge{Unknown: c.attrs}).InTopologyChange(); got != c.want {
			t.Errorf("%s: InTopologyChange() = %v, want %v", c.name, got, c.want)
		}
	}
}

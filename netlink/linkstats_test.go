package netlink

import (
	"encoding/binary"
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// TestDecodeLinkStatsMsg: an RTM_NEWSTATS payload, as rtnl_fill_statsinfo
// writes it (struct if_stats_msg, then IFLA_STATS_LINK_64 with struct
// rtnl_link_stats64), and malformed ones.
func TestDecodeLinkStatsMsg(t *testing.T) {
	want := LinkStats{RxPackets: 1, TxPackets: 2, RxBytes: 3, TxBytes: 4, RxOtherhostDropped: 25}
	stats := want.encode()
	p := make([]byte, 12)
	p[0] = unix.AF_UNSPEC
	binary.NativeEndian.PutUint32(p[4:], 7)                              // ifindex
	binary.NativeEndian.PutUint32(p[8:], 1<<(unix.IFLA_STATS_LINK_64-1)) // filter_mask
	attr := make([]byte, 4)
	binary.NativeEndian.PutUint16(attr[0:], uint16(4+len(stats)))
	binary.NativeEndian.PutUint16(attr[2:], unix.IFLA_STATS_LINK_64)
	p = append(append(p, attr...), stats...)
	s, index, ok, err := decodeLinkStatsMsg(p)
	if err != nil || !ok || index != 7 || s != want {
		t.Fatalf("decoded %+v index %d ok %v err %v, want %+v", s, index, ok, err, want)
	}
	if _, _, ok, err := decodeLinkStatsMsg(p[:12]); err != nil || ok {
		t.Errorf("no counters: ok %v err %v", ok, err)
	}
	for _, bad := range [][]byte{p[:8], p[:len(p)-3], append(p[:12:12], 8, 0, 1, 0, 1, 2, 3, 4)} {
		if _, _, _, err := decodeLinkStatsMsg(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("%x: err %v, want ErrMalformed", bad, err)
		}
	}
}

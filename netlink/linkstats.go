package netlink

import (
	"context"
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// LinkStatistics returns the 64-bit counters of every link of the
// namespace, by interface index (RTM_GETSTATS dump with IFLA_STATS_LINK_64
// only: net/core/rtnetlink.c rtnl_stats_dump). Its messages are small,
// one per link: a cheaper way to read the counters than a link dump, whose
// messages carry every attribute. A dump the kernel marks interrupted is
// repeated (Config.MaxDumpRetries), from an empty map.
func (c *Conn) LinkStatistics(ctx context.Context) (map[int]LinkStats, error) {
	// struct if_stats_msg: family, pad1, pad2 (u16), ifindex, filter_mask.
	body := make([]byte, 12)
	binary.NativeEndian.PutUint32(body[8:], 1<<(unix.IFLA_STATS_LINK_64-1))
	out := map[int]LinkStats{}
	err := c.dump(ctx, "link statistics", unix.RTM_GETSTATS, body, func() { clear(out) }, func(p []byte) error {
		s, index, ok, err := decodeLinkStatsMsg(p)
		if err == nil && ok {
			out[index] = s
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// decodeLinkStatsMsg decodes an RTM_NEWSTATS payload: struct if_stats_msg
// and its IFLA_STATS_LINK_64. ok is false when the message has none.
func decodeLinkStatsMsg(p []byte) (s LinkStats, index int, ok bool, err error) {
	if len(p) < 12 {
		return s, 0, false, malformedf("link statistics message of %d bytes", len(p))
	}
	index = int(binary.NativeEndian.Uint32(p[4:8]))
	d := newAttrDecoder(p[12:])
	for d.Next() {
		if d.Type() == unix.IFLA_STATS_LINK_64 {
			if err := s.decode(d.Data()); err != nil {
				return s, index, false, err
			}
			ok = true
		}
	}
	return s, index, ok, d.Err()
}

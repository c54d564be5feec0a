package netlink

import (
	"context"

	"golang.org/x/sys/unix"
)

// Neighbour table parameter attributes (include/uapi/linux/neighbour.h).
const (
	ndtaParms    = 6 // NDTA_PARMS: nested NDTPA_*
	ndtpaIfindex = 1 // NDTPA_IFINDEX: u32
	ndtpaRefcnt  = 2 // NDTPA_REFCNT: u32
)

// NeighParmsRefs returns the sum of the reference counts of the Conn's
// namespace's per-device neighbour parameters (NDTPA_REFCNT of every
// NDTA_PARMS with an NDTPA_IFINDEX in an RTM_GETNEIGHTBL dump, as `ip
// ntable show` prints "refcnt"), and how many such parameter sets there
// are. Each neighbour entry of a device holds one reference on that
// device's parameters from its creation to its destruction
// (neigh_parms_clone in arp_constructor and ndisc_constructor), whether
// or not the kernel announced it, so the sum moves when entries of this
// namespace come or go. It is not monotonic: an entry created and
// another destroyed on one device leave it unchanged. The dump walks the
// parameters of every namespace's devices (neightbl_dump_info), not the
// neighbour entries.
func (c *Conn) NeighParmsRefs(ctx context.Context) (refs uint64, devices int, err error) {
	body := make([]byte, 4) // struct ndtmsg
	err = c.dump(ctx, "neighbour table parameters", unix.RTM_GETNEIGHTBL, body, func() { refs, devices = 0, 0 }, func(p []byte) error {
		if len(p) < 4 {
			return malformedf("neighbour table message of %d bytes", len(p))
		}
		d := newAttrDecoder(p[4:])
		for d.Next() {
			if d.Type() != ndtaParms {
				continue
			}
			n := d.Nested()
			var ifindex, refcnt uint32
			for n.Next() {
				switch n.Type() {
				case ndtpaIfindex:
					ifindex = n.Uint32()
				case ndtpaRefcnt:
					refcnt = n.Uint32()
				}
			}
			if err := n.Err(); err != nil {
				return malformedf("NDTA_PARMS: %v", err)
			}
			if ifindex != 0 {
				refs += uint64(refcnt)
				devices++
			}
		}
		return d.Err()
	})
	return refs, devices, err
}

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
	st, err := c.neighParms(ctx)
	return st.refs, st.devices, err
}

// NeighParmsFingerprint returns a fingerprint of the reference counts of
// the Conn's namespace's per-device neighbour parameters (see
// NeighParmsRefs): a 64-bit value that changes, but for a hash collision,
// whenever any device's count changes or a device's parameters come or go,
// in either table (arp_cache, ndisc_cache). Unlike the sum, it moves when
// a device is deleted while an entry is created on another, which leaves
// the sum as it was. Equal fingerprints mean equal counts device by
// device; they still miss an entry created while another of the same
// device is destroyed.
func (c *Conn) NeighParmsFingerprint(ctx context.Context) (uint64, error) {
	st, err := c.neighParms(ctx)
	return st.fingerprint, err
}

type neighParmsState struct {
	refs, fingerprint uint64
	devices           int
}

func (c *Conn) neighParms(ctx context.Context) (st neighParmsState, err error) {
	body := make([]byte, 4) // struct ndtmsg
	err = c.dump(ctx, "neighbour table parameters", unix.RTM_GETNEIGHTBL, body, func() { st = neighParmsState{} }, func(p []byte) error {
		if len(p) < 4 {
			return malformedf("neighbour table message of %d bytes", len(p))
		}
		family := uint64(p[0])
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
				st.refs += uint64(refcnt)
				st.devices++
				// An order-free sum of mixed (family, device, count)
				// triples.
				st.fingerprint += mix64(family<<56 ^ uint64(ifindex)<<24 ^ uint64(refcnt))
			}
		}
		return d.Err()
	})
	return st, err
}

// mix64 is splitmix64's finalizer: every input bit moves every output bit.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

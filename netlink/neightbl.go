package netlink

import (
	"context"
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// Neighbour table attributes (include/uapi/linux/neighbour.h) that
// x/sys/unix does not name.
const (
	ndtaName   = 1 // NDTA_NAME: string
	ndtaConfig = 5 // NDTA_CONFIG: struct ndt_config
	ndtaStats  = 7 // NDTA_STATS: struct ndt_stats
)

// A NeighTable is one of the kernel's neighbour tables (`ip ntable`):
// arp_cache, ndisc_cache. Its counters are the kernel's, for every
// network namespace together (the tables are global; struct ndt_stats).
type NeighTable struct {
	// Family is unix.AF_INET (arp_cache) or unix.AF_INET6 (ndisc_cache).
	Family uint8
	// Name is NDTA_NAME.
	Name string
	// Entries is the number of entries (ndt_config.ndtc_entries).
	Entries uint32
	// Allocs and Destroys count the entries ever created and destroyed
	// (ndts_allocs, ndts_destroys). An entry the kernel creates without a
	// notification (the multicast entries of its own reports) still
	// counts in Allocs.
	Allocs, Destroys uint64
}

// NeighTables dumps the neighbour tables (RTM_GETNEIGHTBL), skipping the
// per-device parameter messages the dump also returns.
func (c *Conn) NeighTables(ctx context.Context) ([]NeighTable, error) {
	var out []NeighTable
	body := make([]byte, 4) // struct ndtmsg
	err := c.dump(ctx, "neighbour tables", unix.RTM_GETNEIGHTBL, body, func() { out = out[:0] }, func(p []byte) error {
		if len(p) < 4 {
			return malformedf("neighbour table message of %d bytes", len(p))
		}
		t := NeighTable{Family: p[0]}
		stats := false
		d := newAttrDecoder(p[4:])
		for d.Next() {
			switch d.Type() {
			case ndtaName:
				t.Name = d.String()
			case ndtaConfig:
				if b := d.Data(); len(b) >= 8 {
					t.Entries = binary.NativeEndian.Uint32(b[4:8])
				}
			case ndtaStats:
				b := d.Data()
				if len(b) < 16 {
					return malformedf("neighbour table stats of %d bytes", len(b))
				}
				t.Allocs = binary.NativeEndian.Uint64(b[0:8])
				t.Destroys = binary.NativeEndian.Uint64(b[8:16])
				stats = true
			}
		}
		if err := d.Err(); err != nil {
			return err
		}
		if stats {
			out = append(out, t)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

package txn

import (
	"testing"

	"github.com/ipdb-go/ipdb/netlink"
)

// TestTCClsFlagsKernelBits: a flower or matchall filter's skip_hw is
// in effect when the kernel reports it with not_in_hw (or in_hw) added,
// as fl_change and mall_replace_hw_filter do (TCA_CLS_FLAGS_NOT_IN_HW on
// a link without offload): only the bits a request sets count, as for
// u32 and bpf. Found by the state file's flower entries (cmd/ipdb
// TestApplyTCFlower in the guest): "flags 9 -> 1" never held, and apply
// timed out and rolled back.
func TestTCClsFlagsKernelBits(t *testing.T) {
	hw := uint32(netlink.TCAClsFlagsSkipHW)
	for _, c := range []struct {
		name       string
		want, have netlink.TCOptions
		diff       string
	}{
		{"flower skip_hw", &netlink.Flower{Flags: hw}, &netlink.Flower{Flags: hw | netlink.TCAClsFlagsNotInHW}, ""},
		{"matchall skip_hw", &netlink.Matchall{Flags: hw}, &netlink.Matchall{Flags: hw | netlink.TCAClsFlagsNotInHW}, ""},
		{"matchall skip_sw in hw", &netlink.Matchall{Flags: netlink.TCAClsFlagsSkipSW}, &netlink.Matchall{Flags: netlink.TCAClsFlagsSkipSW | netlink.TCAClsFlagsInHW}, ""},
		{"flower skip_hw wanted", &netlink.Flower{Flags: hw}, &netlink.Flower{Flags: netlink.TCAClsFlagsNotInHW}, ": flags 0x0 -> 0x1"},
		{"matchall skip_hw wanted", &netlink.Matchall{Flags: hw}, &netlink.Matchall{Flags: netlink.TCAClsFlagsInHW}, ": flags 0x0 -> 0x1"},
	} {
		if got := tcOptionsDiff(c.want, c.have, false).String(); got != c.diff {
			t.Errorf("%s: %q, want %q", c.name, got, c.diff)
		}
	}
}

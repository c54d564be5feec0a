package txn

import (
	"errors"
	"strings"
	"testing"
)

// TestRenamesReusingANameRefused: a name one spec renames a link away
// from and another spec names is refused before anything is applied
// (found by a user's try: a swap through a temporary name planned only
// its first rename, set the MTU on the wrong link and reported success).
func TestRenamesReusingANameRefused(t *testing.T) {
	for _, c := range []struct {
		name  string
		links []LinkSpec
	}{
		{"chain", []LinkSpec{{Name: "tmpx", RenameFrom: "va"}, {Name: "va", RenameFrom: "vb"}, {Name: "vb", RenameFrom: "tmpx", MTU: ptr(uint32(1400))}}},
		{"swap", []LinkSpec{{Name: "vb", RenameFrom: "va"}, {Name: "va", RenameFrom: "vb"}}},
		{"new link takes the name", []LinkSpec{{Name: "old0", RenameFrom: "br0"}, {Name: "br0", Up: ptr(true)}}},
	} {
		err := (linkOps{}).validate(&specSet{links: c.links})
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "renames the link of this name away") {
			t.Errorf("%s: %v, want it refused", c.name, err)
		}
	}
	if err := (linkOps{}).validate(&specSet{links: []LinkSpec{{Name: "vq", RenameFrom: "va"}, {Name: "vb", MTU: ptr(uint32(1400))}}}); err != nil {
		t.Errorf("a plain rename: %v", err)
	}
}

//go:build linux

package soak

import (
	"flag"
	"strings"
	"testing"
)

// TestCheckFlags: every counting flag of the package rejects a value that
// would make a test check nothing, naming the flag and its range, and
// accepts its default.
func TestCheckFlags(t *testing.T) {
	if err := CheckFlags(); err != nil {
		t.Fatalf("defaults rejected: %v", err)
	}
	for _, c := range []struct{ flag, bad, ok, want string }{
		{"soak.duration", "0s", "1s", "-soak.duration=0s: must be a positive duration"},
		{"soak.duration", "-5s", "1s", "-soak.duration=-5s: must be a positive duration"},
		{"soak.changes", "0", "1", "-soak.changes=0: must be 1 or more"},
		{"soak.maxburst", "-1", "1", "-soak.maxburst=-1: must be 1 or more"},
		{"soak.rcvbuf", "-1", "0", "-soak.rcvbuf=-1: must be 0 (no small-buffer run) or more bytes"},
		{"soak.leaks", "0", "1", "-soak.leaks=0: must be 1 or more"},
	} {
		f := flag.Lookup(c.flag)
		def := f.Value.String()
		if err := flag.Set(c.flag, c.bad); err != nil {
			t.Fatal(err)
		}
		err := CheckFlags(c.flag)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("-%s=%s: error %v, want %q", c.flag, c.bad, err, c.want)
		}
		if err := CheckFlags(); err == nil {
			t.Errorf("-%s=%s: CheckFlags() of all flags accepts it", c.flag, c.bad)
		}
		flag.Set(c.flag, c.ok)
		if err := CheckFlags(c.flag); err != nil {
			t.Errorf("-%s=%s rejected: %v", c.flag, c.ok, err)
		}
		flag.Set(c.flag, def)
	}
	if err := CheckFlags("soak.seed"); err == nil {
		t.Error("CheckFlags of a flag without a range accepted it")
	}
	if err := AtLeast("soak.memcycles", 0, 1); err == nil || err.Error() != "-soak.memcycles=0: must be 1 or more" {
		t.Errorf("AtLeast: %v", err)
	}
}

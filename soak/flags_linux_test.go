package soak_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestSoakFlagsRejected runs this test binary again with each counting
// flag at a value that would make its test check nothing, and wants that
// test to fail at once, naming the flag and its accepted range (it passed
// before, having checked nothing).
func TestSoakFlagsRejected(t *testing.T) {
	if os.Getenv("IPDB_SOAK_CHILD") != "" {
		t.Skip("in a child of TestSoakFlagsRejected")
	}
	for _, c := range []struct{ test, flag, want string }{
		{"TestSoak", "-soak.duration=0s", "-soak.duration=0s: must be a positive duration"},
		{"TestSoak", "-soak.changes=0", "-soak.changes=0: must be 1 or more"},
		{"TestSoak", "-soak.maxburst=-3", "-soak.maxburst=-3: must be 1 or more"},
		{"TestSoak", "-soak.rcvbuf=-1", "-soak.rcvbuf=-1: must be 0 (no small-buffer run) or more bytes"},
		{"TestSoakLeakOpenClose", "-soak.leaks=0", "-soak.leaks=0: must be 1 or more"},
		{"TestSoakLeakSubscribe", "-soak.leaks=-1", "-soak.leaks=-1: must be 1 or more"},
		{"TestSoakMemoryChurn", "-soak.memroutes=0", "-soak.memroutes=0: must be 1 or more"},
		{"TestSoakMemoryChurn", "-soak.memcycles=-2", "-soak.memcycles=-2: must be 1 or more"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^"+c.test+"$", "-test.count=1", "-test.timeout=2m", c.flag)
		cmd.Env = append(os.Environ(), "IPDB_SOAK_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("%s %s passed; want it to fail naming the flag:\n%s", c.test, c.flag, out)
			continue
		}
		if !strings.Contains(string(out), c.want) {
			t.Errorf("%s %s: output lacks %q:\n%s", c.test, c.flag, c.want, out)
		}
	}
}

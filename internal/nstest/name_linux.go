//go:build linux

package nstest

import (
	"fmt"
	"os"
)

// Name returns a fresh namespace name of the form New uses
// (ipdbtest-PID-N), for a test that creates the namespace itself (with
// netlink.AddNetNS or `ip netns add`) and must remove it when it ends.
func Name() string { return fmt.Sprintf("ipdbtest-%d-%d", os.Getpid(), counter.Add(1)) }

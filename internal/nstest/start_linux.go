package nstest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Start runs a long-lived program (prog with args, e.g. "sleep", "60") in
// the namespace and returns once it runs there: its /proc/PID/ns/net is
// the namespace's and it has exec'd prog. The test's cleanup kills it.
// It enters with nsenter(1) (util-linux, busybox), which only calls
// setns: `ip netns exec` also unshares the mount namespace and remounts
// /sys, which can fail in the user namespace of a non-root run. A program
// that exits early fails the test with its output.
func (ns *NS) Start(t testing.TB, prog string, args ...string) *exec.Cmd {
	t.Helper()
	var want unix.Stat_t
	if err := unix.Stat(ns.Path, &want); err != nil {
		t.Fatalf("nstest: %v", err)
	}
	var out bytes.Buffer
	cmd := exec.Command("nsenter", append([]string{"--net=" + ns.Path, "--", prog}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("nstest: nsenter: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	pid := cmd.Process.Pid
	// At most 20 s: a loaded machine or an emulated guest can be that slow.
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err // for the cleanup
			t.Fatalf("nstest: %s in %s exited at once: %v: %s", prog, ns.Name, err, out.String())
		default:
		}
		var st unix.Stat_t
		err := unix.Stat(fmt.Sprintf("/proc/%d/ns/net", pid), &st)
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		// comm is at most 15 bytes of the program's base name.
		base := filepath.Base(prog)
		if err == nil && st.Ino == want.Ino && strings.TrimSpace(string(comm)) == base[:min(len(base), 15)] {
			return cmd
		}
		if time.Now().After(deadline) {
			t.Fatalf("nstest: %s (pid %d) did not start in %s within 20 s", prog, pid, ns.Name)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

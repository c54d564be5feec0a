package ipdb_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/ipdb"
	"golang.org/x/sys/unix"
)

// TestSetAttachErrors: a namespace under the followed directory that the
// set cannot enter (here: the set runs as root of a user namespace of its
// own, as an ordinary user's process is, and the namespace belongs to
// another) is reported by AttachErrors, not skipped silently.
func TestSetAttachErrors(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		dir := t.TempDir()
		bindInto(t, dir, "locked", ns, 0)
		cmd := exec.Command(os.Args[0], "-test.run=^TestSetAttachErrorsHelper$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "IPDB_TEST_SET_DIR="+dir)
		cmd.SysProcAttr = &syscall.SysProcAttr{
			Cloneflags:  unix.CLONE_NEWUSER,
			UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}},
			GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}},
		}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("the set in a user namespace of its own: %v\n%s", err, out.String())
		}
		if !strings.Contains(out.String(), "locked: ") || !strings.Contains(out.String(), "operation not permitted") {
			t.Fatalf("AttachErrors did not report the namespace it cannot enter:\n%s", out.String())
		}
	})
}

// TestSetAttachErrorsHelper is TestSetAttachErrors's child.
func TestSetAttachErrorsHelper(t *testing.T) {
	dir := os.Getenv("IPDB_TEST_SET_DIR")
	if dir == "" {
		t.Skip("run by TestSetAttachErrors only")
	}
	s, err := ipdb.OpenSet(context.Background(), &ipdb.SetConfig{RunDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := nstest.Eventually(15*time.Second, func() error {
		errs := s.AttachErrors()
		if errs["locked"] == nil {
			return fmt.Errorf("no attach error yet: %v; attached %v", errs, s.Namespaces())
		}
		fmt.Printf("locked: %v\n", errs["locked"])
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

package ipdb_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/internal/dbtest"
	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/ipdb"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// setAliasSilently writes a link's alias through sysfs, which the kernel
// does not announce (ifalias_store -> dev_set_alias, no RTM_NEWLINK). The
// write runs on a thread in the namespace with its own mount namespace
// and a sysfs mounted there, which shows that namespace's devices.
func setAliasSilently(t *testing.T, ns *nstest.NS, link, alias string) {
	t.Helper()
	err := ns.Do(func() error {
		if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
			return err
		}
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			return err
		}
		dir, err := os.MkdirTemp("", "ipdb-sysfs")
		if err != nil {
			return err
		}
		defer os.Remove(dir)
		if err := unix.Mount("sysfs", dir, "sysfs", 0, ""); err != nil {
			return fmt.Errorf("mount sysfs: %w", err)
		}
		defer unix.Unmount(dir, unix.MNT_DETACH)
		return os.WriteFile(filepath.Join(dir, "class/net", link, "ifalias"), []byte(alias), 0)
	})
	if err != nil {
		t.Skipf("cannot write the alias through sysfs here: %v", err)
	}
}

// TestRefreshWithKinds: links are kept whatever WithKinds says (routes and
// the other kinds name them), so the periodic refresh re-reads them too,
// and an alias set without a notification reaches a database that asked
// for routes only.
func TestRefreshWithKinds(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.Batch("link add v0 type veth peer name v1")
		db := dbtest.Open(t, ns, ipdb.WithKinds(netlink.KindRoute), ipdb.WithRefresh(200*time.Millisecond))
		setAliasSilently(t, ns, "v0", "set through sysfs")
		if got := ns.IP("-j", "link", "show", "v0"); !strings.Contains(got, `"ifalias":"set through sysfs"`) {
			t.Fatalf("ip does not see the alias: %s", got)
		}
		err := nstest.Eventually(10*time.Second, func() error {
			l, err := db.Snapshot().LinkByName("v0")
			if err != nil {
				return err
			}
			if l.Alias != "set through sysfs" {
				return fmt.Errorf("alias %q", l.Alias)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

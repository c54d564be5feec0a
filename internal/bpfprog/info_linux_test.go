package bpfprog

import (
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// TestByFDAndID: a loaded program's descriptor and its id tell of the
// same program, named as loaded; a descriptor of no BPF object and an id
// of no program are the kernel's errors.
func TestByFDAndID(t *testing.T) {
	fd := nstest.LoadTCProg(t, unix.BPF_PROG_TYPE_SCHED_CLS, "ipdb_info")
	p, err := ByFD(fd)
	if err != nil {
		t.Fatal(err)
	}
	if p.ID == 0 || p.Name != "ipdb_info" || p.Tag == ([TagSize]byte{}) {
		t.Errorf("ByFD: %+v", p)
	}
	q, err := ByID(p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if q != p {
		t.Errorf("ByID(%d) = %+v, ByFD = %+v", p.ID, q, p)
	}
	f, err := os.Open("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := ByFD(int(f.Fd())); !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.EBADF) {
		t.Errorf("ByFD(/dev/null): %v, want EINVAL or EBADF", err)
	}
	if _, err := ByID(0x7ffffff0); !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.EPERM) {
		t.Errorf("ByID of no program: %v, want ENOENT (or EPERM without CAP_SYS_ADMIN)", err)
	}
}

// TestPinned: a pinned program opens as the program it is; a path with
// nothing pinned and a file that is no BPF object are the kernel's
// errors.
func TestPinned(t *testing.T) {
	path := nstest.PinTCProg(t, unix.BPF_PROG_TYPE_SCHED_CLS, "ipdb_pinned", "cls")
	fd, err := Pinned(path)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if p, err := ByFD(fd); err != nil || p.Name != "ipdb_pinned" {
		t.Errorf("the pinned program: %+v, %v", p, err)
	}
	if _, err := Pinned(path + "-none"); !errors.Is(err, unix.ENOENT) {
		t.Errorf("nothing pinned: %v, want ENOENT", err)
	}
	if _, err := Pinned("/dev/null"); err == nil {
		t.Error("/dev/null opened as a pinned program")
	}
	// A pinned map.
	nstest.PinMap(t, path+"-map")
	if _, err := Pinned(path + "-map"); !errors.Is(err, ErrNotProgram) {
		t.Errorf("a pinned map: %v, want ErrNotProgram", err)
	}
}

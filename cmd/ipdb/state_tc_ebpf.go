package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/internal/bpfprog"
	"github.com/ipdb-go/ipdb/netlink"
)

// eBPF programs in the state file: a bpf filter or a bpf action names a
// program pinned in a BPF file system by its path, as tc's
// "object-pinned" does (tc-bpf(8); a loader pinned it there):
//
//	filters:
//	  - {dev: v0, parent: ingress, protocol: all, pref: 1, handle: 1, kind: bpf,
//	     object-pinned: /sys/fs/bpf/tc/cls, direct-action: true}
//	  - {dev: v0, parent: egress, protocol: all, pref: 1, handle: 1, kind: bpf,
//	     bytecode: "1,6 0 0 0", actions: ["bpf object-pinned /sys/fs/bpf/tc/act pipe"]}
//
// The file is read when the state file is, the program opened by its
// path (BPF_OBJ_GET) and compared by its id with the one the kernel
// reports (txn.FilterSpec.Options): a program pinned again at the same
// path, a new version, replaces the attached one; the same one is no
// change. The name sent is tc's, the path's last element and "[*fsobj]"
// ("cls:[*fsobj]"), so that tc and ipdb show the same.

// pinnedProgram opens the program pinned at path for a bpf filter or
// action: its descriptor, kept open until the process ends or the
// specs are closed (specSet.close), and the name tc sends with it.
func pinnedProgram(path string) (fd int, name string, err error) {
	if !filepath.IsAbs(path) {
		return -1, "", fmt.Errorf("bad object-pinned %q (want the absolute path of a program pinned in a BPF file system)", path)
	}
	fd, err = bpfprog.Pinned(path)
	if err != nil {
		// The kernel refuses a file of another file system, and a
		// directory, with EACCES (bpf_obj_get_user -> bpf_inode_type):
		// say which.
		var st unix.Statfs_t
		if errors.Is(err, unix.EACCES) && unix.Statfs(path, &st) == nil && st.Type != unix.BPF_FS_MAGIC {
			return -1, "", fmt.Errorf("object-pinned %s: not in a BPF file system (mount -t bpf; loaders pin under /sys/fs/bpf)", path)
		}
		if fi, serr := os.Stat(path); errors.Is(err, unix.EACCES) && serr == nil && fi.IsDir() {
			return -1, "", fmt.Errorf("object-pinned %s: a directory (want the file a loader pinned the program as, in it)", path)
		}
		if errors.Is(err, bpfprog.ErrNotProgram) {
			err = bpfprog.ErrNotProgram // Pinned's error names the path too
		}
		return -1, "", fmt.Errorf("object-pinned %s: %w", path, err)
	}
	return fd, filepath.Base(path) + ":[*fsobj]", nil
}

// parseBPFPinnedAction reads "object-pinned PATH [VERDICT]" after the
// bpf action's kind.
func parseBPFPinnedAction(s string) (*netlink.ActBPF, error) {
	f := strings.Fields(s)
	if len(f) < 2 || f[0] != "object-pinned" {
		return nil, fmt.Errorf("bad bpf action %q (want \"bpf bytecode 'N,code jt jf k,...' [VERDICT]\" or \"bpf object-pinned PATH [VERDICT]\")", "bpf "+s)
	}
	v, err := oneVerdict("bpf", f[2:], netlink.TCActPipe)
	if err != nil {
		return nil, err
	}
	fd, name, err := pinnedProgram(f[1])
	if err != nil {
		return nil, err
	}
	return &netlink.ActBPF{TCActionGen: netlink.TCActionGen{Action: v}, FD: fd, Name: name}, nil
}

// close closes the descriptors of the pinned programs the specs hold
// (the state file has no other way to give one).
func (s *specSet) close() {
	for i := range s.filters {
		o := s.filters[i].Options
		if b, ok := o.(*netlink.BPFFilter); ok && b != nil && b.FD != 0 {
			unix.Close(int(b.FD))
		}
		var acts netlink.TCActions
		switch x := o.(type) {
		case *netlink.U32:
			acts = x.Actions
		case *netlink.BPFFilter:
			acts = x.Actions
		case *netlink.Flower:
			acts = x.Actions
		case *netlink.Matchall:
			acts = x.Actions
		}
		for _, a := range acts {
			if ab, ok := a.Options.(*netlink.ActBPF); ok && ab != nil && ab.FD > 0 {
				unix.Close(ab.FD)
			}
		}
	}
}

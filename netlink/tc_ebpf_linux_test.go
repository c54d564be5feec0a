package netlink_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"unsafe"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// loadSchedCls loads the smallest tc eBPF program ("r0 = 0; exit", which
// with direct action is TC_ACT_OK) with bpf(BPF_PROG_LOAD) and returns its
// file descriptor.
func loadSchedCls(t *testing.T) int {
	t.Helper()
	insns := []uint64{
		0xb7, // BPF_ALU64|BPF_MOV|BPF_K: r0 = 0
		0x95, // BPF_JMP|BPF_EXIT
	}
	license := []byte("GPL\x00")
	// union bpf_attr for BPF_PROG_LOAD, up to prog_name.
	var attr struct {
		progType, insnCnt uint32
		insns, license    uint64
		logLevel, logSize uint32
		logBuf            uint64
		kernVersion       uint32
		progFlags         uint32
		progName          [16]byte
	}
	attr.progType = unix.BPF_PROG_TYPE_SCHED_CLS
	attr.insnCnt = uint32(len(insns))
	attr.insns = uint64(uintptr(unsafe.Pointer(&insns[0])))
	attr.license = uint64(uintptr(unsafe.Pointer(&license[0])))
	copy(attr.progName[:], "ipdb_test")
	fd, _, errno := unix.Syscall(unix.SYS_BPF, unix.BPF_PROG_LOAD, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	runtime.KeepAlive(insns)
	runtime.KeepAlive(license)
	if errno != 0 {
		if errors.Is(errno, unix.ENOSYS) {
			t.Skipf("this kernel has no bpf(2): %v", errno)
		}
		if errors.Is(errno, unix.EPERM) && !nstest.InInitialUserNS() {
			// The run as root in the initial namespace loads it.
			t.Skipf("loading an eBPF program needs CAP_BPF in the initial user namespace, and this run is in a user namespace: %v", errno)
		}
		t.Fatalf("BPF_PROG_LOAD: %v", errno)
	}
	t.Cleanup(func() { unix.Close(int(fd)) })
	return int(fd)
}

// TestTCBPFFDLive attaches an eBPF program by descriptor, with a name and
// direct action, on a clsact ingress block, and compares what the kernel
// reports (name, id, tag, direct action) with tc -j filter show.
func TestTCBPFFDLive(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c := tcSetup(t, ns)
		fd := loadSchedCls(t)
		ctx := context.Background()
		v0 := ns.Ifindex("v0")
		if err := c.QdiscAdd(ctx, &netlink.Qdisc{Index: v0, Parent: netlink.HandleClsact, TCKind: "clsact"}); err != nil {
			t.Fatal(err)
		}
		f := &netlink.Filter{Index: v0, Parent: netlink.HandleIngressBlock, Priority: 1, Protocol: unix.ETH_P_ALL, Handle: 1,
			Options: &netlink.BPFFilter{FD: uint32(fd), Name: "ipdb_test", DirectAction: true}}
		if err := c.FilterAdd(ctx, f); err != nil {
			t.Fatal(err)
		}
		fs, err := c.Filters(ctx, &netlink.FilterFilter{Index: v0, Parent: netlink.HandleIngressBlock})
		if err != nil || len(fs) != 2 {
			t.Fatalf("filters: %v, %v", fs, err)
		}
		o, ok := fs[1].Options.(*netlink.BPFFilter)
		if !ok || o.Name != "ipdb_test" || o.ID == 0 || len(o.Tag) != 8 || !o.DirectAction || o.FD != 0 || o.Ops != nil {
			t.Fatalf("eBPF filter read back: %#v", fs[1].Options)
		}
		tcf := tcJSON(t, ns, "filter", "show", "dev", "v0", "ingress")
		if len(tcf) != 2 {
			t.Fatalf("tc: %v", tcf)
		}
		opt, _ := tcf[1]["options"].(map[string]any)
		prog, _ := opt["prog"].(map[string]any)
		if opt["bpf_name"] != "ipdb_test" || opt["direct-action"] != true || prog == nil ||
			prog["id"] != float64(o.ID) || prog["tag"] != fmt.Sprintf("%x", o.Tag) {
			t.Errorf("tc shows %v; we read %+v", opt, o)
		}
		// A read-back eBPF filter has no descriptor: it cannot be sent
		// again as it is.
		if err := netlink.FilterRequest(netlink.Replace, fs[1]).Err(); !errors.Is(err, netlink.ErrInvalid) {
			t.Errorf("replace of a read-back eBPF filter: %v", err)
		}
	})
}

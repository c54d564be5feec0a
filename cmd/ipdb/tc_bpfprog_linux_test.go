package main

import (
	"context"
	"errors"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// loadTCProg loads the smallest tc eBPF program ("r0 = 0; exit": with
// direct action TC_ACT_OK, as an action TC_ACT_OK too) of type typ
// (BPF_PROG_TYPE_SCHED_CLS or _SCHED_ACT) named name with
// bpf(BPF_PROG_LOAD), and returns its descriptor, closed at the end of
// the test.
func loadTCProg(t *testing.T, typ uint32, name string) int {
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
	attr.progType = typ
	attr.insnCnt = uint32(len(insns))
	attr.insns = uint64(uintptr(unsafe.Pointer(&insns[0])))
	attr.license = uint64(uintptr(unsafe.Pointer(&license[0])))
	copy(attr.progName[:], name)
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

// ebpfFilterTC puts a clsact on v0 with two eBPF filters on its ingress
// (one named, with direct action; one loaded without a name) and one on
// its egress, attached by descriptor as tc's "bpf obj" does; with act
// it adds, to a third ingress filter, a bpf action running an eBPF
// program (the guest's kernel has act_bpf, this host's does not).
func ebpfFilterTC(t *testing.T, ns *nstest.NS, act bool) {
	t.Helper()
	ns.Batch("link add v0 type veth peer name v1", "link set v0 up", "link set v1 up")
	tcIn(t, ns, "qdisc", "add", "dev", "v0", "clsact")
	c, err := netlink.Dial(&netlink.Config{NetNS: ns.Name})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	named := loadTCProg(t, unix.BPF_PROG_TYPE_SCHED_CLS, "ipdb_cls")
	anon := loadTCProg(t, unix.BPF_PROG_TYPE_SCHED_CLS, "")
	v0 := ns.Ifindex("v0")
	fs := []*netlink.Filter{
		{Index: v0, Parent: netlink.HandleIngressBlock, Priority: 1, Protocol: unix.ETH_P_ALL, Handle: 1,
			Options: &netlink.BPFFilter{FD: uint32(named), Name: "cls.o:[classifier]", DirectAction: true}},
		{Index: v0, Parent: netlink.HandleIngressBlock, Priority: 2, Protocol: unix.ETH_P_IP, Handle: 2,
			Options: &netlink.BPFFilter{FD: uint32(anon), Name: "anon", ClassID: netlink.NewHandle(1, 2)}},
		{Index: v0, Parent: netlink.HandleEgressBlock, Priority: 1, Protocol: unix.ETH_P_ALL, Handle: 1,
			Options: &netlink.BPFFilter{FD: uint32(named), Name: "cls.o:[egress]", DirectAction: true}},
	}
	if act {
		a := loadTCProg(t, unix.BPF_PROG_TYPE_SCHED_ACT, "ipdb_act")
		fs = append(fs, &netlink.Filter{Index: v0, Parent: netlink.HandleIngressBlock, Priority: 3, Protocol: unix.ETH_P_ALL, Handle: 3,
			Options: &netlink.BPFFilter{FD: uint32(anon), Name: "anon",
				Actions: netlink.TCActions{{Options: &netlink.ActBPF{FD: a, Name: "act.o:[action]", TCActionGen: netlink.TCActionGen{Action: netlink.TCActPipe}}}}}})
	}
	for _, f := range fs {
		if err := c.FilterAdd(context.Background(), f); err != nil {
			t.Fatalf("filter add %+v: %v", f.Options, err)
		}
	}
}

// TestTCShowEBPFProgram: `show filter` prints an eBPF filter's program
// as tc does, its id with the name, tag and jited that bpf(2) tells
// (and -d's load_time and created_by_uid), in the JSON key for key and
// in the table as tc's text, on clsact's ingress and egress.
func TestTCShowEBPFProgram(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.NeedTC(t, "filter", "bpf", "bytecode", "1,6 0 0 0")
		ebpfFilterTC(t, ns, false)
		for _, sel := range [][]string{{"dev", "v0", "ingress"}, {"dev", "v0", "egress"}} {
			args := append([]string{"show", "filter"}, sel...)
			tcArgs := append([]string{"filter", "show"}, sel...)
			compareTCJSON(t, ns, args, tcArgs...)
			compareTCJSON(t, ns, append([]string{"-d"}, args...), append([]string{"-d"}, tcArgs...)...)
			compareTCText(t, ns, "filter", false, args, tcArgs...)
			compareTCText(t, ns, "filter", false, append([]string{"-d"}, args...), append([]string{"-d"}, tcArgs...)...)
		}
		// What the comparisons must have seen.
		code, out, errs := runCmd(t, "-n", ns.Name, "-j", "-d", "show", "filter", "dev", "v0", "ingress")
		if code != exitOK {
			t.Fatalf("show filter: exit %d: %s", code, errs)
		}
		for _, re := range []string{
			`"bpf_name":"cls.o:\[classifier\]","direct-action":true,"not_in_hw":true,"prog":\{"id":\d+,"name":"ipdb_cls","tag":"[0-9a-f]{16}","jited":[01],"load_time":\d+,"created_by_uid":0\}[,}]`,
			`"bpf_name":"anon","not_in_hw":true,"prog":\{"id":\d+,"name":"","tag":"[0-9a-f]{16}","jited":[01],"load_time":\d+,"created_by_uid":0\}[,}]`,
		} {
			if !regexp.MustCompile(re).MatchString(out) {
				t.Errorf("-j -d show filter dev v0 ingress lacks %s:\n%s", re, out)
			}
		}
		code, out, errs = runCmd(t, "-n", ns.Name, "show", "filter", "dev", "v0", "ingress")
		if code != exitOK {
			t.Fatalf("show filter: exit %d: %s", code, errs)
		}
		if re := regexp.MustCompile(`cls.o:\[classifier\] direct-action not_in_hw id \d+ name ipdb_cls tag [0-9a-f]{16}`); !re.MatchString(out) {
			t.Errorf("show filter dev v0 ingress lacks %s:\n%s", re, out)
		}
	})
}

// TestTCShowEBPFAction: a bpf action running an eBPF program prints its
// program as tc does (the same code as the filter's), in the JSON and
// the table. The host lacks act_bpf; the guest (.ci/vm/run.sh) runs it.
func TestTCShowEBPFAction(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.NeedTC(t, "filter", "bpf", "bytecode", "1,6 0 0 0")
		ns.NeedTC(t, "action", "bpf", "bytecode", "1,6 0 0 0")
		ebpfFilterTC(t, ns, true)
		args := []string{"show", "filter", "dev", "v0", "ingress"}
		tcArgs := []string{"filter", "show", "dev", "v0", "ingress"}
		compareTCJSON(t, ns, args, tcArgs...)
		compareTCJSON(t, ns, append([]string{"-d"}, args...), append([]string{"-d"}, tcArgs...)...)
		compareTCText(t, ns, "filter", false, args, tcArgs...)
		compareTCText(t, ns, "filter", false, append([]string{"-d"}, args...), append([]string{"-d"}, tcArgs...)...)
		code, out, errs := runCmd(t, append([]string{"-n", ns.Name, "-j"}, args...)...)
		if code != exitOK {
			t.Fatalf("show filter: exit %d: %s", code, errs)
		}
		re := regexp.MustCompile(`"kind":"bpf","bpf_name":"act.o:\[action\]","prog":\{"id":\d+,"name":"ipdb_act","tag":"[0-9a-f]{16}","jited":[01]\},"control_action"`)
		if !re.MatchString(out) {
			t.Errorf("-j show filter dev v0 ingress lacks %s:\n%s", re, out)
		}
		code, out, errs = runCmd(t, append([]string{"-n", ns.Name}, args...)...)
		if code != exitOK {
			t.Fatalf("show filter: exit %d: %s", code, errs)
		}
		if !strings.Contains(out, "bpf act.o:[action] id ") || !strings.Contains(out, " name ipdb_act tag ") {
			t.Errorf("show filter dev v0 ingress lacks the action's program:\n%s", out)
		}
	})
}

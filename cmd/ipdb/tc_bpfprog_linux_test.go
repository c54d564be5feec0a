package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

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
	named := nstest.LoadTCProg(t, unix.BPF_PROG_TYPE_SCHED_CLS, "ipdb_cls")
	anon := nstest.LoadTCProg(t, unix.BPF_PROG_TYPE_SCHED_CLS, "")
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
		a := nstest.LoadTCProg(t, unix.BPF_PROG_TYPE_SCHED_ACT, "ipdb_act")
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
		compareFilterShow(t, ns, "dev", "v0", "ingress")
		compareFilterShow(t, ns, "dev", "v0", "egress")
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
		compareFilterShow(t, ns, "dev", "v0", "ingress")
		args := []string{"show", "filter", "dev", "v0", "ingress"}
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

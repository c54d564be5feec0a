package nstest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// ErrLacksTC is wrapped by HaveTC's error when the kernel has no such tc
// kind.
var ErrLacksTC = errors.New("no such tc kind")

// tcLackAnswers are the kernel's answers to a tc kind it has not, as tc
// prints them: qdisc_lookup_ops fails in qdisc_create ("Specified qdisc
// kind is unknown"), tcf_proto_lookup_ops in tcf_proto_create ("TC
// classifier not found"), tc_action_load_ops ("Failed to load TC action
// module"), each ENOENT ("No such file or directory" without extended
// acks).
var tcLackAnswers = []string{
	"Specified qdisc kind is unknown",
	"TC classifier not found",
	"Failed to load TC action module",
	"No such file or directory",
}

// HaveTC reports whether the kernel has the tc object ("qdisc", "filter"
// or "action") of kind, by making one in ns with the kind's options in
// args, on a new veth that is deleted again: a qdisc as its root, a
// filter in the ingress block of a clsact qdisc on it (protocol all, pref
// 1), an action bound to a u32 filter there (`u32 match u32 0 0 action
// KIND ARGS`; not on its own: `tc actions add` needs CAP_NET_ADMIN in the
// initial user namespace, tc_ctl_action's netlink_capable, which the
// tests' user namespace has not). It returns nil when the kernel made it,
// an error wrapping ErrLacksTC with the kernel's answer when the kernel
// has no such kind (loadable modules are loaded by the kernel on demand),
// and any other error when the probe failed otherwise (for example
// options the kind refuses).
func (ns *NS) HaveTC(object, kind string, args ...string) error {
	var cmd []string
	switch object {
	case "qdisc", "filter", "action":
	default:
		return fmt.Errorf("HaveTC: object %q is not qdisc, filter or action", object)
	}
	dev := fmt.Sprintf("tcprobe%d", counter.Add(1))
	if _, err := ns.IPErr("link", "add", dev, "type", "veth", "peer", "name", dev+"p"); err != nil {
		return err
	}
	defer ns.IPErr("link", "del", dev)
	if object == "qdisc" {
		cmd = append([]string{"qdisc", "add", "dev", dev, "root", "handle", "1:", kind}, args...)
	} else {
		if err := ns.tcProbe("qdisc", "add", "dev", dev, "clsact"); err != nil {
			return err
		}
		cmd = []string{"filter", "add", "dev", dev, "ingress", "protocol", "all", "pref", "1"}
		if object == "filter" {
			cmd = append(append(cmd, kind), args...)
		} else {
			cmd = append(append(cmd, "u32", "match", "u32", "0", "0", "action", kind), args...)
		}
	}
	err := ns.tcProbe(cmd...)
	if err != nil {
		for _, a := range tcLackAnswers {
			if strings.Contains(err.Error(), a) {
				return fmt.Errorf("%w: %v", ErrLacksTC, err)
			}
		}
	}
	return err
}

// tcProbe runs `tc -n NAME args...`.
func (ns *NS) tcProbe(args ...string) error {
	out, err := exec.Command("tc", append([]string{"-n", ns.Name}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("tc %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// NeedTC ends the test unless the kernel has the tc object of kind (see
// HaveTC): a skip, "this kernel lacks the KIND OBJECT", or a failure
// where AllKindsEnv is set; a probe that fails otherwise fails the test.
func (ns *NS) NeedTC(t testing.TB, object, kind string, args ...string) {
	t.Helper()
	err := ns.HaveTC(object, kind, args...)
	switch {
	case err == nil:
	case errors.Is(err, ErrLacksTC):
		if os.Getenv(AllKindsEnv) != "" {
			t.Fatalf("this kernel lacks the %s %s (%v), but %s is set", kind, object, err, AllKindsEnv)
		}
		t.Skipf("this kernel lacks the %s %s: %v", kind, object, err)
	default:
		t.Fatalf("probing the %s %s: %v", kind, object, err)
	}
}

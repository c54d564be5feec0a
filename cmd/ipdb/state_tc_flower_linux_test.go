package main

import (
	"strings"
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
)

// TestApplyTCFlower: a state file's flower and matchall filters (the
// guest's kernel has them; this host's lacks them): the plan prints them
// in tc's words, tc shows the keys the file gives, a second apply has
// nothing to do; a second file that changes a port, drops a MAC key, a
// flag and the flowid is one change per filter, after which tc shows
// none of what the file left out; a matchall filter's mirred action
// points to its target by name.
func TestApplyTCFlower(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		ns.NeedTC(t, "filter", "flower")
		ns.NeedTC(t, "filter", "matchall", "classid", "1:1") // 6.1 refuses one without options
		ns.NeedTC(t, "action", "gact", "drop")
		ns.Batch("link add v0 type veth peer name v1", "link set v0 up", "link set v1 up")
		ns.NeedTC(t, "action", "mirred", "egress", "mirror", "dev", "v1")
		first := `
qdiscs:
  - {dev: v0, kind: clsact}
filters:
  - {dev: v0, parent: ingress, protocol: ip, pref: 1, handle: 1, kind: flower, skip_hw: true, flowid: "1:10",
     match: ["ip_proto tcp", "dst_ip 192.0.2.0/24", "dst_port 80", "src_port 1024/0xfc00", "dst_mac 02:00:00:00:00:01/ff:ff:ff:00:00:00"],
     actions: ["gact drop"]}
  - {dev: v0, parent: ingress, protocol: 802.1Q, pref: 2, handle: 1, kind: flower,
     match: ["vlan_id 100", "vlan_prio 3", "vlan_ethtype ipv6", "ip_proto udp", "src_ip 2001:db8::/32"]}
  - {dev: v0, parent: egress, protocol: all, pref: 3, handle: 1, kind: matchall, skip_sw: false, actions: ["mirred egress mirror dev v1"]}
`
		out := applyTCFile(t, ns, first, false)
		for _, w := range []string{
			"+ filter dev v0 ingress protocol ip pref 1 chain 0 handle 0x1 flower classid 1:10 skip_hw dst_mac 02:00:00:00:00:01/ff:ff:ff:00:00:00 ip_proto tcp dst_ip 192.0.2.0/24 dst_port 80 src_port 1024/0xfc00 action gact drop",
			"+ filter dev v0 ingress protocol 802.1Q pref 2 chain 0 handle 0x1 flower vlan_id 100 vlan_prio 3 vlan_ethtype ipv6 ip_proto udp src_ip 2001:db8::/32",
			"+ filter dev v0 egress protocol all pref 3 chain 0 handle 0x1 matchall action mirred egress mirror dev v1",
		} {
			if !strings.Contains(out, w) {
				t.Errorf("plan lacks %q:\n%s", w, out)
			}
		}
		in := tcOut(t, ns, "filter", "show", "dev", "v0", "ingress")
		for _, w := range []string{"classid 1:10", "dst_mac 02:00:00:00:00:01/24", "eth_type ipv4", "ip_proto tcp",
			"dst_ip 192.0.2.0/24", "dst_port 80", "src_port 1024/0xfc00", "skip_hw", "action order 1: gact action drop",
			"vlan_id 100", "vlan_prio 3", "vlan_ethtype ipv6", "src_ip 2001:db8::/32"} {
			if !strings.Contains(in, w) {
				t.Errorf("tc filter show ingress lacks %q:\n%s", w, in)
			}
		}
		if eg := tcOut(t, ns, "filter", "show", "dev", "v0", "egress"); !strings.Contains(eg, "matchall") || !strings.Contains(eg, "Egress Mirror to device v1") {
			t.Errorf("tc filter show egress:\n%s", eg)
		}
		if out := applyTCFile(t, ns, first, false); !strings.Contains(out, "nothing to do") {
			t.Errorf("second apply is not empty:\n%s", out)
		}

		second := `
qdiscs:
  - {dev: v0, kind: clsact}
filters:
  - {dev: v0, parent: ingress, protocol: ip, pref: 1, handle: 1, kind: flower,
     match: ["ip_proto tcp", "dst_ip 192.0.2.0/24", "dst_port 443"], actions: ["gact drop"]}
  - {dev: v0, parent: ingress, protocol: 802.1Q, pref: 2, handle: 1, kind: flower,
     match: ["vlan_id 100", "vlan_prio 3", "vlan_ethtype ipv6", "ip_proto udp", "src_ip 2001:db8::/32"]}
  - {dev: v0, parent: egress, protocol: all, pref: 3, handle: 1, kind: matchall, skip_hw: true}
`
		out = applyTCFile(t, ns, second, false)
		for _, w := range []string{"dst_port 80 -> dst_port 443", "classid 1:10 -> (none)", "skip_hw -> (none)", "actions [action mirred egress mirror dev v1] -> (none)"} {
			if !strings.Contains(out, w) {
				t.Errorf("the second file's plan lacks %q:\n%s", w, out)
			}
		}
		if strings.Contains(out, "pref 2") {
			t.Errorf("the second file changes the unchanged vlan filter:\n%s", out)
		}
		in = tcOut(t, ns, "filter", "show", "dev", "v0", "ingress")
		for _, gone := range []string{"classid", "dst_mac", "src_port", "skip_hw", "dst_port 80\n"} {
			if strings.Contains(in, gone) {
				t.Errorf("tc filter show ingress still has %q:\n%s", gone, in)
			}
		}
		if !strings.Contains(in, "dst_port 443") {
			t.Errorf("tc filter show ingress lacks the new port:\n%s", in)
		}
		if eg := tcOut(t, ns, "filter", "show", "dev", "v0", "egress"); strings.Contains(eg, "mirred") || !strings.Contains(eg, "skip_hw") {
			t.Errorf("tc filter show egress after the second file:\n%s", eg)
		}
		if out := applyTCFile(t, ns, second, false); !strings.Contains(out, "nothing to do") {
			t.Errorf("the second file again is not empty:\n%s", out)
		}
	})
}

package nstest

import (
	"encoding/json"
	"slices"
	"time"
)

// SettleDAD waits, for at most 10 seconds, until no IPv6 address of a
// link that is up with a carrier is tentative. The kernel adds an IPv6
// address's local route (table local) and prefix route only when
// duplicate address detection ends, a second or two after the address
// appears (a link-local one too, when a link comes up), so a state
// captured earlier lacks routes that appear later by themselves. Capture
// the state a test compares against after SettleDAD. Addresses of links
// without a carrier stay tentative and are not waited for.
func (ns *NS) SettleDAD() {
	ns.t.Helper()
	type addrInfo struct {
		Tentative bool `json:"tentative"`
		DADFailed bool `json:"dadfailed"`
	}
	type link struct {
		Flags    []string   `json:"flags"`
		AddrInfo []addrInfo `json:"addr_info"`
	}
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		var links []link
		if err := json.Unmarshal([]byte(ns.IP("-j", "-6", "addr", "show")), &links); err != nil {
			ns.t.Fatalf("ip -j -6 addr: %v", err)
		}
		busy := false
		for _, l := range links {
			if !slices.Contains(l.Flags, "UP") || !slices.Contains(l.Flags, "LOWER_UP") {
				continue
			}
			for _, a := range l.AddrInfo {
				busy = busy || (a.Tentative && !a.DADFailed)
			}
		}
		if !busy {
			return
		}
	}
}

// WaitCarrier waits, for at most 5 seconds, until each named link reports
// a carrier (LOWER_UP), and fails the test if one does not. A bridge
// gets its carrier only once the kernel's link watcher has told it that a
// port has one, some milliseconds after `ip link set up`
// (net/bridge/br_if.c, br_port_carrier_check); a nexthop or IPv6 state
// that needs the carrier must wait for it.
func (ns *NS) WaitCarrier(names ...string) {
	ns.t.Helper()
	for _, name := range names {
		end := time.Now().Add(5 * time.Second)
		for {
			var links []struct {
				Flags []string `json:"flags"`
			}
			if err := json.Unmarshal([]byte(ns.IP("-j", "link", "show", "dev", name)), &links); err != nil {
				ns.t.Fatalf("ip -j link show dev %s: %v", name, err)
			}
			if len(links) == 1 && slices.Contains(links[0].Flags, "LOWER_UP") {
				break
			}
			if time.Now().After(end) {
				ns.t.Fatalf("link %s has no carrier after 5 s", name)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

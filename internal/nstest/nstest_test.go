//go:build linux

package nstest

import (
	"os"
	"strings"
	"testing"
)

func TestNamespaceIsolated(t *testing.T) {
	Run(t, func(t *testing.T, ns *NS) {
		var links []struct {
			Ifname string `json:"ifname"`
		}
		ns.IPJSON(&links, "link", "show")
		// lo, and the fallback tunnel devices where their modules are
		// loaded.
		if len(links) == 0 || links[0].Ifname != "lo" {
			t.Fatalf("a new namespace should hold lo first, got %+v", links)
		}
		for _, l := range links[1:] {
			if !IsFallbackLink(l.Ifname) {
				t.Fatalf("a new namespace should hold only lo and fallback tunnels, got %+v", links)
			}
		}
		ns.IP("link", "add", "br-nstest", "type", "bridge")
		if host, err := os.ReadFile("/proc/1/net/dev"); err == nil && strings.Contains(string(host), "br-nstest") {
			t.Fatal("link created in the test namespace is visible in the host's")
		}
		err := ns.Do(func() error {
			dev, err := os.ReadFile("/proc/thread-self/net/dev")
			if err == nil && !strings.Contains(string(dev), "br-nstest") {
				t.Errorf("Do does not run inside the namespace:\n%s", dev)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

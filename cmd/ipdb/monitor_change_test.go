package main

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// TestMonitorChangeWords checks what monitor prints for two changes a
// user's try found noisy: an address relabelled by its link's rename,
// whose lifetimes were announced a second apart ("valid_lft 292sec ->
// 291sec" is time passing, not a change), and a rule whose interface went
// away (the whole rule was printed three times).
func TestMonitorChangeWords(t *testing.T) {
	names := newLinkNames(nil)
	names.m[3] = linkRef{name: "v1x"}
	now := time.Now()
	old := &netlink.Addr{Family: unix.AF_INET, Index: 3, Prefix: netip.MustParsePrefix("192.0.2.1/24"), Label: "v1",
		ValidLifetime: 300, PreferredLifetime: 100, ValidUntil: now.Add(292 * time.Second), PreferredUntil: now.Add(92 * time.Second)}
	relabelled := *old
	relabelled.Label = "v1x"
	relabelled.ValidLifetime, relabelled.ValidUntil = 299, now.Add(290*time.Second+500*time.Millisecond)
	relabelled.PreferredLifetime, relabelled.PreferredUntil = 99, now.Add(90*time.Second+500*time.Millisecond)
	got, _ := changeText(addrWords(sameDeadlines(old, &relabelled).(*netlink.Addr), names), addrWords(&relabelled, names))
	if want := "3: v1x inet 192.0.2.1/24 v1 -> v1x"; got != want {
		t.Errorf("relabelled address:\ngot  %q\nwant %q", got, want)
	}
	// A real new lifetime is a change.
	renewed := relabelled
	renewed.ValidUntil = now.Add(1000 * time.Second)
	if got, _ := changeText(addrWords(sameDeadlines(&relabelled, &renewed).(*netlink.Addr), names), addrWords(&renewed, names)); got == "" ||
		!strings.Contains(got, "valid_lft") {
		t.Errorf("renewed address: %q, want a valid_lft change", got)
	}

	r := &netlink.Rule{Family: unix.AF_INET, Priority: 100, Table: 100, OIFName: "v1", Action: unix.FR_ACT_TO_TBL}
	detached := *r
	detached.Flags |= unix.FIB_RULE_OIF_DETACHED
	got, visible := changeText(ruleWords(r), ruleWords(&detached))
	if want := "100: inet from all oif v1 lookup 100 -> from all oif v1 [detached] lookup 100"; !visible || got != want {
		t.Errorf("rule change:\ngot  %q\nwant %q", got, want)
	}
}

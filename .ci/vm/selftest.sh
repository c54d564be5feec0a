#!/bin/bash
# Checks .ci/vm/run.sh's documented contract as a user meets it: exit 0
# when the tests pass, 1 when a test fails, 2 when the harness fails or
# is misused (with a "vm: " message), and no qemu left running after a
# timeout or after the harness is stopped (SIGTERM, as a CI job being
# cancelled); regular expressions reach the guest whole.
#
#   bash .ci/vm/selftest.sh
#
# It works on a copy of the repository in a temporary directory (the tree
# is not changed), boots the guest seven times with one test each (about
# 3-5 minutes under emulation) and prints one line per case; it exits 1
# when any case fails. Run as root or as a user, as run.sh.
set -uo pipefail
cd "$(dirname "$0")/../.."
src=$PWD
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ipdb-vm-selftest.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/repo"
tar -C "$src" --exclude=.git -cf - . | tar -C "$tmp/repo" -xf -
cd "$tmp/repo"

# A test that fails on purpose in the guest (which has vlan links); on a
# host without them it skips.
cat >netlink/zz_selftest_fails_linux_test.go <<'EOF'
package netlink_test

import (
	"testing"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/netlink"
)

func TestSelftestFailsOnPurpose(t *testing.T) {
	nstest.Run(t, func(t *testing.T, ns *nstest.NS) {
		c := linkDial(t, ns)
		lower := linkLower(t, ns, c)
		linkAddOrLacks(t, c, "vlan", &netlink.Link{Name: "v100", ParentIndex: lower, Info: &netlink.LinkInfo{Data: &netlink.Vlan{ID: 100}}})
		v, _ := linkMust(t, c, "v100").Info.Data.(*netlink.Vlan)
		if v == nil || v.ID != 101 {
			t.Errorf("on purpose: vlan %+v, want id 101", v)
		}
	})
}
EOF

fails=0
# qemus prints the ids of the qemu processes that boot from this copy.
qemus() { pgrep -f "qemu-system-x86_64 " | while read -r p; do
	tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null | grep -q -- "$tmp" && echo "$p"
done; }

# check NAME WANT_RC [ENV=VALUE...] -- ARGS: runs the harness, compares the
# exit status, and wants a "vm: " message on stderr for status 2.
check() {
	local name=$1 want=$2 rc
	shift 2
	local envs=()
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	env ${envs[@]+"${envs[@]}"} TMPDIR="$tmp" bash .ci/vm/run.sh "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	local why=""
	[ "$rc" = "$want" ] || why="exit $rc, want $want"
	if [ "$want" = 2 ] && ! grep -q '^vm: ' "$tmp/err"; then why="${why:+$why; }no vm: message"; fi
	if [ -n "$(qemus)" ]; then why="${why:+$why; }qemu left running"; fi
	if [ -z "$why" ]; then
		echo "ok   $name"
	else
		echo "FAIL $name: $why; stderr's end:"
		tail -n 3 "$tmp/err" | sed 's/^/       /'
		fails=$((fails + 1))
	fi
}

check "flag without its value (-count)" 2 -- -count
check "flag without its value (-run)" 2 -- -run
check "IPDB_VM_TIMEOUT not a number" 2 IPDB_VM_TIMEOUT=abc -- -run '^TestLinkBondSlaves$' ./netlink
check "IPDB_VM_TIMEOUT too small" 2 IPDB_VM_TIMEOUT=3 -- -run '^TestLinkBondSlaves$' ./netlink
check "a passing full-kernel test" 0 -- -run '^TestLinkBondSlaves$' ./netlink
# A quote in -run once ended /init with a syntax error (a kernel panic):
# run.sh wrote the regexp inside '...' into the guest's configuration.
check "a regexp with a quote in it" 0 -- -run "^TestLinkBondSlaves\$|^TestDon't\$" ./netlink
check "a test failing on purpose" 1 -- -run '^TestSelftestFailsOnPurpose$' ./netlink
# A space in -run must not cut it in two and drop the -skip after it
# (the failing test then runs).
check "a regexp with a space, then -skip" 0 -- -run '^TestSelftestFailsOnPurpose$|^A B$' -skip '^TestSelftestFailsOnPurpose$' ./netlink

# Stopped while the guest runs: qemu must not outlive the harness.
TMPDIR="$tmp" bash .ci/vm/run.sh -run '^TestLinkBondSlaves$' ./netlink >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 120); do [ -n "$(qemus)" ] && break; sleep 1; done
sleep 2
kill -TERM "$pid"
wait "$pid"
sleep 3
left=$(qemus | tr "\n" " ")
if [ -z "$left" ]; then
	echo "ok   SIGTERM while the guest runs leaves no qemu"
else
	echo "FAIL SIGTERM while the guest runs leaves qemu running: pids $left (stopped now)"
	for p in $left; do kill "$p"; done
	fails=$((fails + 1))
fi

[ $fails = 0 ]

#!/usr/bin/env bash
# Runs the project's tests inside Debian's full kernel (every module: dummy,
# vlan, bond, vrf, the tunnels, wireguard, ipvlan, xfrm, MPLS, all of tc)
# under qemu, as root, and reports Go's test output and status here.
#
#   bash .ci/vm/run.sh [-v] [-race] [-run REGEXP] [-skip REGEXP] [-count N] [-timeout DUR] [PACKAGE...]
#
# PACKAGEs are Go package patterns (default ./...); only packages with tests
# are built. -v prints the guest's whole verbose output, otherwise only the
# failed and skipped tests and one line per package. -run, -skip, -count
# and -timeout are go test's. -race builds the test binaries with the race
# detector (cgo; about 1.6x slower in the guest).
#
# Nothing is installed on the host's kernel: the kernel image and
# busybox-static are fetched with `apt-get download` and unpacked with
# `dpkg-deb -x` into the cache (IPDB_VM_CACHE, default /var/cache/ipdb-vm as
# root, else ${XDG_CACHE_HOME:-~/.cache}/ipdb-vm), where they stay between
# runs. qemu-system-x86 is apt-get installed when missing (as root). The
# guest runs under KVM when /dev/kvm is writable and KVM runs it (the
# guest's first line within IPDB_VM_KVM_WAIT seconds, default 30), else
# software-emulated (tcg); IPDB_VM_ACCEL=tcg skips KVM.
#
# Environment: IPDB_VM_TIMEOUT (seconds for the whole boot, default 1500),
# IPDB_VM_MEM (MiB, default 1024, 2048 with -race), IPDB_VM_JOBS (test
# packages run at once in the guest, default 2: its processors), IPDB_VM_KERNEL (a
# linux-image-* package name instead of what linux-image-amd64 depends on),
# IPDB_VM_FB_TUNNELS=0 (no fallback tunnel devices such as gre0 and sit0 in
# new namespaces; by default they appear, as on real hosts), IPDB_VM_KEEP=1
# (keep the work directory).
#
# Exit status: 0 all tests passed, 1 a test failed, 2 the harness failed
# or was misused (a bad flag or value, no kernel, no qemu, the guest timed
# out or crashed, a TERM, INT or HUP), with a "vm:" line saying why; after
# a timeout or crash the kernel log is kept in the cache's
# last-console.log. A signal stops qemu too. .ci/vm/selftest.sh checks
# all this.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
export PATH="/usr/local/go/bin:$PATH"

die() { echo "vm: $*" >&2; exit 2; }

verbose=0 race=0 runre="" skipre="" count=1 gotimeout=15m pkgs=()
# value FLAG ARGS...: the flag's value, the next argument, which must exist.
value() { [ $# -ge 2 ] || die "$1 needs a value (see -h)"; }
while [ $# -gt 0 ]; do
	case $1 in
	-v) verbose=1 ;;
	-race) race=1 ;;
	-run) value "$@"; runre=$2; shift ;;
	-run=*) runre=${1#-run=} ;;
	-skip) value "$@"; skipre=$2; shift ;;
	-skip=*) skipre=${1#-skip=} ;;
	-count) value "$@"; count=$2; shift ;;
	-count=*) count=${1#-count=} ;;
	-timeout) value "$@"; gotimeout=$2; shift ;;
	-timeout=*) gotimeout=${1#-timeout=} ;;
	-h | -help | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) die "unknown flag $1 (see -h)" ;;
	*) pkgs+=("$1") ;;
	esac
	shift
done
[ ${#pkgs[@]} -gt 0 ] || pkgs=(./...)

# Bad values are refused here, before anything is fetched or built.
posint() { [[ $2 =~ ^[1-9][0-9]*$ ]] || die "$1 must be a positive whole number, not '$2'"; }
posint -count "$count"
[[ $gotimeout =~ ^(0|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$ ]] ||
	die "-timeout must be a Go duration (15m, 1h30m, 0 for none), not '$gotimeout'"
case $runre$skipre in *$'\n'*) die "-run and -skip take one line each" ;; esac
posint IPDB_VM_TIMEOUT "${IPDB_VM_TIMEOUT:-1500}"
posint IPDB_VM_JOBS "${IPDB_VM_JOBS:-2}"
posint IPDB_VM_KVM_WAIT "${IPDB_VM_KVM_WAIT:-30}"
case ${IPDB_VM_ACCEL:-} in "" | tcg) ;; *) die "IPDB_VM_ACCEL must be tcg or unset, not '$IPDB_VM_ACCEL'" ;; esac
[ -z "${IPDB_VM_MEM:-}" ] || posint IPDB_VM_MEM "$IPDB_VM_MEM"
case ${IPDB_VM_FB_TUNNELS:-1} in 0 | 1) ;; *) die "IPDB_VM_FB_TUNNELS must be 0 or 1, not '$IPDB_VM_FB_TUNNELS'" ;; esac
case ${IPDB_VM_KEEP:-0} in 0 | 1) ;; *) die "IPDB_VM_KEEP must be 0 or 1, not '$IPDB_VM_KEEP'" ;; esac

# stopped ends the run on a TERM, INT or HUP, with qemu if it runs (qpid).
qpid=
stopped() {
	trap - TERM INT HUP
	[ -z "$qpid" ] || { kill -TERM "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null; }
	die "stopped by a signal"
}
trap stopped TERM INT HUP
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
t0=$(now)

if [ "$(id -u)" = 0 ]; then
	cache=${IPDB_VM_CACHE:-/var/cache/ipdb-vm}
else
	cache=${IPDB_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ipdb-vm}
fi
mkdir -p "$cache"

# --- Parts: qemu, the kernel and its modules, busybox ---------------------
apt_updated=0
apt_update() {
	[ $apt_updated = 0 ] || return 0
	[ "$(id -u)" = 0 ] || die "the package lists lack what is needed; run 'apt-get update' as root"
	echo "vm: apt-get update" >&2
	apt-get update -qq
	apt_updated=1
}
if ! command -v qemu-system-x86_64 >/dev/null; then
	[ "$(id -u)" = 0 ] || die "qemu-system-x86_64 is missing: apt-get install --no-install-recommends qemu-system-x86"
	apt_update
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-system-x86 >/dev/null
fi

# fetch PACKAGE: unpacks the package into $cache/PACKAGE-VERSION (once) and
# prints that directory.
fetch() {
	local pkg=$1 ver dir deb
	ver=$(apt-cache policy "$pkg" 2>/dev/null | awk '/Candidate:/ { print $2 }')
	if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
		apt_update >&2
		ver=$(apt-cache policy "$pkg" | awk '/Candidate:/ { print $2 }')
		[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "no package $pkg"
	fi
	dir=$cache/$pkg-$ver
	if [ ! -e "$dir/.unpacked" ]; then
		mkdir -p "$cache/debs"
		deb=$(ls "$cache/debs/${pkg}_"*.deb 2>/dev/null | grep -F "_${ver//:/%3a}_" | head -n 1 || true)
		if [ -z "$deb" ]; then
			echo "vm: apt-get download $pkg=$ver" >&2
			if ! (cd "$cache/debs" && apt-get download -qq "$pkg=$ver" 2>&1 >/dev/null | grep -v "unsandboxed" >&2); then :; fi
			deb=$(ls "$cache/debs/${pkg}_"*.deb 2>/dev/null | grep -F "_${ver//:/%3a}_" | head -n 1 || true)
			if [ -z "$deb" ]; then
				apt_update >&2
				(cd "$cache/debs" && apt-get download -qq "$pkg=$ver" >/dev/null) || die "apt-get download $pkg failed"
				deb=$(ls "$cache/debs/${pkg}_"*.deb | head -n 1)
			fi
		fi
		rm -rf "$dir"
		dpkg-deb -x "$deb" "$dir"
		touch "$dir/.unpacked"
	fi
	echo "$dir"
}

kpkg=${IPDB_VM_KERNEL:-}
if [ -z "$kpkg" ]; then
	kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	if [ -z "$kpkg" ]; then
		apt_update
		kpkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	fi
	[ -n "$kpkg" ] || die "apt-cache depends linux-image-amd64 names no kernel image"
fi
kdir=$(fetch "$kpkg")
bbdir=$(fetch busybox-static)
vmlinuz=$(ls "$kdir"/boot/vmlinuz-* | head -n 1)
kver=${vmlinuz##*/vmlinuz-}
kmods=$kdir/lib/modules/$kver
busybox=$bbdir/bin/busybox
[ -x "$busybox" ] && [ -d "$kmods" ] || die "unexpected layout in $kdir or $bbdir"
# The package ships no modules.dep (depmod makes it on installation).
[ -e "$kmods/modules.dep" ] || "$busybox" depmod -b "$kdir" "$kver"
echo "vm: kernel $kver ($kpkg), $(qemu-system-x86_64 --version | head -n 1), ready in $(since "$t0") s" >&2

# --- Test binaries ---------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/ipdb-vm.XXXXXX")
[ "${IPDB_VM_KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
rootfs=$work/root
mkdir -p "$rootfs"/{bin,sbin,etc,proc,sys,dev,tmp,run,tests,src,lib64}

t1=$(now)
buildflags=(-ldflags=-s\ -w)
if [ $race = 1 ]; then
	export CGO_ENABLED=1
	buildflags+=(-race)
else
	export CGO_ENABLED=0
fi
mapfile -t testpkgs < <(go list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}} {{.Dir}}{{end}}' "${pkgs[@]}")
[ ${#testpkgs[@]} -gt 0 ] || die "no packages with tests in ${pkgs[*]}"
i=0
for line in "${testpkgs[@]}"; do
	ipath=${line%% *} dir=${line#* }
	rel=${dir#"$root"/}
	[ "$rel" != "$dir" ] || rel=.
	i=$((i + 1))
	name=$(printf '%02d' $i)
	go test -c "${buildflags[@]}" -o "$rootfs/tests/$name.test" "$ipath"
	printf '%s %s\n' "$ipath" "$rel" >"$rootfs/tests/$name.pkg"
	mkdir -p "$rootfs/src/$rel"
	[ ! -d "$dir/testdata" ] || cp -a "$dir/testdata" "$rootfs/src/$rel/"
done
echo "vm: ${#testpkgs[@]} test binaries built in $(since "$t1") s (CGO_ENABLED=$CGO_ENABLED race=$race)" >&2

# --- Initramfs -------------------------------------------------------------
t1=$(now)
# copy_exe FILE...: copies executables to the same path in the guest, with
# the shared libraries ldd names and the loader.
copy_exe() {
	local f lib
	for f in "$@"; do
		mkdir -p "$rootfs$(dirname "$f")"
		cp -L "$f" "$rootfs$f"
		ldd "$f" 2>/dev/null | awk '/=> \// { print $3 } /^\t\// { print $1 }' | while read -r lib; do
			[ -e "$rootfs$lib" ] && continue
			mkdir -p "$rootfs$(dirname "$lib")"
			cp -L "$lib" "$rootfs$lib"
		done
	done
}
cp "$busybox" "$rootfs/bin/busybox"
# Only the applets /init and the tests use: busybox's ip and tc must not
# shadow iproute2's.
for a in sh mount umount mkdir ln cat echo sleep sync poweroff stty modprobe insmod depmod sysctl \
	uname ls rm cp mv date dmesg true false env id sed grep awk tr head tail wc basename dirname cut nsenter; do
	ln -s busybox "$rootfs/bin/$a"
done
ln -s ../bin/busybox "$rootfs/sbin/modprobe"
for tool in ip bridge tc; do
	p=$(command -v "$tool" || PATH=/usr/sbin:/sbin:$PATH command -v "$tool") || die "iproute2's $tool is missing"
	p=$(readlink -f "$p")
	copy_exe "$p"
	[ "$p" = "/sbin/$tool" ] || ln -sf "$p" "$rootfs/sbin/$tool"
done
for f in /usr/lib/x86_64-linux-gnu/tc /usr/lib/tc; do
	[ ! -d "$f" ] || { mkdir -p "$rootfs$(dirname "$f")"; cp -a "$f" "$rootfs$f"; }
done
if [ $race = 1 ]; then
	for t in "$rootfs"/tests/*.test; do
		ldd "$t" 2>/dev/null | awk '/=> \// { print $3 } /^\t\// { print $1 }' | while read -r lib; do
			[ -e "$rootfs$lib" ] || { mkdir -p "$rootfs$(dirname "$lib")"; cp -L "$lib" "$rootfs$lib"; }
		done
	done
fi
cp -a /etc/iproute2 "$rootfs/etc/"
cp /etc/protocols /etc/services "$rootfs/etc/"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$rootfs/etc/hosts"

# Modules: what the tests create, their dependencies by modules.dep, and all
# of net/sched (loaded on demand through /sbin/modprobe).
# crc32c_generic before act_csum: libcrc32c needs a crc32c algorithm (a soft
# dependency, which busybox modprobe does not follow).
modules="bridge veth vxlan macvlan macvtap ipvlan ipvtap tun ifb dummy 8021q bonding vrf
	ip_gre ip6_gre ipip sit ip6_tunnel ip_vti ip6_vti geneve wireguard xfrm_interface
	mpls_router mpls_iptunnel mpls_gso esp4 esp6 xfrm_user ah4 ah6 crc32c_generic
	sch_ingress sch_htb sch_tbf sch_netem sch_fq_codel sch_fq sch_prio sch_sfq sch_cake
	cls_flower cls_matchall cls_u32 cls_basic cls_bpf em_cmp act_gact act_mirred act_police
	act_bpf act_vlan act_skbedit act_pedit act_tunnel_key act_csum"
# Copied, loaded on demand: the crypto RNGs xfrm ESP states need (under
# software emulation jitterentropy_rng's self-test usually fails).
ondemand="drbg jitterentropy_rng"
mkdir -p "$rootfs/lib/modules/$kver"
wanted=$(
	{
		for m in $modules $ondemand; do
			awk -v m="$m" -F: '{ n = $1; sub(/.*\//, "", n); sub(/\.ko(\.[a-z]+)?$/, "", n); gsub(/-/, "_", n); if (n == m) print }' "$kmods/modules.dep"
		done
		grep '^kernel/net/sched/' "$kmods/modules.dep"
	} | tr ' :' '\n\n' | grep . | sort -u
)
for m in $wanted; do
	mkdir -p "$rootfs/lib/modules/$kver/$(dirname "$m")"
	cp "$kmods/$m" "$rootfs/lib/modules/$kver/$m"
done
cp "$kmods"/modules.order "$kmods"/modules.builtin* "$rootfs/lib/modules/$kver/" 2>/dev/null || true
"$busybox" depmod -b "$rootfs" "$kver"

cp .ci/vm/init "$rootfs/init"
chmod +x "$rootfs/init"
{
	echo "modules='$modules'"
	echo "testflags='-test.v -test.count=$count -test.timeout=$gotimeout'"
	echo "fb_tunnels=${IPDB_VM_FB_TUNNELS:-1}"
	echo "jobs=${IPDB_VM_JOBS:-2}"
} >"$rootfs/etc/ipdb-vm.conf"
# The regular expressions go whole, as files: no quoting to get wrong.
printf '%s' "$runre" >"$rootfs/etc/ipdb-vm.run"
printf '%s' "$skipre" >"$rootfs/etc/ipdb-vm.skip"
(cd "$rootfs" && find . | "$busybox" cpio -o -H newc 2>/dev/null | gzip -1 >"$work/initrd.gz")
echo "vm: initramfs $(du -m "$work/initrd.gz" | cut -f1) MB, $(echo "$wanted" | wc -w) modules, built in $(since "$t1") s" >&2

# --- Boot ------------------------------------------------------------------
mem=${IPDB_VM_MEM:-$([ $race = 1 ] && echo 2048 || echo 1024)}
limit=${IPDB_VM_TIMEOUT:-1500}
# boot runs qemu with accelerator $1 and CPU model $2, in the background so
# that a TERM, INT or HUP (a CI job cancelled, ^C) stops it at once
# (stopped): timeout passes the signal on to qemu (and kills it 10 s later
# if it is still there). With $3 = probe, it gives up after $kvmwait s
# without the guest's first line (IPDB-VM-BOOTED), returning 125: a
# /dev/kvm that opens does not mean KVM runs a guest (nested
# virtualization without the MSRs qemu sets aborts at once, "failed to set
# MSR 0x10a"; or the vCPU never runs).
kvmwait=${IPDB_VM_KVM_WAIT:-30}
boot() {
	: >"$work/result.log"
	: >"$work/console.log"
	timeout -k 10 "$limit" qemu-system-x86_64 -accel "$1" -cpu "$2" -smp 2 -m "$mem" \
		-kernel "$vmlinuz" -initrd "$work/initrd.gz" \
		-append "console=ttyS0 panic=-1 oops=panic loglevel=4 quiet" \
		-display none -no-reboot -nodefaults -monitor none \
		-serial "file:$work/console.log" -serial "file:$work/result.log" \
		-device virtio-rng-pci 2>"$work/qemu.err" &
	qpid=$!
	if [ "${3:-}" = probe ]; then
		waited=0
		while kill -0 "$qpid" 2>/dev/null && ! grep -q '^IPDB-VM-BOOTED' "$work/result.log"; do
			if [ "$waited" -ge "$kvmwait" ]; then
				kill -TERM "$qpid" 2>/dev/null
				wait "$qpid" 2>/dev/null
				qpid=
				return 125
			fi
			sleep 1
			waited=$((waited + 1))
		done
		if ! grep -q '^IPDB-VM-BOOTED' "$work/result.log"; then
			wait "$qpid"
			qpid=
			return 125
		fi
	fi
	local rc=0
	wait "$qpid" || rc=$?
	qpid=
	return $rc
}
set +e
t1=$(now)
qrc=125
if [ -w /dev/kvm ] && [ "${IPDB_VM_ACCEL:-}" != tcg ]; then
	echo "vm: booting (accel kvm, ${mem} MiB, timeout ${limit} s)" >&2
	boot kvm host probe
	qrc=$?
	if [ $qrc = 125 ]; then
		echo "vm: KVM did not run the guest (within ${kvmwait} s; $(head -c 300 "$work/qemu.err" | tr '\n' ' ')); booting again under emulation" >&2
		t1=$(now)
	fi
fi
if [ $qrc = 125 ]; then
	echo "vm: booting (accel tcg, ${mem} MiB, timeout ${limit} s)" >&2
	boot tcg max
	qrc=$?
fi
cat "$work/qemu.err" >&2
set -e
guest=$(since "$t1")

# --- Report ----------------------------------------------------------------
tr -d '\r' <"$work/result.log" >"$work/result.txt"
status=$(awk '/^IPDB-VM-STATUS / { print $2 }' "$work/result.txt" | tail -n 1)
if [ $verbose = 1 ]; then
	grep -v '^IPDB-VM-' "$work/result.txt" || true
else
	# Go's verbose output, cut down to what `go test` prints without -v:
	# the output of failed and skipped tests and the package lines.
	awk '
		/^=== (RUN|CONT|NAME) / { cur = $3; next }
		/^=== PAUSE / { next }
		/^IPDB-VM-WARN / { print; next }
		/^IPDB-VM-/ { next }
		/^[ \t]*--- (FAIL|SKIP): / { n = $3; printf "%s%s\n", buf[n], $0; delete buf[n]; next }
		/^[ \t]*--- PASS: / { delete buf[$3]; next }
		/^(ok|FAIL|PASS$|panic:)/ { print; cur = ""; next }
		{ if (cur == "") print; else buf[cur] = buf[cur] $0 "\n" }
	' "$work/result.txt"
fi
if [ -z "$status" ]; then
	echo "vm: guest wall time ${guest} s (qemu exit $qrc), no result, total $(since "$t0") s" >&2
	why="a crash"
	[ "$qrc" != 124 ] && [ "$qrc" != 137 ] || why="the timeout, ${limit} s (IPDB_VM_TIMEOUT)"
	echo "vm: no exit status from the guest: $why" >&2
	# The packages that started and did not end (/init prints each
	# package's output when it ends).
	unfinished=$(awk '/^IPDB-VM-START / { s[$2] = 1 } /^(ok|FAIL)\t/ { delete s[$2] } END { for (p in s) print p }' "$work/result.txt")
	if ! grep -q '^IPDB-VM-BOOTED ' "$work/result.txt"; then
		echo "vm: the guest had not reached /init" >&2
	elif ! grep -q '^IPDB-VM-MODULES ' "$work/result.txt"; then
		echo "vm: the guest was loading its modules" >&2
	elif [ -n "$unfinished" ]; then
		echo "vm: packages still running: $(echo $unfinished)" >&2
	fi
	cp "$work/console.log" "$cache/last-console.log" 2>/dev/null || true
	if [ -s "$work/console.log" ]; then
		echo "vm: the kernel log (warnings and worse) is in $cache/last-console.log; its end:" >&2
		tail -n 40 "$work/console.log" >&2 || true
	else
		echo "vm: the kernel logged no warning" >&2
	fi
	if [ "${IPDB_VM_KEEP:-0}" = 1 ]; then echo "vm: kept $work" >&2; fi
	exit 2
fi
skips=$(grep -c -- '--- SKIP' "$work/result.txt" || true)
echo "vm: guest wall time ${guest} s (qemu exit $qrc), $skips skipped tests, total $(since "$t0") s" >&2
if [ "${IPDB_VM_KEEP:-0}" = 1 ]; then echo "vm: kept $work" >&2; fi
[ "$status" = 0 ] || exit 1

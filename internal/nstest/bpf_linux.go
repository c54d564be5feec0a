package nstest

import (
	"errors"
	"runtime"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// LoadTCProg loads the smallest tc eBPF program ("r0 = 0; exit": with
// direct action TC_ACT_OK, as an action TC_ACT_OK too) of type typ
// (unix.BPF_PROG_TYPE_SCHED_CLS or _SCHED_ACT) named name (at most 15
// bytes) with bpf(BPF_PROG_LOAD), and returns its descriptor, closed at
// the end of the test. It skips the test on a kernel without bpf(2) and
// where NeedBPF does.
func LoadTCProg(t testing.TB, typ uint32, name string) int {
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
	copy(attr.progName[:15], name)
	NeedBPF(t)
	fd, _, errno := unix.Syscall(unix.SYS_BPF, unix.BPF_PROG_LOAD, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	runtime.KeepAlive(insns)
	runtime.KeepAlive(license)
	if errno != 0 {
		if errors.Is(errno, unix.ENOSYS) {
			t.Skipf("this kernel has no bpf(2): %v", errno)
		}
		t.Fatalf("BPF_PROG_LOAD: %v", errno)
	}
	t.Cleanup(func() { unix.Close(int(fd)) })
	return int(fd)
}

// PinTCProg loads a program as LoadTCProg does and pins it as file in a
// BPF file system mounted for the test (BPFFS), as a loader pins the
// programs tc attaches with "object-pinned"; it returns the pin's path.
// The mount and the program go at the end of the test.
func PinTCProg(t testing.TB, typ uint32, name, file string) string {
	t.Helper()
	fd := LoadTCProg(t, typ, name)
	path := BPFFS(t) + "/" + file
	PinProg(t, fd, path)
	return path
}

// BPFFS mounts a BPF file system on a temporary directory for the test
// (mount -t bpf), unmounted at its end, and returns the directory. It
// skips the test where NeedBPF does.
func BPFFS(t testing.TB) string {
	t.Helper()
	NeedBPF(t)
	dir := t.TempDir()
	if err := unix.Mount("bpf", dir, "bpf", 0, ""); err != nil {
		t.Fatalf("mount -t bpf bpf %s: %v", dir, err)
	}
	// Cleanups run last-added first: the unmount before TempDir's removal.
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	return dir
}

// PinProg pins the program (or other BPF object) of descriptor fd at
// path in a BPF file system (BPF_OBJ_PIN).
func PinProg(t testing.TB, fd int, path string) {
	t.Helper()
	p, err := unix.BytePtrFromString(path)
	if err != nil {
		t.Fatal(err)
	}
	// union bpf_attr for BPF_OBJ_PIN: pathname, bpf_fd, file_flags.
	attr := struct {
		pathname         uint64
		bpfFD, fileFlags uint32
	}{pathname: uint64(uintptr(unsafe.Pointer(p))), bpfFD: uint32(fd)}
	_, _, errno := unix.Syscall(unix.SYS_BPF, unix.BPF_OBJ_PIN, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	runtime.KeepAlive(p)
	if errno != 0 {
		t.Fatalf("BPF_OBJ_PIN %s: %v", path, errno)
	}
}

// NeedBPF skips the test, with the reason, unless this process holds
// CAP_BPF or CAP_SYS_ADMIN in the initial user namespace: loading a tc
// program needs one of them there (bpf_capable(); Debian sets
// kernel.unprivileged_bpf_disabled to 2, and tc programs are never
// unprivileged), and so does mounting a BPF file system. A normal user's
// run, and Run's re-executed child in its user namespace, lack them; the
// run as root has them and runs the test.
func NeedBPF(t testing.TB) {
	t.Helper()
	if !InInitialUserNS() {
		t.Skip("eBPF programs and BPF file systems need CAP_BPF in the initial user namespace, and this run is in a user namespace")
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		t.Fatalf("capget: %v", err)
	}
	has := func(c uint) bool { return data[c/32].Effective&(1<<(c%32)) != 0 }
	if !has(unix.CAP_BPF) && !has(unix.CAP_SYS_ADMIN) {
		t.Skip("eBPF programs and BPF file systems need CAP_BPF or CAP_SYS_ADMIN, which this process lacks (the run as root has them)")
	}
}

// PinMap creates the smallest eBPF map (an array of one 4-byte value)
// with bpf(BPF_MAP_CREATE) and pins it at path in a BPF file system: an
// object there that is no program. The descriptor is closed at the end
// of the test; the pin stays until its file system goes.
func PinMap(t testing.TB, path string) {
	t.Helper()
	NeedBPF(t)
	attr := struct{ mapType, keySize, valueSize, maxEntries uint32 }{unix.BPF_MAP_TYPE_ARRAY, 4, 4, 1}
	fd, _, errno := unix.Syscall(unix.SYS_BPF, unix.BPF_MAP_CREATE, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	if errno != 0 {
		t.Fatalf("BPF_MAP_CREATE: %v", errno)
	}
	t.Cleanup(func() { unix.Close(int(fd)) })
	PinProg(t, int(fd), path)
}

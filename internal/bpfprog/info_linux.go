package bpfprog

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ByID returns the program with this id: BPF_PROG_GET_FD_BY_ID
// (kernel/bpf/syscall.c bpf_prog_get_fd_by_id: EPERM without
// CAP_SYS_ADMIN in the initial user namespace, ENOENT when no program has
// the id), then ByFD on that descriptor, which it closes. The errors are
// the calls' unix.Errno.
func ByID(id uint32) (Info, error) {
	fd, err := FDByID(id)
	if err != nil {
		return Info{}, err
	}
	defer unix.Close(fd)
	return ByFD(fd)
}

// FDByID opens a descriptor of the program with this id
// (BPF_PROG_GET_FD_BY_ID; the errors of ByID); the caller closes it.
func FDByID(id uint32) (int, error) {
	// union bpf_attr for BPF_*_GET_*_ID: prog_id, next_id, open_flags.
	attr := struct{ progID, nextID, openFlags uint32 }{progID: id}
	fd, _, errno := unix.Syscall(unix.SYS_BPF, unix.BPF_PROG_GET_FD_BY_ID, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	if errno != 0 {
		return -1, errno
	}
	return int(fd), nil
}

// ByFD returns the program a descriptor refers to
// (BPF_OBJ_GET_INFO_BY_FD, bpf_prog_get_info_by_fd): EINVAL or EBADF
// when fd is no BPF object, unix.ENODATA when the kernel answers
// without info. A descriptor of another BPF object (a map, a link)
// answers with that object's info, which the caller cannot tell from a
// program's: use it on program descriptors only.
func ByFD(fd int) (Info, error) {
	info := make([]byte, InfoLen)
	// union bpf_attr for BPF_OBJ_GET_INFO_BY_FD: bpf_fd, info_len, info
	// (a pointer as __aligned_u64). unix.Syscall runs on the caller's
	// stack without growing it, so the buffer does not move before the
	// kernel reads the pointer; KeepAlive keeps it until the call ends.
	attr := struct {
		bpfFD, infoLen uint32
		info           uint64
	}{bpfFD: uint32(fd), infoLen: InfoLen, info: uint64(uintptr(unsafe.Pointer(&info[0])))}
	_, _, errno := unix.Syscall(unix.SYS_BPF, unix.BPF_OBJ_GET_INFO_BY_FD, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	runtime.KeepAlive(info)
	if errno != 0 {
		return Info{}, errno
	}
	if attr.infoLen == 0 {
		// tc prints nothing of an answer without info either.
		return Info{}, unix.ENODATA
	}
	return Decode(info), nil
}

// Pinned opens a descriptor of the eBPF program pinned at path in a BPF
// file system (BPF_OBJ_GET, kernel/bpf/inode.c bpf_obj_get_user: ENOENT
// when nothing is pinned there, EPERM or EACCES without the rights to
// it), as tc's "object-pinned" does; the caller closes it. A pinned map
// or link is refused: /proc/self/fdinfo tells a program by its
// prog_type line (bpf_prog_show_fdinfo).
func Pinned(path string) (int, error) {
	p, err := unix.BytePtrFromString(path)
	if err != nil {
		return -1, err
	}
	// union bpf_attr for BPF_OBJ_*: pathname (a pointer as
	// __aligned_u64), bpf_fd, file_flags.
	attr := struct {
		pathname         uint64
		bpfFD, fileFlags uint32
	}{pathname: uint64(uintptr(unsafe.Pointer(p)))}
	fd, _, errno := unix.Syscall(unix.SYS_BPF, unix.BPF_OBJ_GET, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	runtime.KeepAlive(p)
	if errno != 0 {
		return -1, errno
	}
	info, err := os.ReadFile(fmt.Sprintf("/proc/self/fdinfo/%d", fd))
	if err != nil {
		unix.Close(int(fd))
		return -1, err
	}
	if !bytes.Contains(info, []byte("\nprog_type:")) {
		unix.Close(int(fd))
		return -1, fmt.Errorf("%s: %w", path, ErrNotProgram)
	}
	return int(fd), nil
}

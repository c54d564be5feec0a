package main

import (
	"encoding/binary"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The two bpf(2) calls tc makes to print a loaded eBPF program
// (bpf_prog_fd_by_id and bpf_prog_info_by_fd in iproute2's
// lib/bpf_legacy.c), with x/sys/unix. github.com/cilium/ebpf has them
// (NewProgramFromID, Program.Info), but its Info also reads
// /proc/self/fdinfo and the translated instructions, fails on a program
// type it does not know, and probes the kernel by loading a program of
// its own (haveProgramInfoMapIDs) when the program uses no map: more
// than tc does, and a load is out of place in a read-only show.

// bpfProgInfoLen is how much of struct bpf_prog_info (include/uapi/
// linux/bpf.h) is asked for: up to and including btf_id, rounded to 8.
// A kernel with a shorter struct copies less and leaves the rest zero; a
// longer one keeps its extra fields.
const bpfProgInfoLen = 136

// Offsets in struct bpf_prog_info.
const (
	bpfInfoTag          = 8   // __u8 tag[BPF_TAG_SIZE]
	bpfInfoJitedProgLen = 16  // __u32 jited_prog_len
	bpfInfoLoadTime     = 40  // __u64 load_time, ns since boot
	bpfInfoCreatedByUID = 48  // __u32 created_by_uid
	bpfInfoName         = 64  // char name[BPF_OBJ_NAME_LEN]
	bpfInfoBTFID        = 128 // __u32 btf_id
)

// readBPFProg asks the kernel for what tc prints of the eBPF program with
// this id: BPF_PROG_GET_FD_BY_ID (kernel/bpf/syscall.c
// bpf_prog_get_fd_by_id: EPERM without CAP_SYS_ADMIN in the initial user
// namespace, ENOENT when no program has the id), then
// BPF_OBJ_GET_INFO_BY_FD on that descriptor (bpf_prog_get_info_by_fd),
// which it closes. The errors are the calls' unix.Errno.
func readBPFProg(id uint32) (bpfProg, error) {
	// union bpf_attr for BPF_*_GET_*_ID: prog_id, next_id, open_flags.
	getFD := struct{ progID, nextID, openFlags uint32 }{progID: id}
	fd, _, errno := unix.Syscall(unix.SYS_BPF, unix.BPF_PROG_GET_FD_BY_ID, uintptr(unsafe.Pointer(&getFD)), unsafe.Sizeof(getFD))
	if errno != 0 {
		return bpfProg{}, errno
	}
	defer unix.Close(int(fd))

	info := make([]byte, bpfProgInfoLen)
	// union bpf_attr for BPF_OBJ_GET_INFO_BY_FD: bpf_fd, info_len, info
	// (a pointer as __aligned_u64). unix.Syscall runs on the caller's
	// stack without growing it, so the buffer does not move before the
	// kernel reads the pointer; KeepAlive keeps it until the call ends.
	getInfo := struct {
		bpfFD, infoLen uint32
		info           uint64
	}{bpfFD: uint32(fd), infoLen: bpfProgInfoLen, info: uint64(uintptr(unsafe.Pointer(&info[0])))}
	_, _, errno = unix.Syscall(unix.SYS_BPF, unix.BPF_OBJ_GET_INFO_BY_FD, uintptr(unsafe.Pointer(&getInfo)), unsafe.Sizeof(getInfo))
	runtime.KeepAlive(info)
	if errno != 0 {
		return bpfProg{}, errno
	}
	if getInfo.infoLen == 0 {
		// tc prints nothing of an answer without info either.
		return bpfProg{}, unix.ENODATA
	}
	return decodeBPFProgInfo(info), nil
}

// decodeBPFProgInfo reads a struct bpf_prog_info of bpfProgInfoLen bytes
// (zero where the kernel wrote less).
func decodeBPFProgInfo(b []byte) bpfProg {
	var p bpfProg
	copy(p.Tag[:], b[bpfInfoTag:bpfInfoTag+unix.BPF_TAG_SIZE])
	p.Jited = binary.NativeEndian.Uint32(b[bpfInfoJitedProgLen:]) != 0
	p.LoadTime = binary.NativeEndian.Uint64(b[bpfInfoLoadTime:])
	p.CreatedByUID = binary.NativeEndian.Uint32(b[bpfInfoCreatedByUID:])
	p.Name = unix.ByteSliceToString(b[bpfInfoName : bpfInfoName+unix.BPF_OBJ_NAME_LEN])
	p.BTFID = binary.NativeEndian.Uint32(b[bpfInfoBTFID:])
	return p
}

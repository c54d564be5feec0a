// Package bpfprog reads what the kernel tells of a loaded eBPF program
// through bpf(2): the part of struct bpf_prog_info (include/uapi/linux/
// bpf.h) that tc prints beside a bpf filter's or action's program
// (bpf_dump_prog_info in iproute2's lib/bpf_legacy.c), and the id that
// names the program in a filter's dump (TCA_BPF_ID). It makes the two
// calls tc makes (bpf_prog_fd_by_id, bpf_prog_info_by_fd) with
// x/sys/unix.
//
// github.com/cilium/ebpf has them (NewProgramFromID, Program.Info), but
// its Info also reads /proc/self/fdinfo and the translated instructions,
// fails on a program type it does not know, and probes the kernel by
// loading a program of its own (haveProgramInfoMapIDs) when the program
// uses no map: more than tc does, and a load is out of place in a
// read-only show or a transaction's plan.
package bpfprog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strconv"
)

// ErrNotProgram is Pinned's error for a pinned object that is no
// program (a map or a link).
var ErrNotProgram = errors.New("the pinned object is not an eBPF program")

// TagSize is the length of a program's tag (BPF_TAG_SIZE), objNameLen
// that of a name with its NUL (BPF_OBJ_NAME_LEN); include/uapi/linux/
// bpf.h.
const (
	TagSize    = 8
	objNameLen = 16
)

// Program types tc takes (enum bpf_prog_type in include/uapi/linux/
// bpf.h): a bpf filter's program is a classifier, a bpf action's an
// action.
const (
	TypeSocketFilter = 1
	TypeSchedCls     = 3
	TypeSchedAct     = 4
	TypeXDP          = 6
)

// TypeName names a program type as bpftool does (sched_cls, sched_act),
// or "type N" for one not listed above.
func TypeName(t uint32) string {
	switch t {
	case TypeSocketFilter:
		return "socket_filter"
	case TypeSchedCls:
		return "sched_cls"
	case TypeSchedAct:
		return "sched_act"
	case TypeXDP:
		return "xdp"
	}
	return "type " + strconv.FormatUint(uint64(t), 10)
}

// Info is what the kernel tells of a loaded eBPF program. None of it
// changes while the program is loaded: the kernel sets it at load
// (kernel/bpf/syscall.c bpf_prog_load).
type Info struct {
	// Type is the program's type, BPF_PROG_TYPE_* (TypeSchedCls for a
	// tc classifier, TypeSchedAct for a tc action).
	Type uint32
	// ID is the program's id, what TCA_BPF_ID and TCA_ACT_BPF_ID report;
	// the kernel does not give a freed id to another program before the
	// ids wrap at INT_MAX (idr_alloc_cyclic in bpf_prog_alloc_id).
	ID uint32
	// Name is the name given at load, at most BPF_OBJ_NAME_LEN-1 bytes;
	// "" for none.
	Name string
	// Tag is the first 8 bytes of the SHA-1 of the instructions
	// (kernel/bpf/core.c bpf_prog_calc_tag), what TCA_BPF_TAG reports too.
	Tag [TagSize]byte
	// Jited: the kernel compiled the program to machine code
	// (jited_prog_len is not 0).
	Jited bool
	// LoadTime is when it was loaded, in ns since boot (CLOCK_BOOTTIME).
	LoadTime uint64
	// CreatedByUID is the uid of the task that loaded it.
	CreatedByUID uint32
	// BTFID is the id of its BTF object, 0 for none.
	BTFID uint32
}

// InfoLen is how much of struct bpf_prog_info is asked for: up to and
// including btf_id, rounded to 8. A kernel with a shorter struct copies
// less and leaves the rest zero; a longer one keeps its extra fields.
const InfoLen = 136

// Offsets in struct bpf_prog_info.
const (
	infoType         = 0   // __u32 type
	infoID           = 4   // __u32 id
	infoTag          = 8   // __u8 tag[BPF_TAG_SIZE]
	infoJitedProgLen = 16  // __u32 jited_prog_len
	infoLoadTime     = 40  // __u64 load_time, ns since boot
	infoCreatedByUID = 48  // __u32 created_by_uid
	infoName         = 64  // char name[BPF_OBJ_NAME_LEN]
	infoBTFID        = 128 // __u32 btf_id
)

// Decode reads a struct bpf_prog_info of InfoLen bytes (zero where the
// kernel wrote less), in host order. It panics if b is shorter.
func Decode(b []byte) Info {
	_ = b[InfoLen-1]
	var p Info
	p.Type = binary.NativeEndian.Uint32(b[infoType:])
	p.ID = binary.NativeEndian.Uint32(b[infoID:])
	copy(p.Tag[:], b[infoTag:infoTag+TagSize])
	p.Jited = binary.NativeEndian.Uint32(b[infoJitedProgLen:]) != 0
	p.LoadTime = binary.NativeEndian.Uint64(b[infoLoadTime:])
	p.CreatedByUID = binary.NativeEndian.Uint32(b[infoCreatedByUID:])
	name := b[infoName : infoName+objNameLen]
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	p.Name = string(name)
	p.BTFID = binary.NativeEndian.Uint32(b[infoBTFID:])
	return p
}

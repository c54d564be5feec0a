package main

import (
	"errors"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/internal/bpfprog"
)

// bpfProg is what the kernel tells of a loaded eBPF program through
// bpf(2), the part tc prints beside a bpf filter's or action's program
// id (bpf_dump_prog_info in iproute2's lib/bpf_legacy.c).
type bpfProg = bpfprog.Info

// readBPFProg reads the program with this id (bpfprog.ByID).
var readBPFProg = bpfprog.ByID

// bpfProgsMax bounds the cache of a long-running command (serve,
// monitor): past it the cache starts again.
const bpfProgsMax = 4096

// bpfProgs caches readBPFProg's answers for the life of the process, so
// that a command looks each program id up once: what it reads never
// changes while the program lives, and the kernel does not give a
// freed id to another program before the ids wrap at INT_MAX
// (idr_alloc_cyclic in bpf_prog_alloc_id). A failure is kept too (EPERM
// stays, a program gone stays gone), but for a shortage of descriptors
// or memory, which the next look-up may not meet.
var bpfProgs struct {
	mu sync.Mutex
	m  map[uint32]bpfProgAnswer // guarded by mu
}

type bpfProgAnswer struct {
	p  bpfProg
	ok bool
}

// lookupBPFProg returns the program with this id and true, or false when
// bpf(2) does not tell (no permission, no such program, or no bpf(2)).
func lookupBPFProg(id uint32) (bpfProg, bool) {
	bpfProgs.mu.Lock()
	defer bpfProgs.mu.Unlock()
	if a, ok := bpfProgs.m[id]; ok {
		return a.p, a.ok
	}
	p, err := readBPFProg(id)
	if errors.Is(err, unix.EMFILE) || errors.Is(err, unix.ENFILE) || errors.Is(err, unix.ENOMEM) || errors.Is(err, unix.EINTR) {
		return bpfProg{}, false
	}
	if bpfProgs.m == nil || len(bpfProgs.m) >= bpfProgsMax {
		bpfProgs.m = map[uint32]bpfProgAnswer{}
	}
	bpfProgs.m[id] = bpfProgAnswer{p, err == nil}
	return p, err == nil
}

// bpfProgView is what tc prints of a bpf filter's or action's eBPF
// program: the id the kernel reports (TCA_BPF_ID, TCA_ACT_BPF_ID; 0 for
// none, as for a classic program), what bpf(2) tells of it when known,
// and the tag the kernel reports beside the id (TCA_BPF_TAG,
// TCA_ACT_BPF_TAG), which tc prints only when bpf(2) did not tell.
type bpfProgView struct {
	id    uint32
	tag   []byte
	p     bpfProg
	known bool
}

// bpfProgOf looks the program id up (once per id per process:
// lookupBPFProg).
func bpfProgOf(id uint32, tag []byte) bpfProgView {
	b := bpfProgView{id: id, tag: tag}
	if id != 0 {
		b.p, b.known = lookupBPFProg(id)
	}
	return b
}

// writeJSON writes bpf_dump_prog_info's JSON: "prog": {"id", and when
// known "name", "tag", "jited" (1 or 0), with details "load_time" and
// "created_by_uid" (when load_time is not 0) and "btf_id" (when not 0)},
// then, when not known, the kernel's "tag" outside the object
// (bpf_print_opt in tc/f_bpf.c and tc/m_bpf.c).
func (b bpfProgView) writeJSON(j *jsonOut, v tcView) {
	if b.id != 0 {
		j.openObject("prog")
		j.uint("id", uint64(b.id))
		if b.known {
			j.str("name", b.p.Name)
			j.str("tag", hexString(b.p.Tag[:]))
			jited := uint64(0)
			if b.p.Jited {
				jited = 1
			}
			j.uint("jited", jited)
			if v.details {
				if b.p.LoadTime != 0 {
					j.uint("load_time", b.p.LoadTime)
					j.uint("created_by_uid", uint64(b.p.CreatedByUID))
				}
				if b.p.BTFID != 0 {
					j.uint("btf_id", uint64(b.p.BTFID))
				}
			}
		}
		j.closeObject()
		if b.known {
			return
		}
	}
	if b.tag != nil {
		j.str("tag", hexString(b.tag))
	}
}

// text is bpf_dump_prog_info's text, the same facts as writeJSON: "id 7
// name ipdb_test tag 2b6a1bd4ea4f5d8b jited" (with details "load_time N
// created_by_uid N btf_id N"), or "id 7 tag 2b6a1bd4ea4f5d8b" when not
// known; "" for neither id nor tag.
func (b bpfProgView) text(v tcView) string {
	s := ""
	if b.id != 0 {
		s = "id " + strconv.FormatUint(uint64(b.id), 10)
		if b.known {
			s += " name " + b.p.Name + " tag " + hexString(b.p.Tag[:])
			if b.p.Jited {
				s += " jited"
			}
			if v.details {
				if b.p.LoadTime != 0 {
					s += " load_time " + strconv.FormatUint(b.p.LoadTime, 10) +
						" created_by_uid " + strconv.FormatUint(uint64(b.p.CreatedByUID), 10)
				}
				if b.p.BTFID != 0 {
					s += " btf_id " + strconv.FormatUint(uint64(b.p.BTFID), 10)
				}
			}
			return s
		}
	}
	if b.tag != nil {
		if s != "" {
			s += " "
		}
		s += "tag " + hexString(b.tag)
	}
	return s
}

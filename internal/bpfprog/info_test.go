package bpfprog

import (
	"encoding/binary"
	"testing"
)

var testTag = []byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}

// TestDecodeBPFProgInfo: the fields tc prints are read at struct
// bpf_prog_info's offsets (include/uapi/linux/bpf.h), in host order.
func TestDecodeBPFProgInfo(t *testing.T) {
	b := make([]byte, InfoLen)
	binary.NativeEndian.PutUint32(b[0:], 3 /* BPF_PROG_TYPE_SCHED_CLS */) // type
	binary.NativeEndian.PutUint32(b[4:], 77)                              // id
	copy(b[8:], testTag)                                                  // tag
	binary.NativeEndian.PutUint32(b[16:], 120)                            // jited_prog_len
	binary.NativeEndian.PutUint32(b[20:], 16)                             // xlated_prog_len
	binary.NativeEndian.PutUint64(b[40:], 123456789)                      // load_time
	binary.NativeEndian.PutUint32(b[48:], 1000)                           // created_by_uid
	binary.NativeEndian.PutUint32(b[52:], 2)                              // nr_map_ids
	copy(b[64:80], "0123456789abcde\x00")                                 // name
	binary.NativeEndian.PutUint32(b[80:], 3)                              // ifindex
	binary.NativeEndian.PutUint32(b[128:], 42)                            // btf_id
	p := Decode(b)
	want := Info{Type: TypeSchedCls, ID: 77, Name: "0123456789abcde", Jited: true, LoadTime: 123456789, CreatedByUID: 1000, BTFID: 42}
	copy(want.Tag[:], testTag)
	if p != want {
		t.Errorf("got %+v\nwant %+v", p, want)
	}
	// A program loaded without a name, not jited.
	clear(b[16:20])
	clear(b[64:80])
	if p := Decode(b); p.Name != "" || p.Jited || p.ID != 77 {
		t.Errorf("no name, not jited: %+v", p)
	}
}

package main

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// noSuchBPFProg is a program id no test loads: the kernel hands ids out
// from 1 upwards (idr_alloc_cyclic), so a fresh machine is far from it.
const noSuchBPFProg = 0x7ffffff0

var testTag = []byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}

func renderJSON(fn func(j *jsonOut)) string {
	var b bytes.Buffer
	j := newJSONOut(&b)
	fn(j)
	j.flush()
	return b.String()
}

// TestBPFProgView: tc's shapes of a program's info (bpf_dump_prog_info,
// then bpf_print_opt's tag): known, with and without details, jited or
// not, named or not; unknown (no permission, program gone): the id alone
// in "prog" and the kernel's tag after it; no id: the tag alone.
func TestBPFProgView(t *testing.T) {
	p := bpfProg{Name: "ipdb_cls", Jited: true, LoadTime: 66776984806873, CreatedByUID: 1000, BTFID: 42}
	copy(p.Tag[:], []byte{0x59, 0xf4, 0xa9, 0x31, 0x74, 0x4d, 0xcd, 0xc6})
	for _, c := range []struct {
		name       string
		b          bpfProgView
		details    bool
		json, text string
	}{
		{"known", bpfProgView{id: 7, tag: testTag, p: p, known: true}, false,
			`"prog":{"id":7,"name":"ipdb_cls","tag":"59f4a931744dcdc6","jited":1}`, "id 7 name ipdb_cls tag 59f4a931744dcdc6 jited"},
		{"known, details", bpfProgView{id: 7, tag: testTag, p: p, known: true}, true,
			`"prog":{"id":7,"name":"ipdb_cls","tag":"59f4a931744dcdc6","jited":1,"load_time":66776984806873,"created_by_uid":1000,"btf_id":42}`,
			"id 7 name ipdb_cls tag 59f4a931744dcdc6 jited load_time 66776984806873 created_by_uid 1000 btf_id 42"},
		{"not jited, no name, no load time, no BTF", bpfProgView{id: 8, tag: testTag, p: bpfProg{Tag: p.Tag}, known: true}, true,
			`"prog":{"id":8,"name":"","tag":"59f4a931744dcdc6","jited":0}`, "id 8 name  tag 59f4a931744dcdc6"},
		{"unknown", bpfProgView{id: 9, tag: testTag}, true,
			`"prog":{"id":9},"tag":"0123456789abcdef"`, "id 9 tag 0123456789abcdef"},
		{"unknown, no tag", bpfProgView{id: 9}, false, `"prog":{"id":9}`, "id 9"},
		{"no id", bpfProgView{tag: testTag}, false, `"tag":"0123456789abcdef"`, "tag 0123456789abcdef"},
		{"neither", bpfProgView{}, false, ``, ""},
	} {
		v := tcView{details: c.details}
		got := renderJSON(func(j *jsonOut) { j.openObject(""); c.b.writeJSON(j, v); j.closeObject() })
		if want := "{" + c.json + "}"; got != want {
			t.Errorf("%s: JSON\n got %s\nwant %s", c.name, got, want)
		}
		if got := c.b.text(v); got != c.text {
			t.Errorf("%s: text\n got %q\nwant %q", c.name, got, c.text)
		}
	}
}

// TestBPFProgFallback: a filter and a bpf action whose program bpf(2)
// does not tell of (no program has the id; as a user, no permission
// either) print the id alone and the kernel's tag, as tc does, and the
// answer is kept for the process.
func TestBPFProgFallback(t *testing.T) {
	_, err := readBPFProg(noSuchBPFProg)
	if !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.EPERM) {
		t.Fatalf("program %d: %v, want ENOENT (or EPERM without CAP_SYS_ADMIN)", uint32(noSuchBPFProg), err)
	}
	names := newLinkNames(nil)
	f := &netlink.Filter{Index: 2, Parent: netlink.HandleIngressBlock, Priority: 1, Protocol: unix.ETH_P_ALL, Handle: 1, TCKind: "bpf",
		Options: &netlink.BPFFilter{Name: "cls.o:[classifier]", DirectAction: true, ID: noSuchBPFProg, Tag: testTag,
			Actions: netlink.TCActions{{Kind: "bpf", Options: &netlink.ActBPF{Name: "act.o:[action]", ID: noSuchBPFProg, Tag: testTag,
				TCActionGen: netlink.TCActionGen{Index: 1, Refcnt: 1, Bindcnt: 1, Action: netlink.TCActPipe}}}}}}
	got := renderJSON(func(j *jsonOut) { writeFilterView(j, f, names, true, tcView{}) })
	want := `{"ingress":true,"protocol":"all","pref":1,"kind":"bpf","chain":0,"options":{"handle":"0x1","bpf_name":"cls.o:[classifier]","direct-action":true,` +
		`"prog":{"id":2147483632},"tag":"0123456789abcdef","actions":[{"order":1,"kind":"bpf","bpf_name":"act.o:[action]",` +
		`"prog":{"id":2147483632},"tag":"0123456789abcdef","control_action":{"type":"pipe"},"index":1,"ref":1,"bind":1}]}}`
	if got != want {
		t.Errorf("JSON\n got %s\nwant %s", got, want)
	}
	text := filterWordsView(f, names, tcView{}).text()
	wantText := "dev if2 ingress protocol all pref 1 bpf chain 0 handle 0x1 cls.o:[classifier] direct-action id 2147483632 tag 0123456789abcdef " +
		"action order 1: bpf act.o:[action] id 2147483632 tag 0123456789abcdef default-action pipe index 1 ref 1 bind 1"
	if text != wantText {
		t.Errorf("text\n got %s\nwant %s", text, wantText)
	}
	bpfProgs.mu.Lock()
	a, ok := bpfProgs.m[noSuchBPFProg]
	bpfProgs.mu.Unlock()
	if !ok || a.ok {
		t.Errorf("the failed look-up is not kept: %+v, %v", a, ok)
	}
}

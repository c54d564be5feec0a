package main

import (
	"runtime"
	"strings"
	"testing"
)

// TestHelp: ipdb help, ipdb --help and ipdb CMD --help print usage with
// examples on stdout and exit 0.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{
		{"help"}, {"--help"}, {"-h"}, {"help", "show"},
		{"show", "--help"}, {"monitor", "--help"}, {"lookup", "--help"}, {"apply", "--help"}, {"serve", "--help"},
	} {
		code, out, errs := runCmd(t, args...)
		if code != exitOK || errs != "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
			continue
		}
		for _, want := range []string{"Usage:", "Examples:", "  ipdb "} {
			if !strings.Contains(out, want) {
				t.Errorf("%v: stdout lacks %q:\n%s", args, want, out)
			}
		}
	}
	_, out, _ := runCmd(t, "help")
	for _, cmd := range commandNames {
		if !strings.Contains(out, "\n  "+cmd+" ") {
			t.Errorf("ipdb help does not list %s:\n%s", cmd, out)
		}
	}
	_, out, _ = runCmd(t, "show", "--help")
	for _, want := range []string{"dev NAME", "table ID", "nud STATE", "routes|route", "-4, --ipv4", "-j, --json", "-n, --netns"} {
		if !strings.Contains(out, want) {
			t.Errorf("show --help lacks %q", want)
		}
	}
	_, out, _ = runCmd(t, "serve", "--help")
	if !strings.Contains(out, "unix:PATH") || !strings.Contains(out, "recommended") {
		t.Errorf("serve --help does not recommend the Unix socket:\n%s", out)
	}
}

// TestVersion: --version prints the build information's version and the
// Go version, on stdout, exit 0.
func TestVersion(t *testing.T) {
	code, out, errs := runCmd(t, "--version")
	if code != exitOK || errs != "" || !strings.HasPrefix(out, "ipdb ") || !strings.Contains(out, runtime.Version()) {
		t.Errorf("--version: exit %d, %q, %q", code, out, errs)
	}
	if out != "ipdb "+version()+"\n" {
		t.Errorf("--version printed %q, want %q", out, "ipdb "+version()+"\n")
	}
}

// TestCompletionScripts: cobra's scripts for bash, zsh and fish are
// generated, each calling back into ipdb for dynamic completions.
func TestCompletionScripts(t *testing.T) {
	for shell, want := range map[string]string{
		"bash": "__start_ipdb",
		"zsh":  "#compdef ipdb",
		"fish": "complete -c ipdb",
	} {
		code, out, errs := runCmd(t, "completion", shell)
		if code != exitOK || errs != "" || !strings.Contains(out, want) || !strings.Contains(out, "__complete") {
			t.Errorf("completion %s: exit %d, stderr %q, %d bytes without %q", shell, code, errs, len(out), want)
		}
	}
	// Objects and monitor's kinds come from the kind table.
	code, out, _ := runCmd(t, "__complete", "show", "")
	if code != exitOK {
		t.Fatalf("__complete show: exit %d", code)
	}
	for i := range commandKinds {
		for _, w := range commandKinds[i].names() {
			if !strings.Contains(out, "\n"+w+"\n") && !strings.HasPrefix(out, w+"\n") {
				t.Errorf("__complete show '' lacks %q:\n%s", w, out)
			}
		}
	}
	if _, out, _ := runCmd(t, "__complete", "show", "ne"); !strings.HasPrefix(out, "neigh\nneighbor\nneighbour\nneighs\nnexthops\nnexthop\n:4\n") {
		t.Errorf("__complete show ne: %q", out)
	}
	if _, out, _ := runCmd(t, "__complete", "show", "route", ""); !strings.HasPrefix(out, "table\ndev\nroot\nmatch\nexact\nto\nproto\nprotocol\ntype\nvia\nsrc\nscope\nmetric\npriority\npreference\ntos\ndsfield\n:4\n") {
		t.Errorf("__complete show route '': %q", out)
	}
	if _, out, _ := runCmd(t, "__complete", "show", "neigh", "nud", "p"); !strings.HasPrefix(out, "permanent\nprobe\n:4\n") {
		t.Errorf("__complete show neigh nud p: %q", out)
	}
	if _, out, _ := runCmd(t, "__complete", "monitor", "li"); !strings.HasPrefix(out, "links\nlink\n:4\n") {
		t.Errorf("__complete monitor li: %q", out)
	}
}

// TestResolveKind: ip's short words, unique prefixes, and errors that name
// the candidates or the nearest word.
func TestResolveKind(t *testing.T) {
	for w, want := range map[string]string{
		"r": "routes", "ro": "routes", "rou": "routes", "ru": "rules", "rul": "rules",
		"n": "neigh", "ne": "neigh", "nei": "neigh", "nex": "nexthops", "nh": "nexthops",
		"l": "links", "a": "addrs", "addre": "addrs", "fd": "fdb", "f": "fdb", "neighbour": "neigh",
		"q": "qdiscs", "qd": "qdiscs", "c": "classes", "cl": "classes", "fi": "filters", "filt": "filters",
	} {
		k, err := resolveKind(commandKinds, w)
		if err != nil || k.table != want {
			t.Errorf("%q: %v, %v; want %s", w, k, err, want)
		}
	}
	for w, want := range map[string]string{
		"":       "empty object name",
		"x":      `unknown table "x" (want links,`,
		"rotues": `unknown table "rotues" (did you mean "routes"?)`,
	} {
		if _, err := resolveKind(commandKinds, w); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", w, err, want)
		}
	}
	// Two kinds without ip's short words share a prefix: ambiguous.
	rows := []commandKind{{table: "qdisc"}, {table: "class"}, {table: "filter"}, {table: "fdb"}}
	if _, err := resolveKind(rows, "f"); err == nil || err.Error() != `ambiguous object "f": filter or fdb` {
		t.Errorf("f: %v", err)
	}
	if k, err := resolveKind(rows, "fi"); err != nil || k.table != "filter" {
		t.Errorf("fi: %v %v", k, err)
	}
}

// TestPrettyJSON: -p's indenter keeps strings (with escapes and brackets)
// intact, keeps empty containers on one line and the newlines between
// monitor's events.
func TestPrettyJSON(t *testing.T) {
	var b strings.Builder
	p := &prettyJSON{w: &b}
	in := `[{"a":"x,{\"y\":[1]}","b":[],"c":{},"d":[1,2]}]` + "\n" + `{"op":"add"}` + "\n"
	// Written in pieces, as a stream.
	for i := 0; i < len(in); i += 7 {
		if _, err := p.Write([]byte(in[i:min(i+7, len(in))])); err != nil {
			t.Fatal(err)
		}
	}
	want := "[\n    {\n        \"a\": \"x,{\\\"y\\\":[1]}\",\n        \"b\": [],\n        \"c\": {},\n        \"d\": [\n            1,\n            2\n        ]\n    }\n]\n{\n    \"op\": \"add\"\n}\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// TestCompleteNoValueSelector: a selector that takes no value (up) is
// followed by the next selector, not by a value.
func TestCompleteNoValueSelector(t *testing.T) {
	_, out, _ := runCmd(t, "__complete", "show", "link", "up", "m")
	if !strings.HasPrefix(out, "master\n:4\n") {
		t.Errorf("__complete show link up m: %q", out)
	}
}

package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ipdb-go/ipdb/netlink"
)

// oneClearLine checks that stderr is one line containing want.
func oneClearLine(t *testing.T, what, stderr, want string) {
	t.Helper()
	if !strings.Contains(stderr, want) {
		t.Errorf("%s: stderr %q lacks %q", what, stderr, want)
	}
	if strings.Count(strings.TrimRight(stderr, "\n"), "\n") != 0 {
		t.Errorf("%s: want one line on stderr, got %q", what, stderr)
	}
}

func TestBadCommandLines(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"bogus"}, exitUsage, `unknown command "bogus"`},
		{[]string{"--bogus", "show"}, exitUsage, "unknown flag: --bogus"},
		{[]string{"show", "--netn", "x"}, exitUsage, `unknown flag: --netn (did you mean "--netns"?)`},
		{[]string{"shwo"}, exitUsage, `unknown command "shwo" (did you mean "show"?)`},
		{[]string{"show", "ruote"}, exitUsage, `unknown table "ruote" (did you mean "route"?)`},
		// ip route show takes any other word as a prefix; a word that can
		// be none is an unknown selector, a malformed prefix ip's error.
		{[]string{"show", "route", "tabel", "100"}, exitUsage, `routes takes no selector "tabel" (want table, dev,`},
		{[]string{"show", "route", "192.0.2.1/33"}, exitError, `Error: any valid prefix is expected rather than "192.0.2.1/33".`},
		{[]string{"show", "link", "tabel", "100"}, exitUsage, `either "dev" is duplicate, or "100" is a garbage`},
		{[]string{"show", "route", "table"}, exitUsage, "table needs a value"},
		{[]string{"show", "route", "table", "nosuch"}, exitUsage, `bad table "nosuch"`},
		{[]string{"show", "neigh", "nud", "bogus"}, exitUsage, `bad nud state "bogus"`},
		{[]string{"-4", "show", "fdb"}, exitUsage, "-4 and -6 select addresses, routes, neighbours and rules, not fdb"},
		{[]string{"-4", "-6", "show"}, exitUsage, "-4 and -6 exclude each other"},
		{[]string{"-j", "show", "-o", "table"}, exitUsage, "-j asks for JSON, -o for table"},
		{[]string{"-j", "apply", "-f", "x.yaml"}, exitUsage, "-j is not an option of apply"},
		{[]string{"serve", "--listen", "unix:"}, exitUsage, "unix: needs a path"},
		{[]string{"show", "things"}, exitUsage, `unknown table "things"`},
		{[]string{"show", "-o", "xml"}, exitUsage, `unknown output format "xml"`},
		{[]string{"lookup"}, exitUsage, "want one address"},
		{[]string{"lookup", "not-an-ip"}, exitUsage, "is not an IP address"},
		{[]string{"lookup", "192.0.2.1", "--table", "x"}, exitUsage, `bad table "x"`},
		{[]string{"lookup", "192.0.2.1", "--from", "2001:db8::1"}, exitUsage, "same family"},
		{[]string{"apply"}, exitUsage, "missing -f FILE"},
		{[]string{"apply", "-f", "/nonexistent/state.yaml"}, exitError, "no such file"},
		{[]string{"serve", "--listen", "0.0.0.0:8080"}, exitUsage, "only loopback addresses"},
		{[]string{"serve", "--listen", "192.0.2.1:8080"}, exitUsage, "refusing to listen"},
		{[]string{"serve", "--listen", "[2001:db8::1]:8080"}, exitUsage, "refusing to listen"},
		{[]string{"serve", "--listen", ":8080"}, exitUsage, "refusing to listen"},
		{[]string{"serve", "--listen", "127.0.0.1"}, exitUsage, "bad listen address"},
		{[]string{"monitor", "-o", "xml"}, exitUsage, "unknown output format"},
	} {
		code, _, errs := runCmd(t, c.args...)
		if code != c.code {
			t.Errorf("%v: exit %d, want %d (%s)", c.args, code, c.code, errs)
		}
		oneClearLine(t, fmt.Sprint(c.args), errs, c.want)
	}
	if code, out, _ := runCmd(t); code != exitUsage || out != "" {
		t.Errorf("no command: exit %d", code)
	}
}

func TestLoopbackOnly(t *testing.T) {
	for _, ok := range []string{"127.0.0.1:0", "127.1.2.3:80", "[::1]:9464", "localhost:9464"} {
		if err := checkLoopback(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"0.0.0.0:1", "[::]:1", "example.com:80", "192.0.2.1:80", ":80", "127.0.0.1:99999"} {
		if err := checkLoopback(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// TestMissingNamespace: every command that reads the namespace says it
// does not exist, in one line, with a non-zero exit.
func TestMissingNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to see /run/netns")
	}
	for _, args := range [][]string{{"show"}, {"monitor"}, {"lookup", "192.0.2.1"}, {"serve", "--listen", "127.0.0.1:0"}} {
		code, _, errs := runCmd(t, append([]string{"--netns", "ipdb-no-such-ns"}, args...)...)
		if code == 0 {
			t.Errorf("%v: exit 0", args)
		}
		oneClearLine(t, fmt.Sprint(args), errs, `network namespace "ipdb-no-such-ns" does not exist`)
	}
	file := filepath.Join(t.TempDir(), "s.yaml")
	os.WriteFile(file, []byte("links:\n  - name: x0\n    kind: bridge\n"), 0o644)
	code, _, errs := runCmd(t, "--netns", "ipdb-no-such-ns", "apply", "-f", file)
	if code == 0 {
		t.Error("apply: exit 0")
	}
	oneClearLine(t, "apply", errs, "does not exist")
}

func TestPermissionMessage(t *testing.T) {
	err := &netlink.OpError{Op: "add", Object: "link x0", Err: unix.EPERM}
	msg := describe(fmt.Errorf("commit: %w", err), "")
	if !strings.Contains(msg, "CAP_NET_ADMIN") || strings.Contains(msg, "\n") {
		t.Errorf("permission error reads %q", msg)
	}
	if msg := describe(errors.New("a\nb"), ""); strings.Contains(msg, "\n") {
		t.Errorf("multi-line error kept: %q", msg)
	}
}

// TestMalformedYAML: each malformed file gets one error naming the file's
// line.
func TestMalformedYAML(t *testing.T) {
	for _, c := range []struct {
		name, text, want string
	}{
		{"syntax", "links:\n  - name: br0\n   kind: bridge\n", ":3: "},
		{"tab", "links:\n\t- name: br0\n", ":2: "},
		{"unknown section", "links: []\nroutez:\n  - dst: 192.0.2.0/24\n", `:2: unknown section "routez"`},
		{"unknown key", "links:\n  - name: br0\n    knd: bridge\n", `:3: unknown key "knd"`},
		{"bad prefix", "routes:\n  - dst: 192.0.2.0/24\n    dev: lo\n  - dst: 192.0.2.300/24\n    dev: lo\n", `:4: bad prefix "192.0.2.300/24"`},
		{"bad address", "addresses:\n  - link: lo\n    address: 192.0.2.1/24\n    peer: nope\n", `:4: bad IP address "nope"`},
		{"bad mac", "neighbours:\n  - link: lo\n    dst: 192.0.2.9\n    lladdr: zz\n", `:4: bad link-layer address`},
		{"bad type", "links:\n  - name: br0\n    mtu: big\n", ":3: "},
		{"not a list", "links:\n  name: br0\n", ":2: links must be a list"},
		{"host bits", "routes:\n  - dst: 192.0.2.1/24\n    dev: lo\n", ":2: dst 192.0.2.1/24 has host bits set"},
		{"no gateway", "routes:\n\n  - dst: 192.0.2.0/24\n", ":3: a unicast route needs"},
		{"bad kind", "links:\n  - name: x0\n    kind: warp\n", `:2: unknown link kind "warp"`},
		{"veth without peer", "links:\n  - name: x0\n    kind: veth\n", ":2: a veth needs a peer"},
		{"long name", "links:\n  - name: abcdefghijklmnopq\n", ":2: link name"},
		{"bad table", "routes:\n  - dst: 192.0.2.0/24\n    dev: lo\n    table: nine\n", `:4: bad table "nine"`},
		{"rule family", "rules:\n  - from: 192.0.2.0/24\n    to: 2001:db8::/32\n    table: 5\n", ":2: to 2001:db8::/32 is not of the rule's family"},
		{"rule action", "rules:\n  - table: 5\n    action: jump\n", `:2: unknown rule action "jump"`},
		{"top level list", "- a\n- b\n", ":1: the file must be a mapping"},
		{"fractional mtu", "links:\n  - name: br0\n    mtu: 1500.7\n", ":3: mtu: 1500.7 is not an integer"},
		{"fractional metric", "routes:\n  - dst: 192.0.2.0/24\n    dev: lo\n    metric: 1e3\n", ":4: metric: 1e3 is not an integer"},
		{"duplicate key", "links:\n  - name: br0\n    mtu: 1400\n    mtu: 1500\n", `:4: "mtu" given twice (first at line 3)`},
		{"duplicate section", "links:\n  - name: br0\nroutes: []\nlinks:\n  - name: br1\n", `:4: "links" given twice (first at line 1)`},
		{"neighbours twice", "neighbours: []\nneighbors: []\n", `:2: section neighbors repeats neighbours (line 1)`},
		{"alias", "links:\n  - &a {name: br0}\n  - *a\n", `:3: aliases`},
		{"absent rule selects nothing", "rules:\n  - absent: true\n", ":2: "},
	} {
		dir := t.TempDir()
		file := filepath.Join(dir, "state.yaml")
		if err := os.WriteFile(file, []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := readStateFile(file)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, file+":") || !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") {
			t.Errorf("%s: error %q, want one line with %q", c.name, msg, file+c.want)
		}
		// Through the command: exit 1, one line, nothing else done.
		code, _, errs := runCmd(t, "apply", "-f", file)
		if code != exitError {
			t.Errorf("%s: exit %d", c.name, code)
		}
		oneClearLine(t, c.name, errs, c.want)
	}
	// An empty file is valid and means nothing.
	st, err := parseStateFile(nil)
	if err != nil || len(st.Links) != 0 {
		t.Errorf("empty file: %v %v", st, err)
	}
}

// TestStateFileLimits: a file over the size limit is refused with the
// line where it crosses the limit, before it is parsed; a 10 MB file
// within the limit parses in a bounded amount of memory.
func TestStateFileLimits(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString("routes:\n")
	lines := 1
	for n := 0; n < maxStateFile+1000; lines += 2 {
		k, _ := fmt.Fprintf(w, "  - dst: 198.51.%d.%d/32\n    dev: lo\n", (lines/256)%256, lines%256)
		n += k
	}
	w.Flush()
	f.Close()
	_, err = readStateFile(big)
	if err == nil || !strings.Contains(err.Error(), "larger than the limit of 32 MiB") || !regexp.MustCompile(`big.yaml:\d+: `).MatchString(err.Error()) {
		t.Errorf("over the limit: %v", err)
	}

	// 10 MB of routes: the peak heap while parsing (garbage included)
	// stays under 25 times the file's size; parsed whole, yaml.v3's nodes
	// took 55 times. Garbage is freed by the concurrent collector, which
	// lags behind on a loaded machine: 18x with some other work running,
	// 22x with both cores busy.
	var b strings.Builder
	b.WriteString("routes:\n")
	count := 0
	for ; b.Len() < 10<<20; count++ {
		fmt.Fprintf(&b, "  - dst: 10.%d.%d.0/24\n    dev: lo\n    metric: %d\n", (count>>8)&255, count&255, count>>16)
	}
	last := count - 1
	mid := filepath.Join(dir, "mid.yaml")
	os.WriteFile(mid, []byte(b.String()), 0o644)
	size := b.Len()
	b = strings.Builder{}
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	stop := make(chan struct{})
	peak := make(chan uint64)
	go func() {
		var m runtime.MemStats
		var max uint64
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > max {
				max = m.HeapInuse
			}
			select {
			case <-stop:
				peak <- max
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	specs, err := readStateFile(mid)
	close(stop)
	p := <-peak
	if err != nil {
		t.Fatal(err)
	}
	used := p - min(p, base.HeapInuse)
	if len(specs.routes) != count || specs.routes[last].Dst.String() != fmt.Sprintf("10.%d.%d.0/24", (last>>8)&255, last&255) ||
		specs.routes[last].Priority != uint32(last>>16) {
		t.Errorf("parsed %d routes, the last %+v", len(specs.routes), specs.routes[len(specs.routes)-1])
	}
	t.Logf("%d bytes, %d routes: peak heap %d MB (%.1fx the file)", size, len(specs.routes), used>>20, float64(used)/float64(size))
	if used > 25*uint64(size) {
		t.Errorf("parsing %d bytes took %d MB of heap", size, used>>20)
	}
}

// TestLargeStateFileLines: a file large enough to be parsed in pieces
// gives the same specs as parsed whole, and errors name the file's line.
func TestLargeStateFileLines(t *testing.T) {
	var b strings.Builder
	b.WriteString("# routes\nlinks:\n- name: br0\n  kind: bridge\nroutes:\n")
	n := 0
	for b.Len() < chunkMin+chunkMin/2 {
		fmt.Fprintf(&b, "  - dst: 10.%d.%d.0/24   # entry %d\n\n    dev: br0\n", (n>>8)&255, n&255, n)
		n++
	}
	b.WriteString("rules:\n  - priority: 5\n    table: 9\n")
	text := b.String()
	if _, ok := splitStateFile([]byte(text)); !ok {
		t.Fatal("not cut into pieces")
	}
	st, err := parseStateFile([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Routes) != n || len(st.Links) != 1 || len(st.Rules) != 1 {
		t.Fatalf("%d routes (want %d), %d links, %d rules", len(st.Routes), n, len(st.Links), len(st.Rules))
	}
	lines := strings.Count(text, "\n")
	if l := int(st.Routes[n-1].Line); l != lines-5 {
		t.Errorf("last route at line %d, want %d", l, lines-5)
	}
	if l := int(st.Rules[0].Line); l != lines-1 {
		t.Errorf("rule at line %d, want %d", l, lines-1)
	}
	// Errors deep in the file name their line.
	for _, c := range []struct{ bad, want string }{
		{"  - dst: 10.0.0.300/24\n    dev: br0\n", "bad prefix"},
		{"  - dst: 10.0.0.0/24\n    dev: br0\n    metric: 1.5\n", "metric: 1.5 is not an integer"},
		{"  - dst: 10.0.0.0/24\n    dev: br0\n    dev: br1\n", `"dev" given twice`},
		{"  - dst: 10.0.0.0/24\n   dev: br0\n", ""},
	} {
		bad := text[:strings.Index(text, "rules:")] + c.bad
		badLine := lines - 3 + strings.Count(c.bad, "\n")
		_, err := parseStateFile([]byte(bad))
		var le *lineError
		if !errors.As(err, &le) || !strings.Contains(le.Msg, c.want) {
			t.Errorf("%q: %v", c.bad, err)
			continue
		}
		if c.want != "" && le.Line != badLine && le.Line != badLine-1 && le.Line != lines-2 {
			t.Errorf("%q: line %d, want about %d", c.bad, le.Line, badLine)
		}
		if c.want == "" && le.Line < lines-3 {
			t.Errorf("syntax error at line %d, want %d or after", le.Line, lines-2)
		}
	}
	// The second links section, far from the first, is a duplicate.
	_, err = parseStateFile([]byte(text + "links:\n  - name: br1\n"))
	if err == nil || !strings.Contains(err.Error(), `"links" given twice (first at line 2)`) {
		t.Errorf("duplicate section in a large file: %v", err)
	}
}

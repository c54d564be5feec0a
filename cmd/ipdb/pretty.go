package main

import (
	"fmt"
	"io"
	"slices"
)

// outputFormat returns the format a command prints: -o's value, or json
// when -j (or -p) is given. An -o that contradicts -j, or a format the
// command does not know, is a usage error reported on stderr.
func (e *env) outputFormat(cmd, format string, changed bool, known ...string) (string, bool) {
	if e.g.json {
		if changed && format != "json" {
			fmt.Fprintf(e.stderr, "ipdb %s: -j asks for JSON, -o for %s\n", cmd, format)
			return "", false
		}
		format = "json"
	}
	if !slices.Contains(known, format) {
		fmt.Fprintf(e.stderr, "ipdb %s: unknown output format %q (want %s)\n", cmd, format, orList(known[:min(len(known), 2)]))
		return "", false
	}
	return format, true
}

// out is the writer a command prints on: stdout, or with -p an indenting
// one.
func (e *env) out() io.Writer {
	if e.g.pretty {
		return &prettyJSON{w: e.stdout}
	}
	return e.stdout
}

// prettyJSON indents the compact JSON written to it by four spaces a
// level, as a stream: it holds no more than the bytes of one Write, so a
// million routes print as they come. A newline outside any value (the
// line between monitor's events) is kept; other white space outside
// strings is dropped. An empty object or array stays on one line.
type prettyJSON struct {
	w       io.Writer
	depth   int
	inStr   bool
	escape  bool
	pending byte // an opening bracket not yet followed by a newline
	buf     []byte
}

func (p *prettyJSON) Write(b []byte) (int, error) {
	out := p.buf[:0]
	for _, c := range b {
		if p.inStr {
			out = append(out, c)
			switch {
			case p.escape:
				p.escape = false
			case c == '\\':
				p.escape = true
			case c == '"':
				p.inStr = false
			}
			continue
		}
		if p.pending != 0 {
			open := p.pending
			if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
				continue
			}
			p.pending = 0
			if (open == '{' && c == '}') || (open == '[' && c == ']') {
				p.depth--
				out = append(out, c)
				continue
			}
			out = p.newline(out)
		}
		switch c {
		case '"':
			p.inStr = true
			out = append(out, c)
		case '{', '[':
			out = append(out, c)
			p.depth++
			p.pending = c
		case '}', ']':
			p.depth--
			out = p.newline(out)
			out = append(out, c)
		case ',':
			out = append(out, c)
			out = p.newline(out)
		case ':':
			out = append(out, ':', ' ')
		case ' ', '\t', '\r':
		case '\n':
			if p.depth == 0 {
				out = append(out, c)
			}
		default:
			out = append(out, c)
		}
	}
	p.buf = out
	if _, err := p.w.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}

func (p *prettyJSON) newline(out []byte) []byte {
	out = append(out, '\n')
	for range p.depth {
		out = append(out, "    "...)
	}
	return out
}

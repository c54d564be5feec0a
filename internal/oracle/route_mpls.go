//go:build linux

package oracle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sort"
	"strings"

	"github.com/ipdb-go/ipdb/internal/nstest"
	"github.com/ipdb-go/ipdb/netlink"
	"golang.org/x/sys/unix"
)

// jsonField is one key of a JSON object, in ip's order.
type jsonField struct {
	key string
	val any // string, float64, bool, nil, []any, *jsonObject
}

// jsonObject is a JSON object with its keys in order and repeated keys
// kept: ip -j prints an MPLS encapsulation's labels as a second "dst" key
// after "encap" (lwt_print_encap, print_encap_mpls in ip/iproute_lwtunnel.c),
// which encoding/json would let overwrite the route's destination.
type jsonObject struct{ fields []jsonField }

// first returns the first value of key.
func (o *jsonObject) first(key string) (any, bool) {
	for _, f := range o.fields {
		if f.key == key {
			return f.val, true
		}
	}
	return nil, false
}

// plain converts o to the map encoding/json would make, except that the
// first of repeated keys wins; nested objects are converted too.
func (o *jsonObject) plain() map[string]any {
	m := make(map[string]any, len(o.fields))
	for _, f := range o.fields {
		if _, dup := m[f.key]; !dup {
			m[f.key] = plainValue(f.val)
		}
	}
	return m
}

func plainValue(v any) any {
	switch v := v.(type) {
	case *jsonObject:
		return v.plain()
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = plainValue(e)
		}
		return out
	}
	return v
}

// encapText renders the encapsulation ip printed in o ("encap" and the
// keys after it up to the next key ip prints for routes) canonically:
// " encap mpls 200/300 ttl 10", or "" when there is none.
func (o *jsonObject) encapText() string {
	for i, f := range o.fields {
		if f.key != "encap" {
			continue
		}
		typ, _ := f.val.(string)
		s := " encap " + typ
		if typ != "mpls" {
			return s
		}
		for _, g := range o.fields[i+1:] {
			switch g.key {
			case "dst":
				l, _ := g.val.(string)
				s += " " + l
				continue
			case "ttl":
				n, _ := g.val.(float64)
				s += fmt.Sprintf(" ttl %d", int(n))
				continue
			}
			break
		}
		return s
	}
	return ""
}

// decodeOrdered decodes ip's JSON output, an array of objects.
func decodeOrdered(out string) ([]*jsonObject, error) {
	if strings.TrimSpace(out) == "" {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader([]byte(out)))
	v, err := decodeValue(d)
	if err != nil {
		return nil, err
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("not a JSON array")
	}
	objs := make([]*jsonObject, 0, len(list))
	for _, e := range list {
		o, ok := e.(*jsonObject)
		if !ok {
			return nil, fmt.Errorf("array element %v is no object", e)
		}
		objs = append(objs, o)
	}
	return objs, nil
}

func decodeValue(d *json.Decoder) (any, error) {
	t, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t {
	case json.Delim('['):
		var list []any
		for d.More() {
			v, err := decodeValue(d)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		_, err := d.Token()
		return list, err
	case json.Delim('{'):
		o := &jsonObject{}
		for d.More() {
			k, err := d.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeValue(d)
			if err != nil {
				return nil, err
			}
			o.fields = append(o.fields, jsonField{key: k.(string), val: v})
		}
		_, err := d.Token()
		return o, err
	}
	return t, nil
}

// libEncapText renders a library encapsulation as encapText does.
func libEncapText(typ uint16, raw []byte, m *netlink.MPLSEncap) string {
	switch {
	case m != nil:
		s := " encap mpls " + netlink.FormatMPLSLabels(m.Labels)
		if m.TTL != 0 {
			s += fmt.Sprintf(" ttl %d", m.TTL)
		}
		return s
	case typ != 0:
		return " encap " + encapTypeName(typ)
	}
	return ""
}

// encapTypeName is ip's name of an LWTUNNEL_ENCAP_* type
// (format_encap_type in ip/iproute_lwtunnel.c).
func encapTypeName(t uint16) string {
	switch t {
	case unix.LWTUNNEL_ENCAP_MPLS:
		return "mpls"
	case unix.LWTUNNEL_ENCAP_IP:
		return "ip"
	case unix.LWTUNNEL_ENCAP_IP6:
		return "ip6"
	case unix.LWTUNNEL_ENCAP_ILA:
		return "ila"
	case unix.LWTUNNEL_ENCAP_BPF:
		return "bpf"
	case unix.LWTUNNEL_ENCAP_SEG6:
		return "seg6"
	case unix.LWTUNNEL_ENCAP_SEG6_LOCAL:
		return "seg6local"
	case unix.LWTUNNEL_ENCAP_RPL:
		return "rpl"
	}
	return "unknown"
}

// CompareMPLSRoutes compares the MPLS routes in got (routes of other
// families are ignored) with `ip -j -f mpls route show` in ns and returns
// every difference, or nil: label, outgoing labels ("to"), via
// (family and address), device, protocol, flags (dead, linkdown), TTL
// propagation and every next hop (outgoing labels, via, device, flags).
func CompareMPLSRoutes(ns *nstest.NS, got []*netlink.Route) error {
	idx, err := routeLinkIndexes(ns)
	if err != nil {
		return err
	}
	out, err := ns.IPErr("-j", "-f", "mpls", "route", "show")
	if err != nil {
		return err
	}
	objs, err := decodeOrdered(out)
	if err != nil {
		return fmt.Errorf("ip -j -f mpls route show: %v\n%s", err, out)
	}
	var want, lines []string
	for _, o := range objs {
		l, err := mplsIPLine(o.plain(), idx)
		if err != nil {
			return fmt.Errorf("ip -j -f mpls route: %v in %v", err, o.plain())
		}
		want = append(want, l)
	}
	for _, r := range got {
		if r.Family == unix.AF_MPLS {
			lines = append(lines, mplsLibLine(r))
		}
	}
	sort.Strings(want)
	sort.Strings(lines)
	return routeDiff("MPLS routes", lines, want)
}

func mplsIPVia(m map[string]any) string {
	v, ok := m["via"].(map[string]any)
	if !ok {
		return ""
	}
	fam, _ := v["family"].(string)
	h, _ := v["host"].(string)
	if a, err := netip.ParseAddr(h); err == nil {
		h = a.String()
	}
	return " via " + fam + " " + h
}

func mplsIPDev(m map[string]any, idx map[string]int) (string, error) {
	dev, ok := m["dev"].(string)
	if !ok {
		return "", nil
	}
	i, ok := idx[dev]
	if !ok {
		return "", fmt.Errorf("unknown dev %q", dev)
	}
	return fmt.Sprintf(" dev %d", i), nil
}

// mplsIPLine renders one MPLS route of ip's JSON in the form of mplsLibLine.
func mplsIPLine(r map[string]any, idx map[string]int) (string, error) {
	var b strings.Builder
	dst, _ := r["dst"].(string)
	b.WriteString("mpls " + dst)
	if nd, ok := r["to"].(string); ok {
		b.WriteString(" as " + nd)
	}
	b.WriteString(mplsIPVia(r))
	d, err := mplsIPDev(r, idx)
	if err != nil {
		return "", err
	}
	b.WriteString(d)
	// ip prints no protocol for boot.
	proto := uint64(unix.RTPROT_BOOT)
	if p, ok := r["protocol"]; ok {
		proto, err = routeNumber(p, routeProtos, routeBuiltinProtos)
		if err != nil {
			return "", err
		}
	}
	flags, err := routeIPFlags(r["flags"])
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&b, " proto %d flags %s", proto, routeFlagsText(flags))
	// iproute2 6.1 prints "ttl-propogate" (sic), true or false.
	if tp, ok := r["ttl-propogate"].(bool); ok {
		if tp {
			b.WriteString(" ttl-propagate enabled")
		} else {
			b.WriteString(" ttl-propagate disabled")
		}
	}
	nhs, _ := r["nexthops"].([]any)
	for _, nh := range nhs {
		m, _ := nh.(map[string]any)
		b.WriteString(" nexthop")
		if nd, ok := m["to"].(string); ok {
			b.WriteString(" as " + nd)
		}
		b.WriteString(mplsIPVia(m))
		d, err := mplsIPDev(m, idx)
		if err != nil {
			return "", err
		}
		f, err := routeIPFlags(m["flags"])
		if err != nil {
			return "", err
		}
		b.WriteString(d + " flags " + routeFlagsText(f))
	}
	return b.String(), nil
}

func mplsLibVia(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	if a.Is4() {
		return " via inet " + a.String()
	}
	return " via inet6 " + a.String()
}

// mplsLibLine renders a library MPLS route canonically.
func mplsLibLine(r *netlink.Route) string {
	var b strings.Builder
	x := r.Extra
	if x == nil {
		x = &netlink.RouteExtra{}
	}
	fmt.Fprintf(&b, "mpls %d", x.Label)
	if len(x.NewDst) > 0 {
		b.WriteString(" as " + netlink.FormatMPLSLabels(x.NewDst))
	}
	b.WriteString(mplsLibVia(r.Gateway))
	if r.OIF != 0 {
		fmt.Fprintf(&b, " dev %d", r.OIF)
	}
	var mask uint32
	for _, bit := range routeFlagNames {
		mask |= bit
	}
	fmt.Fprintf(&b, " proto %d flags %s", r.Protocol, routeFlagsText(r.Flags&mask))
	switch x.TTLPropagate {
	case netlink.MPLSTTLPropEnabled:
		b.WriteString(" ttl-propagate enabled")
	case netlink.MPLSTTLPropDisabled:
		b.WriteString(" ttl-propagate disabled")
	}
	for i := range r.Multipath {
		nh := &r.Multipath[i]
		b.WriteString(" nexthop")
		if len(nh.NewDst) > 0 {
			b.WriteString(" as " + netlink.FormatMPLSLabels(nh.NewDst))
		}
		b.WriteString(mplsLibVia(nh.Gateway))
		if nh.IfIndex != 0 {
			fmt.Fprintf(&b, " dev %d", nh.IfIndex)
		}
		b.WriteString(" flags " + routeFlagsText(uint32(nh.Flags)&mask))
	}
	return b.String()
}

// routeIPEncaps renders the encapsulations of a route of ip's JSON, the
// route's and each next hop's, as routeLibEncaps does.
func routeIPEncaps(o *jsonObject) string {
	s := o.encapText()
	if v, ok := o.first("nexthops"); ok {
		list, _ := v.([]any)
		for i, e := range list {
			if h, ok := e.(*jsonObject); ok {
				if t := h.encapText(); t != "" {
					s += fmt.Sprintf(" hop%d%s", i+1, t)
				}
			}
		}
	}
	return s
}

// routeLibEncaps renders a library route's encapsulations canonically.
func routeLibEncaps(r *netlink.Route) string {
	var s string
	if x := r.Extra; x != nil {
		s = libEncapText(x.EncapType, x.Encap, x.MPLSEncap)
	}
	for i := range r.Multipath {
		h := &r.Multipath[i]
		if t := libEncapText(h.EncapType, h.Encap, h.MPLSEncap); t != "" {
			s += fmt.Sprintf(" hop%d%s", i+1, t)
		}
	}
	return s
}

// compareRoutesAll compares IP routes (CompareRoutes) and, where the
// kernel has MPLS (mpls_router makes /proc/sys/net/mpls), MPLS routes
// (CompareMPLSRoutes). Without MPLS the library must have no MPLS route.
func compareRoutesAll(ns *nstest.NS, got []*netlink.Route) error {
	errIP := CompareRoutes(ns, got)
	var errMPLS error
	if _, err := os.Stat("/proc/sys/net/mpls"); err == nil {
		errMPLS = CompareMPLSRoutes(ns, got)
	} else {
		for _, r := range got {
			if r.Family == unix.AF_MPLS {
				errMPLS = fmt.Errorf("an MPLS route on a kernel without MPLS: %v", r)
				break
			}
		}
	}
	return errors.Join(errIP, errMPLS)
}

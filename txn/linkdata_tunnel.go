package txn

import (
	"fmt"
	"reflect"

	"github.com/ipdb-go/ipdb/netlink"
)

// tunnelWords are ip(8)'s words for the tunnels' settings
// (netlink.Gre, IPTun, Vti, Geneve fields); other fields go by their name
// in lower case.
var tunnelWords = map[string]string{
	"Link": "dev", "IFlags": "iflags", "OFlags": "oflags", "IKey": "ikey", "OKey": "okey",
	"Local": "local", "Remote": "remote", "TTL": "ttl", "TOS": "tos", "PMTUDisc": "pmtudisc",
	"IgnoreDF": "ignore-df", "EncapLimit": "encaplimit", "FlowInfo": "flowinfo", "Flags": "flags",
	"FwMark": "fwmark", "Encap": "encap", "CollectMetadata": "external", "ErspanVer": "erspan_ver",
	"ErspanIndex": "erspan", "ErspanDir": "erspan_dir", "ErspanHwid": "erspan_hwid", "Proto": "mode",
	"SixRD": "6rd-prefix", "ID": "id", "TTLInherit": "ttl inherit", "Port": "dstport",
	"UDPCsum": "udpcsum", "UDPZeroCsum6Tx": "udp6zerocsumtx", "UDPZeroCsum6Rx": "udp6zerocsumrx",
	"Label": "flowlabel", "DF": "df", "InnerProtoInherit": "innerprotoinherit",
}

// tunnelDataChanges lists the settings of the tunnel data want (*Gre,
// *IPTun, *Vti, *Geneve) that differ from have's; settings want leaves
// zero (or nil) are kept. Every difference is refused: the kernel rebuilds
// a tunnel's parameters from a change request, resetting what the request
// leaves out (ipgre_changelink, ipip_changelink, vti_changelink), and
// geneve_changelink refuses most changes; this package does not merge the
// two, so a tunnel whose settings differ is removed and created again.
func tunnelDataChanges(want, have netlink.LinkData, add func(attr string, old, new any, fixed string)) {
	w := reflect.ValueOf(want).Elem()
	h := reflect.New(w.Type()).Elem() // the zero settings when have is of another type
	if have != nil && reflect.TypeOf(have) == reflect.TypeOf(want) && !reflect.ValueOf(have).IsNil() {
		h = reflect.ValueOf(have).Elem()
	}
	for i := 0; i < w.NumField(); i++ {
		name := w.Type().Field(i).Name
		if name == "Kind" || name == "Unknown" || w.Field(i).IsZero() {
			continue
		}
		wv, hv := w.Field(i).Interface(), h.Field(i).Interface()
		if reflect.DeepEqual(wv, hv) {
			continue
		}
		word := tunnelWords[name]
		if word == "" {
			word = name
		}
		add(word, tunnelValue(h.Field(i)), tunnelValue(w.Field(i)), "this package does not change a tunnel's settings in place")
	}
}

// tunnelValue prints a setting, a pointer by its target, nil as the
// kernel's default.
func tunnelValue(v reflect.Value) string {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "(default)"
		}
		v = v.Elem()
	}
	if v.Kind() == reflect.Struct && v.Type().Name() == "Addr" {
		return fmt.Sprint(v.Interface())
	}
	if v.Kind() == reflect.Struct {
		return fmt.Sprintf("%+v", v.Interface())
	}
	return fmt.Sprint(v.Interface())
}

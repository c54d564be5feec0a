package netlink

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// tcProtocolNames is iproute2's llproto_names table (lib/ll_proto.c,
// iproute2 6.1) in its order: tc prints the first name of an ethertype
// (ll_proto_n2a) and reads any of them in any case (ll_proto_a2n). The
// values are the kernel's ETH_P_* (include/uapi/linux/if_ether.h).
var tcProtocolNames = []struct {
	p    uint16
	name string
}{
	{unix.ETH_P_LOOP, "loop"}, {unix.ETH_P_PUP, "pup"}, {unix.ETH_P_PUPAT, "pupat"},
	{unix.ETH_P_IP, "ip"}, {unix.ETH_P_X25, "x25"}, {unix.ETH_P_ARP, "arp"},
	{unix.ETH_P_BPQ, "bpq"}, {unix.ETH_P_IEEEPUP, "ieeepup"}, {unix.ETH_P_IEEEPUPAT, "ieeepupat"},
	{unix.ETH_P_DEC, "dec"}, {unix.ETH_P_DNA_DL, "dna_dl"}, {unix.ETH_P_DNA_RC, "dna_rc"},
	{unix.ETH_P_DNA_RT, "dna_rt"}, {unix.ETH_P_LAT, "lat"}, {unix.ETH_P_DIAG, "diag"},
	{unix.ETH_P_CUST, "cust"}, {unix.ETH_P_SCA, "sca"}, {unix.ETH_P_RARP, "rarp"},
	{unix.ETH_P_ATALK, "atalk"}, {unix.ETH_P_AARP, "aarp"}, {unix.ETH_P_IPX, "ipx"},
	{unix.ETH_P_IPV6, "ipv6"}, {unix.ETH_P_PPP_DISC, "ppp_disc"}, {unix.ETH_P_PPP_SES, "ppp_ses"},
	{unix.ETH_P_ATMMPOA, "atmmpoa"}, {unix.ETH_P_ATMFATE, "atmfate"}, {unix.ETH_P_802_3, "802_3"},
	{unix.ETH_P_AX25, "ax25"}, {unix.ETH_P_ALL, "all"}, {unix.ETH_P_802_2, "802_2"},
	{unix.ETH_P_SNAP, "snap"}, {unix.ETH_P_DDCMP, "ddcmp"}, {unix.ETH_P_WAN_PPP, "wan_ppp"},
	{unix.ETH_P_PPP_MP, "ppp_mp"}, {unix.ETH_P_LOCALTALK, "localtalk"}, {unix.ETH_P_CAN, "can"},
	{unix.ETH_P_PPPTALK, "ppptalk"}, {unix.ETH_P_TR_802_2, "tr_802_2"}, {unix.ETH_P_MOBITEX, "mobitex"},
	{unix.ETH_P_CONTROL, "control"}, {unix.ETH_P_IRDA, "irda"}, {unix.ETH_P_ECONET, "econet"},
	{unix.ETH_P_TIPC, "tipc"}, {unix.ETH_P_PROFINET, "profinet"}, {unix.ETH_P_AOE, "aoe"},
	{unix.ETH_P_ETHERCAT, "ethercat"}, {unix.ETH_P_8021Q, "802.1Q"}, {unix.ETH_P_8021AD, "802.1ad"},
	{unix.ETH_P_MPLS_UC, "mpls_uc"}, {unix.ETH_P_MPLS_MC, "mpls_mc"}, {unix.ETH_P_TEB, "teb"},
	// ll_proto.c's extra rows: LLDP is only here, so tc prints it in
	// capitals; "ipv4" is read as ip but never printed.
	{unix.ETH_P_LLDP, "LLDP"}, {unix.ETH_P_IP, "ipv4"},
}

// TCProtocolString returns tc's name of an ethertype (ETH_P_*, host
// order), as tc filter show prints it (iproute2 ll_proto_n2a): a name of
// lib/ll_proto.c such as "all", "ip", "ipv6", "arp", "rarp", "802.1Q",
// "802.1ad", "LLDP", "mpls_uc", "802_2", or else the decimal number in
// brackets, e.g. "[4660]" for 0x1234.
func TCProtocolString(p uint16) string {
	for _, n := range tcProtocolNames {
		if n.p == p {
			return n.name
		}
	}
	return "[" + strconv.FormatUint(uint64(p), 10) + "]"
}

// TCProtocolArg returns the word tc filter add reads back as ethertype p
// (host order): TCProtocolString's name where ll_proto.c has one, else
// "0x" and four hexadecimal digits, since tc's "[4660]" is output only.
func TCProtocolArg(p uint16) string {
	if s := TCProtocolString(p); !strings.HasPrefix(s, "[") {
		return s
	}
	return fmt.Sprintf("0x%04x", p)
}

// ParseTCProtocol reads an ethertype as tc filter add's "protocol" does
// (iproute2 ll_proto_a2n): a name of lib/ll_proto.c in any case ("ip",
// "IPv4", "802.1q", "lldp", "rarp", ...), or a number from 0 to 65535 in
// C's notation (decimal, 0x hexadecimal, 0 octal). It also reads what
// TCProtocolString writes for unknown ethertypes ("[4660]"). The result is
// in host order; anything else is an ErrInvalid error.
func ParseTCProtocol(s string) (uint16, error) {
	for _, n := range tcProtocolNames {
		if strings.EqualFold(n.name, s) {
			return n.p, nil
		}
	}
	if d, ok := strings.CutPrefix(s, "["); ok {
		if d, ok = strings.CutSuffix(d, "]"); ok && d != "" && d[0] != '+' && d[0] != '-' {
			if v, err := strconv.ParseUint(d, 10, 16); err == nil {
				return uint16(v), nil
			}
		}
	} else if v, ok := parseCUint16(s); ok {
		return v, nil
	}
	return 0, invalidf("tc protocol %q: want a name of tc's ll_proto table (all, ip, ipv6, arp, rarp, 802.1Q, 802.1ad, lldp, mpls_uc, ...) or a number from 0 to 65535", s)
}

// parseCUint16 reads a 16-bit number as strtoul with base 0 does
// (iproute2 get_u16): 0x or 0X for hexadecimal, a leading 0 for octal,
// else decimal; no sign, no Go-only prefixes or underscores.
func parseCUint16(s string) (uint16, bool) {
	base := 10
	switch {
	case len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'):
		s, base = s[2:], 16
	case len(s) > 1 && s[0] == '0':
		s, base = s[1:], 8
	}
	if s == "" || s[0] == '+' || s[0] == '-' || strings.Contains(s, "_") {
		return 0, false
	}
	v, err := strconv.ParseUint(s, base, 16)
	if err != nil {
		return 0, false
	}
	return uint16(v), true
}

package main

import (
	"bufio"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// This file reads the name databases ip(8) prints numbers with, the way
// iproute2 6.1 reads them (lib/rt_names.c, lib/inet_proto.c): built-in
// route protocol names, then /etc/iproute2/rt_protos, rt_protos.d/*.conf,
// rt_tables, rt_tables.d/*.conf, rt_dsfield, rt_realms and group, and
// /etc/protocols for rule ip protocols. They are read once, on first use.

// ipNamesDir is iproute2's CONFDIR.
var ipNamesDir = "/etc/iproute2"

// ipProtocolsFile is where getprotobynumber(3) looks.
var ipProtocolsFile = "/etc/protocols"

type ipNameDB struct {
	protos  map[uint32]string // rtm_protocol
	tables  map[uint32]string // routing table ids
	dsfield map[uint32]string // TOS values
	realms  map[uint32]string
	groups  map[uint32]string // device groups
	ipproto map[uint32]string // /etc/protocols
	users   sync.Map          // uint32 -> string, "" when unknown
	ugroups sync.Map          // uint32 -> string
}

var (
	ipNamesOnce sync.Once
	ipNamesDB   *ipNameDB
)

func ipNames() *ipNameDB {
	ipNamesOnce.Do(func() { ipNamesDB = loadIPNames() })
	return ipNamesDB
}

func loadIPNames() *ipNameDB {
	db := &ipNameDB{
		protos: map[uint32]string{0: "unspec", 1: "redirect", 2: "kernel", 3: "boot", 4: "static",
			8: "gated", 9: "ra", 10: "mrt", 11: "zebra", 12: "bird", 42: "babel", 13: "dnrouted",
			14: "xorp", 15: "ntk", 16: "dhcp", 18: "keepalived", 186: "bgp", 187: "isis",
			188: "ospf", 189: "rip", 192: "eigrp"},
		tables:  map[uint32]string{0: "unspec", 253: "default", 254: "main", 255: "local"},
		dsfield: map[uint32]string{},
		realms:  map[uint32]string{0: "unknown"},
		groups:  map[uint32]string{0: "default"},
		ipproto: map[uint32]string{},
	}
	readIPNameFile(filepath.Join(ipNamesDir, "rt_protos"), db.protos, 256)
	readIPNameDir(filepath.Join(ipNamesDir, "rt_protos.d"), db.protos, 256)
	readIPNameFile(filepath.Join(ipNamesDir, "rt_tables"), db.tables, 0)
	readIPNameDir(filepath.Join(ipNamesDir, "rt_tables.d"), db.tables, 0)
	readIPNameFile(filepath.Join(ipNamesDir, "rt_dsfield"), db.dsfield, 256)
	readIPNameFile(filepath.Join(ipNamesDir, "rt_realms"), db.realms, 256)
	readIPNameFile(filepath.Join(ipNamesDir, "group"), db.groups, 0)
	readProtocols(ipProtocolsFile, db.ipproto)
	return db
}

// readIPNameFile reads "NUMBER NAME" lines (NUMBER decimal or 0x hex; #
// comments), as rtnl_tab_initialize does. limit, if not zero, bounds the
// numbers kept.
func readIPNameFile(path string, into map[uint32]string, limit uint64) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 2 || strings.HasPrefix(fields[1], "#") {
			continue
		}
		n, err := strconv.ParseUint(fields[0], 0, 32)
		if err != nil || (limit != 0 && n >= limit) {
			continue
		}
		into[uint32(n)] = fields[1]
	}
}

// readIPNameDir reads the *.conf files of a .d directory, in readdir's
// order as ip does (later files win).
func readIPNameDir(dir string, into map[uint32]string, limit uint64) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, ".") || len(n) <= 5 || !strings.HasSuffix(n, ".conf") {
			continue
		}
		readIPNameFile(filepath.Join(dir, n), into, limit)
	}
}

// readProtocols reads /etc/protocols ("name number aliases"); the first
// line of a number wins, as getprotobynumber answers.
func readProtocols(path string, into map[uint32]string) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		n, err := strconv.ParseUint(fields[1], 10, 8)
		if err != nil {
			continue
		}
		if _, ok := into[uint32(n)]; !ok {
			into[uint32(n)] = fields[0]
		}
	}
}

// protoName is rtnl_rtprot_n2a.
func (db *ipNameDB) protoName(p uint8) string {
	if s, ok := db.protos[uint32(p)]; ok {
		return s
	}
	return strconv.Itoa(int(p))
}

// tableName is rtnl_rttable_n2a.
func (db *ipNameDB) tableName(t uint32) string {
	if s, ok := db.tables[t]; ok {
		return s
	}
	return strconv.FormatUint(uint64(t), 10)
}

// dsfieldName is rtnl_dsfield_n2a: a name from rt_dsfield or "0x%02x".
func (db *ipNameDB) dsfieldName(tos uint8) string {
	if s, ok := db.dsfield[uint32(tos)]; ok {
		return s
	}
	const hexDigits = "0123456789abcdef"
	return string([]byte{'0', 'x', hexDigits[tos>>4], hexDigits[tos&15]})
}

// realmName is rtnl_rtrealm_n2a.
func (db *ipNameDB) realmName(r uint32) string {
	if s, ok := db.realms[r]; ok && r < 256 {
		return s
	}
	return strconv.FormatUint(uint64(r), 10)
}

// groupName is rtnl_group_n2a.
func (db *ipNameDB) groupName(g uint32) string {
	if s, ok := db.groups[g]; ok {
		return s
	}
	return strconv.FormatUint(uint64(g), 10)
}

// ipProtoName is inet_proto_n2a: the /etc/protocols name or
// "ipproto-N".
func (db *ipNameDB) ipProtoName(p uint8) string {
	if s, ok := db.ipproto[uint32(p)]; ok {
		return s
	}
	return "ipproto-" + strconv.Itoa(int(p))
}

// userName is the passwd name of uid, or "" if it has none.
func (db *ipNameDB) userName(uid uint32) string {
	if v, ok := db.users.Load(uid); ok {
		return v.(string)
	}
	name := ""
	if u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10)); err == nil {
		name = u.Username
	}
	db.users.Store(uid, name)
	return name
}

// userGroupName is the group name of gid, or "" if it has none.
func (db *ipNameDB) userGroupName(gid uint32) string {
	if v, ok := db.ugroups.Load(gid); ok {
		return v.(string)
	}
	name := ""
	if g, err := user.LookupGroupId(strconv.FormatUint(uint64(gid), 10)); err == nil {
		name = g.Name
	}
	db.ugroups.Store(gid, name)
	return name
}

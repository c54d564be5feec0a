package netlink

// The tc option tables: for each TCA_KIND this package has a type for, a
// constructor of its empty options, one table per object (a kind's qdisc
// options and its class options differ: htb's TCA_HTB_INIT against
// TCA_HTB_PARMS). Each row's type lives in its own file (tc_htb.go,
// tc_tbf.go, ...); a new kind is one new file and one row here. Kinds
// without a row decode into RawTCOptions and are sent back byte for byte.
//
// A row's type implements QdiscOptions, ClassOptions or FilterOptions:
// TCKind, decodeOptions (the payload of TCA_OPTIONS as the kernel sends
// it), encodeOptions (the same bytes back; for a request, what tc sends)
// and validateOptions (the kind's rules, from its net/sched/*.c), and
// optionsStabler if it carries counters.

// qdiscOptionTypes is the qdisc kind table.
var qdiscOptionTypes = map[string]func() QdiscOptions{
	"pfifo":      func() QdiscOptions { return &Fifo{Kind: "pfifo"} },
	"bfifo":      func() QdiscOptions { return &Fifo{Kind: "bfifo"} },
	"pfifo_fast": func() QdiscOptions { return new(PfifoFast) },
	"ingress":    func() QdiscOptions { return new(Ingress) },
	"clsact":     func() QdiscOptions { return new(Clsact) },
	"htb":        func() QdiscOptions { return new(HTB) },
	"tbf":        func() QdiscOptions { return new(TBF) },
	"fq_codel":   func() QdiscOptions { return new(FqCodel) },
	"fq":         func() QdiscOptions { return new(Fq) },
	"netem":      func() QdiscOptions { return new(Netem) },
	"prio":       func() QdiscOptions { return new(Prio) },
	"sfq":        func() QdiscOptions { return new(Sfq) },
	"cake":       func() QdiscOptions { return new(Cake) },
}

// classOptionTypes is the class kind table.
var classOptionTypes = map[string]func() ClassOptions{
	"htb": func() ClassOptions { return new(HTBClass) },
}

// filterOptionTypes is the filter kind table.
var filterOptionTypes = map[string]func() FilterOptions{
	"u32":      func() FilterOptions { return new(U32) },
	"bpf":      func() FilterOptions { return new(BPFFilter) },
	"flower":   func() FilterOptions { return new(Flower) },
	"matchall": func() FilterOptions { return new(Matchall) },
	"basic":    func() FilterOptions { return new(Basic) },
}

// actionOptionTypes is the action kind table (TCA_ACT_KIND), used for the
// action lists of filters.
var actionOptionTypes = map[string]func() ActionOptions{
	"gact":   func() ActionOptions { return new(Gact) },
	"mirred": func() ActionOptions { return new(Mirred) },
	"police": func() ActionOptions { return new(Police) },
	"bpf":    func() ActionOptions { return new(ActBPF) },
}

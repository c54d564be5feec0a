package nstest

import (
	"errors"
	"io/fs"
	"os"
	"strconv"
	"testing"
)

// NeedMPLS ends the test unless the kernel has MPLS routing (the
// mpls_router module, which makes /proc/sys/net/mpls): a skip, "this
// kernel lacks MPLS (mpls_router)", or a failure where AllKindsEnv is set.
// Then it sets net.mpls.platform_labels to labels in ns, as every MPLS
// route needs a label below it (mpls_label_ok in net/mpls/af_mpls.c).
func (ns *NS) NeedMPLS(t testing.TB, labels int) {
	t.Helper()
	err := ns.SetMPLSPlatformLabels(labels)
	if errors.Is(err, fs.ErrNotExist) {
		if os.Getenv(AllKindsEnv) != "" {
			t.Fatalf("this kernel lacks MPLS (mpls_router), but %s is set", AllKindsEnv)
		}
		t.Skip("this kernel lacks MPLS (mpls_router)")
	}
	if err != nil {
		t.Fatal(err)
	}
}

// SetMPLSPlatformLabels writes net.mpls.platform_labels in ns. Lowering it
// deletes the routes of the labels at and above it (resize_platform_label_table).
func (ns *NS) SetMPLSPlatformLabels(labels int) error {
	return ns.Do(func() error {
		return os.WriteFile("/proc/sys/net/mpls/platform_labels", []byte(strconv.Itoa(labels)), 0o644)
	})
}

// SetMPLSInput writes net.mpls.conf.DEV.input in ns: whether dev accepts
// MPLS packets.
func (ns *NS) SetMPLSInput(dev string, on bool) error {
	v := "0"
	if on {
		v = "1"
	}
	return ns.Do(func() error {
		return os.WriteFile("/proc/sys/net/mpls/conf/"+dev+"/input", []byte(v), 0o644)
	})
}

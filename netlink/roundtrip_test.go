package netlink

import (
	"reflect"
	"testing"
)

// codec is what every object kind implements for the wire.
type codec[T any] interface {
	*T
	decode(b []byte) error
	marshal() ([]byte, error)
}

// roundTrip checks that decode(marshal(x)) equals x.
func roundTrip[T any, P codec[T]](t testing.TB, x P) {
	t.Helper()
	b, err := x.marshal()
	if err != nil {
		t.Fatalf("marshal %+v: %v", x, err)
	}
	again := P(new(T))
	if err := again.decode(b); err != nil {
		t.Fatalf("decode(marshal(%+v)): %v\n%x", x, err, b)
	}
	if !reflect.DeepEqual(x, again) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", again, x)
	}
}

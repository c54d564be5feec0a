package oracle

import "testing"

// TestCompareJSON: key order, values, types, extra keys, tolerances and
// unordered arrays are judged as documented.
func TestCompareJSON(t *testing.T) {
	want := `[{"a":1,"b":"x","t":10.5},{"a":2,"b":"y","t":0}]`
	for _, c := range []struct {
		got  string
		opts JSONOptions
		ok   bool
	}{
		{want, JSONOptions{}, true},
		{`[{"a":1,"b":"x","t":10.5,"mine":true},{"a":2,"b":"y","t":0,"mine":false}]`, JSONOptions{Extra: []string{"[].mine"}}, true},
		{`[{"a":1,"b":"x","t":10.5,"mine":true},{"a":2,"b":"y","t":0}]`, JSONOptions{}, false},
		{`[{"b":"x","a":1,"t":10.5},{"a":2,"b":"y","t":0}]`, JSONOptions{}, false},
		{`[{"a":1,"b":"x","t":12},{"a":2,"b":"y","t":0}]`, JSONOptions{Tolerance: map[string]float64{"t": 2}}, true},
		{`[{"a":1,"b":"x","t":13},{"a":2,"b":"y","t":0}]`, JSONOptions{Tolerance: map[string]float64{"t": 2}}, false},
		{`[{"a":"1","b":"x","t":10.5},{"a":2,"b":"y","t":0}]`, JSONOptions{}, false},
		{`[{"a":2,"b":"y","t":0},{"a":1,"b":"x","t":10.5}]`, JSONOptions{}, false},
		{`[{"a":2,"b":"y","t":0},{"a":1,"b":"x","t":10.5}]`, JSONOptions{Unordered: true}, true},
		{`[{"a":2,"b":"y","t":0}]`, JSONOptions{Unordered: true}, false},
		{`[{"a":1,"b":"x"},{"a":2,"b":"y","t":0}]`, JSONOptions{}, false},
	} {
		err := CompareJSON([]byte(c.got), []byte(want), c.opts)
		if (err == nil) != c.ok {
			t.Errorf("CompareJSON(%s, %+v) = %v, want ok=%v", c.got, c.opts, err, c.ok)
		}
	}
}

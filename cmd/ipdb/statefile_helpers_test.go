package main

import (
	"os"
	"path/filepath"
	"testing"
)

// stateSpecs returns the specs of a state file's text, or the first
// error, of the parse or of the entries.
func stateSpecs(text string) (*specSet, error) {
	st, err := parseStateFile([]byte(text))
	if err != nil {
		return nil, err
	}
	return st.specs()
}

// mustSpecs is stateSpecs that ends the test on an error.
func mustSpecs(t *testing.T, text string) *specSet {
	t.Helper()
	ss, err := stateSpecs(text)
	if err != nil {
		t.Fatal(err)
	}
	return ss
}

// writeStateFile writes text as the file name in dir and returns its
// path.
func writeStateFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	f := filepath.Join(dir, name)
	if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

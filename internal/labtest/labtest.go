// Package labtest serves the lab scenarios of testdata/lab to tests, on
// loopback, for as long as the test runs.
package labtest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/nstrace/nstrace/lab"
)

// Start serves testdata/lab/NAME.txtar, or the demo lab for "demo", until
// the test ends. testdata is found from the module's root, so any package's
// tests can call it.
func Start(t testing.TB, name string) *lab.Lab {
	t.Helper()
	var s *lab.Scenario
	if name == "demo" {
		s = lab.Demo()
	} else {
		var err error
		if s, err = lab.Load(Path(t, name)); err != nil {
			t.Fatal(err)
		}
	}
	l, err := lab.Start(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// Path returns the path of testdata/lab/NAME.txtar.
func Path(t testing.TB, name string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "testdata", "lab", name+".txtar")
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatalf("no go.mod above the test's directory")
		}
		dir = up
	}
}

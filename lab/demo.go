package lab

import (
	"embed"
	"io/fs"
)

//go:embed demo/*.zone demo/lab.conf
var demoFS embed.FS

// Demo is the embedded demo scenario (lab/demo): the real root servers,
// com, net and eu, and domains that show in-bailiwick and out-of-bailiwick
// delegation, sub-delegation, CNAMEs, truncation and a dead server. It is
// signed from the root down, the same every run (seeded keys, fixed
// validity), with its root's DS as its anchor (Anchors) and one zone bogus
// after a key roll. Its Notes list the names worth tracing. Each call
// returns a new Scenario.
func Demo() *Scenario {
	files := make(map[string][]byte)
	entries, _ := fs.ReadDir(demoFS, "demo")
	for _, e := range entries {
		b, _ := fs.ReadFile(demoFS, "demo/"+e.Name())
		files[e.Name()] = b
	}
	s, err := Parse("demo", files)
	if err != nil {
		// The demo is part of the source; TestDemo keeps this from happening.
		panic(err)
	}
	return s
}

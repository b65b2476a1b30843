package main

import (
	"runtime/debug"
	"strings"
)

// version, when set at link time (-ldflags "-X main.version=v1.2.3", as the
// release build does), is the version nstrace reports; otherwise the
// module version from the build info is used: the tag with "go install
// …@v1.2.3", a pseudo-version or "(devel)" for a build from a checkout.
var version string

// versionString gives the version and, when the build recorded it, the
// commit: "v1.2.3 (commit 0123456789ab, 2026-01-02T03:04:05Z)". The commit
// is recorded for builds from a Git checkout unless -buildvcs=false.
func versionString() string {
	info, ok := debug.ReadBuildInfo()
	return formatVersion(version, info, ok)
}

func formatVersion(linked string, info *debug.BuildInfo, ok bool) string {
	v := linked
	if v == "" && ok {
		v = info.Main.Version
	}
	if v == "" {
		v = "(devel)"
	}
	if !ok {
		return v
	}
	var rev, when string
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" {
		return v
	}
	short := rev[:min(len(rev), 12)]
	var extra []string
	// A pseudo-version (v0.0.0-20260102030405-0123456789ab, with
	// "+dirty" for a modified checkout) already names the commit.
	if !strings.Contains(v, "-"+short) {
		if modified {
			short += "+dirty"
		}
		extra = append(extra, "commit "+short)
	}
	if when != "" {
		extra = append(extra, when)
	}
	if len(extra) == 0 {
		return v
	}
	return v + " (" + strings.Join(extra, ", ") + ")"
}

package main

import (
	"runtime/debug"
	"testing"
)

func TestFormatVersion(t *testing.T) {
	vcs := func(v string, settings ...string) *debug.BuildInfo {
		info := &debug.BuildInfo{Main: debug.Module{Path: "github.com/nstrace/nstrace", Version: v}}
		for i := 0; i+1 < len(settings); i += 2 {
			info.Settings = append(info.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return info
	}
	const rev = "0123456789abcdef0123456789abcdef01234567"
	for _, tt := range []struct {
		name   string
		linked string
		info   *debug.BuildInfo
		ok     bool
		want   string
	}{
		{"no build info", "", nil, false, "(devel)"},
		{"go install @tag", "", vcs("v1.2.3"), true, "v1.2.3"},
		{"a checkout without VCS stamping", "", vcs("(devel)"), true, "(devel)"},
		{"linked in, with the commit", "v1.2.3", vcs("(devel)", "vcs.revision", rev, "vcs.time", "2026-01-02T03:04:05Z"), true,
			"v1.2.3 (commit 0123456789ab, 2026-01-02T03:04:05Z)"},
		{"a modified checkout", "v1.2.3", vcs("(devel)", "vcs.revision", rev, "vcs.modified", "true"), true,
			"v1.2.3 (commit 0123456789ab+dirty)"},
		{"a pseudo-version names the commit already", "", vcs("v0.0.0-20260102030405-0123456789ab+dirty", "vcs.revision", rev, "vcs.time", "2026-01-02T03:04:05Z", "vcs.modified", "true"), true,
			"v0.0.0-20260102030405-0123456789ab+dirty (2026-01-02T03:04:05Z)"},
	} {
		if got := formatVersion(tt.linked, tt.info, tt.ok); got != tt.want {
			t.Errorf("%s: formatVersion = %q, want %q", tt.name, got, tt.want)
		}
	}
}

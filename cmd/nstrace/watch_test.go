package main

import (
	"slices"
	"testing"
)

// TestSplitCommand splits --exec's CMD as a shell would, and expands
// nothing: no variable, glob, substitution or operator has a meaning.
func TestSplitCommand(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"notify-send DNS", []string{"notify-send", "DNS"}},
		{"  cmd\ta  b ", []string{"cmd", "a", "b"}},
		{`sh -c "jq -r .question.name | mail -s 'DNS changed' oncall"`, []string{"sh", "-c", "jq -r .question.name | mail -s 'DNS changed' oncall"}},
		{`echo 'a "b" \c'`, []string{"echo", `a "b" \c`}},
		{`echo "a \"b\" \\ \c"`, []string{"echo", `a "b" \ \c`}},
		{`echo a\ b c\'d`, []string{"echo", "a b", "c'd"}},
		{`echo $HOME *.txt $(id) ; rm -rf / && x`, []string{"echo", "$HOME", "*.txt", "$(id)", ";", "rm", "-rf", "/", "&&", "x"}},
		{`echo ''`, []string{"echo", ""}},
		{`a"b"'c'd`, []string{"abcd"}},
	}
	for _, tt := range tests {
		got, err := splitCommand(tt.in)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("splitCommand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "   ", `echo 'a`, `echo "a`, `echo a\`} {
		if got, err := splitCommand(bad); err == nil {
			t.Errorf("splitCommand(%q) = %q, want an error", bad, got)
		}
	}
}

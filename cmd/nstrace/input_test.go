package main

import (
	"testing"
)

func TestParsePort(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want uint16
		ok   bool
	}{
		{"53", 53, true}, {"1", 1, true}, {"65535", 65535, true}, {"05353", 5353, true},
		{"0", 0, false}, {"65536", 0, false}, {"70000", 0, false}, {"-1", 0, false}, {"", 0, false}, {"53x", 0, false},
	} {
		got, err := parsePort(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("parsePort(%q) = %d, %v; want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && err.Error() != "port must be 1–65535" {
			t.Errorf("parsePort(%q) error = %q, want just the range", tt.in, err)
		}
	}
}

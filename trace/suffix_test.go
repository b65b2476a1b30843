package trace

import "testing"

func TestBelowPublicSuffix(t *testing.T) {
	for _, tt := range []struct {
		zone string
		want bool
	}{
		{".", false},
		{"com.", false},
		{"uk.", false},
		{"co.uk.", false},
		{"CO.UK.", false},
		{"github.io.", false},
		{"example.com.", true},
		{"Example.COM.", true},
		{"dev.example.com.", true},
		{"example.co.uk.", true},
		{"example.test.", true},
		{"test.", false},
		{"xn--p1ai.", false}, // .рф
		{"xn--e1afmkfd.xn--p1ai.", true},
	} {
		if got := BelowPublicSuffix(tt.zone); got != tt.want {
			t.Errorf("BelowPublicSuffix(%q) = %v, want %v", tt.zone, got, tt.want)
		}
	}
}

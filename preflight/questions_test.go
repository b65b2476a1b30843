package preflight

import (
	"strings"
	"testing"

	"github.com/nstrace/nstrace/trace"
)

func TestQuestions(t *testing.T) {
	tests := []struct {
		args []string
		want string
		err  string
	}{
		{args: nil, want: "example.com. SOA, example.com. NS, example.com. MX, example.com. TXT, www.example.com. A, www.example.com. AAAA"},
		{args: []string{"www"}, want: "www.example.com. A"},
		{args: []string{"@", "mx", "TXT", "www", "A", "AAAA", "mail"}, want: "example.com. MX, example.com. TXT, www.example.com. A, www.example.com. AAAA, mail.example.com. A"},
		{args: []string{"WWW.Example.com", "TYPE65", "www.example.com.", "A", "a", "a"}, want: "www.example.com. HTTPS, www.example.com. A"},
		{args: []string{"sub.www"}, want: "sub.www.example.com. A"},
		{args: []string{"bücher", "Straße.example.com"}, want: "xn--bcher-kva.example.com. A, xn--strae-oqa.example.com. A"},
		{args: []string{`a\046b`}, want: `a\.b.example.com. A`},
		{args: []string{"MX"}, err: "type MX comes before any name"},
		{args: []string{"www.example.net."}, err: "www.example.net. is not in example.com."},
		{args: []string{"bad..name"}, err: `invalid domain name: "bad..name" has an empty label`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			qs, err := Questions("example.com.", tt.args)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Questions(%q) error = %v, want %q", tt.args, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, q := range qs {
				got = append(got, q.Name+" "+trace.TypeString(q.Qtype))
			}
			if s := strings.Join(got, ", "); s != tt.want {
				t.Errorf("Questions(%q) = %s\nwant %s", tt.args, s, tt.want)
			}
		})
	}
}

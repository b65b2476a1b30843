package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/nstrace/nstrace/trace"
)

// delegationText writes a delegation compactly: "zone ns,ns glue=addr,...".
func delegationText(d *trace.Delegation) string {
	var ns, glue []string
	for _, n := range d.NS {
		ns = append(ns, fmt.Sprintf("%s/%d", n.Name, n.TTL))
	}
	for _, g := range d.Glue {
		glue = append(glue, g.Name+"="+g.Addr.String()+string(g.Ignored))
	}
	return d.Zone + " " + strings.Join(ns, ",") + " " + strings.Join(glue, ",")
}

func TestDelegateFlag(t *testing.T) {
	tests := []struct {
		args []string
		want []string // delegationText of each
		err  string
	}{
		{args: []string{"example.com=ns1.example.net,ns2.example.net"},
			want: []string{"example.com. ns1.example.net./0,ns2.example.net./0 "}},
		{args: []string{"Example.COM.=NS2.Example.NET.,ns1.example.net"}, // lower case, sorted, fully qualified
			want: []string{"example.com. ns1.example.net./0,ns2.example.net./0 "}},
		{args: []string{"example.com=ns1.example.com=2001:db8::1+192.0.2.1+192.0.2.1, ns2.example.net"}, // IPv4 first, once
			want: []string{"example.com. ns1.example.com./0,ns2.example.net./0 ns1.example.com.=192.0.2.1,ns1.example.com.=2001:db8::1"}},
		{args: []string{"example.com=ns1.example.net", "dev.example.com=ns1.dev.example.com=::ffff:192.0.2.9"},
			want: []string{"example.com. ns1.example.net./0 ", "dev.example.com. ns1.dev.example.com./0 ns1.dev.example.com.=192.0.2.9"}},
		{args: []string{"Bücher.de=ns1.bücher.de=45.33.10.1"}, // international names in their IDNA form
			want: []string{"xn--bcher-kva.de. ns1.xn--bcher-kva.de./0 ns1.xn--bcher-kva.de.=45.33.10.1"}},
		{args: []string{"example.com"}, err: "want ZONE=NS[,NS...]"},
		{args: []string{"=ns1.example.net"}, err: `zone: invalid domain name: empty name`},
		{args: []string{".=a.root-servers.net"}, err: "the root zone has no parent to delegate it"},
		{args: []string{"example.com= "}, err: "no nameservers for example.com."},
		{args: []string{"example.com=ns1.example.net,"}, err: `empty nameserver name in "ns1.example.net,"`},
		{args: []string{"example.com==192.0.2.1"}, err: `empty nameserver name`},
		{args: []string{"example.com=2001:db8::1"}, err: "nameserver 2001:db8::1 is an address"},
		{args: []string{"example.com=ns1..example.net"}, err: `nameserver: invalid domain name: "ns1..example.net" has an empty label`},
		{args: []string{"example.com=ns1.example.net+x"}, err: `invalid nameserver name "ns1.example.net+x"`},
		{args: []string{"example.com=ns1.example.net=fe80::1%eth0"}, err: `invalid address "fe80::1%eth0" for ns1.example.net.`},
		{args: []string{"example.com=ns1.example.net=192.0.2.1+"}, err: `invalid address "" for ns1.example.net.`},
		{args: []string{"example.com=ns1.example.net,NS1.example.net."}, err: "nameserver ns1.example.net. is given twice"},
		{args: []string{"example.com=ns1.example.net", "EXAMPLE.com.=ns2.example.net"}, err: "example.com. is delegated twice"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var list []*trace.Delegation
			v := &delegateValue{list: &list}
			var err error
			for _, a := range tt.args {
				if err = v.Set(a); err != nil {
					break
				}
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Set(%q) error = %v, want %q", tt.args, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Set(%q) error = %v", tt.args, err)
			}
			if len(list) != len(tt.want) {
				t.Fatalf("Set(%q) gave %d delegations, want %d", tt.args, len(list), len(tt.want))
			}
			for i, d := range list {
				if got := delegationText(d); got != tt.want[i] {
					t.Errorf("delegation %d = %q, want %q", i, got, tt.want[i])
				}
			}
			if got := v.String(); got != strings.Join(tt.args, " ") {
				t.Errorf("String() = %q", got)
			}
		})
	}
}

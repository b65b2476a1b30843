package main

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/nstrace/nstrace/trace"
)

// delegateFlags binds --delegate, which may be given once per zone.
func delegateFlags(f *pflag.FlagSet, list *[]*trace.Delegation) {
	f.Var(&delegateValue{list: list}, "delegate",
		"trace as if the parent of `ZONE` delegated it to these nameservers, ZONE=NS[,NS...]; an NS is a host name, or NAME=ADDR[+ADDR...] to give its glue; may be given once per zone")
}

// delegateValue is the --delegate flag: each use adds one proposed delegation.
type delegateValue struct {
	list *[]*trace.Delegation
	text []string
}

func (v *delegateValue) Set(s string) error {
	zone, nslist, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("want ZONE=NS[,NS...], e.g. example.com=ns1.example.net,ns2.example.net")
	}
	zone, err := zoneName(zone)
	if err != nil {
		return err
	}
	for _, d := range *v.list {
		if d.Zone == zone {
			return fmt.Errorf("%s is delegated twice; give all its nameservers in one --delegate", zone)
		}
	}
	d, err := parseNSList(zone, nslist)
	if err != nil {
		return err
	}
	*v.list = append(*v.list, d)
	v.text = append(v.text, s)
	return nil
}

func (v *delegateValue) String() string { return strings.Join(v.text, " ") }

func (v *delegateValue) Type() string { return "ZONE=NS[,NS...]" }

// zoneName checks a zone given on the command line and makes it fully
// qualified and lower case. The root cannot be delegated.
func zoneName(s string) (string, error) {
	z, err := trace.ParseName(s)
	if err != nil {
		return "", fmt.Errorf("zone: %w", err)
	}
	if z == "." {
		return "", fmt.Errorf("the root zone has no parent to delegate it")
	}
	return z, nil
}

// parseNSList reads the nameservers of a proposed delegation of zone:
// "NS[,NS...]", each a host name or NAME=ADDR[+ADDR...]. The NS set comes
// sorted by name and the glue by name and address, as the engine orders
// servers.
func parseNSList(zone, s string) (*trace.Delegation, error) {
	d := &trace.Delegation{Zone: zone}
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("no nameservers for %s: want NS[,NS...]", zone)
	}
	for item := range strings.SplitSeq(s, ",") {
		name, addrs, hasAddrs := strings.Cut(strings.TrimSpace(item), "=")
		if name == "" {
			return nil, fmt.Errorf("empty nameserver name in %q", s)
		}
		if _, err := netip.ParseAddr(name); err == nil {
			return nil, fmt.Errorf("nameserver %s is an address: an NS record names a host; write NAME=%s", name, name)
		}
		if strings.Contains(name, "+") {
			return nil, fmt.Errorf("invalid nameserver name %q: + separates addresses, after NAME=", name)
		}
		var err error
		if name, err = trace.ParseName(name); err != nil {
			return nil, fmt.Errorf("nameserver: %w", err)
		}
		if name == "." {
			return nil, fmt.Errorf("invalid nameserver name %q", ".")
		}
		if slices.ContainsFunc(d.NS, func(n trace.NS) bool { return n.Name == name }) {
			return nil, fmt.Errorf("nameserver %s is given twice", name)
		}
		d.NS = append(d.NS, trace.NS{Name: name})
		if !hasAddrs {
			continue
		}
		if addrs == "" {
			return nil, fmt.Errorf("no address after %s=", strings.TrimSuffix(name, "."))
		}
		for a := range strings.SplitSeq(addrs, "+") {
			addr, err := netip.ParseAddr(a)
			if err != nil || addr.Zone() != "" {
				return nil, fmt.Errorf("invalid address %q for %s", a, name)
			}
			addr = addr.Unmap()
			if slices.ContainsFunc(d.Glue, func(g trace.Glue) bool { return g.Name == name && g.Addr == addr }) {
				continue
			}
			d.Glue = append(d.Glue, trace.Glue{Name: name, Addr: addr})
		}
	}
	slices.SortFunc(d.NS, func(a, b trace.NS) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(d.Glue, func(a, b trace.Glue) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), a.Addr.Compare(b.Addr)) // IPv4 first
	})
	return d, nil
}

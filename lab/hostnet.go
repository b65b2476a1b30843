package lab

import (
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"syscall"
)

// HostNetwork is the network of the machine a lab pretends to run on, as
// Lab.Dial plays it: the address families it has a route for. Its value is
// the word lab.conf writes in "host NETWORK". The zero value is
// HostDualStack.
//
// A family without a route fails as the kernel fails it: the dial returns
// at once, before any packet, a *net.OpError around connect's ENETUNREACH,
// "dial udp [2001:db8::1]:53: connect: network is unreachable". So a test
// can run a walk as on an IPv4-only laptop or CI runner, with the
// scenario's servers all healthy.
type HostNetwork string

const (
	// HostDualStack reaches both families.
	HostDualStack HostNetwork = "dual-stack"
	// HostIPv4Only has no IPv6 route: IPv6 destinations are unreachable.
	HostIPv4Only HostNetwork = "ipv4-only"
	// HostIPv6Only has no IPv4 route: IPv4 destinations are unreachable.
	HostIPv6Only HostNetwork = "ipv6-only"
	// HostOffline has no route at all: every destination is unreachable.
	HostOffline HostNetwork = "offline"
)

// hostNetworks are the networks lab.conf knows.
var hostNetworks = []HostNetwork{HostDualStack, HostIPv4Only, HostIPv6Only, HostOffline}

// reaches reports whether the host has a route to addr's family; an
// IPv4-mapped IPv6 address is IPv4.
func (n HostNetwork) reaches(addr netip.Addr) bool {
	switch n {
	case HostIPv4Only:
		return addr.Unmap().Is4()
	case HostIPv6Only:
		return !addr.Unmap().Is4()
	case HostOffline:
		return false
	}
	return true
}

// errNoRoute is the error of connect(2) to a family without a route.
var errNoRoute = os.NewSyscallError("connect", syscall.ENETUNREACH)

// parseHostNetwork reads the argument of "host".
func parseHostNetwork(s string) (HostNetwork, error) {
	n := HostNetwork(s)
	if !slices.Contains(hostNetworks, n) {
		return "", fmt.Errorf("unknown host network %q (want %s)", s, strings.Join(hostNetworkWords(), ", "))
	}
	return n, nil
}

func hostNetworkWords() []string {
	out := make([]string, len(hostNetworks))
	for i, n := range hostNetworks {
		out[i] = string(n)
	}
	return out
}

// Host is the network of the machine the scenario's lab pretends to run
// on: lab.conf's "host" line, HostDualStack without one.
func (s *Scenario) Host() HostNetwork {
	if s.host == "" {
		return HostDualStack
	}
	return s.host
}

// WithHost gives a copy of s whose lab runs on a host with network n, one
// of the HostNetwork constants, so that a scenario can be tried on an
// IPv4-only host, say, without a file of its own. s is unchanged, and
// shares its zones with the copy.
func (s *Scenario) WithHost(n HostNetwork) *Scenario {
	c := *s
	c.host = n
	return &c
}

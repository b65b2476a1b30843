package trace

// The check of this host's routes: no-ipv4-route and no-ipv6-route.

import (
	"errors"
	"fmt"
	"syscall"
)

// routes says once per address family that this host could not send to it
// (hops with ReasonNoRoute): those addresses were not asked, and no
// finding blames their servers (see servers and allFailed).
// The finding's zone is that of the first hop not sent: where the walk
// found out.
func (d *diagnosis) routes() {
	first := map[string]string{} // family → the zone of its first hop not sent
	for _, h := range d.hops {
		if h.Reason != ReasonNoRoute || !h.Server.Addr.IsValid() {
			continue
		}
		code, family, other := CodeNoIPv6Route, "IPv6", "IPv4"
		if h.Server.Addr.Unmap().Is4() {
			code, family, other = CodeNoIPv4Route, "IPv4", "IPv6"
		}
		why := ""
		var errno syscall.Errno
		if errors.As(h.Err, &errno) {
			why = " (" + errno.Error() + ")"
		}
		if _, ok := first[family]; !ok {
			first[family] = canon(h.Zone)
		}
		d.add("", Finding{Code: code, Zone: first[family], Hops: []int{h.ID},
			Message: fmt.Sprintf("this host has no %s route%s: no %s address of a nameserver was asked from here, and no server is blamed for it; the walk went on over %s where it could. Resolvers with %s do ask them: trace from such a host to check them",
				family, why, family, other, family)})
	}
}

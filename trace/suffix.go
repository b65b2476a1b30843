package trace

import (
	"strings"

	"golang.org/x/net/publicsuffix"
)

// BelowPublicSuffix reports whether zone lies below a public suffix: a
// registered domain, such as example.com. or example.co.uk., or a zone
// under one, which its owner runs and can change. The root, top-level
// domains and the other public suffixes (co.uk., github.io.; the Public
// Suffix List, https://publicsuffix.org, as golang.org/x/net/publicsuffix
// holds it) are not: no advice about a domain is for their operators. A
// name under a top-level domain the list does not know (a lab's test.)
// counts as below it.
func BelowPublicSuffix(zone string) bool {
	name := strings.ToLower(strings.TrimSuffix(canon(zone), "."))
	if name == "" {
		return false
	}
	_, err := publicsuffix.EffectiveTLDPlusOne(name)
	return err == nil
}

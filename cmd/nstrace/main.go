// Command nstrace traces a DNS name from the root to its authoritative answer,
// showing every referral, every server asked and what it said.
package main

import "os"

func main() {
	os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
}

// Package e2e proves nstrace against real servers. Its tests serve scenarios
// of testdata/lab with one BIND 9 named per server address, inside a network
// namespace of their own where only lo exists, and check three things:
//
//   - nstrace and dig +trace, both started from the scenario's root, cross
//     the same zones and end with the same outcome and answer;
//   - nstrace's trace through BIND ends as its trace through the lab does;
//   - every server, asked the same questions over UDP, with and without
//     EDNS, with RD=1, with a 512-octet EDNS buffer, and over TCP, gives
//     the same reply (rcode, flags, each section as a set of records with
//     TTLs, EDNS options) as the in-process lab serving the same zone files.
//
// For testdata/lab/dnssec.txtar, signed when it loads and served by named
// as pre-signed zones, TestDelv also checks that every reply to a query
// with DO is the lab's, and that BIND's delv and the dnssec package
// (walking named's servers and the lab's) give each name the same status,
// secure, insecure or bogus. Without root, TestValidateSignzone and
// TestLabSignerVerifies check the dnssec package and lab.Sign against
// dnssec-signzone and dnssec-verify.
//
// The one difference accepted is BIND's choice of which part of an RRset a
// truncated reply without EDNS holds (it rotates RRsets); testdata/lab's
// fidelity scenario holds the shapes of reply the lab must get right.
//
// Every address a scenario writes is first mapped into 127/8, so nothing
// the suite starts can send a packet beyond the namespace's loopback.
//
// The tests need root (for ip netns), named, dig and ip. Without them they
// skip with a one-line reason, unless NSTRACE_E2E_REQUIRED is set, which
// turns the skip into a failure.
package e2e

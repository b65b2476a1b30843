package render

import (
	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/trace"
)

// signedTrace walks a signed chain, root → com. → example.com.
// (ECDSAP256SHA256), as dig +trace +dnssec shows it
// (/work/shared/reference), with the DS records and RRSIGs each reply
// carried under DO; example.com.'s answer does not verify, so the zone is
// bogus.
func signedTrace() *trace.Trace {
	q := trace.Question{Name: "www.example.com.", Qtype: dns.TypeA}
	answer := rrs("www.example.com. 3600 IN A 192.0.2.80")
	bogus := []trace.Finding{
		{Code: "bogus-answer", Severity: trace.SeverityError, Zone: "example.com.", Hops: []int{3},
			Message: "validating resolvers answer SERVFAIL for www.example.com. A"},
		{Code: "signature-invalid", Severity: trace.SeverityError, Zone: "example.com.", Hops: []int{3},
			Message: "the RRSIG of www.example.com. A by key 3971 does not verify"},
	}
	t := numbered(&trace.Trace{
		Question: q,
		Outcome:  trace.Answer,
		Answer:   answer,
		Queries:  6,
		Duration: ms(31.2),
		Hops: []*trace.Hop{
			{
				Zone: ".", Server: rootServer, Port: 53, Question: q, Protocol: "udp",
				RTT: ms(10.1), Size: 293, Rcode: dns.RcodeSuccess, Outcome: trace.Referral,
				Referral: &trace.Delegation{Zone: "com.", NS: []trace.NS{{Name: "ns1.nic.com.", TTL: 86400}}},
				AuthorityDNSSEC: rrs(
					"com. 86400 IN DS 39912 13 2 571D7938299B5773B543D75E44A78B314443D05C06C8E78108DFD5D9B59AEF56",
					"com. 86400 IN RRSIG DS 13 1 86400 20270103181107 20261204181107 63874 . RqJAgsTUzTDVoIqmqlIGKAYb9BJ1/LV0c510HR7EJXKY4uo9z8eDs2KeDOESoWNKJzHodwtWXPOLy/GvU2p4Rg==",
				),
			},
			{
				Zone: "com.", Server: srv("ns1.nic.com.", "192.0.2.30", trace.SourceGlue), Port: 53, Question: q,
				Protocol: "udp", Start: ms(10.2), RTT: ms(8.4), Size: 287, Rcode: dns.RcodeSuccess, Outcome: trace.Referral,
				Referral: &trace.Delegation{Zone: "example.com.", NS: []trace.NS{{Name: "ns1.example.com.", TTL: 3600}}},
				AuthorityDNSSEC: rrs(
					"example.com. 3600 IN DS 8385 13 2 C11402425CE1BECC82668D1F2C472F5E9228E343D0EB93D00736F88FC5360733",
					"example.com. 3600 IN RRSIG DS 13 2 3600 20270103181107 20261204181107 23398 com. z7l+sBF/nkAWqOCxCJ/v5e0bIaw9909QieRZhxYkH/c35lXiWUBgODKoyuQamN0QTW1N746Qi2l/xX3IfbJoaA==",
				),
			},
			{
				Zone: "example.com.", Server: srv("ns1.example.com.", "192.0.2.53", trace.SourceGlue), Port: 53,
				Question: q, Protocol: "udp", Start: ms(18.7), RTT: ms(9.9), Size: 584, Rcode: dns.RcodeSuccess,
				AA: true, Outcome: trace.Answer, Answer: answer,
				AnswerSigs: rrs("www.example.com. 3600 IN RRSIG A 13 3 3600 20270103181107 20261204181107 3971 example.com. pFIiVID/V5kBV/mg8U7w9qCoI0l+7o6Kr4GFkDDsBEuv5+cs01TRcnc85dtYdPNE5OCR6KG602p+3Z9thOO6SA=="),
			},
		},
		Findings: bogus,
	})
	t.DNSSEC = []*trace.DNSSEC{
		{Zone: ".", Status: trace.DNSSECSecure, DS: []trace.DS{{KeyTag: 12349, Algorithm: 13, DigestType: 2}},
			Keys: []trace.Key{
				{KeyTag: 12349, Algorithm: 13, Flags: 257, Protocol: 3, TTL: 86400,
					PublicKey: "UgCDStzwNIRjXBXWLKxRCxU5saPfsw7LkEVBxvaEn1yHYD+ryWGquaRRzX1o7E6iOCiPKA4ETITCZ/mrZNmJ8A=="},
				{KeyTag: 63874, Algorithm: 13, Flags: 256}}},
		{Zone: "com.", Status: trace.DNSSECSecure, DS: []trace.DS{{KeyTag: 39912, Algorithm: 13, DigestType: 2, TTL: 86400,
			Digest: "571D7938299B5773B543D75E44A78B314443D05C06C8E78108DFD5D9B59AEF56"}},
			Keys: []trace.Key{{KeyTag: 39912, Algorithm: 13, Flags: 257}, {KeyTag: 23398, Algorithm: 13, Flags: 256}}},
		{Zone: "example.com.", Status: trace.DNSSECBogus, DS: []trace.DS{{KeyTag: 8385, Algorithm: 13, DigestType: 2}},
			Keys:     []trace.Key{{KeyTag: 8385, Algorithm: 13, Flags: 257}, {KeyTag: 3971, Algorithm: 13, Flags: 256}},
			Findings: bogus},
	}
	return t
}

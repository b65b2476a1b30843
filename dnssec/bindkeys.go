package dnssec

import (
	"fmt"
	"regexp"
	"strings"
)

// bindClause finds the clauses of named.conf that hold trust anchors, as
// BIND's bind.keys and delv -a files write them.
var bindClause = regexp.MustCompile(`(?s)\b(trust-anchors|managed-keys|trusted-keys)\s*\{(.*?)\}\s*;`)

// bindComments are named.conf's three comment styles.
var bindComments = regexp.MustCompile(`(?s)/\*.*?\*/|//[^\n]*|#[^\n]*`)

// fromBIND turns the trust-anchors (or older managed-keys and
// trusted-keys) clauses of named.conf syntax into zone-file lines:
//
//	trust-anchors { . initial-key 257 3 8 "AwEAA..."; . initial-ds 38696 8 2 "683D..."; };
//
// It reports false when text has no such clause.
func fromBIND(text string) (string, bool, error) {
	text = bindComments.ReplaceAllString(text, " ")
	clauses := bindClause.FindAllStringSubmatch(text, -1)
	if len(clauses) == 0 {
		return "", false, nil
	}
	var b strings.Builder
	for _, c := range clauses {
		for _, entry := range strings.Split(c[2], ";") {
			f, quoted, err := splitEntry(entry)
			if err != nil {
				return "", true, err
			}
			if len(f) == 0 {
				continue
			}
			line, err := bindEntry(c[1], f, quoted)
			if err != nil {
				return "", true, err
			}
			b.WriteString(line + "\n")
		}
	}
	return b.String(), true, nil
}

// splitEntry is an entry's fields before its quoted key or digest, and
// that quoted text with its white space taken out.
func splitEntry(entry string) ([]string, string, error) {
	i := strings.IndexByte(entry, '"')
	if i < 0 {
		if f := strings.Fields(entry); len(f) > 0 {
			return nil, "", fmt.Errorf("trust anchor %q: no quoted key or digest", strings.Join(f, " "))
		}
		return nil, "", nil
	}
	j := strings.LastIndexByte(entry, '"')
	if j == i || strings.TrimSpace(entry[j+1:]) != "" {
		return nil, "", fmt.Errorf("trust anchor %q: unbalanced quotes", strings.Join(strings.Fields(entry), " "))
	}
	return strings.Fields(entry[:i]), strings.Join(strings.Fields(entry[i+1:j]), ""), nil
}

// bindEntry is one anchor as a zone-file line.
func bindEntry(clause string, f []string, quoted string) (string, error) {
	name, kind, rest := f[0], "static-key", f[1:]
	if clause != "trusted-keys" {
		if len(f) < 2 {
			return "", fmt.Errorf("trust anchor %q: no key type", strings.Join(f, " "))
		}
		kind, rest = f[1], f[2:]
	}
	if len(rest) != 3 {
		return "", fmt.Errorf("trust anchor %s %s: want three numbers before the quoted text, have %d", name, kind, len(rest))
	}
	switch kind {
	case "initial-key", "static-key":
		return fmt.Sprintf("%s IN DNSKEY %s %s", name, strings.Join(rest, " "), quoted), nil
	case "initial-ds", "static-ds":
		return fmt.Sprintf("%s IN DS %s %s", name, strings.Join(rest, " "), quoted), nil
	}
	return "", fmt.Errorf("trust anchor %s: unknown type %q (want initial-key, static-key, initial-ds or static-ds)", name, kind)
}

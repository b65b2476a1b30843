package dnssec_test

import (
	"path/filepath"
	"testing"

	"github.com/nstrace/nstrace/dnssec"
	"github.com/nstrace/nstrace/internal/findingsdoc"
)

// TestFindingsDoc keeps docs/dnssec.md and the codes in step.
func TestFindingsDoc(t *testing.T) {
	findingsdoc.Check(t, filepath.Join("..", "docs", "dnssec.md"), dnssec.Codes(),
		func(code string) string { return string(dnssec.SeverityOf(code)) })
}

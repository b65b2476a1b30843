package batch

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"iter"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/miekg/dns"

	"github.com/nstrace/nstrace/resolver"
	"github.com/nstrace/nstrace/trace"
)

// MaxLine is the longest line Read takes, in bytes: a name is at most 255
// octets, 1,000 or so with every octet escaped as \DDD, so a longer line is
// not a name, whatever it holds.
const MaxLine = 4096

// A LineError is a line of a list that names nothing that can be traced.
type LineError struct {
	Source string // the list's name: a file, or "stdin"
	Line   int    // from 1
	Err    error  // why; never nil
	// text is the line, for Shard.Filter: "" for one too long to keep.
	text string
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.Source, e.Line, e.Err) }

func (e *LineError) Unwrap() error { return e.Err }

// Read reads a list of names: one NAME [TYPE] a line, TYPE defaulting to
// qtype; blank lines and comments (from "#" to the end of the line) are
// skipped, and a byte order mark before the first line too. It yields each
// name with a nil error, a *LineError for each line that names nothing
// traceable (and goes on reading), and, last, any error that stopped it
// reading the list to its end. source names the list in errors.
func Read(r io.Reader, source string, qtype uint16) iter.Seq2[Name, error] {
	return func(yield func(Name, error) bool) {
		br := bufio.NewReader(r)
		for line := 1; ; line++ {
			text, long, err := readLine(br)
			if err != nil && err != io.EOF {
				yield(Name{Source: source, Line: line}, fmt.Errorf("%s: line %d: %w", source, line, err))
				return
			}
			if line == 1 {
				text = bytes.TrimPrefix(text, []byte("\ufeff"))
			}
			if len(text) > 0 || long {
				q, ok, bad := parseLine(text, long, qtype)
				n := Name{Source: source, Line: line, Question: q}
				switch {
				case bad != nil:
					if !yield(n, &LineError{Source: source, Line: line, Err: bad, text: string(text)}) {
						return
					}
				case ok:
					if !yield(n, nil) {
						return
					}
				}
			}
			if err == io.EOF {
				return
			}
		}
	}
}

// readLine reads one line, without its end ("\n" or "\r\n"). A line longer
// than MaxLine is read to its end and dropped: long is set, text is empty.
// err is io.EOF after the last line.
func readLine(br *bufio.Reader) (text []byte, long bool, err error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if !long {
			buf = append(buf, chunk...)
			if len(buf) > MaxLine+2 {
				buf, long = nil, true
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == nil {
			buf = bytes.TrimSuffix(bytes.TrimSuffix(buf, []byte("\n")), []byte("\r"))
		}
		if err == io.EOF && len(buf) == 0 && !long {
			return nil, false, io.EOF
		}
		if err == io.EOF {
			err = nil // the last line has no end of line; EOF comes next time
		}
		return buf, long, err
	}
}

// parseLine reads one line of a list: NAME [TYPE], with anything from "#"
// on a comment. ok is false for a line with no name; err, never empty,
// says what is wrong with a bad one.
func parseLine(b []byte, long bool, qtype uint16) (q trace.Question, ok bool, err error) {
	if long {
		return q, false, fmt.Errorf("longer than %d bytes: not a NAME [TYPE] line", MaxLine)
	}
	if err := checkText(b); err != nil {
		return q, false, err
	}
	s := string(b)
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	f := strings.Fields(s)
	switch len(f) {
	case 0:
		return q, false, nil
	case 1, 2:
	default:
		return q, false, fmt.Errorf("want NAME [TYPE], not %d words", len(f))
	}
	q.Qclass = dns.ClassINET
	if q.Name, err = trace.ParseName(f[0]); err != nil {
		return q, false, err
	}
	q.Qtype = qtype
	if len(f) == 2 {
		if q.Qtype, err = trace.ParseType(f[1]); err != nil {
			return q, false, err
		}
	}
	if err := resolver.CheckQuestion(q.Name, q.Qtype); err != nil {
		return q, false, err
	}
	return q, true, nil
}

// checkText refuses a line that is not text: bytes that are not UTF-8, or
// control characters other than tab. A name's other octets are written as
// \DDD escapes (RFC 1035 §5.1).
func checkText(b []byte) error {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return fmt.Errorf("byte %#02x at column %d is not UTF-8 text; write other octets of a name as \\DDD", b[i], i+1)
		case r != '\t' && unicode.IsControl(r):
			return fmt.Errorf("control character %U at column %d; write other octets of a name as \\DDD", r, i+1)
		}
		i += size
	}
	return nil
}

package batch

import (
	"fmt"
	"iter"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// TestFNV1a holds fnv1a to the FNV reference's test vectors for 64-bit
// FNV-1a, so the documented hash is the one computed.
func TestFNV1a(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint64
	}{
		{"", 0xcbf29ce484222325}, // the offset basis
		{"a", 0xaf63dc4c8601ec8c},
		{"foobar", 0x85944171f73967e8},
	} {
		if got := fnv1a(c.in); got != c.want {
			t.Errorf("fnv1a(%q) = %#x, want %#x", c.in, got, c.want)
		}
	}
}

// TestShardOfStable is the golden of names to shards. Never change a want
// to make it pass: a hash that moves a name to another shard splits a list
// differently from the jobs still running the old nstrace, and some names
// would be traced twice and others never. The values were computed
// independently, with FNV-1a and (h*n)>>64 in Python.
func TestShardOfStable(t *testing.T) {
	for _, c := range []struct {
		name string
		hash uint64 // of the canonical name
		n    []int  // shard of 2, 3, 7, 1000
	}{
		{"www.example.com.", 0x37d203e0051bee3f, []int{0, 0, 1, 218}},
		{"example.com.", 0xad4482bdcc688638, []int{1, 2, 4, 676}},
		{`a\.b.example.`, 0x08afe6344fcbc186, []int{0, 0, 0, 33}},
		{"nope.example.com.", 0xfab14a66499151a0, []int{1, 2, 6, 979}},
		{"xn--bcher-kva.de.", 0xa6e1c31bb41bd599, []int{1, 1, 4, 651}},
		{".", 0xaf63a34c86018bb1, []int{1, 2, 4, 685}},
	} {
		if got := fnv1a(c.name); got != c.hash {
			t.Errorf("fnv1a(%q) = %#x, want %#x", c.name, got, c.hash)
		}
		for i, n := range []int{2, 3, 7, 1000} {
			if got := ShardOf(c.name, n); got != c.n[i] {
				t.Errorf("ShardOf(%q, %d) = %d, want %d", c.name, n, got, c.n[i])
			}
		}
	}
}

// TestShardOfSpelling: the spellings of one name on the wire fall in one
// shard: case, the final dot, escapes of plain letters.
func TestShardOfSpelling(t *testing.T) {
	want := ShardOf("www.example.com.", 1000)
	for _, s := range []string{"www.example.com", "WWW.Example.COM.", `www.ex\097mple.com`, `\119ww.example.com.`} {
		if got := ShardOf(s, 1000); got != want {
			t.Errorf("ShardOf(%q, 1000) = %d, want %d (that of www.example.com.)", s, got, want)
		}
	}
}

// TestShardPartition: over N = 1 … 8, every name of a list is in exactly
// one shard, and no shard is far from its share: for names that differ in
// digits, and for names spelled with letters that are all 1 mod 4, which
// FNV-1a mod N (not ShardOf) would put in one shard of 4 or of 8.
func TestShardPartition(t *testing.T) {
	lists := map[string][]string{}
	for z := range 20 {
		for h := range 50 {
			lists["digits"] = append(lists["digits"], fmt.Sprintf("h%02d.z%02d.test.", h, z))
		}
	}
	const letters = "aeimquy"
	for _, a := range letters {
		for _, b := range letters {
			for _, c := range letters {
				for _, d := range letters {
					lists["letters"] = append(lists["letters"], string([]rune{a, b, c, d})+".com.")
				}
			}
		}
	}
	for list, names := range lists {
		for n := 1; n <= 8; n++ {
			t.Run(fmt.Sprintf("%s/%d", list, n), func(t *testing.T) {
				size := make([]int, n)
				for _, name := range names {
					var in []int
					for k := range n {
						if (Shard{K: k, N: n}).Has(name) {
							in = append(in, k)
						}
					}
					if len(in) != 1 {
						t.Fatalf("%s is in shards %v of %d, want exactly one", name, in, n)
					}
					size[in[0]]++
				}
				share := len(names) / n
				for k, got := range size {
					if got < share*8/10 || got > share*12/10 {
						t.Errorf("shard %d/%d holds %d names of %d, want about %d", k, n, got, len(names), share)
					}
				}
			})
		}
	}
}

// TestShardFilter: the shards of a list, together, give each name and
// each bad line once, in the list's order within a shard; a read error
// goes to every shard.
func TestShardFilter(t *testing.T) {
	text := "www.example.com\n# a comment\nexample.com MX\nbad name here\nnope.example.com\nwww.example.com AAA\n" +
		"www.example.com MX\na.test\nb.test\nc.test\n"
	all := lines(Read(strings.NewReader(text), "names", dns.TypeA))
	if got := (Shard{}).String(); got != "0/1" {
		t.Errorf("Shard{}.String() = %q, want 0/1, the whole list", got)
	}
	if got := lines(Shard{}.Filter(Read(strings.NewReader(text), "names", dns.TypeA))); !slices.Equal(got, all) {
		t.Errorf("the zero Shard gives %q, want the whole list %q", got, all)
	}
	for n := 1; n <= 7; n++ {
		var union []string
		for k := range n {
			got := lines(Shard{K: k, N: n}.Filter(Read(strings.NewReader(text), "names", dns.TypeA)))
			if !slices.IsSortedFunc(got, func(a, b string) int { return lineOf(a) - lineOf(b) }) {
				t.Errorf("shard %d/%d gives %q, out of the list's order", k, n, got)
			}
			union = append(union, got...)
		}
		slices.SortFunc(union, func(a, b string) int { return lineOf(a) - lineOf(b) })
		if !slices.Equal(union, all) {
			t.Errorf("the %d shards give %q, want each of %q once", n, union, all)
		}
	}

	// A name of a zone and its other types, and a repeated name, fall in one shard.
	for k := range 3 {
		got := lines(Shard{K: k, N: 3}.Filter(Read(strings.NewReader(text), "names", dns.TypeA)))
		www := 0
		for _, l := range got {
			if strings.Contains(l, " www.example.com.") {
				www++
			}
		}
		if www != 0 && www != 2 {
			t.Errorf("shard %d/3 has %d of www.example.com.'s 2 questions, want both or neither: %q", k, www, got)
		}
	}

	// An error that stopped the list being read is every shard's.
	for k := range 3 {
		got := lines(Shard{K: k, N: 3}.Filter(Read(failingReader{}, "names", dns.TypeA)))
		if len(got) != 1 || !strings.Contains(got[0], "read failed") {
			t.Errorf("shard %d/3 of an unreadable list gives %q, want its read error", k, got)
		}
	}
}

// lines gives each name of a list as "LINE NAME TYPE", each error as
// "LINE error".
func lines(names iter.Seq2[Name, error]) []string {
	var got []string
	for n, err := range names {
		if err != nil {
			got = append(got, fmt.Sprintf("%d error: %v", n.Line, err))
			continue
		}
		got = append(got, fmt.Sprintf("%d %s %s", n.Line, n.Question.Name, dns.TypeToString[n.Question.Qtype]))
	}
	return got
}

// lineOf is the line number lines gives first.
func lineOf(s string) int {
	var n int
	fmt.Sscan(s, &n)
	return n
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, fmt.Errorf("read failed") }

func TestParseShard(t *testing.T) {
	env := func(v string) func(string) (string, bool) {
		return func(k string) (string, bool) {
			if k != IndexEnv || v == "unset" {
				return "", false
			}
			return v, true
		}
	}
	for _, c := range []struct {
		spec, index string // index "unset": no JOB_COMPLETION_INDEX
		want        Shard
		err         string
	}{
		{"0/1", "unset", Shard{0, 1}, ""},
		{"2/3", "unset", Shard{2, 3}, ""},
		{"0/2147483647", "unset", Shard{0, 2147483647}, ""},
		{"007/010", "unset", Shard{7, 10}, ""},
		{"auto/4", "0", Shard{0, 4}, ""},
		{"auto/4", "3", Shard{3, 4}, ""},
		{"3/3", "unset", Shard{}, `"3/3": there is no shard 3 of 3; shards are numbered from 0 to 2, as JOB_COMPLETION_INDEX is`},
		{"1/0", "unset", Shard{}, `"1/0": N is 0; a list splits into at least 1 shard`},
		{"auto/0", "0", Shard{}, `"auto/0": N is 0; a list splits into at least 1 shard`},
		{"1", "unset", Shard{}, `"1": want K/N (shard K of N, K from 0 to N-1) or auto/N`},
		{"", "unset", Shard{}, `"": want K/N (shard K of N, K from 0 to N-1) or auto/N`},
		{"1/2/3", "unset", Shard{}, `"1/2/3": N must be a whole number from 0 to 2147483647`},
		{"-1/3", "unset", Shard{}, `"-1/3": K must be a whole number from 0 to 2147483647, or auto`},
		{"+1/3", "unset", Shard{}, `"+1/3": K must be a whole number from 0 to 2147483647, or auto`},
		{" 1/3", "unset", Shard{}, `" 1/3": K must be a whole number from 0 to 2147483647, or auto`},
		{"1/3 ", "unset", Shard{}, `"1/3 ": N must be a whole number from 0 to 2147483647`},
		{"1/", "unset", Shard{}, `"1/": N must be a whole number from 0 to 2147483647`},
		{"/3", "unset", Shard{}, `"/3": K must be a whole number from 0 to 2147483647, or auto`},
		{"0/2147483648", "unset", Shard{}, `"0/2147483648": N must be a whole number from 0 to 2147483647`},
		{"0/99999999999999999999999", "unset", Shard{}, `"0/99999999999999999999999": N must be a whole number from 0 to 2147483647`},
		{"AUTO/4", "1", Shard{}, `"AUTO/4": K must be a whole number from 0 to 2147483647, or auto`},
		{"auto/4", "unset", Shard{}, "auto/4 takes K from JOB_COMPLETION_INDEX, which is not set (a Kubernetes Indexed Job sets it); give K/4 instead"},
		{"auto/4", "", Shard{}, `auto/4: JOB_COMPLETION_INDEX="" must be a whole number from 0 to 2147483647`},
		{"auto/4", "x", Shard{}, `auto/4: JOB_COMPLETION_INDEX="x" must be a whole number from 0 to 2147483647`},
		{"auto/4", "4", Shard{}, "auto/4: JOB_COMPLETION_INDEX is 4, but shards of 4 are numbered from 0 to 3: do the Job's completions match N?"},
	} {
		got, err := ParseShard(c.spec, env(c.index))
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if got != c.want || gotErr != c.err {
			t.Errorf("ParseShard(%q) with %s=%q = %v, %q; want %v, %q", c.spec, IndexEnv, c.index, got, gotErr, c.want, c.err)
		}
	}
}

// FuzzParseShard: any spec and index give a shard that exists, which
// reads back as itself, or a one-line error; never a panic.
func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"0/1", "2/3", "auto/4", "3/3", "1/0", "x", "1/2/3", "-1/3", "0/99999999999999999999"} {
		f.Add(s, "1")
	}
	f.Add("auto/2", "")
	f.Add("auto/2", "01")
	f.Fuzz(func(t *testing.T, spec, index string) {
		s, err := ParseShard(spec, func(string) (string, bool) { return index, index != "" })
		if err != nil {
			if msg := err.Error(); msg == "" || strings.Contains(msg, "\n") {
				t.Fatalf("ParseShard(%q) error %q: want one line", spec, msg)
			}
			if s != (Shard{}) {
				t.Fatalf("ParseShard(%q) = %v with an error, want the zero Shard", spec, s)
			}
			return
		}
		if s.N < 1 || s.K < 0 || s.K >= s.N {
			t.Fatalf("ParseShard(%q) = %v: no such shard", spec, s)
		}
		back, err := ParseShard(s.String(), nil)
		if err != nil || back != s {
			t.Fatalf("ParseShard(%q) = %v, which reads back as %v, %v", spec, s, back, err)
		}
		if k := ShardOf("www.example.com.", s.N); k < 0 || k >= s.N {
			t.Fatalf("ShardOf(www.example.com., %d) = %d", s.N, k)
		}
	})
}

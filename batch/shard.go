package batch

import (
	"errors"
	"fmt"
	"hash/fnv"
	"iter"
	"math"
	"math/bits"
	"strconv"
	"strings"

	"github.com/nstrace/nstrace/trace"
)

// IndexEnv is the environment variable "auto/N" takes a shard's number
// from: a Kubernetes Indexed Job sets it in each pod to the pod's index,
// from 0 to completions-1.
const IndexEnv = "JOB_COMPLETION_INDEX"

// A Shard is shard K of a list split N ways: the names n with
// ShardOf(n, N) == K. N runs of one list, shards 0 to N-1, trace every name
// of it exactly once between them, and each bad line once, with no
// coordination: any job runner that numbers its jobs from 0 (a Kubernetes
// Indexed Job, GNU parallel's {%}-1, a CI matrix) can split a list.
//
// The zero Shard, with N 0, is the whole list.
type Shard struct {
	K, N int
}

// ShardOf gives the shard of name among n: ⌊h × n / 2⁶⁴⌋, where h is the
// 64-bit FNV-1a hash of the name in the form trace.CanonicalName gives
// (fully qualified, ASCII letters in lower case, odd bytes as \DDD: as
// JSON's question.name spells it). It depends on nothing but the name and
// n, never on the Go version, the machine or the list's order, so shards
// drawn today hold the same names next year: a name's record types, and
// its repetitions, all fall in one shard. n must be at least 1.
//
// The product takes the hash's high bits, which FNV mixes well; h mod n
// would not do: the low k bits of an FNV hash depend on the low k bits of
// each byte alone, so that, mod 4, every name spelled with the letters
// a, e, i, m, q, u and y (all 1 mod 4) would fall in one shard.
func ShardOf(name string, n int) int {
	return scale(fnv1a(trace.CanonicalName(name)), n)
}

// scale maps a hash to 0 … n-1: ⌊h × n / 2⁶⁴⌋, the high word of the
// 128-bit product.
func scale(h uint64, n int) int {
	hi, _ := bits.Mul64(h, uint64(n))
	return int(hi)
}

// fnv1a is the 64-bit FNV-1a hash of s (the FNV reference's, which
// hash/fnv implements).
func fnv1a(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// Has reports whether name is in shard s: always for the zero Shard.
func (s Shard) Has(name string) bool {
	return s.N == 0 || ShardOf(name, s.N) == s.K
}

// String gives s as ParseShard reads it: "K/N"; "0/1", the whole list,
// for the zero Shard.
func (s Shard) String() string {
	if s.N == 0 {
		return "0/1"
	}
	return strconv.Itoa(s.K) + "/" + strconv.Itoa(s.N)
}

// Filter gives the names of a list (as Read yields them) that are in s,
// and the list's errors that are s's to report: a bad line (*LineError)
// goes to the shard its text hashes to, as a name does, so that it is
// reported once among the N shards, and wherever the list is cut to
// resume; an error that stopped the list being read goes to every shard,
// as each one read the list itself. The zero Shard filters nothing.
func (s Shard) Filter(names iter.Seq2[Name, error]) iter.Seq2[Name, error] {
	if s.N == 0 {
		return names
	}
	return func(yield func(Name, error) bool) {
		for n, err := range names {
			var bad *LineError
			switch {
			case err == nil && !s.Has(n.Question.Name):
				continue
			case errors.As(err, &bad) && scale(fnv1a(bad.text), s.N) != s.K:
				continue
			}
			if !yield(n, err) {
				return
			}
		}
	}
}

// maxShards is the most shards ParseShard takes: more than any list needs,
// and few enough that K and N fit an int everywhere.
const maxShards = math.MaxInt32

// ParseShard reads a --shard value: "K/N", shard K of N (K from 0 to N-1),
// or "auto/N", whose K is the value of IndexEnv, looked up with lookupEnv
// (os.LookupEnv). K and N are decimal digits only. Its error says in one
// line what is wrong.
func ParseShard(spec string, lookupEnv func(string) (string, bool)) (Shard, error) {
	k, n, ok := strings.Cut(spec, "/")
	if !ok {
		return Shard{}, fmt.Errorf("%q: want K/N (shard K of N, K from 0 to N-1) or auto/N", spec)
	}
	var s Shard
	var err error
	if s.N, err = parseShardNumber(n); err != nil {
		return Shard{}, fmt.Errorf("%q: N %w", spec, err)
	}
	if s.N == 0 {
		return Shard{}, fmt.Errorf("%q: N is 0; a list splits into at least 1 shard", spec)
	}
	if k == "auto" {
		return autoShard(s.N, lookupEnv)
	}
	if s.K, err = parseShardNumber(k); err != nil {
		return Shard{}, fmt.Errorf("%q: K %w, or auto", spec, err)
	}
	if s.K >= s.N {
		return Shard{}, fmt.Errorf("%q: there is no shard %d of %d; shards are numbered from 0 to %d, as %s is", spec, s.K, s.N, s.N-1, IndexEnv)
	}
	return s, nil
}

// autoShard is shard IndexEnv of n.
func autoShard(n int, lookupEnv func(string) (string, bool)) (Shard, error) {
	v, ok := lookupEnv(IndexEnv)
	if !ok {
		return Shard{}, fmt.Errorf("auto/%d takes K from %s, which is not set (a Kubernetes Indexed Job sets it); give K/%d instead", n, IndexEnv, n)
	}
	k, err := parseShardNumber(v)
	if err != nil {
		return Shard{}, fmt.Errorf("auto/%d: %s=%q %w", n, IndexEnv, v, err)
	}
	if k >= n {
		return Shard{}, fmt.Errorf("auto/%d: %s is %d, but shards of %d are numbered from 0 to %d: do the Job's completions match N?", n, IndexEnv, k, n, n-1)
	}
	return Shard{K: k, N: n}, nil
}

// errShardNumber is the error of K or N that is not a number ParseShard
// takes.
var errShardNumber = fmt.Errorf("must be a whole number from 0 to %d", maxShards)

// parseShardNumber reads K or N: decimal digits, at most maxShards.
func parseShardNumber(s string) (int, error) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, errShardNumber
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v > maxShards {
		return 0, errShardNumber
	}
	return int(v), nil
}

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nstrace/nstrace/resolver"
)

// netns is a network namespace made for one test: only lo, up, with the
// 127/8 addresses the test's servers listen on. Commands run in it see
// their own resolv.conf, hosts and nsswitch.conf (ip netns exec mounts the
// files of /etc/netns/NAME over those of /etc), so that a program that
// resolves names (dig +trace does, for nameservers without glue) asks the
// test's resolver, never the host's.
type netns struct {
	name string
	file *os.File // /run/netns/NAME, open for setns
	fd   int      // its descriptor
}

// newNetns creates a namespace, torn down when the test ends, after every
// process the test started in it has been stopped. resolver is the address
// written in its resolv.conf, and hosts is added to its hosts file: dig
// +trace finds the root servers it is told of by name, as if they were
// the hints a resolver is built with.
func newNetns(t *testing.T, resolver netip.Addr, hosts string) *netns {
	t.Helper()
	if !resolver.IsLoopback() {
		t.Fatalf("resolver %s is not loopback", resolver)
	}
	var b [4]byte
	rand.Read(b[:])
	ns := &netns{name: fmt.Sprintf("%s%d-%s", netnsPrefix, os.Getpid(), hex.EncodeToString(b[:]))}
	if out, err := exec.Command(tools.ip, "netns", "add", ns.name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", ns.name, err, bytes.TrimSpace(out))
	}
	etc := filepath.Join("/etc/netns", ns.name)
	t.Cleanup(func() { ns.remove(t, etc) })

	if err := os.MkdirAll(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{
		"resolv.conf":   "nameserver " + resolver.String() + "\n",
		"hosts":         "127.0.0.1\tlocalhost\n" + hosts,
		"nsswitch.conf": "hosts: files dns\n",
	} {
		if err := os.WriteFile(filepath.Join(etc, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ns.ip(t, "", "link", "set", "lo", "up")
	f, err := os.Open(filepath.Join("/run/netns", ns.name))
	if err != nil {
		t.Fatal(err)
	}
	ns.file, ns.fd = f, int(f.Fd())
	return ns
}

// netnsPrefix starts the name of every namespace the suite makes; the PID
// of the test process that made it follows.
const netnsPrefix = "nstrace-e2e-"

// removeStale deletes the namespaces, and their files in /etc/netns, that
// test processes no longer running left behind (killed before their
// cleanup). Their named processes died with them.
func removeStale(t *testing.T) {
	out, err := exec.Command(tools.ip, "netns", "list").Output()
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], netnsPrefix) {
			continue
		}
		pid, _, ok := strings.Cut(strings.TrimPrefix(f[0], netnsPrefix), "-")
		if n, err := strconv.Atoi(pid); !ok || err != nil || n == os.Getpid() || syscall.Kill(n, 0) != syscall.ESRCH {
			continue // not ours to judge, or its process still runs
		}
		if pids, _ := exec.Command(tools.ip, "netns", "pids", f[0]).Output(); len(strings.TrimSpace(string(pids))) > 0 {
			continue
		}
		if exec.Command(tools.ip, "netns", "delete", f[0]).Run() == nil {
			os.RemoveAll(filepath.Join("/etc/netns", f[0]))
			t.Logf("removed %s, left by a test process that is gone", f[0])
		}
	}
}

// remove stops whatever still runs in the namespace (only processes this
// test started can be there), then deletes it and its files in /etc/netns.
func (ns *netns) remove(t *testing.T, etc string) {
	if ns.file != nil {
		ns.file.Close()
	}
	for range 50 {
		out, _ := exec.Command(tools.ip, "netns", "pids", ns.name).Output()
		pids := strings.Fields(string(out))
		if len(pids) == 0 {
			break
		}
		for _, p := range pids {
			if pid, err := strconv.Atoi(p); err == nil && pid != os.Getpid() {
				t.Logf("killing leftover process %d in %s", pid, ns.name)
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if out, err := exec.Command(tools.ip, "netns", "delete", ns.name).CombinedOutput(); err != nil {
		t.Errorf("ip netns delete %s: %v: %s", ns.name, err, bytes.TrimSpace(out))
	}
	os.RemoveAll(etc)
}

// ip runs ip -n NAME args, with stdin when not empty.
func (ns *netns) ip(t *testing.T, stdin string, args ...string) {
	t.Helper()
	cmd := exec.Command(tools.ip, append([]string{"-n", ns.name}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ip -n %s %s: %v: %s", ns.name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
}

// addAddrs puts addresses of 127/8 on lo; named listens only on addresses
// an interface has.
func (ns *netns) addAddrs(t *testing.T, addrs []netip.Addr) {
	t.Helper()
	var batch strings.Builder
	for _, a := range addrs {
		if a = a.Unmap(); !a.Is4() || !a.IsLoopback() {
			t.Fatalf("refusing to add %s to lo: not in 127/8", a)
		}
		if a == netip.AddrFrom4([4]byte{127, 0, 0, 1}) {
			continue
		}
		fmt.Fprintf(&batch, "address add %s/32 dev lo\n", a)
	}
	if batch.Len() > 0 {
		ns.ip(t, batch.String(), "-batch", "-")
	}
}

// command runs name with args in the namespace. ip netns exec execs name,
// so the process's PID is name's.
func (ns *netns) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, tools.ip, append([]string{"netns", "exec", ns.name, name}, args...)...)
}

// dial opens a connection from inside the namespace to a loopback address.
// The socket is made on a thread that joins the namespace for that moment
// only and then returns to the test's own; a socket keeps its namespace
// for life, whatever thread uses it later.
func (ns *netns) dial(ctx context.Context, network string, addr netip.AddrPort) (net.Conn, error) {
	if !addr.Addr().Unmap().IsLoopback() {
		return nil, fmt.Errorf("dial %s: not loopback", addr)
	}
	home, err := homeNetns()
	if err != nil {
		return nil, err
	}
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Setns(ns.fd, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			ch <- result{nil, fmt.Errorf("setns %s: %w", ns.name, err)}
			return
		}
		c, err := resolver.NetDial(ctx, network, addr) // an unconnected socket too
		ch <- result{c, err}
		if unix.Setns(home, unix.CLONE_NEWNET) == nil && inHome() {
			runtime.UnlockOSThread()
		} // else the thread stays locked, and ends with this goroutine
	}()
	r := <-ch
	return r.c, r.err
}

var (
	homeOnce sync.Once
	homeFile *os.File // never closed, and kept so that no finalizer closes it
	homeFD   int
	homeID   string // as /proc/thread-self/ns/net reads, e.g. "net:[4026531833]"
	homeErr  error
)

// homeNetns is a descriptor of the test process's own network namespace,
// kept open for the life of the process. It is the namespace of the thread
// that opens it: any thread but one locked in dial, whatever other threads
// do at the time (/proc/self would be the main thread's, which may be the
// one in dial).
func homeNetns() (int, error) {
	homeOnce.Do(func() {
		if homeID, homeErr = os.Readlink("/proc/thread-self/ns/net"); homeErr != nil {
			return
		}
		if homeFile, homeErr = os.Open("/proc/thread-self/ns/net"); homeErr == nil {
			homeFD = int(homeFile.Fd())
		}
	})
	return homeFD, homeErr
}

// inHome reports whether the calling thread is in the test process's own
// network namespace.
func inHome() bool {
	id, err := os.Readlink("/proc/thread-self/ns/net")
	return err == nil && id == homeID
}

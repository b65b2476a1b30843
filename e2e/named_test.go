package e2e

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nstrace/nstrace/lab"
)

// named is one BIND 9 named running in the test's namespace.
type named struct {
	addr netip.Addr
	log  string        // its log: named -g writes to stderr
	cmd  *exec.Cmd     // ip netns exec, which execs named: the PID is named's
	done chan struct{} // closed when it has exited
}

// authConf is the configuration of an authoritative-only server for h:
// one address, no recursion, no DNSSEC, no zone transfers, and BIND's
// defaults for everything that shapes a reply (minimal-responses,
// additional data, EDNS buffer sizes) and for the checks of a zone at load.
// BIND 9.18 lets anyone transfer a zone by default (axfr-open is true of
// it); the lab's servers refuse, as allow-transfer { none; } does. The
// faults h plays in named.conf (bindPlays): recursive is recursion for
// anyone from the scenario's root (hints), axfr-open allow-transfer { any; }.
func authConf(dir string, h *hostSetup, hints string) string {
	recursion, transfer, hintZone := "recursion no;", "allow-transfer { none; };", ""
	for _, f := range h.faults {
		switch f.Kind {
		case lab.FaultRecursive:
			recursion = "recursion yes;\n\tallow-recursion { any; };\n\tallow-query-cache { any; };"
			hintZone = fmt.Sprintf("zone \".\" { type hint; file %q; };\n", hints)
		case lab.FaultAXFROpen:
			transfer = "allow-transfer { any; };"
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `options {
	directory %q;
	pid-file none;
	session-keyfile none;
	listen-on port 53 { %s; };
	listen-on-v6 { none; };
	%s
	%s
	dnssec-validation no;
	notify no;
};
controls { };
%s`, dir, h.addr, recursion, transfer, hintZone)
	for _, origin := range slices.Sorted(maps.Keys(h.zones)) {
		fmt.Fprintf(&b, "zone %q { type primary; file %q; };\n", origin, h.zones[origin])
	}
	return b.String()
}

// resolverConf is the configuration of a recursive resolver that starts
// from the scenario's root (the hints file), for the programs in the
// namespace that resolve names: dig +trace looks up nameservers that came
// without glue, and the root servers' names, through the system resolver.
func resolverConf(dir string, addr netip.Addr, hints string) string {
	return fmt.Sprintf(`options {
	directory %q;
	pid-file none;
	session-keyfile none;
	listen-on port 53 { %s; };
	listen-on-v6 { none; };
	recursion yes;
	allow-recursion { any; };
	allow-query-cache { any; };
	dnssec-validation no;
	notify no;
};
controls { };
zone "." { type hint; file %q; };
`, dir, addr, hints)
}

// startNamed writes conf into dir and starts named on it in ns; the test
// stops it by its PID when it ends. Call wait before asking it anything.
func startNamed(t *testing.T, ns *netns, dir string, addr netip.Addr, conf string) *named {
	t.Helper()
	confPath := filepath.Join(dir, "named.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	// -g: foreground, log to stderr; -4: IPv4 only; -n 1: one worker.
	return startDaemon(t, ns, addr, filepath.Join(dir, "named.log"), tools.named, "-g", "-4", "-n", "1", "-c", confPath)
}

// startDaemon starts a server program (named, nsd, knotd) in ns with
// args, in the foreground, its output to logPath; the test stops it by its
// PID when it ends.
func startDaemon(t *testing.T, ns *netns, addr netip.Addr, logPath, prog string, args ...string) *named {
	t.Helper()
	n := &named{addr: addr, log: logPath, done: make(chan struct{})}
	logf, err := os.Create(n.log)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	n.cmd = ns.command(context.Background(), prog, args...)
	n.cmd.Stdout, n.cmd.Stderr = logf, logf
	// Should the test process die before it stops the server, the kernel
	// kills it: the parent-death signal is sent when the thread that
	// started it ends, so that thread is held until the server exits.
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	started := make(chan error, 1)
	go func() {
		defer close(n.done)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		err := n.cmd.Start()
		started <- err
		if err == nil {
			n.cmd.Wait()
		}
	}()
	if err := <-started; err != nil {
		t.Fatalf("starting %s for %s: %v", filepath.Base(prog), addr, err)
	}
	t.Cleanup(n.stop)
	return n
}

// wait returns once named says it is running, and fails the test if it
// exits first or takes more than 15s.
func (n *named) wait(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		b, _ := os.ReadFile(n.log)
		if bytes.Contains(b, []byte(" running\n")) {
			return
		}
		select {
		case <-n.done:
			t.Fatalf("named for %s exited at start:\n%s", n.addr, tail(b, 20))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("named for %s not running after 15s:\n%s", n.addr, tail(b, 20))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop ends named by its PID: SIGTERM, then SIGKILL after 5s.
func (n *named) stop() {
	select {
	case <-n.done:
		return
	default:
	}
	n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(5 * time.Second):
		n.cmd.Process.Kill()
		<-n.done
	}
}

// logTail is the end of named's log, for failure messages.
func (n *named) logTail() string {
	b, _ := os.ReadFile(n.log)
	return tail(b, 20)
}

// tail is the last n lines of b.
func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

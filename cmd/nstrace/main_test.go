package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/nstrace/nstrace/resolver"
)

// TestMain guards every test of the package, and every script's nstrace
// (testscript runs it in a copy of this binary, through TestMain too): a
// trace outside a lab may dial only loopback addresses, and anything else
// fails before a packet is sent; a probe's unconnected socket may write to
// loopback only.
func TestMain(m *testing.M) {
	netDial = resolver.LoopbackOnly(resolver.NetDial)
	testscript.Main(m, map[string]func(){
		"nstrace": func() { os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the CLI end to end: each testdata/script/*.txtar is a
// shell-like script of nstrace invocations and their expected output. Every
// trace runs in a lab on loopback, and TestMain's guard makes any other
// destination an error, so a script can never reach the internet.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			labs, err := filepath.Abs(filepath.Join("..", "..", "testdata", "lab"))
			if err != nil {
				return err
			}
			env.Setenv("LABS", labs)
			env.Setenv("NO_COLOR", "")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"status":    cmdStatus,
			"interrupt": cmdInterrupt,
			"waitfor":   cmdWaitFor,
		},
	})
}

// cmdStatus runs "status N PROG ARGS...": PROG must exit with code N. Its
// output is kept for the stdout and stderr checks that follow.
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: status N PROG [ARGS...]")
	}
	err := ts.Exec(args[1], args[2:]...)
	got := "0"
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = strconv.Itoa(ee.ExitCode())
	}
	if got != args[0] {
		ts.Fatalf("%s exited with %s, want %s", args[1], got, args[0])
	}
}

// cmdInterrupt runs "interrupt [-TERM] [-stderr] N REGEXP PROG ARGS...":
// PROG runs until a line of its stdout (of its stderr with -stderr)
// matches REGEXP, then gets SIGINT, as from Ctrl-C (SIGTERM with -TERM),
// and must exit with code N. The signal comes on that event, not after a
// guessed sleep. The output is kept for the stdout and stderr checks that
// follow.
func cmdInterrupt(ts *testscript.TestScript, neg bool, args []string) {
	sig, fromStderr := os.Signal(os.Interrupt), false
	for len(args) > 0 && (args[0] == "-TERM" || args[0] == "-stderr") {
		if args[0] == "-TERM" {
			sig = syscall.SIGTERM
		} else {
			fromStderr = true
		}
		args = args[1:]
	}
	if neg || len(args) < 3 {
		ts.Fatalf("usage: interrupt [-TERM] [-stderr] N REGEXP PROG [ARGS...]")
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	prog := args[2]
	for _, dir := range filepath.SplitList(ts.Getenv("PATH")) {
		if p := filepath.Join(dir, prog); fileExists(p) {
			prog = p
			break
		}
	}
	cmd := exec.Command(prog, args[3:]...)
	cmd.Dir = ts.Getenv("WORK")
	cmd.Env = append(os.Environ(), "PATH="+ts.Getenv("PATH"), "NO_COLOR=")
	var other bytes.Buffer
	var out io.ReadCloser
	if fromStderr {
		cmd.Stdout = &other
		out, err = cmd.StderrPipe()
	} else {
		cmd.Stderr = &other
		out, err = cmd.StdoutPipe()
	}
	ts.Check(err)
	ts.Check(cmd.Start())
	sent := false
	var scanned bytes.Buffer
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		fmt.Fprintln(&scanned, sc.Text())
		if !sent && re.MatchString(sc.Text()) {
			ts.Check(cmd.Process.Signal(sig))
			sent = true
		}
	}
	err = cmd.Wait()
	if fromStderr {
		ts.Stdout().Write(other.Bytes())
		ts.Stderr().Write(scanned.Bytes())
	} else {
		ts.Stdout().Write(scanned.Bytes())
		ts.Stderr().Write(other.Bytes())
	}
	if !sent {
		ts.Fatalf("%s: no line of its output matched %q", args[2], args[1])
	}
	got := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		got = ee.ExitCode()
	}
	if strconv.Itoa(got) != args[0] {
		ts.Fatalf("%s exited with %d after %v, want %s", args[2], got, sig, args[0])
	}
}

// cmdWaitFor runs "waitfor FILE REGEXP": it waits until FILE exists and
// matches REGEXP (multi-line mode), for a command run in the background to
// get there; it gives up after a minute, which only a broken program takes.
func cmdWaitFor(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitfor FILE REGEXP")
	}
	re, err := regexp.Compile("(?m)" + args[1])
	ts.Check(err)
	for end := time.Now().Add(time.Minute); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(ts.MkAbs(args[0])); err == nil && re.Match(b) {
			return
		}
	}
	ts.Fatalf("%s: no match for %q after a minute", args[0], args[1])
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

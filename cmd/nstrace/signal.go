package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
)

// stopSignals are the signals that stop nstrace cleanly: Ctrl-C's SIGINT,
// and SIGTERM, which Kubernetes sends a pod it evicts or preempts (and
// kill(1) by default). A trace or a list writes what it has, as for
// Ctrl-C; a watch ends.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

// signalCause is the cause of a context cancelled by a signal. It is
// context.Canceled to the resolver (which reads causes), so a walk stopped
// by either signal reads as one stopped by Ctrl-C always did.
type signalCause struct{ sig os.Signal }

func (c signalCause) Error() string { return context.Canceled.Error() }
func (c signalCause) Unwrap() error { return context.Canceled }

// notifyStop returns a copy of parent cancelled by the first of
// stopSignals, with a signalCause naming it, and the function that stops
// listening. It is the one signal setup of every command.
func notifyStop(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, stopSignals...)
	go func() {
		select {
		case s := <-ch:
			cancel(signalCause{s})
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		cancel(context.Canceled)
	}
}

// interruption gives the exit code of a trace or a list that ctx stopped,
// and the word its stderr line starts with: 143 and "terminated" for
// SIGTERM (128 + 15, as shells report it), else 130 and "interrupted"
// (Ctrl-C, or a caller's cancel).
func interruption(ctx context.Context) (code int, word string) {
	var c signalCause
	if errors.As(context.Cause(ctx), &c) && c.sig == syscall.SIGTERM {
		return exitTerminated, "terminated"
	}
	return exitInterrupted, "interrupted"
}

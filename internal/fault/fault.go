// Package fault is the fault-injection setting, for crash tests only:
// the environment variable COMETSTREAM_FAULT="<point>@<height>" makes the
// process exit (code 3, like a kill at that instant) at one point of one
// height's commit path. Unset, it costs nothing.
package fault

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Env names the environment variable that arms a fault.
const Env = "COMETSTREAM_FAULT"

// ExitCode is the process's exit status at a fault.
const ExitCode = 3

// The points, in the order a height passes them.
const (
	AfterFinalize  = "after-finalize"   // the app's FinalizeBlock returned
	AfterAppCommit = "after-app-commit" // the app's Commit returned, nothing recorded yet
	BeforeLogWrite = "before-log-write" // about to append to the event log
	MidLogWrite    = "mid-log-write"    // half the log record written
	AfterLogWrite  = "after-log-write"  // the log holds the height
)

// Points lists every point.
var Points = []string{AfterFinalize, AfterAppCommit, BeforeLogWrite, MidLogWrite, AfterLogWrite}

// StallLogWrite is no exit: the stream's goroutine stops for good before
// writing the height, while consensus goes on committing (and the
// middleware queueing) the next ones, until the process is killed. It
// opens the widest window of the asynchronous hand-off: several heights
// committed by the application and by CometBFT, none in the log.
const StallLogWrite = "stall-log-write"

// MidJetStreamPublish exits once half of a block's messages are in the
// JetStream stream (package jetstream), at the first block from the
// height on that has two messages or more: the sink resumes inside it.
const MidJetStreamPublish = "mid-jetstream-publish"

// Plan is an armed fault; the zero Plan never fires.
type Plan struct {
	Point  string
	Height int64
}

// FromEnv reads the plan from Env; an empty variable is no plan.
func FromEnv() (Plan, error) { return Parse(os.Getenv(Env)) }

// Parse reads "<point>@<height>".
func Parse(s string) (Plan, error) {
	if s == "" {
		return Plan{}, nil
	}
	point, hs, ok := strings.Cut(s, "@")
	h, err := strconv.ParseInt(hs, 10, 64)
	if !ok || err != nil || h < 1 {
		return Plan{}, fmt.Errorf("%s=%q: want <point>@<height>, e.g. %s@5", Env, s, AfterAppCommit)
	}
	for _, p := range append(Points, StallLogWrite, MidJetStreamPublish) {
		if p == point {
			return Plan{Point: point, Height: h}, nil
		}
	}
	return Plan{}, fmt.Errorf("%s=%q: unknown point %q (known: %s, %s, %s)", Env, s, point, strings.Join(Points, ", "), StallLogWrite, MidJetStreamPublish)
}

// Armed reports whether the plan fires anywhere.
func (p Plan) Armed() bool { return p.Point != "" }

// Hit reports whether the plan fires at point and height.
func (p Plan) Hit(point string, height int64) bool {
	return p.Point == point && p.Height == height
}

// armed is the process's plan, read from Env once: the points sit in
// library code (the middleware, the event store, the assembly's hand-off),
// so that an embedding app is crash-tested at the same points as the node,
// without a hook in any public config.
var armed = sync.OnceValues(FromEnv)

// Armed returns the process's plan and the error of a malformed Env, which
// the assembly's Open reports.
func Armed() (Plan, error) { return armed() }

// At ends the process when the process's plan fires at point and height.
// Unarmed, it is one comparison.
func At(point string, height int64) {
	if p, _ := armed(); p.Hit(point, height) {
		Exit(point, height)
	}
}

// Exit ends the process as a fault at point and height.
func Exit(point string, height int64) {
	fmt.Fprintf(os.Stderr, "fault injection: exiting at %s, height %d\n", point, height)
	os.Exit(ExitCode)
}

// Stall blocks the calling goroutine for good when the process's plan
// fires at point and height (see StallLogWrite).
func Stall(point string, height int64) {
	if p, _ := armed(); p.Hit(point, height) {
		fmt.Fprintf(os.Stderr, "fault injection: stalling at %s, height %d\n", point, height)
		select {}
	}
}

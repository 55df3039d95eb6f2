package wire_test

import (
	"testing"

	"github.com/cometstream/cometstream/wire"
)

func TestResumeReason(t *testing.T) {
	tests := []struct {
		why  string
		h    int64
		want string
	}{
		{"server shutting down", 4, "server shutting down; resume with from_height=4"},
		{"fell behind the oldest block kept", 3, "fell behind the oldest block kept; resume with from_height=3"},
		{"server shutting down", 0, "server shutting down"},
	}
	for _, tt := range tests {
		if got := wire.ResumeReason(tt.why, tt.h); got != tt.want {
			t.Errorf("ResumeReason(%q, %d) = %q, want %q", tt.why, tt.h, got, tt.want)
		}
	}
}

func TestParseResumeHeight(t *testing.T) {
	tests := []struct {
		reason string
		want   int64
		ok     bool
	}{
		{"server shutting down; resume with from_height=120", 120, true},
		{"subscriber too slow; resume with from_height=7", 7, true},
		{"resume with from_height=0; resume with from_height=5", 5, true},
		{"server shutting down", 0, false},
		{"resume with from_height=", 0, false},
		{"resume with from_height=0", 0, false},
		{"resume with from_height=-3", 0, false},
		{"resume with from_height=+3", 0, false},
		{"resume with from_height=3 ", 0, false},
		{"resume with from_height=99999999999999999999", 0, false}, // beyond int64
		{"from_height=7", 0, false},                                // not the node's format
	}
	for _, tt := range tests {
		got, ok := wire.ParseResumeHeight(tt.reason)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseResumeHeight(%q) = %d, %v; want %d, %v", tt.reason, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzParseResumeHeight: the parser finds the height ResumeReason wrote,
// whatever the why, and never a height < 1.
func FuzzParseResumeHeight(f *testing.F) {
	f.Add("server shutting down", int64(42))
	f.Add("subscriber too slow: fell behind", int64(1))
	f.Add("resume with from_height=resume with from_height=", int64(9223372036854775807))
	f.Add("", int64(0))
	f.Fuzz(func(t *testing.T, why string, h int64) {
		if got, ok := wire.ParseResumeHeight(why); (ok && got < 1) || (!ok && got != 0) {
			t.Fatalf("ParseResumeHeight(%q) = %d, %v", why, got, ok)
		}
		reason := wire.ResumeReason(why, h)
		got, ok := wire.ParseResumeHeight(reason)
		if h >= 1 && (!ok || got != h) {
			t.Fatalf("ParseResumeHeight(%q) = %d, %v; want %d", reason, got, ok, h)
		}
		if h < 1 && reason != why {
			t.Fatalf("ResumeReason(%q, %d) = %q, want the why alone", why, h, reason)
		}
	})
}

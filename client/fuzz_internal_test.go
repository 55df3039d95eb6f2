package client

import (
	"fmt"
	"strings"
	"testing"
)

// FuzzDecodeMessage: whatever a server sends, decoding neither panics nor
// accepts a message without the fields resuming depends on.
func FuzzDecodeMessage(f *testing.F) {
	f.Add([]byte(`{"transaction_id":"ab","asset_id":"ab","asset_ids":["ab"],"height":3}`))
	f.Add([]byte(`{"height":3,"hash":"0A1B","transaction_ids":["ab","cd"]}`))
	f.Add([]byte(`{"height":3,"hash":"0A1B","transaction_ids":null}`))
	f.Add([]byte(`{"transaction_id":"ab","height":-1}`))
	f.Add([]byte(`{"height":1e30}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if tx, err := decodeTx(data); err == nil && (tx.TransactionID == "" || tx.Height <= 0) {
			t.Fatalf("accepted transaction message %q as %+v", data, tx)
		}
		if b, err := decodeBlock(data); err == nil && (b.Height <= 0 || b.TransactionIDs == nil) {
			t.Fatalf("accepted block message %q as %+v", data, b)
		}
	})
}

// FuzzResumeHint: the hint parser finds the height the node wrote, and
// never a negative one in anything else.
func FuzzResumeHint(f *testing.F) {
	f.Add("server shutting down; resume with from_height=", int64(42))
	f.Add("subscriber too slow: fell behind; resume with from_height=", int64(1))
	f.Add("from_height=from_height=", int64(9223372036854775807))
	f.Add("", int64(0))
	f.Fuzz(func(t *testing.T, prefix string, h int64) {
		if got := resumeHint(prefix); got < 0 {
			t.Fatalf("resumeHint(%q) = %d", prefix, got)
		}
		if h <= 0 || strings.Contains(prefix, "from_height=") {
			return
		}
		reason := fmt.Sprintf("%sfrom_height=%d", prefix, h)
		if got := resumeHint(reason); got != h {
			t.Fatalf("resumeHint(%q) = %d, want %d", reason, got, h)
		}
	})
}

func TestResumeHint(t *testing.T) {
	tests := []struct {
		reason string
		want   int64
	}{
		{"server shutting down; resume with from_height=120", 120},
		{"subscriber too slow; resume with from_height=7", 7},
		{"server shutting down", 0},
		{"from_height=", 0},
		{"from_height=-3", 0},
		{"from_height=99999999999999999999", 0}, // beyond int64: no hint
	}
	for _, tt := range tests {
		if got := resumeHint(tt.reason); got != tt.want {
			t.Errorf("resumeHint(%q) = %d, want %d", tt.reason, got, tt.want)
		}
	}
}

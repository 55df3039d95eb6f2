package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cometstream/cometstream/node"
)

func TestTestnetCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net")
	var stdout, stderr bytes.Buffer
	args := []string{"testnet", "--validators", "2", "--full-nodes", "1", "--output", dir, "--base-port", "30400", "--chain-id", "cs-test"}
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("testnet: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{
		"node0  validator  http://127.0.0.1:30401  ws://127.0.0.1:30402  http://127.0.0.1:30403/api/v1/",
		"node2  full       http://127.0.0.1:30421  ws://127.0.0.1:30422  http://127.0.0.1:30423/api/v1/",
		"wrote 3 node homes in " + dir + "\n" + startHint + dir + "\n",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
	for i := range 3 {
		cfg, err := node.LoadConfig(filepath.Join(dir, fmt.Sprintf("node%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("node%d: %v", i, err)
		}
	}

	// A second run into the same directory is refused: it would mix chains.
	stdout.Reset()
	err := run(context.Background(), args, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("second testnet into %s: err = %v, want a refusal", dir, err)
	}
}

func TestTestnetCommandFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no validators", []string{"testnet", "--output", t.TempDir()}, "--validators"},
		{"no output", []string{"testnet", "--validators", "1"}, "--output"},
		{"stray argument", []string{"testnet", "--validators", "1", "--output", t.TempDir(), "extra"}, "unexpected argument"},
		{"bad flag", []string{"testnet", "--nodes", "3"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	home := t.TempDir()
	tests := []struct {
		name       string
		args       []string
		wantErr    string
		wantStdout string
	}{
		{"no command", nil, "no command", ""},
		{"unknown command", []string{"serve"}, `unknown command "serve"`, ""},
		{"version", []string{"version"}, "", "cometstream "},
		{"version names CometBFT", []string{"version"}, "", "\ncometbft "},
		{"start -help is no error", []string{"start", "--help"}, "", ""},
		{"init -h is no error", []string{"init", "-h"}, "", ""},
		{"testnet -h is no error", []string{"testnet", "-h"}, "", ""},
		{"tail -help is no error", []string{"tail", "-help"}, "", ""},
		{"help", []string{"help"}, "", "usage: cometstream"},
		{"init", []string{"init", "--home", home, "--stream.enable"}, "", "initialised node home"},
		{"init again keeps files", []string{"init", "--home", home}, "", "already initialised"},
		{"bad flag", []string{"init", "--nope"}, "flag provided but not defined", ""},
		{"start without home", []string{"start", "--home", filepath.Join(home, "missing")}, "cometstream init", ""},
		{"start bad log level", []string{"start", "--home", home, "--log-level", "loud"}, "unknown --log-level", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, &stdout, &stderr)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("unexpected error: %v (stderr %s)", err, stderr.String())
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("stdout %q lacks %q", stdout.String(), tt.wantStdout)
			}
		})
	}
	conf, err := os.ReadFile(filepath.Join(home, "config", "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(conf), "enable = true") {
		t.Error("init --stream.enable did not write enable = true")
	}
}

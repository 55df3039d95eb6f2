package node_test

import (
	"os"
	"testing"

	"github.com/cometstream/cometstream/node"
)

// FuzzLoadConfig appends arbitrary text as the [stream] section of a real
// config.toml: LoadConfig and Validate return errors, never panic.
func FuzzLoadConfig(f *testing.F) {
	f.Add("[stream]\nenable = true\nladdr = \"127.0.0.1:9985\"\n")
	f.Add("[stream]\nmax_connections = -1\nwrite_timeout = \"x\"\n")
	f.Add("[stream]\nallowed_origins = [1, 2]\nadvertised_url = \"ws://0.0.0.0\"\n")
	f.Add("[webapi]\nladdr = 5\n[stream\n")
	home := f.TempDir()
	if err := node.Init(node.DefaultConfig(home)); err != nil {
		f.Fatal(err)
	}
	base, err := os.ReadFile(node.ConfigFile(home))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, section string) {
		dir := t.TempDir()
		if err := os.MkdirAll(dir+"/config", 0o755); err != nil {
			t.Fatal(err)
		}
		// Only CometBFT's part of the file, then the fuzzed sections.
		if err := os.WriteFile(node.ConfigFile(dir), append(cometPart(base), section...), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := node.LoadConfig(dir)
		if err != nil {
			return
		}
		_ = cfg.Validate()
	})
}

func cometPart(b []byte) []byte {
	const marker = "#######################################################\n###       cometstream"
	for i := 0; i+len(marker) <= len(b); i++ {
		if string(b[i:i+len(marker)]) == marker {
			return b[:i]
		}
	}
	return b
}

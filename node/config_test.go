package node_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cometstream/cometstream/node"
)

func TestInitWritesLoadableConfig(t *testing.T) {
	home := t.TempDir()
	cfg := node.DefaultConfig(home)
	cfg.Stream.Enable = true
	cfg.Stream.ListenAddr = "127.0.0.1:19985"
	cfg.Stream.AdvertisedURL = "wss://stream.example.com"
	cfg.Stream.CacheBlocks = 77
	cfg.Stream.RetainHeights = 5000
	cfg.Stream.RetainBytes = 1 << 30
	cfg.Stream.MaxLagHeights = 12
	cfg.Stream.WriteTimeout = 3 * time.Second
	cfg.Stream.AllowedOrigins = []string{"https://app.example.com", "http://localhost:3000"}
	cfg.Stream.JetStream.Enable = true
	cfg.Stream.JetStream.Servers = []string{"nats://10.0.0.1:4222", "tls://nats.example:4222"}
	cfg.Stream.JetStream.Token = "s3cret-token"
	cfg.Stream.JetStream.TLSCAFile = "/etc/nats/ca.pem"
	cfg.Stream.JetStream.Stream = "EVENTS"
	cfg.Stream.JetStream.Replicas = 3
	cfg.Stream.JetStream.MaxAge = 720 * time.Hour
	cfg.Stream.JetStream.MaxBytes = 1 << 40
	cfg.Stream.JetStream.MaxLagHeights = 50
	cfg.WebAPI.ListenAddr = "127.0.0.1:19984"
	cfg.Health = node.HealthConfig{StallAfter: 45 * time.Second, MaxBehindHeights: 3}
	if err := node.Init(cfg); err != nil {
		t.Fatal(err)
	}
	got, err := node.LoadConfig(home)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(cfg.Health, got.Health); diff != "" {
		t.Errorf("[health] after a round trip (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(cfg.Stream, got.Stream); diff != "" {
		t.Errorf("[stream] after a round trip (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(cfg.WebAPI, got.WebAPI); diff != "" {
		t.Errorf("[webapi] after a round trip (-want +got):\n%s", diff)
	}
	if got.Comet.RootDir != home || got.Comet.LogLevel != "warn" {
		t.Errorf("CometBFT config: root %q log_level %q", got.Comet.RootDir, got.Comet.LogLevel)
	}
	for _, f := range []string{got.Comet.GenesisFile(), got.Comet.PrivValidatorKeyFile(), got.Comet.NodeKeyFile()} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("init did not write %s: %v", f, err)
		}
	}
}

func TestInitKeepsAnExistingHome(t *testing.T) {
	home := t.TempDir()
	cfg := node.DefaultConfig(home)
	if err := node.Init(cfg); err != nil {
		t.Fatal(err)
	}
	genesis, err := os.ReadFile(cfg.Comet.GenesisFile())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Stream.ListenAddr = "127.0.0.1:1"
	if err := node.Init(cfg); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(cfg.Comet.GenesisFile())
	if string(again) != string(genesis) {
		t.Error("a second init rewrote the genesis file")
	}
	got, err := node.LoadConfig(home)
	if err != nil {
		t.Fatal(err)
	}
	if got.Stream.ListenAddr != node.DefaultStreamConfig().ListenAddr {
		t.Errorf("a second init rewrote config.toml: laddr %q", got.Stream.ListenAddr)
	}
}

func TestLoadConfigMissingHome(t *testing.T) {
	_, err := node.LoadConfig(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "cometstream init") {
		t.Fatalf("err = %v, want a hint to run init", err)
	}
}

func TestLoadConfigWithoutStreamSection(t *testing.T) {
	home := t.TempDir()
	cfg := node.DefaultConfig(home)
	if err := node.Init(cfg); err != nil {
		t.Fatal(err)
	}
	path := node.ConfigFile(home)
	b, _ := os.ReadFile(path)
	cut := strings.Index(string(b), "#######################################################\n###       cometstream")
	if cut < 0 {
		t.Fatal("stream section marker not found")
	}
	if err := os.WriteFile(path, b[:cut], 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := node.LoadConfig(home)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(node.DefaultStreamConfig(), got.Stream); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(*node.Config)
		wantErr string
	}{
		{"defaults", func(*node.Config) {}, ""},
		{"stream on", func(c *node.Config) { c.Stream.Enable = true }, ""},
		{"wildcard advertised host", func(c *node.Config) {
			c.Stream.Enable = true
			c.Stream.AdvertisedURL = "ws://0.0.0.0:9985"
		}, "bind address"},
		{"http advertised scheme", func(c *node.Config) {
			c.Stream.Enable = true
			c.Stream.AdvertisedURL = "http://localhost:9985"
		}, "ws or wss"},
		{"wildcard ignored when stream off", func(c *node.Config) { c.Stream.AdvertisedURL = "ws://0.0.0.0:9985" }, ""},
		{"negative buffer", func(c *node.Config) {
			c.Stream.Enable = true
			c.Stream.CacheBlocks = -1
		}, "cache_blocks"},
		{"zero settings take the library's defaults", func(c *node.Config) {
			c.Stream.Enable = true
			c.Stream.CacheBlocks = 0
			c.Stream.ListenAddr = ""
		}, ""},
		{"negative retention", func(c *node.Config) {
			c.Stream.Enable = true
			c.Stream.RetainBytes = -1
		}, "retain_bytes"},
		{"negative timeout", func(c *node.Config) {
			c.Stream.Enable = true
			c.Stream.WriteTimeout = -time.Second
		}, "negative"},
		{"no web laddr", func(c *node.Config) { c.WebAPI.ListenAddr = "" }, "[webapi]"},
		{"no home", func(c *node.Config) { c.Home = "" }, "home"},
		{"negative max_behind_heights", func(c *node.Config) { c.Health.MaxBehindHeights = -1 }, "[health] max_behind_heights"},
		{"stall check off", func(c *node.Config) { c.Health.StallAfter = -1 }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := node.DefaultConfig(t.TempDir())
			tt.mutate(&cfg)
			err := cfg.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

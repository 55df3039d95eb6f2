package main

import (
	"runtime/debug"
	"testing"

	cmtversion "github.com/cometbft/cometbft/version"
	"github.com/google/go-cmp/cmp"

	"github.com/cometstream/cometstream/node"
)

func TestVersionOf(t *testing.T) {
	comet := &debug.Module{Path: cometModule, Version: "v0.40.0"}
	head := "cometstream " + node.Version + "\ncometbft " + cmtversion.TMCoreSemVer
	tests := []struct {
		name string
		info *debug.BuildInfo
		want string
	}{
		{"no build info", nil, head + "\ncommit unknown\n"},
		{"built in a clean checkout", &debug.BuildInfo{Deps: []*debug.Module{comet}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "94bd99dc0d5f"}, {Key: "vcs.modified", Value: "false"}}},
			head + " (module github.com/cometbft/cometbft v0.40.0)\ncommit 94bd99dc0d5f\n"},
		{"uncommitted changes", &debug.BuildInfo{Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "94bd99dc0d5f"}, {Key: "vcs.modified", Value: "true"}}},
			head + "\ncommit 94bd99dc0d5f+dirty\n"},
		{"built without VCS stamping", &debug.BuildInfo{Deps: []*debug.Module{comet}},
			head + " (module github.com/cometbft/cometbft v0.40.0)\ncommit unknown\n"},
		{"replaced module", &debug.BuildInfo{Deps: []*debug.Module{{Path: cometModule, Version: "v0.40.0",
			Replace: &debug.Module{Path: "../cometbft", Version: "v0.40.1-fork"}}}},
			head + " (module github.com/cometbft/cometbft v0.40.1-fork)\ncommit unknown\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := versionOf(func() (*debug.BuildInfo, bool) { return tt.info, tt.info != nil })
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("version (-want +got):\n%s", diff)
			}
		})
	}
}

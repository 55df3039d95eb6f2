package main

import (
	"fmt"
	"runtime/debug"

	cmtversion "github.com/cometbft/cometbft/version"

	"github.com/cometstream/cometstream/node"
)

const cometModule = "github.com/cometbft/cometbft"

// version names cometstream's version, the CometBFT it runs on, and the
// commit it was built from.
func version() string { return versionOf(debug.ReadBuildInfo) }

// versionOf reads the build information Go stamps into a binary (read is
// debug.ReadBuildInfo but for tests). The commit is vcs.revision, stamped
// in a Git checkout, so no -ldflags are needed; "+dirty" marks uncommitted
// changes, "unknown" a binary built without it (go run, -buildvcs=false).
// CometBFT's version package can lag its module's tag (v0.40.0 says
// 0.39.0), so the module version is printed beside it.
func versionOf(read func() (*debug.BuildInfo, bool)) string {
	commit, module := "unknown", ""
	if info, ok := read(); ok {
		var dirty bool
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if dirty && commit != "unknown" {
			commit += "+dirty"
		}
		for _, d := range info.Deps {
			if d.Path == cometModule {
				module = d.Version
				if d.Replace != nil {
					module = d.Replace.Version
				}
			}
		}
	}
	comet := cmtversion.TMCoreSemVer
	if module != "" {
		comet += " (module " + cometModule + " " + module + ")"
	}
	return fmt.Sprintf("cometstream %s\ncometbft %s\ncommit %s\n", node.Version, comet, commit)
}

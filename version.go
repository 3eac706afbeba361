package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// Set at link time by make build (-ldflags "-X main.version=… -X
// main.commit=… -X main.date=…"); when empty, they come from what the Go
// toolchain recorded in the binary (debug.ReadBuildInfo).
var version, commit, date string

// buildInfo is what roster version prints.
type buildInfo struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Date    string `json:"date"`
	Go      string `json:"go"`
}

// readBuildInfo is this binary's version, commit and build date: the
// values set at link time, else the module version and the VCS revision
// and time the toolchain stamped ("-dirty" when the tree had changes),
// else "unknown".
func readBuildInfo() buildInfo {
	b := buildInfo{Version: version, Commit: commit, Date: date, Go: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			b.Version = bi.Main.Version
		}
		var revision, modified, stamped string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				modified = s.Value
			case "vcs.time":
				stamped = s.Value
			}
		}
		if b.Commit == "" && revision != "" {
			b.Commit = revision
			if modified == "true" {
				b.Commit += "-dirty"
			}
		}
		if b.Date == "" {
			b.Date = stamped
		}
	}
	if b.Version == "" {
		b.Version = "dev"
	}
	for _, v := range []*string{&b.Commit, &b.Date} {
		if *v == "" {
			*v = "unknown"
		}
	}
	return b
}

func showVersion(_ context.Context, fs *flag.FlagSet, args []string, stdout, _ io.Writer) error {
	asJSON := fs.Bool("json", false, "print version, commit, date and go as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	b := readBuildInfo()
	if *asJSON {
		return json.NewEncoder(stdout).Encode(b)
	}
	fmt.Fprintf(stdout, "roster %s (commit %s, built %s, %s)\n", b.Version, b.Commit, b.Date, b.Go)
	return nil
}

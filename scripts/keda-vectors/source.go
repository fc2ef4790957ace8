package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// download is what `go mod download -json MODULE@VERSION` reports.
type download struct {
	Path, Version, Dir string
	Origin             struct{ VCS, URL, Hash, Ref string }
}

func readDownload(file string) (download, error) {
	var d download
	data, err := os.ReadFile(file)
	if err != nil {
		return d, err
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return d, fmt.Errorf("%s: %w", file, err)
	}
	if d.Dir == "" || d.Version == "" {
		return d, fmt.Errorf("%s has no Dir or Version (did the download fail?)", file)
	}
	return d, nil
}

// sourceOf records where the data comes from. The commit is the proxy's Origin.Hash; when the
// proxy gives no origin, the version's tag is resolved in a local clone (gitDir) or upstream.
func sourceOf(d download, gitDir string) object {
	commit, from := d.Origin.Hash, "Origin.Hash of go mod download -json"
	if commit == "" && gitDir != "" {
		commit = gitOutput("-C", gitDir, "rev-parse", "--verify", "--quiet", d.Version+"^{commit}")
		from = "tag " + d.Version + " in a local clone of " + upstreamURL(d)
	}
	if commit == "" {
		for _, line := range strings.Split(gitOutput("ls-remote", upstreamURL(d), "refs/tags/"+d.Version+"^{}", "refs/tags/"+d.Version), "\n") {
			if fields := strings.Fields(line); len(fields) == 2 && (commit == "" || strings.HasSuffix(fields[1], "^{}")) {
				commit = fields[0]
			}
		}
		from = "tag " + d.Version + " of " + upstreamURL(d) + " (git ls-remote)"
	}
	if commit == "" {
		from = "unknown: the module proxy gave no Origin and the tag could not be resolved"
		fmt.Fprintln(os.Stderr, "warning:", from)
	}
	return object{"module": d.Path, "version": d.Version, "commit": commit, "commitFrom": from}
}

func upstreamURL(d download) string {
	if d.Origin.URL != "" {
		return d.Origin.URL
	}
	repo := d.Path
	if slash := strings.LastIndex(repo, "/"); slash > 0 && isDigits(strings.TrimPrefix(repo[slash+1:], "v")) {
		repo = repo[:slash] // the major-version suffix of github.com/kedacore/keda/v2
	}
	return "https://" + repo
}

// gitOutput runs git and returns its trimmed output, or "" when it fails.
func gitOutput(args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", args...).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

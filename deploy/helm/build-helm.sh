#!/usr/bin/env bash
# Prints the path of a helm binary for checking the chart (helm lint / helm template): helm from
# PATH when there is one, else helm.sh/helm/v3 built from the Go module proxy into a cache outside
# the repository (about two minutes on a cold machine). Usage: deploy/helm/build-helm.sh
set -euo pipefail
version=v3.22.0
if command -v helm >/dev/null; then command -v helm; exit 0; fi
bin="${TIDAL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tidal}/helm/$version"
if [ ! -x "$bin/helm" ]; then
  command -v go >/dev/null || { echo "build-helm: neither helm nor go is installed" >&2; exit 1; }
  echo "build-helm: building helm $version into $bin" >&2
  mkdir -p "$bin"
  (cd "$bin" && CGO_ENABLED=0 GOBIN="$bin" go install -trimpath -ldflags "-s -w" "helm.sh/helm/v3/cmd/helm@$version")
fi
echo "$bin/helm"

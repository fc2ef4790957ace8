#!/usr/bin/env bash
# Prints the folder with the Prometheus Operator's CRDs (monitoring.coreos.com: ServiceMonitor,
# PodMonitor, ...), taken from the prometheus-operator Go module (its example/prometheus-operator-crd)
# downloaded through the Go module proxy into a cache outside the repository (4 MB, seconds).
# The chart's tests apply ServiceMonitor and PodMonitor to the control plane to check the chart's
# monitors against the real schemas. Usage: deploy/helm/monitoring-crds.sh
set -euo pipefail
module=github.com/prometheus-operator/prometheus-operator
version=v0.90.1
export GOMODCACHE="${TIDAL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tidal}/go/mod"
dir="$GOMODCACHE/$module@$version/example/prometheus-operator-crd"
if [ ! -f "$dir/monitoring.coreos.com_servicemonitors.yaml" ]; then
  command -v go >/dev/null || { echo "monitoring-crds: go is not installed" >&2; exit 1; }
  echo "monitoring-crds: downloading $module@$version" >&2
  (cd "${TMPDIR:-/tmp}" && GOFLAGS=-mod=mod go mod download "$module@$version")
fi
echo "$dir"

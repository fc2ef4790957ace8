#!/usr/bin/env bash
# Builds the local Kubernetes control plane binaries (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kubectl, kwok) from the Go module proxy into a cache
# outside the repository, keyed by the pinned versions and go.sum. Prints the bin directory.
# Usage: scripts/kube-build.sh [--print-dir]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mod="$root/test/kube"
# shellcheck source=../test/kube/versions.env
. "$mod/versions.env"
cache_root=${TIDAL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tidal}
key="${K8S_VERSION}-kwok-${KWOK_VERSION}-$(sha256sum "$mod/go.sum" | cut -c1-12)"
bin="$cache_root/kube/$key/bin"

case "${1:-}" in
  --print-dir) echo "$bin"; exit 0 ;;
  -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  "") ;;
  *) echo "kube-build: unknown argument: $1" >&2; echo "Usage: scripts/kube-build.sh [--print-dir]" >&2; exit 2 ;;
esac

if [ -f "$bin/.complete" ]; then echo "$bin"; exit 0; fi

command -v go >/dev/null || { echo "kube-build: go is not installed; install Go 1.26 or newer" >&2; exit 1; }
mkdir -p "$bin"
start=$(date +%s)
minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
version_flags="-X k8s.io/component-base/version.gitVersion=${K8S_VERSION} -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${minor} -X k8s.io/client-go/pkg/version.gitVersion=${K8S_VERSION} -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=${minor}"
elapsed() { awk -v s=$(( $(date +%s) - start )) 'BEGIN { printf "%.1f min", s / 60 }'; }
build() { # NAME PACKAGE
  echo "kube-build: building $1 ($(elapsed) elapsed)" >&2
  (cd "$mod" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w $version_flags" -o "$bin/$1" "$2")
}
echo "kube-build: cold build of Kubernetes ${K8S_VERSION}, kwok ${KWOK_VERSION} into $bin (this takes a while on a cold machine)" >&2
build etcd go.etcd.io/etcd/server/v3
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver
build kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager
build kube-scheduler k8s.io/kubernetes/cmd/kube-scheduler
build kubectl k8s.io/kubernetes/cmd/kubectl
build kwok sigs.k8s.io/kwok/cmd/kwok
touch "$bin/.complete"
echo "kube-build: done in $(elapsed)" >&2
echo "$bin"

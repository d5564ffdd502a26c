#!/usr/bin/env bash
# Builds the pinned control plane (kube-apiserver, kube-controller-manager, kube-scheduler,
# kubectl, etcd, etcdctl and etcdutl for snapshots), metrics-server (ghostctl --enable
# metrics-server), kwok (benchmark peer), kwokctl (drop-in test client: it starts ghostlet as
# its kwok-controller) and helm (renders deploy/helm in a test) from the Go module proxy into a
# versioned cache outside the work tree. Idempotent: binaries in the cache are kept.
#
#   tools/get-control-plane.sh [--no-kwok]   (--no-kwok skips both kwok and kwokctl)
#   GHOSTLET_CACHE=/path overrides ~/.cache/ghostlet
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"

with_kwok=1
for arg in "$@"; do
  case "$arg" in
    --no-kwok) with_kwok=0 ;;
    -h|--help) sed -n 2,9p "$0"; exit 0 ;;
    *) echo "get-control-plane.sh: unknown argument '$arg' (expected --no-kwok)" >&2; exit 2 ;;
  esac
done

command -v go >/dev/null || { echo "get-control-plane.sh: 'go' not found on PATH; install Go >= 1.26" >&2; exit 1; }

cache=${GHOSTLET_CACHE:-$HOME/.cache/ghostlet}
bin="$cache/bin/k8s-v$KUBE_VERSION-etcd-v$ETCD_VERSION-kwok-v$KWOK_VERSION"
mkdir -p "$bin"
export GOFLAGS=-mod=mod
export CGO_ENABLED=0

have() { [ -x "$bin/$1" ]; }
log() { printf '[get-control-plane] %s\n' "$*" >&2; }

build_kubernetes() {
  local need=()
  for c in kube-apiserver kube-controller-manager kube-scheduler kubectl; do have "$c" || need+=("$c"); done
  [ ${#need[@]} -eq 0 ] && return 0
  local mod="$cache/src/kubernetes-v$KUBE_VERSION"
  mkdir -p "$mod"
  if [ ! -f "$mod/go.mod.done" ]; then
    log "resolving k8s.io/kubernetes v$KUBE_VERSION"
    local upstream
    upstream=$(cd "$mod" && go mod download -json "k8s.io/kubernetes@v$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p')
    {
      echo "module ghostlet.local/kubernetes-build"
      echo "go 1.26"
      echo "require k8s.io/kubernetes v$KUBE_VERSION"
      # k8s.io/kubernetes points each staging module at ./staging; map them to the published ones.
      grep -oE '^\s*k8s\.io/[a-z0-9-]+ => \./staging/src/k8s\.io/[a-z0-9-]+' "$upstream" |
        awk -v v="v$KUBE_STAGING_VERSION" '{print "replace " $1 " => " $1 " " v}'
    } > "$mod/go.mod"
    touch "$mod/go.mod.done"
  fi
  local pkg="k8s.io/component-base/version" cpkg="k8s.io/client-go/pkg/version"
  local minor=${KUBE_VERSION#*.}; minor=${minor%%.*}
  local ld="-s -w"
  for p in $pkg $cpkg; do
    ld+=" -X $p.gitVersion=v$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    ld+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  for c in "${need[@]}"; do
    log "building $c v$KUBE_VERSION"
    (cd "$mod" && go build -ldflags "$ld" -o "$bin/$c.tmp" "k8s.io/kubernetes/cmd/$c") && mv "$bin/$c.tmp" "$bin/$c"
  done
}

build_etcd() {
  have etcd && return 0
  local mod="$cache/src/etcd-v$ETCD_VERSION"
  mkdir -p "$mod"
  printf 'module ghostlet.local/etcd-build\ngo 1.26\nrequire go.etcd.io/etcd/server/v3 v%s\n' "$ETCD_VERSION" > "$mod/go.mod"
  log "building etcd v$ETCD_VERSION"
  (cd "$mod" && go build -ldflags "-s -w" -o "$bin/etcd.tmp" go.etcd.io/etcd/server/v3) && mv "$bin/etcd.tmp" "$bin/etcd"
}

# etcdctl (snapshot save, `ghostctl etcdctl`) and etcdutl (snapshot restore) at etcd's version.
build_etcd_tools() {
  have etcdctl && have etcdutl && return 0
  local mod="$cache/src/etcd-tools-v$ETCD_VERSION"
  mkdir -p "$mod"
  printf 'module ghostlet.local/etcd-tools-build\ngo 1.26\nrequire (\n\tgo.etcd.io/etcd/etcdctl/v3 v%s\n\tgo.etcd.io/etcd/etcdutl/v3 v%s\n)\n' \
    "$ETCD_VERSION" "$ETCD_VERSION" > "$mod/go.mod"
  for c in etcdctl etcdutl; do
    have "$c" && continue
    log "building $c v$ETCD_VERSION"
    (cd "$mod" && go build -ldflags "-s -w" -o "$bin/$c.tmp" "go.etcd.io/etcd/$c/v3") && mv "$bin/$c.tmp" "$bin/$c"
  done
}

# A program of a module that builds as published (go install <package>@<version>).
go_install() {
  local c=$1 pkg=$2 version=$3
  have "$c" && return 0
  log "building $c v$version"
  GOFLAGS= GOBIN="$bin/.$c-gobin" go install -ldflags "-s -w" "$pkg@v$version"
  mv "$bin/.$c-gobin/$c" "$bin/$c" && rmdir "$bin/.$c-gobin"
}

build_etcd
build_etcd_tools
build_kubernetes
# ghostctl create cluster --enable metrics-server runs it.
go_install metrics-server sigs.k8s.io/metrics-server/cmd/metrics-server "$METRICS_SERVER_VERSION"
if [ "$with_kwok" = 1 ]; then
  go_install kwok sigs.k8s.io/kwok/cmd/kwok "$KWOK_VERSION"
  go_install kwokctl sigs.k8s.io/kwok/cmd/kwokctl "$KWOK_VERSION"
  # kwok's own source (its stage sets and golden cases, e.g. kustomize/stage/volume/fast): tests
  # read it in place through this link; it stays in Go's module cache, never in the clone.
  kwok_src=$(cd / && GOFLAGS= go mod download -json "sigs.k8s.io/kwok@v$KWOK_VERSION" |
             sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$kwok_src" ] || { echo "get-control-plane.sh: no source directory for kwok v$KWOK_VERSION" >&2; exit 1; }
  ln -sfn "$kwok_src" "$bin/kwok-source"
fi
# helm renders deploy/helm/ghostlet in the deploy test.
go_install helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION"

ln -sfn "$bin" "$cache/bin/current"
log "ready in $bin"
echo "$bin"

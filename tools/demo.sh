#!/usr/bin/env bash
# The main job: set everything up, create a simulated cluster, add fake nodes and a large
# Deployment, and print how long each step took and what ghostlet cost.
#   tools/demo.sh                      # 1000 nodes, 10,000 pods, cluster "demo"
#   NODES=100 PODS=1000 NAME=x tools/demo.sh
# The cluster keeps running afterwards; the last lines say how to use and delete it.
set -euo pipefail
cd "$(dirname "$0")/.."
NODES=${NODES:-1000}
PODS=${PODS:-10000}
NAME=${NAME:-demo}

step() { printf '\n== %s\n' "$*"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

step "dependencies"
tools/install-deps.sh
step "control plane (pinned etcd, kube-apiserver, kube-scheduler, kube-controller-manager, kubectl)"
t=$(now); tools/get-control-plane.sh >/dev/null; echo "ready in $(since "$t")s"
step "build"
cmake --preset release >/dev/null
cmake --build --preset release --target ghostlet ghostctl
ctl=build/release/apps/ghostctl/ghostctl

step "create cluster $NAME"
"$ctl" delete cluster --name "$NAME" >/dev/null 2>&1 || true
t=$(now)
"$ctl" create cluster --name "$NAME" --disable-qps-limits
echo "cluster $NAME created in $(since "$t")s"
k() { "$ctl" --name "$NAME" kubectl "$@"; }

step "scale to $NODES nodes"
t=$(now)
"$ctl" --name "$NAME" scale node --replicas "$NODES"
while :; do
  ready=$(k get nodes --no-headers 2>/dev/null | grep -c ' Ready ' || true)
  printf '\r%s/%s nodes Ready' "$ready" "$NODES"
  [ "$ready" -ge "$NODES" ] && break
  sleep 1
done
echo; echo "$NODES nodes Ready in $(since "$t")s"

step "Deployment with $PODS replicas on the fake nodes"
manifest=$(mktemp)
cat > "$manifest" <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: fake-pods, namespace: default}
spec:
  replicas: $PODS
  selector: {matchLabels: {app: fake-pods}}
  template:
    metadata: {labels: {app: fake-pods}}
    spec:
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions: [{key: type, operator: In, values: [kwok]}]
      tolerations: [{key: kwok.x-k8s.io/node, operator: Exists, effect: NoSchedule}]
      containers: [{name: app, image: fake-image}]
YAML
t=$(now)
k apply -f "$manifest" >/dev/null
rm -f "$manifest"
# The Deployment's readyReplicas counts pods Running and Ready; far cheaper to poll than
# listing every pod.
while :; do
  running=$(k get deployment fake-pods -o jsonpath='{.status.readyReplicas}' 2>/dev/null || true)
  printf '\r%s/%s pods Running' "${running:-0}" "$PODS"
  [ "${running:-0}" -ge "$PODS" ] && break
  sleep 1
done
echo; echo "$PODS pods Running in $(since "$t")s"

step "what ghostlet cost"
pid=$(cat "${GHOST_WORKDIR:-$HOME/.ghost}/clusters/$NAME/pids/ghostlet.pid")
ticks=$(getconf CLK_TCK)
awk -v t="$ticks" '{ printf "ghostlet CPU: %.2f s (user %.2f, system %.2f)\n", ($14+$15)/t, $14/t, $15/t }' "/proc/$pid/stat"
grep -E 'VmHWM|VmRSS' "/proc/$pid/status" | sed 's/^/ghostlet /'

step "done"
echo "the cluster keeps running:"
echo "  $ctl --name $NAME kubectl get nodes"
echo "  $ctl delete cluster --name $NAME"

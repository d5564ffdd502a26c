#!/usr/bin/env bash
# Fails when a source file includes from a higher layer. The layers, lowest first:
#   engine (runtime) <- kube (Kubernetes client) <- lang (kwok's languages) <- stages (Stage API)
#   <- usage (Metric and resource usage) <- debugging (kwok's debugging resources, log filter)
#   <- sim (simulated kubelets) <- apps (programs)
# A folder may include its own headers and those of lower layers only; lang/, usage/ and debugging/ also stay
# free of Asio/Beast (they are plain data-in, data-out code).
#   tools/check-layering.sh [ROOT]     (default: the repository)
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
layers=(engine kube lang stages usage debugging sim apps)
rank() { local i; for i in "${!layers[@]}"; do [ "${layers[$i]}" = "$1" ] && { echo "$i"; return; }; done; echo -1; }

bad=0
for folder in "${layers[@]}"; do
  [ -d "$root/$folder" ] || continue
  mine=$(rank "$folder")
  while IFS= read -r hit; do
    file=${hit%%:*}; rest=${hit#*:}; line=${rest%%:*}; text=${rest#*:}
    inc=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1/' <<<"$text")
    top=${inc%%/*}
    theirs=$(rank "$top")
    if [ "$theirs" -gt "$mine" ]; then
      echo "${file#"$root"/}:$line: $folder/ must not include \"$inc\" ($top/ is a higher layer)"
      bad=1
    fi
  done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$root/$folder" --include='*.hpp' --include='*.cpp' || true)
done
for sansio in lang usage debugging; do
  [ -d "$root/$sansio" ] || continue
  while IFS= read -r hit; do
    echo "${hit#"$root"/}: $sansio/ must not use Asio or Beast"
    bad=1
  done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]boost/(asio|beast)' "$root/$sansio" || true)
done
[ "$bad" = 0 ] && echo "layering: ok (${layers[*]})"
exit "$bad"

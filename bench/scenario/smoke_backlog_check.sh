#!/bin/sh
# ctest bench_scenario_backlog_smoke: the backlog scenario at a small size (ghostlet only).
# Checks that it completes (converges after the pause) and that the report has the RSS series
# and a convergence time; no timing bound.
set -eu
runner=$1 ghostctl=$2 out=$3
rm -rf "$out"
export GHOST_WORKDIR="${GHOST_WORKDIR:-$out/workdir}"
"$runner" --scenario backlog --simulators ghostlet --ghostctl "$ghostctl" --out "$out" \
    --nodes 50 --pods-per-node 2 --window 10 --pause 10 --require-complete
json=$out/backlog-ghostlet.json
for f in "$json" "$out/results.md" "$out/backlog.svg"; do
    test -s "$f" || { echo "missing or empty: $f" >&2; exit 1; }
done
backlog='.phases[] | select(.name == "backlog") | .backlog'
# Every segment sampled, each sample with an RSS.
for seg in steady load paused resumed; do
    n=$(jq "[$backlog | .rss_series[] | select(.[1] == \"$seg\" and .[2] > 0)] | length" "$json")
    test "$n" -gt 0 || { echo "no RSS samples in segment $seg" >&2; exit 1; }
done
jq -e "$backlog | .converged == true and (.converge_seconds | type) == \"number\"" "$json" \
    >/dev/null || { echo "no convergence time in $json" >&2; exit 1; }
jq -e "$backlog | .pause_seconds >= 10 and (.peak_ratio | type) == \"number\"" "$json" \
    >/dev/null || { echo "pause or peak/steady ratio missing in $json" >&2; exit 1; }
grep -q '| backlog | converged after the resume (s) | [0-9]' "$out/results.md" ||
    { echo "results.md has no convergence time" >&2; exit 1; }
echo "backlog scenario ok: $out"

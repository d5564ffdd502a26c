#!/bin/sh
# ctest bench_scenario_smoke: runs the smoke scenario for both simulators and checks the outputs.
set -eu
runner=$1 ghostctl=$2 out=$3
rm -rf "$out"
# GHOST_WORKDIR of its own so the test never touches a user's clusters.
export GHOST_WORKDIR="${GHOST_WORKDIR:-$out/workdir}"
"$runner" --scenario smoke --simulators ghostlet,kwok --ghostctl "$ghostctl" --out "$out" \
    --require-complete
for f in smoke-ghostlet.json smoke-kwok.json results.md smoke.svg; do
    test -s "$out/$f" || { echo "missing or empty: $out/$f" >&2; exit 1; }
done
grep -q '| nodes-ready | done / target (%) | 100.0 | 100.0 |' "$out/results.md" ||
    { echo "nodes did not reach 100 % for both simulators" >&2; exit 1; }
grep -q '<polyline' "$out/smoke.svg" || { echo "SVG has no progress lines" >&2; exit 1; }
echo "smoke scenario ok: $out"

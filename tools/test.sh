#!/usr/bin/env bash
# The test command (README, .ci/run): installs dependencies, builds the control plane (cached outside
# the clone), builds the project — ASan+UBSan for unit tests, TSan for the ghostctl unit tests (the
# threaded part), the fuzz targets briefly (clang), release for everything — and runs ctest. Ends with ctest's summary of the full release run.
#   tools/test.sh [--unit-only]
set -euo pipefail
cd "$(dirname "$0")/.."
unit_only=0
[ "${1:-}" = "--unit-only" ] && unit_only=1

tools/install-deps.sh
[ "$unit_only" = 1 ] || tools/get-control-plane.sh >/dev/null

jobs=$(nproc)
echo "[test] sanitizer build (ASan+UBSan), unit tests"
cmake --preset asan >/dev/null
cmake --build --preset asan -j"$jobs"
ctest --preset asan -L unit -j"$jobs" --timeout 300

# The one part that runs a second thread (ghostctl's snapshot page writer) under ThreadSanitizer.
echo "[test] ThreadSanitizer build, ghostctl unit tests"
cmake --preset tsan >/dev/null
cmake --build --preset tsan -j"$jobs" --target ghost_ghostctl_tests
build/tsan/tests/ghostctl/ghost_ghostctl_tests --gtest_brief=1

# Each libFuzzer target (clang, ASan+UBSan) for 3,000 runs on its seed corpus: a smoke that keeps
# the targets building and the corpora clean, not a campaign (README: Fuzzing).
echo "[test] fuzz build (clang, libFuzzer), a smoke run of each target"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j"$jobs" --target ghost_fuzz_targets
ctest --preset fuzz -j"$jobs"

echo "[test] release build, unit + integration + benchmark smoke"
cmake --preset release >/dev/null
cmake --build --preset release -j"$jobs"
if [ "$unit_only" = 1 ]; then
  ctest --preset release -L unit -j"$jobs"
else
  # Integration tests start real clusters; run them one at a time on this 2-core machine. A
  # test that fails is run once more (a port another program takes between ghostctl's scan and
  # a component's bind fails a create): both outcomes show in the output.
  ctest --preset release -j1 --timeout 1800 --repeat until-pass:2 -LE chaos
fi

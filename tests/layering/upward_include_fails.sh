#!/usr/bin/env bash
# The layering check must fail on an upward include and on Asio in lang/, and pass on a clean tree.
set -euo pipefail
check=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{engine,kube,lang,stages,usage,debugging,sim}
printf '#include "engine/a.hpp"\n' > "$tmp/kube/b.hpp"
printf '#pragma once\n' > "$tmp/engine/a.hpp"
"$check" "$tmp" >/dev/null || { echo "FAIL: a downward include was rejected"; exit 1; }
printf '#include "sim/simulation.hpp"\n' > "$tmp/engine/a.hpp"
if out=$("$check" "$tmp"); then echo "FAIL: an upward include passed"; exit 1; fi
grep -q 'engine/a.hpp:1: engine/ must not include "sim/simulation.hpp"' <<<"$out" ||
  { echo "FAIL: unexpected message: $out"; exit 1; }
printf '#pragma once\n' > "$tmp/engine/a.hpp"
printf '#include <boost/asio/io_context.hpp>\n' > "$tmp/lang/c.hpp"
if "$check" "$tmp" >/dev/null; then echo "FAIL: Asio in lang/ passed"; exit 1; fi
rm "$tmp/lang/c.hpp"
# usage/ sits between stages/ and sim/: it may use stages/, not sim/, and no Asio either.
printf '#include "stages/stage.hpp"\n' > "$tmp/usage/d.hpp"
"$check" "$tmp" >/dev/null || { echo "FAIL: usage/ including stages/ was rejected"; exit 1; }
printf '#include "sim/simulation.hpp"\n' > "$tmp/usage/d.hpp"
if out=$("$check" "$tmp"); then echo "FAIL: usage/ including sim/ passed"; exit 1; fi
grep -q 'usage/d.hpp:1: usage/ must not include "sim/simulation.hpp"' <<<"$out" ||
  { echo "FAIL: unexpected message: $out"; exit 1; }
printf '#include "usage/d.hpp"\n' > "$tmp/sim/e.hpp"
printf '#include <boost/asio/post.hpp>\n' > "$tmp/usage/d.hpp"
if "$check" "$tmp" >/dev/null; then echo "FAIL: Asio in usage/ passed"; exit 1; fi
rm "$tmp/usage/d.hpp"
"$check" "$tmp" >/dev/null || { echo "FAIL: sim/ including usage/ was rejected"; exit 1; }
# debugging/ sits between usage/ and sim/: it may use usage/, not sim/, and no Asio either.
printf '#include "usage/catalog.hpp"\n' > "$tmp/debugging/f.hpp"
"$check" "$tmp" >/dev/null || { echo "FAIL: debugging/ including usage/ was rejected"; exit 1; }
printf '#include "sim/simulation.hpp"\n' > "$tmp/debugging/f.hpp"
if out=$("$check" "$tmp"); then echo "FAIL: debugging/ including sim/ passed"; exit 1; fi
grep -q 'debugging/f.hpp:1: debugging/ must not include "sim/simulation.hpp"' <<<"$out" ||
  { echo "FAIL: unexpected message: $out"; exit 1; }
printf '#include <boost/asio/post.hpp>\n' > "$tmp/debugging/f.hpp"
if "$check" "$tmp" >/dev/null; then echo "FAIL: Asio in debugging/ passed"; exit 1; fi
rm "$tmp/debugging/f.hpp"
echo "layering check rejects upward includes (usage/ and debugging/ between stages/ and sim/) and Asio in lang/, usage/ and debugging/"

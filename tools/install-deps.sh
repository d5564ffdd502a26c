#!/usr/bin/env bash
# Installs the Debian packages the project builds with. Idempotent: does nothing when all are present.
set -euo pipefail
pkgs=(cmake ninja-build g++ ccache pkg-config
      libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
      libsimdjson-dev libyaml-cpp-dev libre2-dev libssl-dev zlib1g-dev openssl libgtest-dev libbenchmark-dev libmimalloc-dev
      clang libclang-rt-14-dev  # the fuzz targets: clang's libFuzzer and sanitizer runtimes
      procps iproute2)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && { echo "[install-deps] all ${#pkgs[@]} packages present"; exit 0; }
echo "[install-deps] installing: ${missing[*]}"
sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"

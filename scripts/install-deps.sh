#!/usr/bin/env bash
# Installs the Debian packages tensorgrad builds and tests with, if any is
# missing. Idempotent and quiet when everything is already there. Extra
# packages are arguments: `scripts/install-deps.sh libopenmpi-dev openmpi-bin`
# adds Open MPI, with which CMake builds tensorgrad_dist (data-parallel
# training, dist/) and its tests.
set -euo pipefail

# libxsmm-dev is optional (JIT kernels for small products; CMake uses it when found);
# libsleef-dev only lets test_aten_bits check ops/sleef_math.h against SLEEF itself
packages=(build-essential cmake pkg-config libopenblas-dev libpng-dev zlib1g-dev check libxsmm-dev
  libsleef-dev)
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "tensorgrad: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

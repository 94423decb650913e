#!/usr/bin/env bash
# Compiles and runs the "Twenty lines" example of README.md against the
# build tree, so the README cannot drift from the API.
set -euo pipefail
readme=$1 build=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed -n '/^## Twenty lines/,/^## /p' "$readme" | sed -n '/^```c$/,/^```$/p' | sed '1d;$d' >"$work/readme.c"
[ -s "$work/readme.c" ] || { echo "no C block under '## Twenty lines' in $readme"; exit 1; }
# the static library's dependencies: libxsmm too when the build found it
deps="openblas libpng zlib"
grep -q "libxsmm" "$build/tensorgrad.pc" && deps="libxsmm $deps"
cc -std=c11 -Wall -Wextra -Werror -I"$(dirname "$readme")/include" "$work/readme.c" \
  "$build/libtensorgrad.a" $(pkg-config --libs $deps) -lm -o "$work/readme"
"$work/readme" | grep -q "grad_fn=" && echo "README example: compiles, runs, prints a graph"

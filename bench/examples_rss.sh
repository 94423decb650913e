#!/bin/sh
# Peak RSS of every example beside the data it holds (issue 14's target: at
# most 32 MB beyond the data):
#   ./bench/examples_rss.sh BUILD_DIR
# Each example runs once at the size CI's smoke runs use (the lecture
# examples at their defaults, makemore --steps 300, fashion_mnist --subset
# 2000 --epochs 1), one thread, writing into a temporary directory; the peak
# is /usr/bin/time's maximum resident set size. "data" is what the example
# holds of its input files: Fashion-MNIST's IDX images and labels (all 70000,
# kept as bytes whatever --subset says), makemore's word list; the lecture
# data sets are a few KB.
set -eu

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build=$1
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export TENSORGRAD_DATA="${TENSORGRAD_DATA:-$here/../data/files}"
export OPENBLAS_NUM_THREADS=1
words=/usr/share/dict/american-english
limit_kb=$((32 * 1024))

printf '%-22s %-26s %9s %9s %12s  %s\n' example arguments "peak RSS" data "beyond data" target
for spec in "fit_line" "logistic_regression" "softmax_cross_entropy" "quiz3" "custom_op" \
  "optimizers" "iris" "moons" "digits" "makemore --steps 300" \
  "fashion_mnist --subset 2000 --epochs 1"; do
  # shellcheck disable=SC2086 # spec is the name and its arguments
  set -- $spec
  name=$1
  shift
  if [ ! -x "$build/examples/$name" ]; then
    echo "examples_rss.sh: $build/examples/$name is missing: build first" >&2
    exit 1
  fi
  data_kb=0
  case $name in
  fashion_mnist) data_kb=$((70000 * (28 * 28 + 1) / 1024)) ;;
  makemore) [ -r "$words" ] && data_kb=$(($(wc -c <"$words") / 1024)) ;;
  esac
  if ! /usr/bin/time -f %M -o "$out/rss" "$build/examples/$name" --out "$out" "$@" \
    >"$out/log" 2>&1; then
    echo "examples_rss.sh: $name failed:" >&2
    tail -n 5 "$out/log" >&2
    exit 1
  fi
  peak_kb=$(tail -n 1 "$out/rss")
  beyond_kb=$((peak_kb - data_kb))
  verdict="met"
  [ "$beyond_kb" -gt "$limit_kb" ] && verdict="NOT met"
  printf '%-22s %-26s %6d MB %6d MB %9d MB  <= 32 MB beyond data: %s\n' "$name" "$*" \
    $((peak_kb / 1024)) $((data_kb / 1024)) $((beyond_kb / 1024)) "$verdict"
done

#!/usr/bin/env bash
# Installs the build into a temporary prefix, then builds tests/install/
# consumer.c against it twice: with find_package(tensorgrad) and with
# pkg-config, and runs both.
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$here" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
LD_LIBRARY_PATH="$work/prefix/lib" "$work/cmake-build/consumer"
libdir=$(ls -d "$work"/prefix/lib*/pkgconfig | head -1)
export PKG_CONFIG_PATH="$libdir"
cc -std=c11 "$here/consumer.c" -o "$work/consumer-pc" $(pkg-config --cflags --libs tensorgrad)
LD_LIBRARY_PATH="$(dirname "$libdir")" "$work/consumer-pc"
echo "install: find_package and pkg-config consumers both work"

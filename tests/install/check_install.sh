#!/usr/bin/env bash
# The installed package, as a user gets it:
#   1. installs the build into a temporary prefix and moves the installed tree
#      elsewhere (a relocated install);
#   2. builds tests/install/consumer.c against the moved tree with
#      find_package(tensorgrad) and with pkg-config; both must link the same
#      libraries;
#   3. runs both from an empty folder with $TENSORGRAD_DATA unset: each loads
#      every built-in data set from the moved tree's share/tensorgrad;
#   4. removes the moved tree's data: loading must now fail and name the
#      folders it tried, which proves that an installed library never reads
#      the source tree's copy.
# usage: check_install.sh build-dir
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() {
  echo "install: $*" >&2
  exit 1
}

cmake --install "$build" --prefix "$work/staged" >/dev/null
mv "$work/staged" "$work/moved"
prefix=$work/moved
pcdir=$(ls -d "$prefix"/lib*/pkgconfig | head -1)
libdir=$(dirname "$pcdir")
datadir=$prefix/share/tensorgrad

# --no-as-needed: every library of the link line lands in the program's
# NEEDED list (Debian's gcc drops the unused ones otherwise), so the two lists
# compare the link lines, with the linker's own reading of each name.
cmake -S "$here" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_EXE_LINKER_FLAGS=-Wl,--no-as-needed >/dev/null
cmake --build "$work/cmake-build" >/dev/null
# shellcheck disable=SC2046 # pkg-config's flags are meant to be split
cc -std=c11 -Wl,--no-as-needed "$here/consumer.c" -o "$work/consumer-pc" \
  $(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags --libs tensorgrad)
consumers=("$work/cmake-build/consumer" "$work/consumer-pc")

needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort; }
needed "${consumers[0]}" >"$work/needed-cmake"
needed "${consumers[1]}" >"$work/needed-pc"
if ! diff -u "$work/needed-cmake" "$work/needed-pc" >"$work/needed-diff"; then
  cat "$work/needed-diff" >&2
  fail "find_package (-) and pkg-config (+) link different libraries"
fi
grep -q '^libtensorgrad\.so' "$work/needed-cmake" || fail "consumers do not link libtensorgrad.so"

mkdir "$work/elsewhere"
run() { (cd "$work/elsewhere" && env -u TENSORGRAD_DATA LD_LIBRARY_PATH="$libdir" "$@"); }
for consumer in "${consumers[@]}"; do
  run "$consumer" || fail "$consumer failed against the moved install"
done

# Without the moved tree's data nothing else may serve it, unless an install
# at the configured prefix exists on this machine (a legitimate last resort).
configured=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
mv "$datadir" "$work/data-away"
if [ -e "$configured/share/tensorgrad/iris.csv" ]; then
  echo "install: $configured/share/tensorgrad exists; skipping the missing-data check"
else
  for consumer in "${consumers[@]}"; do
    if run "$consumer" >/dev/null 2>"$work/stderr"; then
      fail "$consumer loaded data with $datadir removed"
    fi
    grep -qF "tg_load_iris: iris.csv not found in $libdir/" "$work/stderr" ||
      fail "unexpected error: $(cat "$work/stderr")"
  done
fi
echo "install: moved install loads every data set through find_package and pkg-config," \
  "both linking: $(tr '\n' ' ' <"$work/needed-cmake")"

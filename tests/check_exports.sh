#!/usr/bin/env bash
# The public surface of the shared library is what include/ declares, with
# one prefix (see include/tensorgrad/export.h). Fails, naming the symbols, when
#   - libtensorgrad.so exports a symbol that does not start with tg_,
#   - libtensorgrad.a defines a global without the prefix, hidden or not (a
#     program linking the static library shares its namespace with it),
#   - libtensorgrad.so exports a symbol that no header of include/ declares, or
#   - a tg_ function or variable the library defines is declared in include/
#     but hidden (a public header without TG_API_BEGIN ... TG_API_END).
# "Declared in include/" is decided by the compiler itself: a C file that
# includes every public header and names each symbol compiles only for the
# declared ones, so comments, #if 0 and line breaks cannot fool the check.
# usage: check_exports.sh libtensorgrad.so libtensorgrad.a include-dir cc
set -euo pipefail
shared=$1 static=$2 include=$3 cc=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Names reserved to the toolchain (ASan's __odr_asan.* beside each global)
# are not the library's: both lists leave them out.
nm -D --defined-only --format=posix "$shared" | awk '$1 !~ /^__/ {print $1}' |
  sort -u >"$work/exported"
# Every global the library defines, hidden or not (the archive keeps them all).
nm -g --defined-only --format=posix "$static" |
  awk 'NF >= 3 && $2 ~ /^[A-Z]$/ && $1 !~ /^__/ {print $1}' | sort -u >"$work/defined"
sort -u "$work/exported" "$work/defined" >"$work/names"

# Names the public headers declare: compile a reference to each name and
# collect the ones the compiler calls undeclared.
{
  for h in "$include"/*.h "$include"/tensorgrad/*.h; do echo "#include \"${h#"$include"/}\""; done
  echo "void tg_check_exports_touch(void) {"
  sed 's/.*/  (void)&;/' "$work/names"
  echo "}"
} >"$work/touch.c"
limit=-fmax-errors=0
if "$cc" --version | grep -qi clang; then limit=-ferror-limit=0; fi
LC_ALL=C "$cc" -std=c11 "$limit" -I"$include" -c "$work/touch.c" -o "$work/touch.o" \
  2>"$work/errors" || true
undeclared="'[A-Za-z_0-9]+' undeclared|undeclared identifier '[A-Za-z_0-9]+'"
grep -oE "$undeclared" "$work/errors" | grep -oE "'[A-Za-z_0-9]+'" | tr -d "'" |
  sort -u >"$work/undeclared"
if grep "error:" "$work/errors" | grep -vqE "$undeclared"; then
  echo "check_exports: errors other than undeclared names (do the headers compile?):" >&2
  cat "$work/errors" >&2
  exit 1
fi
comm -23 "$work/names" "$work/undeclared" >"$work/declared"

status=0
report() { # title, file of names
  if [ -s "$2" ]; then
    echo "$1 ($(wc -l <"$2")):"
    sed 's/^/  /' "$2"
    status=1
  fi
}
grep -v '^tg_' "$work/exported" >"$work/unprefixed" || true
report "exported without the tg_ prefix" "$work/unprefixed"
grep -v '^tg_' "$work/defined" >"$work/unprefixed_static" || true
report "defined by the static library without the tg_ prefix" "$work/unprefixed_static"
comm -12 "$work/exported" "$work/undeclared" >"$work/undeclared_exports"
report "exported but declared in no header of include/" "$work/undeclared_exports"
grep '^tg_' "$work/declared" | comm -23 - "$work/exported" >"$work/hidden"
report "declared in include/ but not exported (header without TG_API_BEGIN?)" "$work/hidden"
if [ "$status" = 0 ]; then
  echo "exports: $(wc -l <"$work/exported") symbols, all tg_ and declared in include/;" \
    "the static library's $(wc -l <"$work/defined") globals all tg_"
fi
exit "$status"

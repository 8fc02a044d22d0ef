#!/usr/bin/env bash
# Builds the kpki C library and installs it under PREFIX:
#   PREFIX/include/kpki.h, PREFIX/lib/libkpki.so, PREFIX/lib/libkpki.a,
#   PREFIX/lib/pkgconfig/kpki.pc
# Usage: scripts/install-kpki-c.sh [--debug] [--features LIST] PREFIX
# Then: PKG_CONFIG_PATH=PREFIX/lib/pkgconfig cc prog.c $(pkg-config --cflags --libs kpki)
set -euo pipefail
cd "$(dirname "$0")/.."

profile=release
features=()
while [ $# -gt 1 ]; do
  case "$1" in
    --debug) profile=debug; shift ;;
    --features) features=(--features "$2"); shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ $# -eq 1 ] || { echo "usage: $0 [--debug] [--features LIST] PREFIX" >&2; exit 2; }
prefix=$1
case "$prefix" in /*) ;; *) prefix="$PWD/$prefix" ;; esac

if [ "$profile" = release ]; then
  cargo build --locked -p kpki-ffi --release "${features[@]}"
else
  cargo build --locked -p kpki-ffi "${features[@]}"
fi
target_dir=$(cargo metadata --format-version 1 --no-deps --locked |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
version=$(cargo metadata --format-version 1 --no-deps --locked |
  python3 -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "kpki-ffi"))')
out="$target_dir/$profile"

install -d "$prefix/include" "$prefix/lib/pkgconfig"
install -m 644 crates/kpki-ffi/include/kpki.h "$prefix/include/kpki.h"
install -m 755 "$out/libkpki.so" "$prefix/lib/libkpki.so"
install -m 644 "$out/libkpki.a" "$prefix/lib/libkpki.a"
# `rustc --print native-static-libs` for this crate on Linux/glibc.
native_static_libs="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"
sed -e "s|@PREFIX@|$prefix|" -e "s|@VERSION@|$version|" \
  -e "s|@NATIVE_STATIC_LIBS@|$native_static_libs|" \
  crates/kpki-ffi/kpki.pc.in >"$prefix/lib/pkgconfig/kpki.pc"
echo "installed kpki $version ($profile) under $prefix"

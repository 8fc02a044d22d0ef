#!/usr/bin/env bash
# The door-parity test (tests/parity/test_parity.py): the same inputs through the CLI,
# Python and C give the same PKI. Builds the CLI and libkpki (debug), compiles the C
# driver tests/parity/parity_c.c against an installed libkpki, and runs pytest in the
# venv scripts/test-python.sh made (it must have run first: it builds the kpki wheel).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
py=$root/target/py-venv/bin/python
[ -x "$py" ] || { echo "run scripts/test-python.sh first (it builds the kpki wheel)" >&2; exit 1; }

cargo build --locked -q -p kpki-cli
target_dir=$(cargo metadata --format-version 1 --no-deps --locked |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
work=$(mktemp -d "$target_dir/kpki-parity.XXXXXX")
[ -n "${KPKI_KEEP_TMP:-}" ] || trap 'rm -rf "$work"' EXIT
scripts/install-kpki-c.sh --debug "$work/prefix" >/dev/null
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
read -r -a pc_cflags <<<"$(pkg-config --cflags kpki)"
read -r -a pc_libs <<<"$(pkg-config --libs kpki)"
gcc -std=c11 -Wall -Wextra -Werror "${pc_cflags[@]}" -o "$work/parity_c" \
  tests/parity/parity_c.c "${pc_libs[@]}" -Wl,-rpath,"$work/prefix/lib"

echo "== parity: CLI, Python and C give the same PKI"
KPKI_BIN="$target_dir/debug/kpki" KPKI_PARITY_C="$work/parity_c" \
  "$py" -m pytest -q -p no:cacheprovider -s tests/parity "$@"

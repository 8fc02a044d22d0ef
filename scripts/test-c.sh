#!/usr/bin/env bash
# The C suite: builds libkpki (debug, with the test-only panic entry point), installs it
# into a staging prefix with its kpki.pc, compiles every crates/kpki-ffi/tests/*.c with
# `gcc -std=c11 -Wall -Wextra -Werror` through pkg-config, and runs each program plainly
# and under valgrind (no errors, nothing definitely lost). One program is also linked
# statically against libkpki.a. Installs gcc, valgrind, pkg-config, openssl if absent.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v gcc >/dev/null || need_apt+=(gcc libc6-dev)
command -v valgrind >/dev/null || need_apt+=(valgrind)
command -v pkg-config >/dev/null || need_apt+=(pkg-config)
command -v openssl >/dev/null || need_apt+=(openssl)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi

target_dir=$(cargo metadata --format-version 1 --no-deps --locked |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
# A directory of this run's own (runs may overlap on a shared machine), removed at the
# end unless KPKI_KEEP_TMP is set.
mkdir -p "$target_dir"
work=$(mktemp -d "$target_dir/kpki-c-tests.XXXXXX")
[ -n "${KPKI_KEEP_TMP:-}" ] || trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
mkdir -p "$work/bin"

echo "== c: build and install libkpki (debug, feature test-panic) into $prefix"
scripts/install-kpki-c.sh --debug --features test-panic "$prefix" >/dev/null
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
cflags=(-std=c11 -Wall -Wextra -Werror -g -DKPKI_TEST_PANIC)
read -r -a pc_cflags <<<"$(pkg-config --cflags kpki)"
read -r -a pc_libs <<<"$(pkg-config --libs kpki)"
# Static: libkpki.a itself plus the system libraries kpki.pc lists in Libs.private.
read -r -a pc_static <<<"$(pkg-config --static --libs-only-l kpki | sed 's/-lkpki\b//')"

programs=()
for src in crates/kpki-ffi/tests/*.c; do
  name=$(basename "$src" .c)
  gcc "${cflags[@]}" "${pc_cflags[@]}" -o "$work/bin/$name" "$src" "${pc_libs[@]}" \
    -Wl,-rpath,"$prefix/lib"
  programs+=("$name")
done
# The same kind of program against the static library (no libkpki.so at run time).
gcc "${cflags[@]}" "${pc_cflags[@]}" -o "$work/bin/test_issue_static" \
  crates/kpki-ffi/tests/test_issue.c "$prefix/lib/libkpki.a" "${pc_static[@]}"
if ldd "$work/bin/test_issue_static" | grep -q libkpki; then
  echo "test_issue_static links libkpki.so dynamically" >&2
  exit 1
fi
echo "compiled ${#programs[@]} programs (+1 static): ${programs[*]}"

passed=0
failed=0
run_program() { # label, command...
  local label=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
  else
    echo "FAILED: $label" >&2
    failed=$((failed + 1))
  fi
}

# A throw-away SoftHSM token for test_pkcs11 (softhsm2 comes from install-test-deps.sh).
command -v softhsm2-util >/dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq softhsm2
}
mkdir -p "$work/softhsm/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
  "$work/softhsm/tokens" >"$work/softhsm/softhsm2.conf"
export SOFTHSM2_CONF="$work/softhsm/softhsm2.conf"
for label in kpki-c kpki-c-faults; do
  softhsm2-util --init-token --free --label "$label" --pin 4321 --so-pin 87654321 >/dev/null
done
echo 4321 >"$work/softhsm/pin"
export KPKI_TEST_PKCS11_PIN_FILE="$work/softhsm/pin"

echo "== c: run"
export TMPDIR="$work"
# test_panic panics on purpose; the hook's message is expected, a backtrace is noise.
export RUST_BACKTRACE=0
for p in "${programs[@]}"; do
  run_program "$p" "$work/bin/$p"
done
run_program test_issue_static "$work/bin/test_issue_static"

echo "== c: run under valgrind"
for p in "${programs[@]}"; do
  log="$work/$p.valgrind.log"
  run_program "valgrind $p" valgrind --leak-check=full --show-leak-kinds=definite \
    --errors-for-leak-kinds=definite --error-exitcode=1 --log-file="$log" "$work/bin/$p"
  echo "valgrind $p: $(grep -o 'ERROR SUMMARY: .*' "$log" | tail -1);" \
    "$(grep -oE 'definitely lost: .*|All heap blocks were freed.*' "$log" | tail -1)"
  if grep -qE 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]' "$log"; then
    cat "$log" >&2
  fi
done

echo "== c: the README's C snippet, as written (HOME is a scratch directory)"
snippet=$(python3 - <<'PY'
import re, pathlib
text = pathlib.Path("README.md").read_text()
after = text[text.index("From C ("):]
print(re.search(r"```sh\n(.*?)```", after, flags=re.S).group(1))
PY
)
mkdir -p "$work/home"
# rustup and cargo keep their own homes (they default to $HOME's).
if out=$(RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" \
  HOME="$work/home" bash -euo pipefail -c "$snippet" 2>&1) &&
  dir=$(printf '%s\n' "$out" | sed -n 's/^wrote //p') && [ -n "$dir" ] &&
  [ -f "$dir/pki/ca.crt" ] && [ -f "$dir/admin.conf" ] &&
  [ "$(stat -c %a "$dir/pki/ca.key")" = 600 ]; then
  echo "README snippet: $(printf '%s\n' "$out" | grep -E '^(node name|wrote) ' | tr '\n' ' ')"
  passed=$((passed + 1))
  rm -rf "$dir"
else
  printf 'FAILED: README snippet\n%s\n' "$out" >&2
  failed=$((failed + 1))
fi

echo "c programs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

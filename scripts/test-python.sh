#!/usr/bin/env bash
# The Python suite: builds the `kpki` extension (release, abi3 wheel, from
# crates/kpki-py/pyproject.toml) into a venv under target/, then checks that the .pyi
# stubs match the module (mypy.stubtest), type-checks the tests (mypy) and runs pytest.
# Idempotent; needs only Rust and Python 3.10+ (pip fetches maturin, pytest,
# cryptography, mypy on first run, and for kpki.tls_certificates' tests the charm
# library it stands in for, ops with its Scenario testing, and pkilint).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
venv=$root/target/py-venv
wheels=$root/target/py-wheels
# A target dir of its own: maturin's PyO3 settings differ from a plain `cargo build`, so
# sharing the workspace's would rebuild pyo3 back and forth.
export CARGO_TARGET_DIR=$root/target/py-build

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
py=$venv/bin/python
"$py" -m pip install -q --disable-pip-version-check \
  "maturin>=1.16,<2" "pytest>=8" "cryptography>=43" "mypy>=1.10" \
  "pyyaml>=6" "types-pyyaml" \
  "charmlibs-interfaces-tls-certificates==1.12.0" "ops[testing]>=3.9,<4" "pkilint==0.13.3"

echo "== python: build the kpki wheel (maturin, release)"
start=$(date +%s)
rm -f "$wheels"/kpki-*.whl
"$venv/bin/maturin" build --release --locked -q -m crates/kpki-py/Cargo.toml \
  -i "$py" -o "$wheels"
"$py" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps \
  "$wheels"/kpki-*.whl
echo "built and installed in $(( $(date +%s) - start )) s"

echo "== python: stubs match the module (stubtest), tests type-check (mypy)"
# Run from an empty directory so the installed package, not a source tree, is checked;
# stubtest also checks the submodules (kpki._kpki, kpki.tls_certificates).
mkdir -p "$root/target/py-check"
(cd "$root/target/py-check" && "$py" -m mypy.stubtest kpki \
  --allowlist "$root/crates/kpki-py/stubtest-allowlist.txt")
"$py" -m mypy --config-file crates/kpki-py/pyproject.toml crates/kpki-py/tests

echo "== python: pytest"
"$py" -m pytest -q -p no:cacheprovider crates/kpki-py/tests "$@"

echo "== python: the charm TLS benchmark runs (one round; figures: BENCHMARKS.md)"
"$py" benches/charm-tls.py 1 1

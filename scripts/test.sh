#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what the tests need, then runs
# every suite — Rust (unit, doc, oracle/integration), C, Python, and the door-parity
# test (the same inputs through the CLI, Python and C give the same PKI).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-test-deps.sh

echo "== rust: fmt, clippy"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== rust: tests"
cargo test --workspace --locked
scripts/test-c.sh
scripts/test-python.sh
scripts/test-parity.sh

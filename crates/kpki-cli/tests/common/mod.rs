//! The CLI tests' helpers: the `kpki` binary, and everything of `kpki-testkit`.
#![allow(dead_code)] // each test file uses a different part of this module
#![allow(unreachable_pub)] // a test helper module: `pub` is for the test files

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

pub use kpki_testkit::*;

/// The `kpki` binary cargo built for these tests.
pub fn kpki_bin() -> &'static str {
    env!("CARGO_BIN_EXE_kpki")
}

/// Runs `kpki ARGS` with a hard timeout.
pub fn kpki(args: &[&str]) -> Output {
    run(
        Command::new(kpki_bin()).args(args),
        Duration::from_secs(120),
    )
}

/// SPEC.md's example inputs.
pub const EXAMPLE_ARGS: [&str; 8] = [
    "--node-name",
    "node01",
    "--advertise-address",
    "10.0.0.10",
    "--control-plane-endpoint",
    "cp.example.internal:6443",
    "--apiserver-cert-extra-sans",
    "extra.example.com,192.0.2.7",
];

/// `kpki init --dir DIR` with SPEC.md's example inputs plus `extra`; panics on failure.
pub fn kpki_init_example(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["init", "--dir", dir.to_str().unwrap(), "--quiet"];
    args.extend(EXAMPLE_ARGS);
    args.extend(extra);
    let out = kpki(&args);
    assert!(
        out.status.success(),
        "kpki {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

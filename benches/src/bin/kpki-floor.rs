//! `kpki-floor [KEYS] [ALGORITHM]`: kpki's own floor for a full cluster PKI — the time of
//! its KEYS (default 16) key generations of ALGORITHM (default rsa-2048), one after the
//! other on one thread, divided by the cores. `benches/compare-peers.sh` runs it in the
//! same alternation as `kpki init` and the peers.
//!
//! Prints one line: `floor_s=<sum/cores> keygen_sum_s=<sum> keys=<n> cores=<c>`.
#![allow(clippy::print_stdout)]

use std::process::ExitCode;
use std::time::Instant;

use kpki_core::{KeyAlgorithm, PrivateKey};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let keys: usize = match args.next().map(|s| s.parse()) {
        None => 16,
        Some(Ok(n)) => n,
        Some(Err(e)) => {
            eprintln!("kpki-floor: KEYS: {e}");
            return ExitCode::FAILURE;
        }
    };
    let algorithm: KeyAlgorithm = match args.next().map(|s| s.parse()) {
        None => KeyAlgorithm::Rsa2048,
        Some(Ok(a)) => a,
        Some(Err(e)) => {
            eprintln!("kpki-floor: ALGORITHM: {e}");
            return ExitCode::FAILURE;
        }
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let start = Instant::now();
    for _ in 0..keys {
        if let Err(e) = PrivateKey::generate(algorithm) {
            eprintln!("kpki-floor: {e}");
            return ExitCode::FAILURE;
        }
    }
    let sum = start.elapsed().as_secs_f64();
    println!(
        "floor_s={:.6} keygen_sum_s={sum:.6} keys={keys} cores={cores}",
        sum / cores as f64
    );
    ExitCode::SUCCESS
}

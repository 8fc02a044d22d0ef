//! `issue-loop ALGORITHM COUNT`: issues COUNT kubelet client certificates for one
//! pre-generated key from a CA of ALGORITHM, nothing else — a target for profilers
//! (`valgrind --tool=callgrind --toggle-collect='*CertificateAuthority::issue*'`,
//! `perf record`), where a criterion harness would blur the picture.
#![allow(clippy::print_stdout)]

use std::process::ExitCode;
use std::time::{Instant, SystemTime};

use kpki_core::{
    CaRequest, CertificateAuthority, CertificateProfile, Identity, KeyAlgorithm, LeafRequest,
    NodeName, PrivateKey,
};

fn run() -> Result<String, Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let algorithm: KeyAlgorithm = args
        .next()
        .ok_or("usage: issue-loop ALGORITHM COUNT")?
        .parse()?;
    let count: u32 = args
        .next()
        .ok_or("usage: issue-loop ALGORITHM COUNT")?
        .parse()?;
    let now = SystemTime::now();
    let ca = CertificateAuthority::new_root(
        &CaRequest::new("kubernetes"),
        PrivateKey::generate(algorithm)?,
        now,
    )?;
    let key = PrivateKey::generate(algorithm)?;
    let req = LeafRequest::new(
        Identity::node(&NodeName::new("node01")?),
        CertificateProfile::Client,
    );
    let start = Instant::now();
    let mut bytes = 0;
    for _ in 0..count {
        bytes += ca.issue(&req, key.public_key(), now)?.der().len();
    }
    let per = start.elapsed().as_secs_f64() * 1e6 / f64::from(count.max(1));
    Ok(format!(
        "{algorithm}: {per:.2} µs per certificate ({bytes} bytes)"
    ))
}

fn main() -> ExitCode {
    match run() {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("issue-loop: {e}");
            ExitCode::FAILURE
        }
    }
}

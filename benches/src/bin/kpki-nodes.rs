//! `kpki-nodes N [ALGORITHM] [issue|cluster]`: per-node scaling and memory. Issues N
//! kubelet client certificates (new key each, ALGORITHM, default ecdsa-p256), keeps them
//! all (the output), and prints the time per node and the process's peak RSS.
//!
//! - `issue` (default): one CA, `CertificateAuthority::issue_with_new_key` per node, on
//!   one thread — what a CSR signer does for a fleet.
//! - `cluster`: a full cluster PKI with N worker nodes (`ClusterSpec::workers`: a kubelet
//!   client and serving certificate and a kubeconfig per node), generated on all cores.
//!
//! Prints one line: `mode=… nodes=N total_ms=… per_node_us=… cpu_per_node_us=…
//! output_kib=… peak_rss_kib=…` (CPU: of the issuing thread for `issue`, exact; of the
//! whole process for `cluster`, in 10 ms ticks) — per-node CPU stays meaningful when
//! other programs take turns on the cores and stretch the wall time of long runs.
//! Run it once per N (peak RSS is per process): memory that grows faster than the output
//! would show as `peak_rss_kib - output_kib` growing with N.
#![allow(clippy::print_stdout)]

use std::process::ExitCode;
use std::time::{Instant, SystemTime};

use kpki_benches::{example_builder, node_names, peak_rss_kib, process_cpu_time, thread_cpu_time};
use kpki_core::{
    CaRequest, CertificateAuthority, CertificateProfile, Identity, KeyAlgorithm, LeafRequest,
    PrivateKey,
};

fn run() -> Result<String, Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .ok_or("usage: kpki-nodes N [ALGORITHM] [issue|cluster]")?
        .parse()?;
    let algorithm: KeyAlgorithm = match args.next() {
        Some(a) => a.parse()?,
        None => KeyAlgorithm::EcdsaP256,
    };
    let mode = args.next().unwrap_or_else(|| "issue".to_owned());
    let names = node_names(n)?;
    let now = SystemTime::now();
    let (elapsed, cpu, output_bytes) = match mode.as_str() {
        "issue" => {
            let ca = CertificateAuthority::new_root(
                &CaRequest::new("kubernetes"),
                PrivateKey::generate(algorithm)?,
                now,
            )?;
            let (start, cpu0) = (Instant::now(), thread_cpu_time());
            let mut issued = Vec::with_capacity(n);
            for node in &names {
                let req = LeafRequest::new(Identity::node(node), CertificateProfile::Client);
                issued.push(ca.issue_with_new_key(&req, algorithm, now)?);
            }
            let elapsed = start.elapsed();
            let cpu = thread_cpu_time()
                .zip(cpu0)
                .map(|(b, a)| b.saturating_sub(a));
            let bytes: usize = issued
                .iter()
                .map(|c| c.certificate().der().len() + c.key().to_pkcs8_der().len())
                .sum();
            (elapsed, cpu, bytes)
        }
        "cluster" => {
            let spec = example_builder(algorithm)?.workers(names).build()?;
            let (start, cpu0) = (Instant::now(), process_cpu_time());
            let pki = spec.generate(now)?;
            let elapsed = start.elapsed();
            let cpu = process_cpu_time()
                .zip(cpu0)
                .map(|(b, a)| b.saturating_sub(a));
            let bytes: usize = pki
                .certificates()
                .iter()
                .map(|(_, c)| c.certificate().der().len() + c.key().to_pkcs8_der().len())
                .sum::<usize>()
                + pki
                    .kubeconfigs()
                    .iter()
                    .map(|(_, k)| k.to_yaml().map_or(0, |y| y.len()))
                    .sum::<usize>();
            (elapsed, cpu, bytes)
        }
        other => return Err(format!("unknown mode {other:?} (issue or cluster)").into()),
    };
    Ok(format!(
        "mode={mode} nodes={n} total_ms={:.3} per_node_us={:.1} cpu_per_node_us={:.1} output_kib={} peak_rss_kib={}",
        elapsed.as_secs_f64() * 1e3,
        elapsed.as_secs_f64() * 1e6 / n.max(1) as f64,
        cpu.map_or(f64::NAN, |c| c.as_secs_f64() * 1e6 / n.max(1) as f64),
        output_bytes / 1024,
        peak_rss_kib().unwrap_or(0)
    ))
}

fn main() -> ExitCode {
    match run() {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("kpki-nodes: {e}");
            ExitCode::FAILURE
        }
    }
}

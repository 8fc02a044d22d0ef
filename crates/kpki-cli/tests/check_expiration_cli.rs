//! `kpki certs check-expiration` on real kubeadm v1.28.7 output (kpki-testkit's
//! fixtures): the table lists what `kubeadm certs check-expiration` lists, and a
//! directory without a PKI is an error, not an empty table.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;

fn fixture(kind: &str) -> std::path::PathBuf {
    kubeadm_128_fixture(kind)
}

#[test]
fn check_expiration_cli_reads_the_fixture() {
    let tmp = TempDir::new("fixture-cli");
    copy_fixture(&fixture("rsa"), tmp.path());
    let out = kpki(&[
        "certs",
        "check-expiration",
        "--dir",
        tmp.path().to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for n in [
        "apiserver",
        "etcd/healthcheck-client",
        "admin.conf",
        "front-proxy-ca",
    ] {
        assert!(text.contains(n), "{n} missing:\n{text}");
    }
    assert!(!text.contains("kubelet.conf"), "{text}");
}

#[test]
fn a_missing_or_empty_directory_is_an_error_for_every_command_that_reads_one() {
    let tmp = TempDir::new("empty-dir");
    let empty = tmp.path().to_str().unwrap();
    let missing = tmp.join("nope");
    let missing = missing.to_str().unwrap();
    for (args, want) in [
        (
            vec!["certs", "check-expiration", "--dir", empty],
            "no certificates",
        ),
        (
            vec!["certs", "renew", "all", "--dir", empty],
            "no certificates",
        ),
        (
            vec!["certs", "check-expiration", "--dir", missing],
            "does not exist",
        ),
        (
            vec!["certs", "renew", "all", "--dir", missing],
            "does not exist",
        ),
    ] {
        let out = kpki(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.starts_with("kpki: error: ") && err.contains(want),
            "{args:?}: {err}"
        );
    }
}

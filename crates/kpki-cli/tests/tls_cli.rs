//! `kpki tls ca|csr|sign` end to end, checked with outside tools: `openssl req -verify`
//! and `openssl x509` read what kpki wrote, `openssl verify` chains the leaf to the CA,
//! and a refused request (policy or bad flag) exits non-zero and writes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Output};
use std::time::Duration;

use common::{Parsed, TempDir, kpki, list_files, mode_of, run};

fn openssl(args: &[&str]) -> Output {
    run(Command::new("openssl").args(args), Duration::from_secs(60))
}

fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_ca_a_csr_and_a_signed_certificate_verify_with_openssl() {
    let dir = TempDir::new("tls-cli");
    let p = |f: &str| dir.join(f).to_str().unwrap().to_owned();
    ok(
        &kpki(&[
            "tls",
            "ca",
            "--subject",
            "CN=charm-ca",
            "--subject",
            "O=Example",
            "--key-algorithm",
            "ecdsa-p256",
            "--duration",
            "8760h",
            "--key-out",
            &p("ca.key"),
            "--cert-out",
            &p("ca.crt"),
        ]),
        "tls ca",
    );
    assert_eq!(mode_of(&dir.join("ca.key")), 0o600);
    ok(
        &kpki(&[
            "tls",
            "csr",
            "--subject",
            "CN=unit-0",
            "--subject",
            "OU=Databases",
            "--subject",
            "C=GB",
            "--subject",
            "emailAddress=ops@example.com",
            "--san",
            "dns:unit-0.db.example",
            "--san",
            "ip:fd00::7",
            "--san",
            "oid:1.2.3.4",
            "--key-algorithm",
            "rsa-2048",
            "--key-out",
            &p("unit.key"),
            "--csr-out",
            &p("unit.csr"),
        ]),
        "tls csr",
    );
    let req = ok(
        &openssl(&["req", "-in", &p("unit.csr"), "-noout", "-verify", "-text"]),
        "req",
    );
    assert!(
        req.contains("CN = unit-0, OU = Databases, C = GB, emailAddress = ops@example.com"),
        "{req}"
    );
    assert!(
        req.contains("DNS:unit-0.db.example, IP Address:FD00:0:0:0:0:0:0:7, Registered ID:1.2.3.4"),
        "{req}"
    );

    ok(
        &kpki(&[
            "tls",
            "sign",
            "--csr",
            &p("unit.csr"),
            "--ca-cert",
            &p("ca.crt"),
            "--ca-key",
            &p("ca.key"),
            "--duration",
            "8760h",
            "--max-duration",
            "720h",
            "--allowed-domain",
            "db.example",
            "--out",
            &p("unit.crt"),
        ]),
        "tls sign",
    );
    ok(
        &openssl(&["verify", "-CAfile", &p("ca.crt"), &p("unit.crt")]),
        "verify",
    );
    let text = ok(
        &openssl(&["x509", "-in", &p("unit.crt"), "-noout", "-text"]),
        "x509",
    );
    // The library's rules: SKI and AKI, CA:FALSE critical, the subject's email in the SAN,
    // no keyUsage for an RSA leaf.
    for want in [
        "X509v3 Subject Key Identifier",
        "X509v3 Authority Key Identifier",
        "CA:FALSE",
        "email:ops@example.com",
        "Issuer: CN = charm-ca, O = Example",
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }
    assert!(!text.contains("X509v3 Key Usage"), "{text}");
    let leaf = Parsed::from_pem_file(&dir.join("unit.crt")).unwrap();
    let days = leaf
        .not_after()
        .duration_since(leaf.not_before())
        .unwrap()
        .as_secs()
        / 86_400;
    assert_eq!(days, 30, "shortened to --max-duration");
}

#[test]
fn refusals_exit_non_zero_and_write_nothing() {
    let dir = TempDir::new("tls-cli-refused");
    let p = |f: &str| dir.join(f).to_str().unwrap().to_owned();
    ok(
        &kpki(&[
            "tls",
            "ca",
            "--subject",
            "CN=ca",
            "--key-algorithm",
            "ecdsa-p256",
            "--duration",
            "24h",
            "--key-out",
            &p("ca.key"),
            "--cert-out",
            &p("ca.crt"),
        ]),
        "tls ca",
    );
    ok(
        &kpki(&[
            "tls",
            "csr",
            "--subject",
            "CN=x",
            "--san",
            "dns:x.other.example",
            "--san",
            "ip:10.0.0.1",
            "--key-algorithm",
            "ecdsa-p256",
            "--key-out",
            &p("x.key"),
            "--csr-out",
            &p("x.csr"),
        ]),
        "tls csr",
    );
    let before = list_files(dir.path());
    let (csr, ca_crt, ca_key, out) = (p("x.csr"), p("ca.crt"), p("ca.key"), p("x.crt"));
    for (extra, want) in [
        (
            &["--allowed-domain", "db.example"][..],
            "DNS name \"x.other.example\" is not in an allowed domain",
        ),
        (
            &["--no-ip-sans"][..],
            "IP address SANs are not allowed (10.0.0.1)",
        ),
        (&["--is-ca"][..], "CA certificates are not issued"),
        (&["--duration", "forever"][..], "--duration"),
    ] {
        let mut args = vec![
            "tls",
            "sign",
            "--csr",
            &csr,
            "--ca-cert",
            &ca_crt,
            "--ca-key",
            &ca_key,
            "--out",
            &out,
        ];
        if !extra.contains(&"--duration") {
            args.extend(["--duration", "1h"]);
        }
        let a = [args, extra.to_vec()].concat();
        let out = kpki(&a);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{extra:?} was signed");
        assert!(stderr.contains(want), "{extra:?}: {stderr}");
        assert_eq!(list_files(dir.path()), before, "{extra:?} wrote something");
    }
    for (args, want) in [
        (vec!["--subject", "CN"], "ATTRIBUTE=VALUE"),
        (vec!["--subject", "C=GBR"], "exactly 2"),
        (vec!["--subject", "CN=x", "--san", "uri:https://x"], "--san"),
    ] {
        let mut a = vec!["tls", "csr"];
        a.extend(args.iter().copied());
        let (k, c) = (p("k.pem"), p("c.pem"));
        a.extend(["--key-out", k.as_str(), "--csr-out", c.as_str()]);
        let out = kpki(&a);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains(want),
            "{a:?}: {stderr}"
        );
    }
    assert_eq!(list_files(dir.path()), before);
}

//! `kpki certs renew`: renewed certificates keep subject, SANs and usages (checked with
//! x509-cert, not kpki's parser), chain with `openssl verify`, keep or rotate keys as
//! asked, and a refused renewal leaves the directory byte-for-byte as it was.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;

fn parsed(dir: &TempDir, f: &str) -> Parsed {
    Parsed::from_pem_file(&dir.join(f)).unwrap()
}

#[test]
fn renew_all_keeps_subjects_sans_usages_and_keys() {
    let dir = TempDir::new("renew-all");
    kpki_init_example(
        dir.path(),
        &["--key-algorithm", "ecdsa-p256", "--worker-nodes", "node02"],
    );
    let leaves = [
        "pki/apiserver.crt",
        "pki/apiserver-kubelet-client.crt",
        "pki/apiserver-etcd-client.crt",
        "pki/front-proxy-client.crt",
        "pki/etcd/server.crt",
        "pki/etcd/peer.crt",
        "pki/etcd/healthcheck-client.crt",
        "nodes/node02.crt",
        "nodes/serving/node02.crt",
    ];
    let before: Vec<Parsed> = leaves.iter().map(|f| parsed(&dir, f)).collect();
    let keys_before = snapshot(dir.path())
        .into_iter()
        .filter(|(f, _, _)| f.ends_with(".key"))
        .collect::<Vec<_>>();
    let admin_before = kubectl_view(&dir.join("admin.conf"), true).unwrap();

    let out = kpki(&[
        "certs",
        "renew",
        "all",
        "--dir",
        dir.path().to_str().unwrap(),
        "--validity",
        "720h",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    for (f, old) in leaves.iter().zip(&before) {
        let new = parsed(&dir, f);
        assert_eq!(new.subject_der(), old.subject_der(), "{f}: subject");
        assert_eq!(new.issuer_der(), old.issuer_der(), "{f}: issuer");
        assert_eq!(new.sans().unwrap(), old.sans().unwrap(), "{f}: SANs");
        assert_eq!(
            format!("{:?}", new.key_usage().unwrap()),
            format!("{:?}", old.key_usage().unwrap()),
            "{f}: keyUsage"
        );
        assert_eq!(
            format!("{:?}", new.extended_key_usage().unwrap()),
            format!("{:?}", old.extended_key_usage().unwrap()),
            "{f}: extKeyUsage"
        );
        assert_eq!(new.spki_der(), old.spki_der(), "{f}: key kept");
        assert!(serial_bits(&new).unwrap() >= 64, "{f}: serial");
        assert_ne!(
            new.cert.tbs_certificate.serial_number, old.cert.tbs_certificate.serial_number,
            "{f}: new serial"
        );
        let life = new.not_after().duration_since(new.not_before()).unwrap();
        assert_eq!(
            life,
            720 * 3600 * std::time::Duration::from_secs(1) + FIVE_MINUTES,
            "{f}: validity"
        );
        let ca = if f.contains("etcd") {
            "pki/etcd/ca.crt"
        } else if f.contains("front-proxy") {
            "pki/front-proxy-ca.crt"
        } else {
            "pki/ca.crt"
        };
        openssl_verify(&dir.join(ca), &dir.join(f), None).unwrap();
    }
    let keys_after = snapshot(dir.path())
        .into_iter()
        .filter(|(f, _, _)| f.ends_with(".key"))
        .collect::<Vec<_>>();
    assert_eq!(keys_before, keys_after, "keys are kept unless --rotate-key");

    // kubectl reads the renewed kubeconfig; the embedded certificate is new, the key the same.
    let admin_after = kubectl_view(&dir.join("admin.conf"), true).unwrap();
    let cert = |v: &serde_json::Value, field: &str| {
        b64(v["users"][0]["user"][field].as_str().unwrap()).unwrap()
    };
    assert_ne!(
        cert(&admin_before, "client-certificate-data"),
        cert(&admin_after, "client-certificate-data")
    );
    assert_eq!(
        cert(&admin_before, "client-key-data"),
        cert(&admin_after, "client-key-data")
    );
    let renewed = Parsed::from_pem_bytes(&cert(&admin_after, "client-certificate-data")).unwrap();
    assert_eq!(renewed.common_name().as_deref(), Some("kubernetes-admin"));
    assert_eq!(
        renewed.organizations(),
        vec!["kubeadm:cluster-admins".to_string()]
    );
}

#[test]
fn rotate_key_replaces_key_and_certificate_together() {
    let dir = TempDir::new("renew-rotate");
    kpki_init_example(dir.path(), &["--key-algorithm", "ecdsa-p256"]);
    let old_key = std::fs::read(dir.join("pki/apiserver.key")).unwrap();
    let out = kpki(&[
        "certs",
        "renew",
        "apiserver",
        "--dir",
        dir.path().to_str().unwrap(),
        "--rotate-key",
        "--key-algorithm",
        "ecdsa-p384",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new_key = std::fs::read(dir.join("pki/apiserver.key")).unwrap();
    assert_ne!(old_key, new_key);
    assert_eq!(mode_of(&dir.join("pki/apiserver.key")), 0o600);
    let cert = parsed(&dir, "pki/apiserver.crt");
    assert_eq!(
        cert.spki_der(),
        openssl_public_of_private(&new_key).unwrap()
    );
    openssl_verify(
        &dir.join("pki/ca.crt"),
        &dir.join("pki/apiserver.crt"),
        Some("sslserver"),
    )
    .unwrap();
}

#[test]
fn refused_renewal_changes_nothing() {
    let dir = TempDir::new("renew-refused");
    kpki_init_example(dir.path(), &["--key-algorithm", "ecdsa-p256"]);
    let before = snapshot(dir.path());
    let d = dir.path().to_str().unwrap();

    let out = kpki(&["certs", "renew", "apiserver", "no-such-cert", "--dir", d]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no certificate named \"no-such-cert\""),
        "{err}"
    );

    let out = kpki(&[
        "certs",
        "renew",
        "apiserver",
        "--dir",
        d,
        "--validity",
        "forever",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--validity"));

    // Without the etcd CA's key, etcd/server cannot be renewed — and apiserver, named
    // in the same run, is not renewed either.
    std::fs::rename(dir.join("pki/etcd/ca.key"), dir.join("ca.key.aside")).unwrap();
    let out = kpki(&["certs", "renew", "apiserver", "etcd/server", "--dir", d]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("etcd-ca") && err.contains("external"), "{err}");
    std::fs::rename(dir.join("ca.key.aside"), dir.join("pki/etcd/ca.key")).unwrap();
    assert_eq!(
        snapshot(dir.path()),
        before,
        "a refused renewal must not touch the directory"
    );
}

/// The SANs of a certificate file as openssl prints them (`DNS:a, IP Address:1.2.3.4`).
fn openssl_sans(path: &std::path::Path) -> Vec<String> {
    let out = run(
        std::process::Command::new("openssl")
            .args(["x509", "-noout", "-ext", "subjectAltName", "-in"])
            .arg(path),
        std::time::Duration::from_secs(30),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().nth(1).unwrap_or_default();
    line.split(", ").map(|s| s.trim().to_owned()).collect()
}

fn renew_in(dir: &TempDir, args: &[&str]) -> (bool, String, String) {
    let mut all = vec!["certs", "renew"];
    all.extend(args);
    all.extend(["--dir", dir.path().to_str().unwrap()]);
    let out = kpki(&all);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// SPEC.md's example cluster as a kubeadm file, with one more certSAN and a second
/// (IPv6) service CIDR: what an operator edits when the cluster grows.
const GROWN_CONFIG: &str = "apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: 10.0.0.10
nodeRegistration:
  name: node01
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
controlPlaneEndpoint: cp.example.internal:6443
networking:
  serviceSubnet: 10.96.0.0/12,fd00:10:96::/112
apiServer:
  certSANs: [extra.example.com, 192.0.2.7, api.example.com]
";

#[test]
fn renew_with_a_config_applies_new_sans_and_within_skips_what_is_not_due() {
    let dir = TempDir::new("renew-drift");
    kpki_init_example(dir.path(), &["--key-algorithm", "ecdsa-p256"]);
    let config = dir.join("kubeadm.yaml");
    std::fs::write(&config, GROWN_CONFIG).unwrap();
    let apiserver = dir.join("pki/apiserver.crt");
    let before = openssl_sans(&apiserver);
    let etcd_before = std::fs::read(dir.join("pki/etcd/server.crt")).unwrap();
    let key_before = std::fs::read(dir.join("pki/apiserver.key")).unwrap();

    let (ok, out, err) = renew_in(
        &dir,
        &[
            "all",
            "--config",
            config.to_str().unwrap(),
            "--within",
            "720h",
        ],
    );
    println!("{out}");
    assert!(ok, "{err}");
    // The fresh certificates are not due within 30 days; the API server's SANs drifted.
    let after = openssl_sans(&apiserver);
    println!("before: {before:?}\nafter:  {after:?}");
    let added: Vec<&String> = after.iter().filter(|s| !before.contains(s)).collect();
    assert_eq!(
        added,
        ["DNS:api.example.com", "IP Address:FD00:10:96:0:0:0:0:1"]
    );
    assert!(before.iter().all(|s| after.contains(s)), "nothing removed");
    assert!(
        out.contains("renewed apiserver")
            && out.contains("(SANs differ from --config)")
            && out.contains("  + DNS:api.example.com\n")
            && out.contains("  + IP:fd00:10:96::1\n"),
        "{out}"
    );
    // --within skipped the rest, and said so.
    for name in ["etcd-server", "admin.conf", "front-proxy-client"] {
        assert!(out.contains(&format!("skipped {name} ")), "{name}: {out}");
    }
    assert!(out.contains("(not within 720h0m0s)"), "{out}");
    assert_eq!(
        std::fs::read(dir.join("pki/etcd/server.crt")).unwrap(),
        etcd_before
    );
    assert_eq!(
        std::fs::read(dir.join("pki/apiserver.key")).unwrap(),
        key_before
    );
    let verify = run(
        std::process::Command::new("openssl")
            .args(["verify", "-CAfile"])
            .arg(dir.join("pki/ca.crt"))
            .arg(&apiserver),
        std::time::Duration::from_secs(30),
    );
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );

    // Run again: nothing drifts, nothing is due, nothing is written, and it succeeds.
    let snap = snapshot(dir.path());
    let (ok, out, err) = renew_in(
        &dir,
        &[
            "all",
            "--config",
            config.to_str().unwrap(),
            "--within",
            "720h",
        ],
    );
    assert!(ok && !out.contains("renewed"), "{out}{err}");
    assert_eq!(snapshot(dir.path()), snap);
    // A year of window catches everything.
    let (ok, out, _) = renew_in(&dir, &["all", "--within", "8784h"]);
    assert!(
        ok && !out.contains("skipped") && out.contains("(due)"),
        "{out}"
    );
}

#[test]
fn a_renewed_ca_keeps_its_key_and_old_leaves_verify_against_it() {
    let dir = TempDir::new("renew-ca");
    kpki_init_example(dir.path(), &["--key-algorithm", "ecdsa-p256"]);
    let old_leaf = dir.join("old-etcd-server.crt");
    std::fs::copy(dir.join("pki/etcd/server.crt"), &old_leaf).unwrap();
    let old_ca = Parsed::from_pem_file(&dir.join("pki/etcd/ca.crt")).unwrap();
    let (ok, out, err) = renew_in(&dir, &["etcd-ca"]);
    println!("{out}");
    assert!(ok, "{err}");
    assert!(out.starts_with("renewed CA etcd-ca "), "{out}");
    let new_ca = Parsed::from_pem_file(&dir.join("pki/etcd/ca.crt")).unwrap();
    assert_ne!(
        old_ca.cert.tbs_certificate.serial_number,
        new_ca.cert.tbs_certificate.serial_number
    );
    assert_eq!(old_ca.subject_der(), new_ca.subject_der());
    assert_eq!(
        old_ca.cert.tbs_certificate.subject_public_key_info,
        new_ca.cert.tbs_certificate.subject_public_key_info
    );
    // The leaf issued before the renewal verifies against the renewed CA alone.
    let verify = run(
        std::process::Command::new("openssl")
            .args(["verify", "-CAfile"])
            .arg(dir.join("pki/etcd/ca.crt"))
            .arg(&old_leaf),
        std::time::Duration::from_secs(30),
    );
    let text = String::from_utf8_lossy(&verify.stdout);
    println!("openssl verify: {text}");
    assert!(verify.status.success() && text.contains(": OK"), "{text}");
    // The cluster CA: kubeconfigs embed it, and get the renewed certificate.
    let (ok, out, err) = renew_in(&dir, &["ca"]);
    assert!(
        ok && out.contains("  trusted by ") && out.contains("admin.conf"),
        "{out}{err}"
    );
    let ca_pem = std::fs::read_to_string(dir.join("pki/ca.crt")).unwrap();
    let view = kubectl_view(&dir.join("admin.conf"), true).unwrap();
    let data = view["clusters"][0]["cluster"]["certificate-authority-data"]
        .as_str()
        .unwrap();
    assert_eq!(String::from_utf8(b64(data).unwrap()).unwrap(), ca_pem);
    // A CA name that is not there, and an external CA, are refused.
    std::fs::remove_file(dir.join("pki/front-proxy-ca.key")).unwrap();
    let (ok, _, err) = renew_in(&dir, &["front-proxy-ca"]);
    assert!(!ok && err.contains("key"), "{err}");
}

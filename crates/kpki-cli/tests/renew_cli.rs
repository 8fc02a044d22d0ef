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

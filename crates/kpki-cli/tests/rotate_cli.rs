//! `kpki ca rotate start|reissue|finish|status` and `kpki ca trust-bundle`: a whole
//! rotation from the command line, checked with openssl at each phase (old and new leaves
//! against the bundle, the server certificate against the bundle a client kept), and
//! each phase run twice (the second run does nothing).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;

fn ca(dir: &TempDir, args: &[&str]) -> (bool, String, String) {
    let mut all = vec!["ca"];
    all.extend(args);
    all.extend(["--dir", dir.path().to_str().unwrap()]);
    let out = kpki(&all);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn verify(bundle: &std::path::Path, cert: &std::path::Path) -> bool {
    let out = run(
        std::process::Command::new("openssl")
            .args(["verify", "-CAfile"])
            .arg(bundle)
            .arg(cert),
        std::time::Duration::from_secs(30),
    );
    out.status.success()
}

fn count(path: &std::path::Path, label: &str) -> usize {
    std::fs::read_to_string(path)
        .unwrap()
        .matches(&format!("-----BEGIN {label}-----"))
        .count()
}

#[test]
fn a_whole_rotation_from_the_command_line() {
    let dir = TempDir::new("rotate-cli");
    kpki_init_example(dir.path(), &["--key-algorithm", "ecdsa-p256"]);
    let pki = dir.join("pki");
    let old_leaf = dir.join("old-apiserver.crt");
    std::fs::copy(pki.join("apiserver.crt"), &old_leaf).unwrap();
    let old_ca = dir.join("old-ca.crt");
    std::fs::copy(pki.join("ca.crt"), &old_ca).unwrap();

    let (ok, out, err) = ca(&dir, &["rotate", "status"]);
    assert!(
        ok && out.starts_with("no CA rotation has been started here"),
        "{out}{err}"
    );
    let (ok, _, err) = ca(&dir, &["rotate", "reissue"]);
    assert!(
        !ok && err.contains("no CA rotation is in progress"),
        "{err}"
    );

    // start: the bundles hold old + new, sa.pub both keys; old leaves still verify.
    let (ok, out, err) = ca(&dir, &["rotate", "start"]);
    println!("{out}");
    assert!(
        ok && out.starts_with("start: done for kubernetes, etcd, front-proxy"),
        "{out}{err}"
    );
    for f in ["ca.crt", "etcd/ca.crt", "front-proxy-ca.crt"] {
        assert_eq!(count(&pki.join(f), "CERTIFICATE"), 2, "{f}");
    }
    assert_eq!(count(&pki.join("sa.pub"), "PUBLIC KEY"), 2);
    assert!(verify(&pki.join("ca.crt"), &old_leaf));
    let kept_bundle = dir.join("start-bundle.crt");
    std::fs::copy(pki.join("ca.crt"), &kept_bundle).unwrap();
    let (ok, out, _) = ca(&dir, &["trust-bundle", "-o", "cluster-trust-bundle"]);
    assert!(
        ok && out.contains("kind: ClusterTrustBundle")
            && out.matches("BEGIN CERTIFICATE").count() == 2,
        "{out}"
    );
    let (ok, out, _) = ca(&dir, &["rotate", "status"]);
    assert!(
        ok && out.starts_with("phase: started") && out.contains("next: ca rotate reissue"),
        "{out}"
    );
    let (ok, out, _) = ca(&dir, &["rotate", "start"]);
    assert!(ok && out.contains("done already"), "{out}");
    let (ok, _, err) = ca(&dir, &["rotate", "finish"]);
    assert!(!ok && err.contains("reissue"), "{err}");

    // reissue: leaves from the new CA, which verify against the start bundle and not
    // against the old CA alone.
    let (ok, out, err) = ca(&dir, &["rotate", "reissue"]);
    assert!(ok, "{out}{err}");
    let apiserver = pki.join("apiserver.crt");
    assert!(verify(&kept_bundle, &apiserver));
    assert!(!verify(&old_ca, &apiserver));
    assert!(
        verify(&pki.join("ca.crt"), &old_leaf),
        "old leaves verify until finish"
    );
    let (_, out, _) = ca(&dir, &["rotate", "status"]);
    assert!(out.contains("0 certificates still from an old CA"), "{out}");
    // kubectl reads every kubeconfig (two CAs in certificate-authority-data).
    for conf in [
        "admin.conf",
        "super-admin.conf",
        "controller-manager.conf",
        "scheduler.conf",
    ] {
        kubectl_view(&dir.join(conf), true).unwrap();
    }

    // finish: one CA per bundle, one key in sa.pub; the old leaf no longer verifies.
    let (ok, out, err) = ca(&dir, &["rotate", "finish"]);
    assert!(ok, "{out}{err}");
    for f in ["ca.crt", "etcd/ca.crt", "front-proxy-ca.crt"] {
        assert_eq!(count(&pki.join(f), "CERTIFICATE"), 1, "{f}");
    }
    assert_eq!(count(&pki.join("sa.pub"), "PUBLIC KEY"), 1);
    assert!(verify(&pki.join("ca.crt"), &apiserver));
    assert!(!verify(&pki.join("ca.crt"), &old_leaf));
    assert!(!pki.join("rotation/ca.key").exists());
    let (ok, out, _) = ca(&dir, &["rotate", "finish"]);
    assert!(ok && out.contains("done already"), "{out}");
    let (_, out, _) = ca(&dir, &["rotate", "status"]);
    assert!(out.starts_with("phase: finished"), "{out}");
    // The expiry report still reads the directory.
    let out = kpki(&[
        "certs",
        "check-expiration",
        "--dir",
        dir.path().to_str().unwrap(),
    ]);
    assert!(out.status.success());
}

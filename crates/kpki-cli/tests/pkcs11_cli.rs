//! `kpki init --ca-key ROLE=pkcs11:...` on SoftHSM: all three CA roles in the token for
//! each key algorithm; the directory holds the CA certificates and no CA key (kubeadm's
//! external-CA layout), openssl verifies every leaf against its CA, the expiry report
//! reads it, and a PIN on the command line is refused with nothing written.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;

fn ca_key_args(tag: &str) -> Vec<String> {
    ["kubernetes", "etcd", "front-proxy"]
        .into_iter()
        .flat_map(|role| {
            [
                "--ca-key".to_owned(),
                format!(
                    "{role}={}",
                    softhsm_uri("kpki", &format!("cli-{tag}-{role}"))
                ),
            ]
        })
        .collect()
}

#[test]
fn init_with_every_ca_key_in_the_token() {
    for alg in ["rsa-2048", "ecdsa-p256", "ecdsa-p384", "ed25519"] {
        let tmp = TempDir::new("pkcs11-cli");
        let dir = tmp.join("kubernetes");
        let keys = ca_key_args(alg);
        let mut extra: Vec<&str> = vec!["--key-algorithm", alg];
        extra.extend(keys.iter().map(String::as_str));
        kpki_init_example(&dir, &extra);
        let pki = dir.join("pki");
        for absent in ["ca.key", "etcd/ca.key", "front-proxy-ca.key"] {
            assert!(!pki.join(absent).exists(), "{alg}: {absent} was written");
        }
        // No key file in the directory is a CA's key.
        let ca_spkis: Vec<Vec<u8>> = ["ca.crt", "etcd/ca.crt", "front-proxy-ca.crt"]
            .iter()
            .map(|c| Parsed::from_pem_file(&pki.join(c)).unwrap().spki_der())
            .collect();
        for f in list_files(&dir).iter().filter(|f| f.ends_with(".key")) {
            let spki = public_key_of_private(&std::fs::read(dir.join(f)).unwrap()).unwrap();
            assert!(!ca_spkis.contains(&spki), "{alg}: {f} is a CA key");
        }
        for (ca, leaf, purpose) in [
            ("ca.crt", "apiserver.crt", "sslserver"),
            ("ca.crt", "apiserver-kubelet-client.crt", "sslclient"),
            ("etcd/ca.crt", "etcd/server.crt", "sslserver"),
            ("etcd/ca.crt", "etcd/peer.crt", "sslclient"),
            ("etcd/ca.crt", "apiserver-etcd-client.crt", "sslclient"),
            ("front-proxy-ca.crt", "front-proxy-client.crt", "sslclient"),
        ] {
            openssl_verify(&pki.join(ca), &pki.join(leaf), Some(purpose))
                .unwrap_or_else(|e| panic!("{alg}: {leaf}: {e}"));
        }
        // The expiry report reads the directory: the CAs are there, their keys are not.
        let out = kpki(&[
            "certs",
            "check-expiration",
            "--dir",
            dir.to_str().unwrap(),
            "-o",
            "json",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let cas = report["certificateAuthorities"].as_array().unwrap();
        assert_eq!(cas.len(), 3, "{report}");
        assert!(cas.iter().all(|c| c["missing"] == false), "{report}");
    }
}

/// `kpki init --ca-key KEY` with SPEC.md's inputs into a new directory: it must fail,
/// leave no directory, and never print the test PIN; returns its standard error.
fn init_refused(tag: &str, key: &str) -> String {
    let tmp = TempDir::new(tag);
    let dir = tmp.join("kubernetes");
    let mut args = vec!["init", "--dir", dir.to_str().unwrap(), "--ca-key", key];
    args.extend(EXAMPLE_ARGS);
    let out = kpki(&args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{err}");
    assert!(!err.contains(&format!("pin-value={SOFTHSM_PIN}")), "{err}");
    assert!(!dir.exists(), "{:?}", list_files(&dir));
    err
}

#[test]
fn a_pin_on_the_command_line_is_refused_and_nothing_is_written() {
    let key = format!(
        "kubernetes=pkcs11:token=kpki;object=argv?module-path={SOFTHSM_MODULE}&pin-value={SOFTHSM_PIN}"
    );
    let err = init_refused("pkcs11-pin", &key);
    assert!(
        err.contains("--ca-key") && err.contains("pin-source"),
        "{err}"
    );
}

#[test]
fn a_missing_token_is_an_error_naming_it_and_nothing_is_written() {
    softhsm();
    let err = init_refused(
        "pkcs11-missing",
        &format!("etcd={}", softhsm_uri("no-such-token", "x")),
    );
    assert!(
        err.contains("token=no-such-token") && err.contains("no initialised token"),
        "{err}"
    );
}

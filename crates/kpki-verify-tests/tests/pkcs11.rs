//! CA keys in a PKCS#11 token: SoftHSM (Debian's softhsm2, installed by the test
//! script) with a throw-away token under `$SOFTHSM2_CONF` (set for every cargo command
//! in `.cargo/config.toml`, pointing into `target/`). Keys generated in the token sign
//! CA and leaf certificates that openssl verifies; the token says each key is sensitive
//! and never extractable; each fault is a typed error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::SystemTime;

use kpki_core::{
    CaRequest, CertificateAuthority, CertificateProfile, Compatibility, Error, Identity,
    KeyAlgorithm, LeafRequest, Pkcs11Key, Pkcs11Problem, Pkcs11Uri, Signer,
};
use kpki_testkit::{SOFTHSM_MODULE, TempDir, openssl_verify, softhsm, softhsm_uri};

const MODULE: &str = SOFTHSM_MODULE;

fn uri(token: &str, object: &str) -> Pkcs11Uri {
    Pkcs11Uri::parse(&softhsm_uri(token, object)).unwrap()
}

fn problem(e: Error) -> Pkcs11Problem {
    match e {
        Error::Pkcs11 { problem, .. } => problem,
        other => panic!("not a PKCS#11 error: {other}"),
    }
}

#[test]
fn token_keys_sign_cas_and_leaves_that_openssl_verifies() {
    let dir = TempDir::new("pkcs11-ca");
    for (alg, name) in [
        (KeyAlgorithm::Rsa2048, "rsa-2048"),
        (KeyAlgorithm::EcdsaP256, "p-256"),
        (KeyAlgorithm::EcdsaP384, "p-384"),
        (KeyAlgorithm::Ed25519, "ed25519"),
    ] {
        let u = uri("kpki", &format!("ca-{name}"));
        let (key, created) = Pkcs11Key::open_or_generate(&u, alg).unwrap();
        assert!(created, "{name}");
        assert_eq!(key.public_key().algorithm(), alg);
        // Sensitive and never extractable, as the token reports it.
        assert_eq!(
            key.protection().unwrap(),
            (true, false, true, true),
            "{name}"
        );
        // Opened again: the same key, not a new one.
        let (again, created) = Pkcs11Key::open_or_generate(&u, alg).unwrap();
        assert!(!created);
        assert_eq!(again.public_key(), key.public_key());

        let key: std::sync::Arc<dyn Signer> = std::sync::Arc::new(key);
        let ca = CertificateAuthority::new_root_with_signer(
            &CaRequest::new("kubernetes"),
            key,
            SystemTime::now(),
        )
        .unwrap();
        assert!(ca.can_issue());
        let leaf = ca
            .issue_with_new_key(
                &LeafRequest::new(
                    Identity::etcd_healthcheck_client(Compatibility::Current),
                    CertificateProfile::Client,
                ),
                KeyAlgorithm::EcdsaP256,
                SystemTime::now(),
            )
            .unwrap();
        let (ca_pem, leaf_pem) = (
            dir.join(format!("{name}-ca.crt")),
            dir.join(format!("{name}.crt")),
        );
        std::fs::write(&ca_pem, ca.certificate().to_pem()).unwrap();
        std::fs::write(&leaf_pem, leaf.certificate().to_pem()).unwrap();
        // The CA's self-signature and the leaf's, both made in the token.
        openssl_verify(&ca_pem, &ca_pem, None).unwrap_or_else(|e| panic!("{name} CA: {e}"));
        openssl_verify(&ca_pem, &leaf_pem, Some("sslclient"))
            .unwrap_or_else(|e| panic!("{name} leaf: {e}"));
    }
}

#[test]
fn parallel_signing_through_one_token_works() {
    let u = uri("kpki", "parallel");
    let (key, _) = Pkcs11Key::open_or_generate(&u, KeyAlgorithm::EcdsaP256).unwrap();
    let ca = CertificateAuthority::new_root_with_signer(
        &CaRequest::new("etcd-ca"),
        std::sync::Arc::new(key),
        SystemTime::now(),
    )
    .unwrap();
    let req = LeafRequest::new(
        Identity::etcd_healthcheck_client(Compatibility::Current),
        CertificateProfile::Client,
    );
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..10 {
                    let leaf = ca
                        .issue_with_new_key(&req, KeyAlgorithm::EcdsaP256, SystemTime::now())
                        .unwrap();
                    ca.verify_issued(leaf.certificate(), SystemTime::now())
                        .unwrap();
                }
            });
        }
    });
}

#[test]
fn faults_are_typed_errors() {
    softhsm();
    // A wrong PIN (a token no test has logged into).
    let bad_pin = Pkcs11Uri::parse(&format!(
        "pkcs11:token=kpki-faults;object=x?module-path={MODULE}&pin-value=0000"
    ))
    .unwrap();
    let e = Pkcs11Key::open(&bad_pin, None).unwrap_err();
    assert!(!e.to_string().contains("0000"), "{e}");
    assert_eq!(problem(e), Pkcs11Problem::WrongPin);
    // No such token, no such object.
    let e = Pkcs11Key::open(&uri("no-such-token", "x"), None).unwrap_err();
    assert_eq!(problem(e), Pkcs11Problem::NoToken);
    let e = Pkcs11Key::open(&uri("kpki", "no-such-key"), None).unwrap_err();
    assert!(e.to_string().contains("object=no-such-key"), "{e}");
    assert_eq!(problem(e), Pkcs11Problem::NoObject);
    // A module that does not exist, and a library that is not a PKCS#11 module.
    for module in [
        "/nonexistent/libpkcs11.so",
        "/lib/x86_64-linux-gnu/libz.so.1",
    ] {
        let u = Pkcs11Uri::parse(&format!("pkcs11:object=x?module-path={module}")).unwrap();
        let e = Pkcs11Key::open(&u, None).unwrap_err();
        assert!(e.to_string().contains(module), "{e}");
        assert!(
            matches!(problem(e), Pkcs11Problem::Module { .. }),
            "{module}"
        );
    }
    // A key of another algorithm than the one asked for.
    let u = uri("kpki", "wrong-alg");
    Pkcs11Key::open_or_generate(&u, KeyAlgorithm::EcdsaP256).unwrap();
    let e = Pkcs11Key::open_or_generate(&u, KeyAlgorithm::Rsa2048).unwrap_err();
    assert_eq!(
        problem(e),
        Pkcs11Problem::WrongAlgorithm {
            expected: KeyAlgorithm::Rsa2048,
            found: KeyAlgorithm::EcdsaP256
        }
    );
}

//! The PKCS#11 module failing mid-run, in a test process of its own: SoftHSM, once one
//! token's directory is gone, fails every call of the process (every token), so this
//! cannot share a process with the other token tests (`pkcs11.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::SystemTime;

use kpki_core::{
    CertificateProfile, Compatibility, Error, Identity, KeyAlgorithm, LeafRequest, Pkcs11Key,
    Pkcs11Problem, Pkcs11Uri,
};
use kpki_testkit::{TempDir, softhsm, softhsm_uri};

fn problem(e: Error) -> Pkcs11Problem {
    match e {
        Error::Pkcs11 { problem, .. } => problem,
        other => panic!("not a PKCS#11 error: {other}"),
    }
}

/// The module failing mid-run: the process has the token open and logged in, has
/// written a PKI with it, and then the token's directory is removed (as if the HSM
/// went away). Signing with the key it holds, opening it again, and renewing the
/// directory are each a typed PKCS#11 error, and the directory is left as it was.
#[test]
fn a_token_removed_mid_run_is_a_typed_error_and_nothing_is_written() {
    use kpki_core::{CaKeyUri, CaRole, KubeadmLayout, RenewOptions, RenewTargets};
    let base = softhsm();
    let tmp = TempDir::new("pkcs11-doomed");
    let root = tmp.join("kubernetes");
    let object = softhsm_uri("kpki-doomed", "doomed-etcd-ca");
    let key: CaKeyUri = format!("etcd={object}").parse().unwrap();
    kpki_verify_tests::init(
        &root,
        kpki_verify_tests::example(Compatibility::Current, KeyAlgorithm::EcdsaP256)
            .ca_key(key.clone()),
    );
    let layout = KubeadmLayout::new(&root).with_ca_key(key);
    let etcd_ca = layout.require_ca(CaRole::Etcd).unwrap();
    let req = LeafRequest::new(
        Identity::etcd_healthcheck_client(Compatibility::Current),
        CertificateProfile::Client,
    );
    etcd_ca
        .issue_with_new_key(&req, KeyAlgorithm::EcdsaP256, SystemTime::now())
        .unwrap();
    let before = kpki_testkit::snapshot(&root);

    let mut removed = 0;
    for d in std::fs::read_dir(base.join("softhsm-tokens")).unwrap() {
        let d = d.unwrap().path();
        let label = std::fs::read(d.join("token.object")).unwrap();
        if label.windows(11).any(|w| w == b"kpki-doomed") {
            std::fs::remove_dir_all(&d).unwrap();
            removed += 1;
        }
    }
    assert_eq!(removed, 1, "the kpki-doomed token's directory");

    let token_failed = |e: Error, what: &str| {
        let text = e.to_string();
        assert!(text.contains("token=kpki-doomed"), "{what}: {text}");
        assert!(!text.contains(kpki_testkit::SOFTHSM_PIN), "{what}: {text}");
        // The module fails (CKR_GENERAL_ERROR), or the key it held is gone.
        match problem(e) {
            Pkcs11Problem::Token { .. } | Pkcs11Problem::NoObject => eprintln!("{what}: {text}"),
            other => panic!("{what}: {other:?}"),
        }
    };
    let e = etcd_ca
        .issue_with_new_key(&req, KeyAlgorithm::EcdsaP256, SystemTime::now())
        .unwrap_err();
    token_failed(e, "signing with the open key");
    let e = Pkcs11Key::open(&Pkcs11Uri::parse(&object).unwrap(), None).unwrap_err();
    token_failed(e, "opening the key again");
    let e = layout
        .renew(
            &RenewTargets::All,
            &RenewOptions::default(),
            SystemTime::now(),
        )
        .unwrap_err();
    token_failed(e, "renewing the directory");
    assert_eq!(
        kpki_testkit::snapshot(&root),
        before,
        "the directory changed"
    );
}

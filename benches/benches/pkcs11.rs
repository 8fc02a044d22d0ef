//! Issuing with a CA key in a PKCS#11 token (SoftHSM) next to the raw C_Sign of the same
//! key through cryptoki (the floor: what any PKCS#11 caller pays per signature) and next
//! to the same issuance with an in-memory key.
//!
//! `cargo bench -p kpki-benches --bench pkcs11` (SoftHSM from Debian's softhsm2; the
//! token is made under `$SOFTHSM2_CONF`, which `.cargo/config.toml` points into target/).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, ObjectClass};
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;
use kpki_benches::tbs_der;
use kpki_core::{
    CaRequest, CertificateAuthority, CertificateProfile, Identity, KeyAlgorithm, LeafRequest,
    NodeName, Pkcs11Uri, PrivateKey,
};
use kpki_testkit::{SOFTHSM_MODULE, SOFTHSM_PIN, softhsm, softhsm_uri};

fn token(c: &mut Criterion) {
    softhsm();
    let now = SystemTime::now();
    // The floor, straight through cryptoki: its own context (C_Initialize tolerated as
    // already done), session and login, the same key found by label.
    let ctx = Pkcs11::new(SOFTHSM_MODULE).unwrap();
    let _ = ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK));
    for alg in [KeyAlgorithm::EcdsaP256, KeyAlgorithm::Rsa2048] {
        let object = format!("bench-{}", alg.name());
        let uri = Pkcs11Uri::parse(&softhsm_uri("kpki", &object)).unwrap();
        let ca =
            CertificateAuthority::new_root_in_token(&CaRequest::new("kubernetes"), &uri, alg, now)
                .unwrap();
        let memory = CertificateAuthority::new_root(
            &CaRequest::new("kubernetes"),
            PrivateKey::generate(alg).unwrap(),
            now,
        )
        .unwrap();
        let leaf_key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let req = LeafRequest::new(
            Identity::node(&NodeName::new("node01").unwrap()),
            CertificateProfile::Client,
        );
        let tbs = tbs_der(&ca.issue(&req, leaf_key.public_key(), now).unwrap()).unwrap();

        let slot = ctx
            .get_slots_with_initialized_token()
            .unwrap()
            .into_iter()
            .find(|s| ctx.get_token_info(*s).unwrap().label() == "kpki")
            .unwrap();
        let session = ctx.open_ro_session(slot).unwrap();
        let _ = session.login(UserType::User, Some(&AuthPin::from(SOFTHSM_PIN)));
        let key = session
            .find_objects(&[
                Attribute::Class(ObjectClass::PRIVATE_KEY),
                Attribute::Label(object.into_bytes()),
            ])
            .unwrap()[0];

        let mut g = c.benchmark_group(format!("pkcs11/{}", alg.name()));
        g.measurement_time(Duration::from_secs(4));
        g.bench_function("issue-token", |b| {
            b.iter(|| {
                ca.issue(black_box(&req), black_box(leaf_key.public_key()), now)
                    .unwrap()
            })
        });
        g.bench_function("c-sign", |b| {
            b.iter(|| {
                if alg == KeyAlgorithm::Rsa2048 {
                    session
                        .sign(&Mechanism::Sha256RsaPkcs, key, black_box(&tbs))
                        .unwrap()
                } else {
                    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &tbs);
                    session
                        .sign(&Mechanism::Ecdsa, key, black_box(digest.as_ref()))
                        .unwrap()
                }
            })
        });
        g.bench_function("issue-in-memory", |b| {
            b.iter(|| {
                memory
                    .issue(black_box(&req), black_box(leaf_key.public_key()), now)
                    .unwrap()
            })
        });
        g.finish();
    }
}

criterion_group!(benches, token);
criterion_main!(benches);

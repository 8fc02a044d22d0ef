//! kpki's login to a token dropped behind its back, in a test process of its own: the
//! login is the whole process's, so logging out here would break the token tests
//! running beside it (`pkcs11.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::SystemTime;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::RvError;
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use kpki_core::{
    CaRequest, CertificateAuthority, CertificateProfile, Compatibility, Identity, KeyAlgorithm,
    LeafRequest, Pkcs11Key, Pkcs11Uri,
};
use kpki_testkit::{SOFTHSM_MODULE as MODULE, SOFTHSM_PIN, softhsm_uri};

fn uri(token: &str, object: &str) -> Pkcs11Uri {
    Pkcs11Uri::parse(&softhsm_uri(token, object)).unwrap()
}

/// A session of a second PKCS#11 client of the module, on the `kpki` token. The
/// module is initialised already (by kpki): this client shares it and must not
/// finalise it, so its context is never dropped (the session holds another handle).
fn second_client_session() -> Session {
    let other = std::mem::ManuallyDrop::new(Pkcs11::new(MODULE).unwrap());
    let _ = other.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK));
    let slot = other
        .get_slots_with_initialized_token()
        .unwrap()
        .into_iter()
        .find(|s| other.get_token_info(*s).unwrap().label() == "kpki")
        .unwrap();
    other.open_ro_session(slot).unwrap()
}

/// Logged in (by kpki, or by this client: the state is shared), then out.
fn log_out_behind_kpki(session: &Session) {
    match session.login(UserType::User, Some(&AuthPin::from(SOFTHSM_PIN))) {
        Ok(()) | Err(cryptoki::error::Error::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
        Err(e) => panic!("login: {e}"),
    }
    session.logout().unwrap();
}

/// PKCS#11 login state belongs to the application, not to a session: another part of
/// the process logging out (here a second client of the same module) drops kpki's
/// login too. kpki logs in again with the URI's PIN and signs.
#[test]
fn signing_logs_in_again_after_a_logout_behind_its_back() {
    let u = uri("kpki", "relogin");
    let (key, _) = Pkcs11Key::open_or_generate(&u, KeyAlgorithm::EcdsaP256).unwrap();
    let ca = CertificateAuthority::new_root_with_signer(
        &CaRequest::new("relogin"),
        std::sync::Arc::new(key),
        SystemTime::now(),
    )
    .unwrap();
    let req = LeafRequest::new(
        Identity::etcd_healthcheck_client(Compatibility::Current),
        CertificateProfile::Client,
    );
    let session = second_client_session();
    for round in 0..2 {
        log_out_behind_kpki(&session);
        let leaf = ca
            .issue_with_new_key(&req, KeyAlgorithm::EcdsaP256, SystemTime::now())
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        ca.verify_issued(leaf.certificate(), SystemTime::now())
            .unwrap();
    }
    opening_and_generating_log_in_again_after_a_logout(&session);
}

/// Opening a key after the login was dropped logs in again (else the private key
/// would be invisible, "no such object"), and generating one does too. Called from the
/// test above, not a test of its own: two tests logging out in parallel would race.
fn opening_and_generating_log_in_again_after_a_logout(session: &Session) {
    let u = uri("kpki", "relogin-open");
    Pkcs11Key::open_or_generate(&u, KeyAlgorithm::EcdsaP256).unwrap();
    log_out_behind_kpki(session);
    Pkcs11Key::open(&u, Some(KeyAlgorithm::EcdsaP256)).unwrap();
    session.logout().unwrap();
    let (_, created) =
        Pkcs11Key::open_or_generate(&uri("kpki", "relogin-new"), KeyAlgorithm::Rsa2048).unwrap();
    assert!(created);
}

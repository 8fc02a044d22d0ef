//! Inputs that crashed a fuzz target (fuzz/), replayed through the same public API so
//! the bug stays fixed. Each file in `tests/fuzz-regressions/` is named after its target
//! (`TARGET-what`) and kept exactly as the fuzzer wrote it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kpki_core::{
    CaRequest, CertificateAuthority, CertificateProfile, Csr, GoDuration, Identity, KeyAlgorithm,
    LeafRequest, PrivateKey, SignerPolicy, SigningRequest, SubjectAltNames,
};

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_767_225_600)
}

fn test_ca(common_name: &str) -> CertificateAuthority {
    let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    CertificateAuthority::new_root(&CaRequest::new(common_name), key, now()).unwrap()
}

/// Splits an `identity_sans` input as the target does: CN, groups, SANs (one a line,
/// lists comma-separated).
fn identity_input(data: &[u8]) -> (Identity, SubjectAltNames) {
    let text = std::str::from_utf8(data).unwrap();
    let mut lines = text.splitn(3, '\n');
    let cn = lines.next().unwrap_or_default();
    let list = |l: Option<&str>| -> Vec<String> {
        match l.and_then(|l| l.split('\n').next()) {
            None | Some("") => vec![],
            Some(l) => l.split(',').map(str::to_owned).collect(),
        }
    };
    let groups = list(lines.next());
    let sans = list(lines.next());
    (
        Identity::new(cn, groups).unwrap(),
        SubjectAltNames::parse(&sans).unwrap(),
    )
}

fn inputs(prefix: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut found: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    found.sort();
    assert!(!found.is_empty(), "no {prefix}* input in {}", dir.display());
    found
}

/// `network` target, selector 5: a Go duration past u64 seconds panicked in
/// `Duration::from_secs_f64`; it must be refused (`None`) like any other bad duration.
#[test]
fn go_duration_overflow_is_refused() {
    for (name, data) in inputs("network-go-duration") {
        assert_eq!(data[0] % 8, 5, "{name} is not a Go-duration input");
        let text = std::str::from_utf8(&data[1..]).unwrap();
        assert!(text.parse::<GoDuration>().is_err(), "{name}");
    }
    // The same through a kubeadm configuration file.
    let yaml = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\ncertificateValidityPeriod: 99999999999999999999h\n";
    let err = kpki_core::KubeadmConfig::from_yaml(yaml).unwrap_err();
    assert!(
        err.to_string().contains("certificateValidityPeriod"),
        "{err}"
    );
}

/// `identity_sans`: a certificate for a user in several groups carried only the last O
/// (rcgen keeps one value per attribute type); every group must be there, in order.
#[test]
fn several_groups_are_all_issued() {
    let ca = test_ca("kubernetes");
    let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    for (name, data) in inputs("identity_sans-several-groups") {
        let (identity, sans) = identity_input(&data);
        assert!(identity.organizations().len() > 1, "{name}");
        let req = LeafRequest::new(identity.clone(), CertificateProfile::Client).with_sans(sans);
        let cert = ca.issue(&req, key.public_key(), now()).unwrap();
        let info = cert.info().unwrap();
        assert_eq!(info.organizations, identity.organizations(), "{name}");
        assert_eq!(
            info.subject_common_name.as_deref(),
            Some(identity.common_name())
        );
    }
}

/// `identity_sans` / `csr_signed`: a '?' in a CN or O (a PrintableString character that
/// rcgen accepts and its DER writer yasna panics on) crashed CA creation, CSR generation
/// and signing. Each must work and keep the name.
#[test]
fn question_marks_in_names_do_not_panic() {
    let ca = test_ca("cluster?ca");
    assert_eq!(
        ca.certificate()
            .info()
            .unwrap()
            .subject_common_name
            .as_deref(),
        Some("cluster?ca")
    );
    let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    for (name, data) in inputs("identity_sans-question-mark") {
        let (identity, sans) = identity_input(&data);
        let req = LeafRequest::new(identity.clone(), CertificateProfile::Server).with_sans(sans);
        let info = ca
            .issue(&req, key.public_key(), now())
            .unwrap()
            .info()
            .unwrap();
        assert_eq!(info.subject_common_name.as_deref(), Some("a?b"), "{name}");
        assert_eq!(info.organizations, ["team?", "dev"], "{name}");
        ca.verify_issued(&ca.issue(&req, key.public_key(), now()).unwrap(), now())
            .unwrap();

        let csr = Csr::generate(&identity, &SubjectAltNames::new(), &key).unwrap();
        assert_eq!(csr.info().common_names, ["a?b"]);
        assert_eq!(csr.info().organizations, ["team?", "dev"]);
    }
    // A CSR made by openssl with such names, signed by a built-in signer.
    for (name, data) in inputs("csr-question-mark") {
        let csr = Csr::from_pem(std::str::from_utf8(&data).unwrap()).unwrap();
        let policy = SignerPolicy::kube_apiserver_client();
        let request = SigningRequest::for_csr(&csr, &policy, Some(3600)).unwrap();
        let cert = ca.sign_csr(&csr, &policy, &request, now()).unwrap();
        let info = cert.info().unwrap();
        assert_eq!(info.subject_common_name.as_deref(), Some("a?b"), "{name}");
        assert_eq!(info.organizations, ["dev?"], "{name}");
    }
}

/// `ca_from_pem`: a CA loaded from PEM whose subject rcgen cannot reproduce byte for
/// byte (a repeated attribute type; an attribute not tagged SEQUENCE) issued leaves
/// whose issuer name differed from the CA's subject, so they did not chain. A loaded CA
/// must either be refused or issue leaves that verify under it.
#[test]
fn loaded_cas_issue_leaves_that_chain() {
    let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let identity = Identity::new("leaf", ["fuzzers"]).unwrap();
    let req = LeafRequest::new(identity, CertificateProfile::Client)
        .with_validity(Duration::from_secs(3600));
    for (name, data) in inputs("ca_from_pem") {
        let text = std::str::from_utf8(&data).unwrap();
        let ca = match CertificateAuthority::from_pem(text, text) {
            Ok(ca) => ca,
            // An openssl-made CA with O=Ops, O=Dev is fine and must load.
            Err(e) if name.contains("repeated-organization") => panic!("{name}: {e}"),
            Err(_) => continue, // refusing a malformed name is a correct answer
        };
        let nb = ca
            .not_before()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let na = ca.not_after().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let mid = UNIX_EPOCH + Duration::from_secs(nb + (na - nb) / 2);
        let leaf = ca.issue(&req, key.public_key(), mid).unwrap();
        if let Err(e) = ca.verify_issued(&leaf, mid) {
            panic!("{name}: {e}");
        }
        assert_eq!(
            leaf.info().unwrap().issuer_der,
            ca.certificate().info().unwrap().subject_der,
            "{name}"
        );
    }
}

//! Real kubeadm v1.28.7 output (kpki-testkit's `fixtures/kubeadm-1.28/{rsa,ecdsa}`, a
//! copy of the project's `shared/fixtures`, so a clean clone has it): kpki loads it, reports
//! its expiry like `kubeadm certs check-expiration`, and — given the fixture's CAs in a
//! fresh directory (kubeadm's bring-your-own-CA) — issues leaves that chain to those
//! CAs and match kubeadm's, field for field, as parsed by x509-cert.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use kpki_core::{
    CaRole, CertificateName, ClusterSpecBuilder, Compatibility, ExpiryReport, FileAction,
    KeyAlgorithm, KubeadmConfig, KubeadmLayout,
};
use kpki_verify_tests::*;

fn fixture(kind: &str) -> PathBuf {
    kubeadm_128_fixture(kind)
}

/// 2027-01-01T00:00:00Z: inside every fixture certificate's validity (they expire in
/// November 2027, the CAs in 2036), so results do not depend on the wall clock.
fn fixed_now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_798_761_600)
}

const LEAVES: [(&str, CertificateName); 7] = [
    ("pki/apiserver", CertificateName::ApiServer),
    (
        "pki/apiserver-kubelet-client",
        CertificateName::ApiServerKubeletClient,
    ),
    (
        "pki/apiserver-etcd-client",
        CertificateName::ApiServerEtcdClient,
    ),
    ("pki/front-proxy-client", CertificateName::FrontProxyClient),
    ("pki/etcd/server", CertificateName::EtcdServer),
    ("pki/etcd/peer", CertificateName::EtcdPeer),
    (
        "pki/etcd/healthcheck-client",
        CertificateName::EtcdHealthcheckClient,
    ),
];

const CONFS: [&str; 4] = [
    "admin.conf",
    "kubelet.conf",
    "controller-manager.conf",
    "scheduler.conf",
];

fn check_load(kind: &str, alg: KeyAlgorithm) {
    let tmp = TempDir::new("fixture-load");
    copy_fixture(&fixture(kind), tmp.path());
    let loaded = KubeadmLayout::new(tmp.path()).load().unwrap();

    for (role, stem) in [
        (CaRole::Kubernetes, "pki/ca"),
        (CaRole::Etcd, "pki/etcd/ca"),
        (CaRole::FrontProxy, "pki/front-proxy-ca"),
    ] {
        let ca = loaded
            .cas
            .get(&role)
            .unwrap_or_else(|| panic!("{kind}: no {role} CA"));
        assert!(ca.can_issue(), "{kind}: {role} CA loaded without its key");
        let oracle = Parsed::from_pem_file(&tmp.join(format!("{stem}.crt"))).unwrap();
        assert_eq!(
            ca.certificate().der(),
            oracle.der.as_slice(),
            "{kind} {stem}"
        );
        assert_eq!(ca.public_key().spki_der(), oracle.spki_der().as_slice());
        assert_eq!(
            ca.private_key().unwrap().algorithm(),
            alg,
            "{kind} {stem}.key"
        );
    }
    assert!(!loaded.cas.contains_key(&CaRole::Client));

    assert_eq!(loaded.certificates.len(), 7, "{kind}");
    for (stem, name) in &LEAVES {
        let c = loaded
            .certificates
            .iter()
            .find(|c| &c.name == name)
            .unwrap_or_else(|| panic!("{kind}: {stem} not loaded"));
        let oracle = Parsed::from_pem_file(&tmp.join(format!("{stem}.crt"))).unwrap();
        assert_eq!(c.certificate.der(), oracle.der.as_slice(), "{kind} {stem}");
        // The key file (PKCS#1 or SEC1, as kubeadm wrote it) is the certificate's.
        let key = c.key.as_ref().unwrap();
        assert_eq!(key.algorithm(), alg, "{kind} {stem}.key");
        assert_eq!(
            key.public_key().spki_der(),
            oracle.spki_der().as_slice(),
            "{kind} {stem}"
        );
        let info = c.certificate.info().unwrap();
        assert_eq!(
            info.subject_common_name,
            oracle.common_name(),
            "{kind} {stem}"
        );
        assert_eq!(info.organizations, oracle.organizations(), "{kind} {stem}");
    }

    let confs: Vec<String> = loaded
        .kubeconfigs
        .iter()
        .map(|k| k.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let mut want: Vec<String> = CONFS.iter().map(|s| (*s).to_owned()).collect();
    let mut got = confs.clone();
    want.sort();
    got.sort();
    assert_eq!(got, want, "{kind}");
    for k in &loaded.kubeconfigs {
        let file = k.path.file_name().unwrap().to_string_lossy().into_owned();
        let view = kubectl_view(&k.path, false).unwrap();
        let cert_pem = b64(view["users"][0]["user"]["client-certificate-data"]
            .as_str()
            .unwrap())
        .unwrap();
        let oracle = Parsed::from_pem_bytes(&cert_pem).unwrap();
        let cert = k.kubeconfig.client_certificate().unwrap().unwrap();
        assert_eq!(cert.der(), oracle.der.as_slice(), "{kind} {file}");
        let key = k.kubeconfig.client_key().unwrap().unwrap();
        assert_eq!(
            key.public_key().spki_der(),
            oracle.spki_der().as_slice(),
            "{kind} {file}"
        );
        assert_eq!(
            k.kubeconfig.current_context,
            format!("{}@kubernetes", oracle.common_name().unwrap()),
            "{kind} {file}"
        );
    }
    let sa = loaded.service_account_key.as_ref().unwrap();
    assert_eq!(sa.algorithm(), alg, "{kind} sa.key");
    let (label, spki) = read_single_pem(&tmp.join("pki/sa.pub"));
    assert_eq!(label, "PUBLIC KEY");
    assert_eq!(sa.public_key().spki_der(), spki.as_slice(), "{kind} sa.pub");
}

#[test]
fn loads_kubeadm_128_rsa_directory() {
    check_load("rsa", KeyAlgorithm::Rsa2048);
}

#[test]
fn loads_kubeadm_128_ecdsa_directory() {
    check_load("ecdsa", KeyAlgorithm::EcdsaP256);
}

#[test]
fn expiry_report_lists_what_kubeadm_check_expiration_lists() {
    for kind in ["rsa", "ecdsa"] {
        let tmp = TempDir::new("fixture-expiry");
        copy_fixture(&fixture(kind), tmp.path());
        let now = fixed_now();
        let loaded = KubeadmLayout::new(tmp.path()).load().unwrap();
        let report = ExpiryReport::from_loaded(&loaded, now).unwrap();

        // Every leaf, plus the certs embedded in admin/controller-manager/scheduler.conf
        // (not kubelet.conf), then the three CAs.
        let mut names: Vec<&str> = report
            .certificates
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        names.sort_unstable();
        let mut want = vec![
            "admin.conf",
            "apiserver",
            "apiserver-etcd-client",
            "apiserver-kubelet-client",
            "controller-manager.conf",
            "etcd-healthcheck-client",
            "etcd-peer",
            "etcd-server",
            "front-proxy-client",
            "scheduler.conf",
            // kubeadm ≥ 1.29 lists it; v1.28.7 did not write it.
            "super-admin.conf",
        ];
        want.sort_unstable();
        assert_eq!(names, want, "{kind}");
        assert_eq!(report.authorities.len(), 3, "{kind}");
        let missing: Vec<&str> = report
            .certificates
            .iter()
            .filter(|e| e.missing())
            .map(|e| e.name.as_str())
            .collect();
        assert_eq!(missing, ["super-admin.conf"], "{kind}");

        // Each entry's expiry and issuer, against the oracle's reading of the file.
        for e in report.certificates.iter().filter(|e| !e.missing()) {
            let oracle = match e.name.strip_suffix(".conf") {
                Some(_) => {
                    let v = kubectl_view(&e.path, false).unwrap();
                    Parsed::from_pem_bytes(
                        &b64(v["users"][0]["user"]["client-certificate-data"]
                            .as_str()
                            .unwrap())
                        .unwrap(),
                    )
                    .unwrap()
                }
                None => Parsed::from_pem_file(&e.path).unwrap(),
            };
            assert_eq!(e.not_after, Some(oracle.not_after()), "{kind} {}", e.name);
            let left = oracle.not_after().duration_since(now).unwrap().as_secs();
            assert_eq!(e.residual_seconds, left as i64, "{kind} {}", e.name);
            let issuer = Parsed::name_attrs(&oracle.cert.tbs_certificate.issuer).unwrap();
            assert_eq!(
                e.issuer.as_deref(),
                Some(issuer[0].2.as_str()),
                "{kind} {}",
                e.name
            );
            assert!(!e.externally_managed, "{kind} {}", e.name);
        }
        for (e, file) in report.authorities.iter().zip([
            "pki/ca.crt",
            "pki/etcd/ca.crt",
            "pki/front-proxy-ca.crt",
        ]) {
            assert_eq!(e.path, tmp.join(file), "{kind}");
            let oracle = Parsed::from_pem_file(&e.path).unwrap();
            assert_eq!(e.not_after, Some(oracle.not_after()), "{kind} {}", e.name);
            assert!(e.residual_seconds > 9 * 365 * 86_400);
        }
        let table = report.to_table();
        for n in &want {
            assert!(table.contains(n), "{kind}: {n} missing from\n{table}");
        }

        // After November 2027 every leaf has expired; the CAs have not.
        let later = now + Duration::from_secs(365 * 86_400);
        let report = ExpiryReport::from_loaded(&loaded, later).unwrap();
        assert!(
            report
                .certificates
                .iter()
                .all(|e| e.missing() || e.residual_seconds < 0),
            "{kind}"
        );
        assert!(
            report.authorities.iter().all(|e| e.residual_seconds > 0),
            "{kind}"
        );
        assert_eq!(report.expiring_within(Duration::ZERO).len(), 10, "{kind}");
        assert!(report.to_table().contains("<invalid>"));

        // Without ca.key the cluster CA is "externally managed", and so is what it signs.
        std::fs::remove_file(tmp.join("pki/ca.key")).unwrap();
        let loaded = KubeadmLayout::new(tmp.path()).load().unwrap();
        let report = ExpiryReport::from_loaded(&loaded, now).unwrap();
        for e in report.certificates.iter().filter(|e| !e.missing()) {
            let by_cluster_ca = e.issuer.as_deref() == Some("kubernetes");
            assert_eq!(e.externally_managed, by_cluster_ca, "{kind} {}", e.name);
        }
        let ca = report.authorities.iter().find(|e| e.name == "ca").unwrap();
        assert!(ca.externally_managed);
    }
}

/// The extensions of a certificate as (OID, critical, DER value), sorted by OID.
fn extension_fields(p: &Parsed) -> Vec<(String, bool, Vec<u8>)> {
    let mut v: Vec<_> = p
        .extensions()
        .into_iter()
        .map(|(o, c, d)| (o.to_string(), c, d))
        .collect();
    v.sort();
    v
}

/// kpki's leaf vs kubeadm's leaf of the same name, under the same CA: every field that
/// does not depend on the key or the moment must be equal, byte for byte.
fn same_fields(what: &str, ours: &Parsed, kubeadm: &Parsed, same_key_alg: bool) {
    assert_eq!(ours.subject_der(), kubeadm.subject_der(), "{what}: subject");
    assert_eq!(ours.issuer_der(), kubeadm.issuer_der(), "{what}: issuer");
    assert_eq!(
        ours.cert.signature_algorithm, kubeadm.cert.signature_algorithm,
        "{what}: signature algorithm"
    );
    assert_eq!(
        ours.cert.tbs_certificate.version, kubeadm.cert.tbs_certificate.version,
        "{what}: version"
    );
    // 1.28: notBefore is the CA's, for both.
    assert_eq!(ours.not_before(), kubeadm.not_before(), "{what}: notBefore");
    // The extensions stand in kubeadm's order (Go's: keyUsage, extKeyUsage,
    // basicConstraints, authorityKeyIdentifier, subjectAltName).
    let order = |p: &Parsed| -> Vec<(String, bool)> {
        p.extensions()
            .into_iter()
            .map(|(o, c, _)| (o.to_string(), c))
            .collect()
    };
    assert_eq!(order(ours), order(kubeadm), "{what}: extension order");
    let ours_ext = extension_fields(ours);
    let theirs = extension_fields(kubeadm);
    // keyUsage depends on the key type only through keyEncipherment, which 1.28 sets
    // for every key: equal too.
    assert_eq!(
        ours_ext.iter().map(|e| (&e.0, e.1)).collect::<Vec<_>>(),
        theirs.iter().map(|e| (&e.0, e.1)).collect::<Vec<_>>(),
        "{what}: extension set / criticality"
    );
    for (a, b) in ours_ext.iter().zip(&theirs) {
        assert_eq!(a.2, b.2, "{what}: extension {} differs", a.0);
    }
    if same_key_alg {
        assert_eq!(
            ours.cert.tbs_certificate.subject_public_key_info.algorithm,
            kubeadm
                .cert
                .tbs_certificate
                .subject_public_key_info
                .algorithm,
            "{what}: key algorithm"
        );
    }
}

fn byo_fixture_ca(kind: &str, alg: &str) {
    let src = fixture(kind);
    let tmp = TempDir::new("fixture-byo");
    let dir = tmp.join("kubernetes");
    let cas = [
        "pki/ca.crt",
        "pki/ca.key",
        "pki/etcd/ca.crt",
        "pki/etcd/ca.key",
        "pki/front-proxy-ca.crt",
        "pki/front-proxy-ca.key",
    ];
    for f in cas {
        let to = dir.join(f);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(src.join(f), &to).unwrap();
        let mode = if f.ends_with(".key") { 0o600 } else { 0o644 };
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    // The fixture's own kubeadm configuration: node cp-1, 192.168.50.11, 10.100.0.0/16,
    // corp.local, extra SAN api.corp.example.
    let config = src.join("kubeadm-config.yaml");
    let cfg = KubeadmConfig::from_yaml(&std::fs::read_to_string(&config).unwrap()).unwrap();
    assert_eq!(cfg.node_name.as_ref().unwrap().as_str(), "cp-1");
    // The file alone picks the key algorithm: the ECDSA fixture's kubeadm 1.28 file
    // says `featureGates: {PublicKeysECDSA: true}` (v1beta3 has no encryptionAlgorithm).
    let want_alg = match alg {
        "ecdsa-p256" => Some(KeyAlgorithm::EcdsaP256),
        _ => None,
    };
    assert_eq!(cfg.key_algorithm, want_alg, "{kind}");
    let report = init(
        &dir,
        ClusterSpecBuilder::new()
            .kubeadm_config(cfg)
            .compatibility(Compatibility::Kubeadm128),
    );
    let kept: Vec<_> = report
        .files
        .iter()
        .filter(|f| f.action == FileAction::Kept)
        .collect();
    assert_eq!(kept.len(), cas.len(), "the CAs were not reported as reused");

    // The CAs were reused as they were.
    for f in cas {
        assert_eq!(
            std::fs::read(dir.join(f)).unwrap(),
            std::fs::read(src.join(f)).unwrap(),
            "{kind}: {f} changed"
        );
    }
    let now = SystemTime::now();
    let same_alg = kind == "rsa" || alg == "ecdsa-p256";
    for (stem, _) in &LEAVES {
        let ours = Parsed::from_pem_file(&dir.join(format!("{stem}.crt"))).unwrap();
        let theirs = Parsed::from_pem_file(&src.join(format!("{stem}.crt"))).unwrap();
        let what = format!("{kind} {stem}");
        same_fields(&what, &ours, &theirs, same_alg);
        // Chains to the fixture's CA: webpki and openssl.
        let issuer = if stem.contains("etcd") {
            "pki/etcd/ca.crt"
        } else if stem.contains("front-proxy") {
            "pki/front-proxy-ca.crt"
        } else {
            "pki/ca.crt"
        };
        let ca = Parsed::from_pem_file(&src.join(issuer)).unwrap();
        let eku = ours.extended_key_usage().unwrap().unwrap().1.0;
        for (oid, purpose, name) in [
            (OID_SERVER_AUTH, Purpose::Server, "sslserver"),
            (OID_CLIENT_AUTH, Purpose::Client, "sslclient"),
        ] {
            if eku.contains(&oid) {
                webpki_verify(&ours.der, &ca.der, purpose, now)
                    .unwrap_or_else(|e| panic!("{what}: {e}"));
                openssl_verify(
                    &src.join(issuer),
                    &dir.join(format!("{stem}.crt")),
                    Some(name),
                )
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            }
        }
        // notAfter = now + 365 d.
        let left = ours.not_after().duration_since(now).unwrap();
        assert!(
            left > Duration::from_secs(365 * 86_400 - 120)
                && left <= Duration::from_secs(365 * 86_400),
            "{what}: notAfter is {left:?} from now"
        );
    }
    // The kubeconfigs: same server, names and CA as kubeadm's; the client certs match
    // kubeadm's field for field (kubeadm 1.28 gave them RSA keys even with ECDSA).
    for conf in CONFS {
        let ours = kubectl_view(&dir.join(conf), false).unwrap();
        let theirs = kubectl_view(&src.join(conf), false).unwrap();
        for ptr in [
            "/clusters/0/name",
            "/clusters/0/cluster/server",
            "/clusters/0/cluster/certificate-authority-data",
            "/contexts/0/name",
            "/contexts/0/context/cluster",
            "/contexts/0/context/user",
            "/users/0/name",
            "/current-context",
        ] {
            assert_eq!(
                ours.pointer(ptr),
                theirs.pointer(ptr),
                "{kind} {conf} {ptr}"
            );
        }
        let cert = |v: &serde_json::Value| {
            Parsed::from_pem_bytes(
                &b64(v["users"][0]["user"]["client-certificate-data"]
                    .as_str()
                    .unwrap())
                .unwrap(),
            )
            .unwrap()
        };
        let (o, t) = (cert(&ours), cert(&theirs));
        same_fields(&format!("{kind} {conf}"), &o, &t, kind == "rsa");
        let ca = Parsed::from_pem_file(&src.join("pki/ca.crt")).unwrap();
        webpki_verify(&o.der, &ca.der, Purpose::Client, now)
            .unwrap_or_else(|e| panic!("{kind} {conf}: {e}"));
    }
}

#[test]
fn fixture_rsa_ca_issues_leaves_identical_to_kubeadm_128() {
    byo_fixture_ca("rsa", "rsa-2048");
}

#[test]
fn fixture_ecdsa_ca_issues_leaves_identical_to_kubeadm_128() {
    byo_fixture_ca("ecdsa", "ecdsa-p256");
}

/// The copy in kpki-testkit is the project's shared fixture, byte for byte, when
/// ../shared sits beside the repository (it may not in CI's clean clone; the tests above
/// use the copy either way).
#[test]
fn vendored_fixtures_equal_the_shared_ones_when_present() {
    let shared =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/kubeadm-1.28");
    let ours = kubeadm_128_fixture("rsa").parent().unwrap().to_path_buf();
    let files = list_files(&ours);
    assert!(
        files.len() >= 50,
        "the vendored fixture is incomplete: {files:?}"
    );
    if !shared.exists() {
        eprintln!("note: {} absent; compared nothing", shared.display());
        return;
    }
    assert_eq!(list_files(&shared), files);
    for f in files {
        assert_eq!(
            std::fs::read(shared.join(&f)).unwrap(),
            std::fs::read(ours.join(&f)).unwrap(),
            "{f} differs from shared/"
        );
    }
}

/// SHA-1 of `bytes`, by openssl (an implementation kpki does not use).
fn openssl_sha1(bytes: &[u8]) -> Vec<u8> {
    let out = run_piped(
        std::process::Command::new("openssl").args(["dgst", "-sha1", "-binary"]),
        Some(bytes),
    );
    assert!(out.status.success());
    out.stdout
}

/// kpki's CAs are written as kubeadm writes its CAs: the same extensions, critical
/// where kubeadm's are, in kubeadm's order, and a subjectKeyIdentifier that is the SHA-1
/// of the key's bits (RFC 5280 §4.2.1.2 method 1, as Go computes it) — checked against
/// the real kubeadm 1.28 CAs. Leaves carry no subjectKeyIdentifier, as kubeadm's.
#[test]
fn cas_and_leaves_have_kubeadms_extensions_in_kubeadms_order() {
    let tmp = TempDir::new("fixture-order");
    for (kind, alg, profile) in [
        ("rsa", KeyAlgorithm::Rsa2048, Compatibility::Kubeadm128),
        ("ecdsa", KeyAlgorithm::EcdsaP256, Compatibility::Kubeadm128),
        // The order and the SKI method are the same in the current profile.
        ("rsa", KeyAlgorithm::Rsa2048, Compatibility::Current),
        ("ecdsa", KeyAlgorithm::EcdsaP256, Compatibility::Current),
    ] {
        let dir = tmp.join(format!("{kind}-{profile}"));
        init_example(&dir, profile, alg);
        let order = |p: &Parsed| -> Vec<(String, bool)> {
            p.extensions()
                .into_iter()
                .map(|(o, c, _)| (o.to_string(), c))
                .collect()
        };
        for ca in ["pki/ca.crt", "pki/etcd/ca.crt", "pki/front-proxy-ca.crt"] {
            let ours = Parsed::from_pem_file(&dir.join(ca)).unwrap();
            let theirs = Parsed::from_pem_file(&fixture(kind).join(ca)).unwrap();
            assert_eq!(order(&ours), order(&theirs), "{kind} {ca}");
            let spki = &ours.cert.tbs_certificate.subject_public_key_info;
            let bits = spki.subject_public_key.raw_bytes();
            let sha1 = openssl_sha1(bits);
            let ski = ours
                .extensions()
                .into_iter()
                .find(|(o, _, _)| o.to_string() == "2.5.29.14")
                .map(|(_, _, v)| v)
                .unwrap_or_else(|| panic!("{kind} {ca}: no subjectKeyIdentifier"));
            // OCTET STRING (0x04, 20) wrapping the identifier.
            assert_eq!(&ski[2..], sha1.as_slice(), "{kind} {ca}: SKI method");
            // kubeadm's own CA follows the same method (so the check is the right one).
            let theirs_bits = theirs
                .cert
                .tbs_certificate
                .subject_public_key_info
                .subject_public_key
                .raw_bytes();
            let theirs_ski = theirs
                .extensions()
                .into_iter()
                .find(|(o, _, _)| o.to_string() == "2.5.29.14")
                .map(|(_, _, v)| v)
                .unwrap();
            assert_eq!(
                &theirs_ski[2..],
                openssl_sha1(theirs_bits).as_slice(),
                "kubeadm's {kind} {ca}"
            );
        }
        for leaf in [
            "pki/apiserver.crt",
            "pki/apiserver-kubelet-client.crt",
            "pki/apiserver-etcd-client.crt",
            "pki/front-proxy-client.crt",
            "pki/etcd/server.crt",
            "pki/etcd/peer.crt",
            "pki/etcd/healthcheck-client.crt",
        ] {
            let ours = Parsed::from_pem_file(&dir.join(leaf)).unwrap();
            let theirs = Parsed::from_pem_file(&fixture(kind).join(leaf)).unwrap();
            assert_eq!(order(&ours), order(&theirs), "{kind} {leaf}");
            assert!(
                !order(&ours).iter().any(|(o, _)| o == "2.5.29.14"),
                "{kind} {leaf}: a leaf has no subjectKeyIdentifier"
            );
        }
    }
}

/// Every `*-data` field of every kubeconfig is one line, as kubeadm writes them, so the
/// line-based idiom reads them: `grep client-certificate-data admin.conf | awk '{print
/// $2}' | base64 -d` gives the certificate.
#[test]
fn kubeconfig_data_fields_are_one_line_each() {
    let tmp = TempDir::new("kubeconfig-lines");
    let dir = tmp.join("pki");
    init_example(&dir, Compatibility::Current, KeyAlgorithm::EcdsaP256);
    for conf in [
        "admin.conf",
        "super-admin.conf",
        "kubelet.conf",
        "controller-manager.conf",
        "scheduler.conf",
    ] {
        let text = std::fs::read_to_string(dir.join(conf)).unwrap();
        for field in [
            "certificate-authority-data",
            "client-certificate-data",
            "client-key-data",
        ] {
            let lines: Vec<&str> = text
                .lines()
                .filter(|l| l.trim_start().starts_with(&format!("{field}:")))
                .collect();
            assert_eq!(lines.len(), 1, "{conf} {field}");
            let value = lines[0].split_whitespace().nth(1).unwrap_or_default();
            assert!(
                value.len() > 100
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)),
                "{conf} {field}: not one base64 line: {}",
                lines[0]
            );
        }
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "grep client-certificate-data '{}' | awk '{{print $2}}' | base64 -d | openssl x509 -noout -subject",
                dir.join(conf).display()
            ))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{conf}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("subject="),
            "{conf}"
        );
    }
}

//! Every row of `SPEC.md` (the compatibility target: what kubeadm writes), asserted on
//! `kpki init`'s output (`KubeadmLayout::init`, the core call of every door) parsed by an independent X.509 implementation (RustCrypto's
//! `x509-cert`), with chains checked by `rustls-webpki` and `openssl verify`, keys by
//! `openssl pkey`, kubeconfigs by `kubectl`. Both profiles × RSA-2048 and ECDSA-P256,
//! with SPEC.md's example inputs.
//!
//! The SPEC facts are copied below as data tables; a failure names its row.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, SystemTime};

use der::asn1::ObjectIdentifier;
use der::{Tag, Tagged as _};
use kpki_core::{
    CaRequest, CaRole, CaSource, CertificateAuthority, ClusterSpec, Compatibility, KeyAlgorithm,
    KubeadmLayout, NodeName, PrivateKey, SubjectAltNames,
};
use kpki_verify_tests::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Profile {
    Current,
    Kubeadm128,
}

impl Profile {
    fn compat(self) -> Compatibility {
        match self {
            Profile::Current => Compatibility::Current,
            Profile::Kubeadm128 => Compatibility::Kubeadm128,
        }
    }
}

fn key_algorithm(alg: Alg) -> KeyAlgorithm {
    match alg {
        Alg::Rsa2048 => KeyAlgorithm::Rsa2048,
        Alg::EcdsaP256 => KeyAlgorithm::EcdsaP256,
    }
}

// ---- SPEC.md, "Rules that hold for every file" ------------------------------------
const CA_VALIDITY: Duration = Duration::from_secs(3650 * 86_400);
const LEAF_VALIDITY: Duration = Duration::from_secs(365 * 86_400);
const BACKDATE: Duration = FIVE_MINUTES;
const MAX_CN_BYTES: usize = 64;

// ---- SPEC.md, "Files": the CAs --------------------------------------------------------
struct CaRow {
    /// The SPEC row, for messages.
    row: &'static str,
    stem: &'static str,
    cn: &'static str,
}

const CA_ROWS: [CaRow; 3] = [
    CaRow {
        row: "pki/ca.crt/.key",
        stem: "pki/ca",
        cn: "kubernetes",
    },
    CaRow {
        row: "pki/front-proxy-ca.crt/.key",
        stem: "pki/front-proxy-ca",
        cn: "front-proxy-ca",
    },
    CaRow {
        row: "pki/etcd/ca.crt/.key",
        stem: "pki/etcd/ca",
        cn: "etcd-ca",
    },
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Eku {
    Server,
    Client,
}

/// SPEC.md's example inputs give these SAN lists; the order is kubeadm's (DNS names
/// sorted and de-duplicated by `RemoveDuplicateAltNames`, then IPs in insertion order:
/// service IP, advertise address, endpoint IP, extra IPs).
const APISERVER_SANS: [&str; 10] = [
    "DNS:cp.example.internal",
    "DNS:extra.example.com",
    "DNS:kubernetes",
    "DNS:kubernetes.default",
    "DNS:kubernetes.default.svc",
    "DNS:kubernetes.default.svc.cluster.local",
    "DNS:node01",
    "IP:10.96.0.1",
    "IP:10.0.0.10",
    "IP:192.0.2.7",
];
/// etcd server/peer: "DNS localhost, node name; IP advertise address, 127.0.0.1, ::1".
const ETCD_SANS: [&str; 5] = [
    "DNS:localhost",
    "DNS:node01",
    "IP:10.0.0.10",
    "IP:127.0.0.1",
    "IP:::1",
];

struct LeafRow {
    row: &'static str,
    stem: &'static str,
    cn: &'static str,
    /// O for kubeadm 1.28.
    o_128: &'static [&'static str],
    /// O for kubeadm ≥ 1.31 (profile `current`).
    o_current: &'static [&'static str],
    /// The issuing CA's stem.
    issuer: &'static str,
    eku: &'static [Eku],
    sans: &'static [&'static str],
}

const LEAF_ROWS: [LeafRow; 7] = [
    LeafRow {
        row: "pki/apiserver.crt/.key",
        stem: "pki/apiserver",
        cn: "kube-apiserver",
        o_128: &[],
        o_current: &[],
        issuer: "pki/ca",
        eku: &[Eku::Server],
        sans: &APISERVER_SANS,
    },
    LeafRow {
        row: "pki/apiserver-kubelet-client.crt/.key",
        stem: "pki/apiserver-kubelet-client",
        cn: "kube-apiserver-kubelet-client",
        o_128: &["system:masters"],
        o_current: &["kubeadm:cluster-admins"],
        issuer: "pki/ca",
        eku: &[Eku::Client],
        sans: &[],
    },
    LeafRow {
        row: "pki/apiserver-etcd-client.crt/.key",
        stem: "pki/apiserver-etcd-client",
        cn: "kube-apiserver-etcd-client",
        o_128: &["system:masters"],
        o_current: &[],
        issuer: "pki/etcd/ca",
        eku: &[Eku::Client],
        sans: &[],
    },
    LeafRow {
        row: "pki/front-proxy-client.crt/.key",
        stem: "pki/front-proxy-client",
        cn: "front-proxy-client",
        o_128: &[],
        o_current: &[],
        issuer: "pki/front-proxy-ca",
        eku: &[Eku::Client],
        sans: &[],
    },
    LeafRow {
        row: "pki/etcd/server.crt/.key",
        stem: "pki/etcd/server",
        cn: "node01",
        o_128: &[],
        o_current: &[],
        issuer: "pki/etcd/ca",
        eku: &[Eku::Server, Eku::Client],
        sans: &ETCD_SANS,
    },
    LeafRow {
        row: "pki/etcd/peer.crt/.key",
        stem: "pki/etcd/peer",
        cn: "node01",
        o_128: &[],
        o_current: &[],
        issuer: "pki/etcd/ca",
        eku: &[Eku::Server, Eku::Client],
        sans: &ETCD_SANS,
    },
    LeafRow {
        row: "pki/etcd/healthcheck-client.crt/.key",
        stem: "pki/etcd/healthcheck-client",
        cn: "kube-etcd-healthcheck-client",
        o_128: &["system:masters"],
        o_current: &[],
        issuer: "pki/etcd/ca",
        eku: &[Eku::Client],
        sans: &[],
    },
];

// ---- SPEC.md, "Kubeconfigs" -------------------------------------------------------------
struct ConfRow {
    file: &'static str,
    user: &'static str,
    o_128: &'static [&'static str],
    o_current: &'static [&'static str],
    server: &'static str,
    /// super-admin.conf exists from kubeadm 1.29 on only.
    in_128: bool,
}

const ENDPOINT_URL: &str = "https://cp.example.internal:6443";
const LOCAL_URL: &str = "https://10.0.0.10:6443";

const CONF_ROWS: [ConfRow; 5] = [
    ConfRow {
        file: "admin.conf",
        user: "kubernetes-admin",
        o_128: &["system:masters"],
        o_current: &["kubeadm:cluster-admins"],
        server: ENDPOINT_URL,
        in_128: true,
    },
    ConfRow {
        file: "super-admin.conf",
        user: "kubernetes-super-admin",
        o_128: &["system:masters"],
        o_current: &["system:masters"],
        server: ENDPOINT_URL,
        in_128: false,
    },
    ConfRow {
        file: "kubelet.conf",
        user: "system:node:node01",
        o_128: &["system:nodes"],
        o_current: &["system:nodes"],
        server: ENDPOINT_URL,
        in_128: true,
    },
    ConfRow {
        file: "controller-manager.conf",
        user: "system:kube-controller-manager",
        o_128: &[],
        o_current: &[],
        server: LOCAL_URL,
        in_128: true,
    },
    ConfRow {
        file: "scheduler.conf",
        user: "system:kube-scheduler",
        o_128: &[],
        o_current: &[],
        server: LOCAL_URL,
        in_128: true,
    },
];

// ---- the checker --------------------------------------------------------------------

/// When the run happened: certificates say `now`; with the CLI we only know it lies in
/// `[lo, hi]` (whole seconds, as certificates carry them).
#[derive(Clone, Copy)]
struct Window {
    lo: SystemTime,
    hi: SystemTime,
}

fn floor_s(t: SystemTime) -> SystemTime {
    let d = t.duration_since(SystemTime::UNIX_EPOCH).unwrap();
    SystemTime::UNIX_EPOCH + Duration::from_secs(d.as_secs())
}

fn ceil_s(t: SystemTime) -> SystemTime {
    let d = t.duration_since(SystemTime::UNIX_EPOCH).unwrap();
    SystemTime::UNIX_EPOCH + Duration::from_secs(d.as_secs() + u64::from(d.subsec_nanos() > 0))
}

impl Window {
    fn contains(&self, t: SystemTime, offset_back: Duration, offset_fwd: Duration) -> bool {
        let lo = self.lo - offset_back + offset_fwd;
        let hi = self.hi - offset_back + offset_fwd;
        t >= lo && t <= hi
    }
}

/// Collects every failed assertion, each naming its SPEC row.
#[derive(Default)]
struct Report {
    failures: Vec<String>,
    checks: usize,
}

impl Report {
    fn check(&mut self, ok: bool, row: &str, what: impl FnOnce() -> String) {
        self.checks += 1;
        if !ok {
            self.failures.push(format!("[SPEC {row}] {}", what()));
        }
    }
    fn eq<T: PartialEq + std::fmt::Debug>(&mut self, row: &str, what: &str, got: T, want: T) {
        let ok = got == want;
        self.check(ok, row, || format!("{what}: got {got:?}, want {want:?}"));
    }
    fn ok<T>(&mut self, row: &str, what: &str, r: Result<T, String>) -> Option<T> {
        self.checks += 1;
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.failures.push(format!("[SPEC {row}] {what}: {e}"));
                None
            }
        }
    }
}

/// The RDN sequence `O=..., O=..., CN=...` must be CN and O only, one attribute per RDN,
/// the O's in order, CN ≤ 64 bytes, each a DirectoryString as Go writes it
/// (PrintableString when the value allows it, else UTF8String).
fn check_subject(r: &mut Report, row: &str, p: &Parsed, cn: &str, orgs: &[&str]) {
    let Some(attrs) = r.ok(row, "subject", p.subject_attrs()) else {
        return;
    };
    r.check(
        attrs.iter().all(|(o, _, _)| *o == OID_CN || *o == OID_O),
        "rules: subject DN",
        || format!("{row}: subject has attributes other than CN and O: {attrs:?}"),
    );
    let mut want: Vec<(ObjectIdentifier, String)> =
        orgs.iter().map(|o| (OID_O, (*o).to_owned())).collect();
    want.push((OID_CN, cn.to_owned()));
    let got: Vec<(ObjectIdentifier, String)> =
        attrs.iter().map(|(o, _, v)| (*o, v.clone())).collect();
    r.eq(row, "subject (O..., CN in kubeadm's order)", got, want);
    r.check(cn.len() <= MAX_CN_BYTES, "rules: subject DN", || {
        format!("{row}: CN is {} bytes", cn.len())
    });
    for (_, tag, v) in &attrs {
        let printable = v
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b" '()+,-./:=?".contains(&b));
        let want = if printable {
            Tag::PrintableString
        } else {
            Tag::Utf8String
        };
        r.eq(row, &format!("string type of {v:?}"), *tag, want);
    }
}

/// The parts common to every certificate: v3, serial, signature algorithm, key, time
/// encoding.
fn check_common(r: &mut Report, row: &str, p: &Parsed, alg: Alg, issuer_alg: Alg) {
    r.eq(
        row,
        "version",
        p.cert.tbs_certificate.version,
        x509_cert::Version::V3,
    );
    if let Some(bits) = r.ok("rules: serial", row, serial_bits(p)) {
        r.check(bits >= 64, "rules: serial", || {
            format!("{row}: serial has {bits} bits (< 64)")
        });
    }
    let sig = p.cert.signature_algorithm.oid;
    r.eq(
        "rules: signature",
        &format!("{row}: signatureAlgorithm"),
        sig,
        issuer_alg.signature_oid(),
    );
    r.eq(
        "rules: signature",
        &format!("{row}: tbs signature = outer signatureAlgorithm"),
        &p.cert.tbs_certificate.signature,
        &p.cert.signature_algorithm,
    );
    // RFC 4055: sha256WithRSAEncryption carries NULL parameters; RFC 5758: ECDSA none.
    let params = p
        .cert
        .signature_algorithm
        .parameters
        .as_ref()
        .map(|a| a.tag());
    let want_params = match issuer_alg {
        Alg::Rsa2048 => Some(Tag::Null),
        Alg::EcdsaP256 => None,
    };
    r.eq(
        "rules: signature",
        &format!("{row}: signature parameters"),
        params,
        want_params,
    );
    if let Some(key) = r.ok("rules: keys", row, p.public_key()) {
        let want = match alg {
            Alg::Rsa2048 => (Alg::Rsa2048, 2048),
            Alg::EcdsaP256 => (Alg::EcdsaP256, 256),
        };
        r.eq("rules: keys", &format!("{row}: key type/size"), key, want);
    }
    // RFC 5280 4.1.2.5: UTCTime through 2049.
    for (name, t) in [
        ("notBefore", &p.cert.tbs_certificate.validity.not_before),
        ("notAfter", &p.cert.tbs_certificate.validity.not_after),
    ] {
        r.check(matches!(t, x509_cert::time::Time::UtcTime(_)), row, || {
            format!("{name} is not UTCTime")
        });
    }
}

/// The key file: PEM label per kubeadm, parses (openssl), and matches the certificate.
fn check_key_file(r: &mut Report, row: &str, key_path: &Path, cert_spki: &[u8], alg: Alg) {
    let bytes = match std::fs::read(key_path) {
        Ok(b) => b,
        Err(e) => {
            r.check(false, row, || format!("{}: {e}", key_path.display()));
            return;
        }
    };
    let blocks = pem_blocks(&bytes);
    let labels: Vec<&str> = blocks.iter().map(|b| b.0.as_str()).collect();
    r.eq(
        "rules: keys",
        &format!("{row}: key PEM block"),
        labels,
        vec![alg.key_pem_label()],
    );
    if let Some(public) = r.ok(row, "key parses", openssl_public_of_private(&bytes)) {
        r.check(public == cert_spki, row, || {
            "the private key does not match the certificate's public key".into()
        });
    }
}

fn check_ca(
    r: &mut Report,
    dir: &Path,
    row: &CaRow,
    profile: Profile,
    alg: Alg,
    w: Window,
) -> Option<Parsed> {
    let crt = dir.join(format!("{}.crt", row.stem));
    let p = r.ok(row.row, "parse .crt", Parsed::from_pem_file(&crt))?;
    check_common(r, row.row, &p, alg, alg);
    check_subject(r, row.row, &p, row.cn, &[]);
    r.check(p.issuer_der() == p.subject_der(), "CA certificate", || {
        format!("{}: issuer != subject", row.row)
    });
    // notBefore = now − 5 min; notAfter = now + 3650 d.
    r.check(
        w.contains(p.not_before(), BACKDATE, Duration::ZERO),
        "CA certificate",
        || format!("{}: notBefore is not now − 5 min", row.row),
    );
    r.check(
        w.contains(p.not_after(), Duration::ZERO, CA_VALIDITY),
        "CA certificate",
        || format!("{}: notAfter is not now + 3650 d", row.row),
    );
    r.eq(
        "CA certificate",
        &format!("{}: notAfter − notBefore", row.row),
        p.not_after().duration_since(p.not_before()).ok(),
        Some(CA_VALIDITY + BACKDATE),
    );
    match r.ok("CA certificate", row.row, p.basic_constraints()) {
        Some(Some((crit, bc))) => {
            r.eq(
                "CA certificate",
                &format!("{}: basicConstraints critical", row.row),
                crit,
                true,
            );
            r.eq(
                "CA certificate",
                &format!("{}: CA:TRUE", row.row),
                bc.ca,
                true,
            );
            r.eq(
                "CA certificate",
                &format!("{}: no pathlen", row.row),
                bc.path_len_constraint,
                None,
            );
        }
        Some(None) => r.check(false, "CA certificate", || {
            format!("{}: no basicConstraints", row.row)
        }),
        None => {}
    }
    // keyUsage critical: digitalSignature, keyEncipherment, keyCertSign — with
    // keyEncipherment only for RSA keys in kpki's default profile (SPEC "Key usage note").
    let want_ke = alg == Alg::Rsa2048 || profile == Profile::Kubeadm128;
    match r.ok("CA certificate", row.row, p.key_usage()) {
        Some(Some((crit, ku))) => {
            r.eq(
                "CA certificate",
                &format!("{}: keyUsage critical", row.row),
                crit,
                true,
            );
            let bits = ku.0.bits();
            let mut want = 0u16;
            want |= 1 << 0; // digitalSignature
            if want_ke {
                want |= 1 << 2; // keyEncipherment
            }
            want |= 1 << 5; // keyCertSign
            r.eq(
                "CA certificate",
                &format!("{}: keyUsage bits (dS=0, kE=2, kCS=5)", row.row),
                bits,
                want,
            );
        }
        Some(None) => r.check(false, "CA certificate", || {
            format!("{}: no keyUsage", row.row)
        }),
        None => {}
    }
    r.check(
        p.extension(OID_EKU).ok().flatten().is_none(),
        "CA certificate",
        || format!("{}: has an EKU", row.row),
    );
    match r.ok("CA certificate", row.row, p.ski()) {
        Some(Some(ski)) => r.check(!ski.is_empty(), "CA certificate", || {
            format!("{}: empty SKI", row.row)
        }),
        Some(None) => r.check(false, "CA certificate", || format!("{}: no SKI", row.row)),
        None => {}
    }
    r.check(
        p.extension(OID_AKI).ok().flatten().is_none(),
        "CA certificate",
        || format!("{}: has an AKI", row.row),
    );
    match r.ok("CA certificate", row.row, p.sans()) {
        Some(Some((crit, names))) => {
            r.eq(
                "CA certificate",
                &format!("{}: SAN critical", row.row),
                crit,
                false,
            );
            r.eq(
                "CA certificate",
                &format!("{}: SAN DNS = its CN", row.row),
                names,
                vec![format!("DNS:{}", row.cn)],
            );
        }
        Some(None) => r.check(false, "CA certificate", || format!("{}: no SAN", row.row)),
        None => {}
    }
    let exts: BTreeSet<ObjectIdentifier> = p.extensions().iter().map(|e| e.0).collect();
    r.eq(
        "CA certificate",
        &format!("{}: extensions", row.row),
        exts,
        [OID_KU, OID_BC, OID_SKI, OID_SAN].into_iter().collect(),
    );
    // The self-signature, checked by openssl (x509_strict, checking the self-signature).
    let out = std::process::Command::new("openssl")
        .args(["verify", "-x509_strict", "-check_ss_sig", "-CAfile"])
        .arg(&crt)
        .arg(&crt)
        .output()
        .unwrap();
    r.check(out.status.success(), "CA certificate", || {
        format!(
            "{}: openssl verify (self-signed): {}",
            row.row,
            String::from_utf8_lossy(&out.stdout)
        )
    });
    check_key_file(
        r,
        row.row,
        &dir.join(format!("{}.key", row.stem)),
        &p.spki_der(),
        alg,
    );
    Some(p)
}

/// The leaf rules of SPEC.md on one certificate.
#[allow(clippy::too_many_arguments)]
fn check_leaf(
    r: &mut Report,
    row: &str,
    p: &Parsed,
    ca: &Parsed,
    cn: &str,
    orgs: &[&str],
    eku: &[Eku],
    sans: &[&str],
    profile: Profile,
    alg: Alg,
    w: Window,
) {
    check_common(r, row, p, alg, alg);
    check_subject(r, row, p, cn, orgs);
    r.check(p.issuer_der() == ca.subject_der(), row, || {
        format!(
            "issuer is not the CA's subject ({:?})",
            ca.common_name().unwrap_or_default()
        )
    });
    // notBefore: the CA's (≤ 1.30) · now − 5 min (≥ 1.31); notAfter = now + 365 d.
    match profile {
        Profile::Kubeadm128 => r.eq(
            "leaf certificate",
            &format!("{row}: notBefore = the CA's notBefore (1.28)"),
            p.not_before(),
            ca.not_before(),
        ),
        Profile::Current => r.check(
            w.contains(p.not_before(), BACKDATE, Duration::ZERO),
            "leaf certificate",
            || format!("{row}: notBefore is not now − 5 min (current)"),
        ),
    }
    r.check(
        w.contains(p.not_after(), Duration::ZERO, LEAF_VALIDITY),
        "leaf certificate",
        || format!("{row}: notAfter is not now + 365 d"),
    );
    match r.ok("leaf certificate", row, p.basic_constraints()) {
        Some(Some((crit, bc))) => {
            r.eq(
                "leaf certificate",
                &format!("{row}: basicConstraints critical"),
                crit,
                true,
            );
            r.eq(
                "leaf certificate",
                &format!("{row}: CA:FALSE"),
                bc.ca,
                false,
            );
        }
        Some(None) => r.check(false, "leaf certificate", || {
            format!("{row}: no basicConstraints")
        }),
        None => {}
    }
    let want_ke = alg == Alg::Rsa2048 || profile == Profile::Kubeadm128;
    match r.ok("leaf certificate", row, p.key_usage()) {
        Some(Some((crit, ku))) => {
            r.eq(
                "leaf certificate",
                &format!("{row}: keyUsage critical"),
                crit,
                true,
            );
            let want: u16 = 1 | if want_ke { 1 << 2 } else { 0 };
            r.eq(
                "leaf certificate",
                &format!("{row}: keyUsage bits (dS=0, kE=2)"),
                ku.0.bits(),
                want,
            );
        }
        Some(None) => r.check(false, "leaf certificate", || format!("{row}: no keyUsage")),
        None => {}
    }
    match r.ok("leaf certificate", row, p.extended_key_usage()) {
        Some(Some((crit, e))) => {
            r.eq(
                "leaf certificate",
                &format!("{row}: EKU critical"),
                crit,
                false,
            );
            let want: Vec<ObjectIdentifier> = eku
                .iter()
                .map(|e| match e {
                    Eku::Server => OID_SERVER_AUTH,
                    Eku::Client => OID_CLIENT_AUTH,
                })
                .collect();
            r.eq(row, "EKU", e.0, want);
        }
        Some(None) => r.check(false, "leaf certificate", || format!("{row}: no EKU")),
        None => {}
    }
    match r.ok("leaf certificate", row, p.aki()) {
        Some(Some((crit, aki))) => {
            r.eq(
                "leaf certificate",
                &format!("{row}: AKI critical"),
                crit,
                false,
            );
            let ca_ski = ca.ski().ok().flatten();
            r.eq(
                "leaf certificate",
                &format!("{row}: AKI keyid = CA SKI"),
                aki.key_identifier.map(|k| k.as_bytes().to_vec()),
                ca_ski,
            );
            r.check(
                aki.authority_cert_issuer.is_none() && aki.authority_cert_serial_number.is_none(),
                "leaf certificate",
                || format!("{row}: AKI carries issuer/serial (kubeadm: keyid only)"),
            );
        }
        Some(None) => r.check(false, "leaf certificate", || format!("{row}: no AKI")),
        None => {}
    }
    r.check(
        p.extension(OID_SKI).ok().flatten().is_none(),
        "leaf certificate",
        || format!("{row}: has an SKI"),
    );
    let got_sans = r.ok(row, "SAN", p.sans()).flatten();
    if sans.is_empty() {
        r.check(got_sans.is_none(), row, || {
            format!("has SANs {got_sans:?}, SPEC: none")
        });
    } else {
        match got_sans {
            Some((crit, names)) => {
                r.eq(row, "SAN critical", crit, false);
                r.eq(
                    row,
                    "SANs (exact set and order)",
                    names,
                    sans.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(),
                );
            }
            None => r.check(false, row, || "no SAN extension".into()),
        }
    }
    let mut want_exts: BTreeSet<ObjectIdentifier> = [OID_KU, OID_EKU, OID_BC, OID_AKI].into();
    if !sans.is_empty() {
        want_exts.insert(OID_SAN);
    }
    let exts: Vec<ObjectIdentifier> = p.extensions().iter().map(|e| e.0).collect();
    r.eq(
        row,
        "extensions (no duplicates, nothing beyond kubeadm's)",
        exts.len(),
        want_exts.len(),
    );
    r.eq(
        row,
        "extension set",
        exts.into_iter().collect::<BTreeSet<_>>(),
        want_exts,
    );
    // The chain, by webpki (path building + signature + EKU) at "now".
    let at = w.hi + Duration::from_secs(1);
    for e in eku {
        let purpose = match e {
            Eku::Server => Purpose::Server,
            Eku::Client => Purpose::Client,
        };
        r.ok(
            row,
            &format!("chains to its CA for {purpose:?} (webpki)"),
            webpki_verify(&p.der, &ca.der, purpose, at),
        );
    }
}

/// Checks a `kpki init` output directory against every SPEC row.
fn check_dir(dir: &Path, profile: Profile, alg: Alg, w: Window) -> Report {
    let mut r = Report::default();

    // Files present, nothing else (no temporary files left behind).
    let mut want_files: Vec<String> = Vec::new();
    for c in &CA_ROWS {
        want_files.push(format!("{}.crt", c.stem));
        want_files.push(format!("{}.key", c.stem));
    }
    for l in &LEAF_ROWS {
        want_files.push(format!("{}.crt", l.stem));
        want_files.push(format!("{}.key", l.stem));
    }
    want_files.push("pki/sa.key".into());
    want_files.push("pki/sa.pub".into());
    for c in &CONF_ROWS {
        if profile == Profile::Current || c.in_128 {
            want_files.push(c.file.into());
        }
    }
    want_files.sort();
    r.eq(
        "Files",
        "the files written",
        list_files(dir),
        want_files.clone(),
    );

    // Modes.
    for f in &want_files {
        let want = if f.ends_with(".crt") { 0o644 } else { 0o600 };
        let p = dir.join(f);
        if p.exists() {
            r.eq(
                "rules: modes",
                f,
                format!("{:o}", mode_of(&p)),
                format!("{want:o}"),
            );
        }
    }
    for d in ["pki", "pki/etcd"] {
        r.eq(
            "rules: modes",
            d,
            format!("{:o}", mode_of(&dir.join(d))),
            "755".to_owned(),
        );
    }

    // CAs.
    let mut cas = std::collections::BTreeMap::new();
    for c in &CA_ROWS {
        if let Some(p) = check_ca(&mut r, dir, c, profile, alg, w) {
            cas.insert(c.stem, p);
        }
    }

    // Leaves.
    let mut serials = BTreeSet::new();
    for p in cas.values() {
        serials.insert(p.cert.tbs_certificate.serial_number.as_bytes().to_vec());
    }
    for l in &LEAF_ROWS {
        let crt = dir.join(format!("{}.crt", l.stem));
        let Some(p) = r.ok(l.row, "parse .crt", Parsed::from_pem_file(&crt)) else {
            continue;
        };
        let Some(ca) = cas.get(l.issuer) else {
            continue;
        };
        let orgs = match profile {
            Profile::Current => l.o_current,
            Profile::Kubeadm128 => l.o_128,
        };
        check_leaf(
            &mut r, l.row, &p, ca, l.cn, orgs, l.eku, l.sans, profile, alg, w,
        );
        check_key_file(
            &mut r,
            l.row,
            &dir.join(format!("{}.key", l.stem)),
            &p.spki_der(),
            alg,
        );
        // A second verifier for the chain and purpose: openssl.
        let ca_crt = dir.join(format!("{}.crt", l.issuer));
        for e in l.eku {
            let purpose = match e {
                Eku::Server => "sslserver",
                Eku::Client => "sslclient",
            };
            r.ok(
                l.row,
                &format!("openssl verify -purpose {purpose}"),
                openssl_verify(&ca_crt, &crt, Some(purpose)),
            );
        }
        r.check(
            serials.insert(p.cert.tbs_certificate.serial_number.as_bytes().to_vec()),
            "rules: serial",
            || format!("{}: serial repeats another certificate's", l.row),
        );
    }

    // sa.key / sa.pub: a key pair, sa.pub a PUBLIC KEY (SPKI) PEM. kubeadm makes it RSA
    // by default and follows encryptionAlgorithm for ECDSA (the kubeadm-1.28 ECDSA
    // fixture has an `EC PRIVATE KEY` sa.key).
    let sa_row = "pki/sa.key, pki/sa.pub";
    let sa_pub = read_single_pem(&dir.join("pki/sa.pub"));
    r.eq(sa_row, "sa.pub PEM block", sa_pub.0.as_str(), "PUBLIC KEY");
    let sa_key = std::fs::read(dir.join("pki/sa.key")).unwrap();
    let labels: Vec<String> = pem_blocks(&sa_key).into_iter().map(|b| b.0).collect();
    r.eq(
        sa_row,
        "sa.key PEM block",
        labels,
        vec![alg.key_pem_label().to_owned()],
    );
    if let Some(public) = r.ok(sa_row, "sa.key parses", openssl_public_of_private(&sa_key)) {
        r.check(public == sa_pub.1, sa_row, || {
            "sa.pub does not match sa.key".into()
        });
        if let Ok(spki) = x509_cert::spki::SubjectPublicKeyInfoOwned::try_from(public.as_slice()) {
            let want = match alg {
                Alg::Rsa2048 => OID_RSA_ENCRYPTION,
                Alg::EcdsaP256 => OID_EC_PUBLIC_KEY,
            };
            r.eq(sa_row, "sa key algorithm", spki.algorithm.oid, want);
            if alg == Alg::Rsa2048 {
                // 2048-bit: the modulus INTEGER is 257 bytes with its sign octet.
                let bits = spki.subject_public_key.raw_bytes();
                r.check(bits.len() == 270, sa_row, || {
                    format!("sa.pub is not RSA-2048 ({} bytes of key)", bits.len())
                });
            }
        }
    }

    // Kubeconfigs, read back by kubectl.
    let ca_pem = std::fs::read(dir.join("pki/ca.crt")).unwrap();
    let Some(ca) = cas.get("pki/ca") else {
        return r;
    };
    for c in &CONF_ROWS {
        let path = dir.join(c.file);
        if profile == Profile::Kubeadm128 && !c.in_128 {
            r.check(!path.exists(), c.file, || {
                "exists, but kubeadm 1.28 writes no super-admin.conf".into()
            });
            continue;
        }
        let Some(v) = r.ok(c.file, "kubectl config view", kubectl_view(&path, false)) else {
            continue;
        };
        let context = format!("{}@kubernetes", c.user);
        let clusters = v["clusters"].as_array().cloned().unwrap_or_default();
        let users = v["users"].as_array().cloned().unwrap_or_default();
        let contexts = v["contexts"].as_array().cloned().unwrap_or_default();
        r.eq(c.file, "one cluster", clusters.len(), 1);
        r.eq(c.file, "one user", users.len(), 1);
        r.eq(c.file, "one context", contexts.len(), 1);
        r.eq(
            c.file,
            "current-context",
            v["current-context"].as_str(),
            Some(context.as_str()),
        );
        if clusters.len() != 1 || users.len() != 1 || contexts.len() != 1 {
            continue;
        }
        r.eq(
            c.file,
            "cluster name",
            clusters[0]["name"].as_str(),
            Some("kubernetes"),
        );
        r.eq(c.file, "user name", users[0]["name"].as_str(), Some(c.user));
        r.eq(
            c.file,
            "context name",
            contexts[0]["name"].as_str(),
            Some(context.as_str()),
        );
        r.eq(
            c.file,
            "context cluster",
            contexts[0]["context"]["cluster"].as_str(),
            Some("kubernetes"),
        );
        r.eq(
            c.file,
            "context user",
            contexts[0]["context"]["user"].as_str(),
            Some(c.user),
        );
        r.eq(
            c.file,
            "server",
            clusters[0]["cluster"]["server"].as_str(),
            Some(c.server),
        );
        let ca_data = clusters[0]["cluster"]["certificate-authority-data"]
            .as_str()
            .map(b64);
        r.check(
            matches!(&ca_data, Some(Ok(d)) if *d == ca_pem),
            c.file,
            || "embedded CA is not pki/ca.crt".into(),
        );
        // --minify resolves the current context (what kubectl does when it connects).
        r.ok(
            c.file,
            "kubectl config view --minify",
            kubectl_view(&path, true),
        );
        let user = &users[0]["user"];
        let cert_pem = user["client-certificate-data"].as_str().map(b64);
        let key_pem = user["client-key-data"].as_str().map(b64);
        let (Some(Ok(cert_pem)), Some(Ok(key_pem))) = (cert_pem, key_pem) else {
            r.check(false, c.file, || {
                "no embedded client certificate/key".into()
            });
            continue;
        };
        let Some(p) = r.ok(
            c.file,
            "embedded client cert",
            Parsed::from_pem_bytes(&cert_pem),
        ) else {
            continue;
        };
        let orgs = match profile {
            Profile::Current => c.o_current,
            Profile::Kubeadm128 => c.o_128,
        };
        let row = format!("Kubeconfigs {} (client cert)", c.file);
        check_leaf(
            &mut r,
            &row,
            &p,
            ca,
            c.user,
            orgs,
            &[Eku::Client],
            &[],
            profile,
            alg,
            w,
        );
        let labels: Vec<String> = pem_blocks(&key_pem).into_iter().map(|b| b.0).collect();
        r.eq(
            &row,
            "client key PEM block",
            labels,
            vec![alg.key_pem_label().to_owned()],
        );
        if let Some(public) = r.ok(
            &row,
            "client key parses",
            openssl_public_of_private(&key_pem),
        ) {
            r.check(public == p.spki_der(), &row, || {
                "client key does not match the client certificate".into()
            });
        }
        r.check(
            serials.insert(p.cert.tbs_certificate.serial_number.as_bytes().to_vec()),
            "rules: serial",
            || format!("{row}: serial repeats another certificate's"),
        );
    }
    r
}

fn assert_clean(r: &Report, what: &str) {
    assert!(
        r.failures.is_empty(),
        "{what}: {} of {} checks failed:\n{}",
        r.failures.len(),
        r.checks,
        r.failures.join("\n")
    );
    eprintln!("{what}: {} checks passed", r.checks);
}

/// `kpki init` with the example inputs; returns the output dir and the time window.
fn init_cli(profile: Profile, alg: Alg) -> (TempDir, Window) {
    let tmp = TempDir::new("spec");
    let dir = tmp.join("kubernetes");
    let lo = floor_s(SystemTime::now());
    init_example(&dir, profile.compat(), key_algorithm(alg));
    let hi = ceil_s(SystemTime::now());
    (tmp, Window { lo, hi })
}

fn spec_rows_hold(profile: Profile, alg: Alg) {
    let (tmp, w) = init_cli(profile, alg);
    let r = check_dir(&tmp.join("kubernetes"), profile, alg, w);
    assert_clean(&r, &format!("{profile:?} × {alg:?}"));
    // Every row was looked at: CAs, leaves, kubeconfigs all contributed checks.
    assert!(r.checks > 300, "only {} checks ran", r.checks);
}

#[test]
fn current_rsa2048_every_spec_row_holds() {
    spec_rows_hold(Profile::Current, Alg::Rsa2048);
}

#[test]
fn current_ecdsa_p256_every_spec_row_holds() {
    spec_rows_hold(Profile::Current, Alg::EcdsaP256);
}

#[test]
fn kubeadm_128_rsa2048_every_spec_row_holds() {
    spec_rows_hold(Profile::Kubeadm128, Alg::Rsa2048);
}

#[test]
fn kubeadm_128_ecdsa_p256_every_spec_row_holds() {
    spec_rows_hold(Profile::Kubeadm128, Alg::EcdsaP256);
}

/// The oracle can fail: a directory whose apiserver certificate comes from another
/// cluster (same subject and SANs, another CA) is caught, by row.
#[test]
fn oracle_catches_a_foreign_apiserver_certificate() {
    let (tmp, w) = init_cli(Profile::Current, Alg::EcdsaP256);
    let (other, _) = init_cli(Profile::Current, Alg::EcdsaP256);
    let dir = tmp.join("kubernetes");
    for f in ["pki/apiserver.crt", "pki/apiserver.key"] {
        std::fs::copy(other.join("kubernetes").join(f), dir.join(f)).unwrap();
    }
    let r = check_dir(&dir, Profile::Current, Alg::EcdsaP256, w);
    let all = r.failures.join("\n");
    assert!(
        all.contains("[SPEC pki/apiserver.crt/.key]") && all.contains("webpki"),
        "the foreign certificate went unnoticed:\n{all}"
    );
    assert!(
        all.contains("AKI keyid = CA SKI") && all.contains("openssl verify"),
        "{all}"
    );
    // Only the apiserver row is at fault.
    assert!(
        r.failures.iter().all(|f| f.contains("apiserver.crt")),
        "{all}"
    );
}

/// The profile difference that the example run cannot show (there CA and leaves are
/// made in the same second): with a CA made 30 days earlier, kubeadm 1.28 gives leaves
/// the CA's notBefore, current kubeadm now − 5 min. Built through the core API with a
/// fixed `now`, written by `KubeadmLayout`, read back by the oracle.
#[test]
fn leaf_not_before_follows_the_profile_under_an_older_ca() {
    let now = floor_s(SystemTime::now());
    let ca_made = now - 30 * DAY;
    for (compat, profile) in [
        (Compatibility::Kubeadm128, Profile::Kubeadm128),
        (Compatibility::Current, Profile::Current),
    ] {
        let mut req = CaRequest::new("kubernetes");
        req.compatibility = compat;
        let ca = CertificateAuthority::new_root(
            &req,
            PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap(),
            ca_made,
        )
        .unwrap();
        let spec = ClusterSpec::builder(
            NodeName::new("node01").unwrap(),
            "10.0.0.10".parse().unwrap(),
        )
        .control_plane_endpoint("cp.example.internal:6443".parse().unwrap())
        .apiserver_extra_sans(SubjectAltNames::parse(["extra.example.com", "192.0.2.7"]).unwrap())
        .key_algorithm(KeyAlgorithm::EcdsaP256)
        .compatibility(compat)
        .ca(CaRole::Kubernetes, CaSource::Provided(ca))
        .build()
        .unwrap();
        let pki = spec.generate(now).unwrap();
        let tmp = TempDir::new("older-ca");
        KubeadmLayout::new(tmp.path()).write(&pki, false).unwrap();

        let ca = Parsed::from_pem_file(&tmp.join("pki/ca.crt")).unwrap();
        assert_eq!(ca.not_before(), ca_made - FIVE_MINUTES);
        let mut r = Report::default();
        let w = Window { lo: now, hi: now };
        for l in LEAF_ROWS.iter().filter(|l| l.issuer == "pki/ca") {
            let p = Parsed::from_pem_file(&tmp.join(format!("{}.crt", l.stem))).unwrap();
            let orgs = match profile {
                Profile::Current => l.o_current,
                Profile::Kubeadm128 => l.o_128,
            };
            check_leaf(
                &mut r,
                l.row,
                &p,
                &ca,
                l.cn,
                orgs,
                l.eku,
                l.sans,
                profile,
                Alg::EcdsaP256,
                w,
            );
            let want_nb = match profile {
                Profile::Kubeadm128 => ca_made - FIVE_MINUTES,
                Profile::Current => now - FIVE_MINUTES,
            };
            assert_eq!(p.not_before(), want_nb, "{profile:?} {}", l.row);
            assert_eq!(p.not_after(), now + LEAF_VALIDITY, "{profile:?} {}", l.row);
        }
        assert_clean(&r, &format!("{profile:?} under a 30-day-old CA"));
    }
}

/// `../shared/peers/check-layout.sh` (openssl + kubectl; the project's outside check)
/// on the example output: all passed, RSA and (CHECK_KEY=any) ECDSA. The script is
/// taken from ../shared when that exists beside the repository, else from the copy in
/// kpki-testkit (CI's clean clone may not have ../shared).
#[test]
fn check_layout_script_passes_on_the_example_output() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = manifest.join("../../../shared/peers/check-layout.sh");
    let script = if shared.exists() {
        shared
    } else {
        check_layout_script()
    };
    assert!(script.exists(), "{} missing", script.display());
    for alg in [Alg::Rsa2048, Alg::EcdsaP256] {
        let (tmp, _) = init_cli(Profile::Current, alg);
        let mut cmd = std::process::Command::new("bash");
        cmd.arg(&script).arg(tmp.join("kubernetes"));
        if alg != Alg::Rsa2048 {
            cmd.env("CHECK_KEY", "any");
        }
        let out = run(&mut cmd, Duration::from_secs(300));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let last = stdout.lines().last().unwrap_or_default().to_owned();
        eprintln!("check-layout.sh ({alg:?}): {last}");
        assert!(
            out.status.success() && last.ends_with(" 0 failed"),
            "check-layout.sh failed for {alg:?}:\n{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let passed: usize = last.split(' ').next().unwrap().parse().unwrap();
        assert!(passed >= 279, "{last}");
    }
}

/// SPEC.md, apiserver row: "IP: `.1` of the first service subnet (kubeadm ignores the
/// second family — kpki should offer both)"; and the kubeconfig note: "Without a
/// control-plane endpoint, the server is `https://<advertise address>:<bind port>`".
#[test]
fn dual_stack_service_ips_and_servers_without_an_endpoint() {
    for (profile, want_ips) in [
        (
            Profile::Current,
            vec!["IP:10.96.0.1", "IP:fd00:10:96::1", "IP:10.0.0.10"],
        ),
        (Profile::Kubeadm128, vec!["IP:10.96.0.1", "IP:10.0.0.10"]),
    ] {
        let tmp = TempDir::new("dual-stack");
        let dir = tmp.join("kubernetes");
        init(
            &dir,
            kpki_core::ClusterSpecBuilder::new()
                .node_name(NodeName::new("node01").unwrap())
                .advertise_address("10.0.0.10".parse().unwrap())
                .bind_port(8443)
                .service_subnets(
                    kpki_core::parse_cidrs(
                        "10.96.0.0/12,fd00:10:96::/112",
                        kpki_core::NetworkField::ServiceCidr,
                    )
                    .unwrap(),
                )
                .key_algorithm(KeyAlgorithm::EcdsaP256)
                .compatibility(profile.compat()),
        );
        let p = Parsed::from_pem_file(&dir.join("pki/apiserver.crt")).unwrap();
        let (_, sans) = p.sans().unwrap().unwrap();
        let want: Vec<String> = [
            "DNS:kubernetes",
            "DNS:kubernetes.default",
            "DNS:kubernetes.default.svc",
            "DNS:kubernetes.default.svc.cluster.local",
            "DNS:node01",
        ]
        .iter()
        .chain(want_ips.iter())
        .map(|s| (*s).to_owned())
        .collect();
        assert_eq!(sans, want, "{profile:?}");
        for conf in CONF_ROWS
            .iter()
            .filter(|c| profile == Profile::Current || c.in_128)
        {
            let v = kubectl_view(&dir.join(conf.file), false).unwrap();
            assert_eq!(
                v["clusters"][0]["cluster"]["server"].as_str(),
                Some("https://10.0.0.10:8443"),
                "{profile:?} {}",
                conf.file
            );
        }
    }
}

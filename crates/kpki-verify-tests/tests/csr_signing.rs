//! CSRs and signing under policy, checked against outside implementations: CSRs made
//! by `openssl req` and by Python `cryptography`; issued certificates checked by
//! `openssl verify -purpose sslclient|sslserver`, `openssl x509 -text` and
//! `cryptography`; and the refusal table — every refusal the issue lists, with the
//! exact error a caller sees (run with `--nocapture` to print it).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::time::{Duration, SystemTime};

use kpki_core::{
    CaRequest, CertificateAuthority, Csr, CustomRules, Error, Identity, KeyAlgorithm, KubeCsr,
    KubeconfigCluster, OutputFile, Pattern, PrivateKey, SignerPolicy, SignerRules, SigningRequest,
    SubjectAltNames, Usage, UserRequest, write_new_files,
};
use kpki_verify_tests::{TempDir, run_piped};

// ---- helpers -------------------------------------------------------------------------

fn ca_with(validity: Duration, now: SystemTime) -> CertificateAuthority {
    let mut req = CaRequest::new("kubernetes");
    req.validity = validity;
    CertificateAuthority::new_root(
        &req,
        PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap(),
        now,
    )
    .unwrap()
}

fn ca(now: SystemTime) -> CertificateAuthority {
    ca_with(Duration::from_secs(3650 * 86_400), now)
}

/// `openssl req -new` with a fresh key of `newkey` (`rsa:2048`, `ec`, `ed25519`).
fn openssl_csr(newkey: &str, subj: &str, addext: &[&str]) -> String {
    let mut cmd = Command::new("openssl");
    cmd.args([
        "req",
        "-new",
        "-nodes",
        "-keyout",
        "/dev/null",
        "-subj",
        subj,
    ]);
    match newkey {
        "ec" => cmd.args(["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]),
        "ec384" => cmd.args(["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"]),
        other => cmd.args(["-newkey", other]),
    };
    for e in addext {
        cmd.args(["-addext", e]);
    }
    let out = run_piped(&mut cmd, None);
    assert!(
        out.status.success(),
        "openssl req: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const PY_CSR: &str = r#"
import json, sys, ipaddress
from cryptography import x509
from cryptography.x509.oid import NameOID, ExtendedKeyUsageOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa, ed25519
out = []
for spec in json.load(sys.stdin):
    k = spec.get("key", "ec")
    if k == "rsa":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif k == "ec384":
        key = ec.generate_private_key(ec.SECP384R1())
    elif k == "ed25519":
        key = ed25519.Ed25519PrivateKey.generate()
    else:
        key = ec.generate_private_key(ec.SECP256R1())
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in spec.get("o", [])]
    attrs += [x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, o) for o in spec.get("ou", [])]
    attrs += [x509.NameAttribute(NameOID.COMMON_NAME, c) for c in spec.get("cn", [])]
    b = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(attrs))
    sans = [x509.DNSName(d) for d in spec.get("dns", [])]
    sans += [x509.IPAddress(ipaddress.ip_address(i)) for i in spec.get("ip", [])]
    sans += [x509.RFC822Name(e) for e in spec.get("email", [])]
    sans += [x509.UniformResourceIdentifier(u) for u in spec.get("uri", [])]
    if sans:
        b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    if spec.get("ca"):
        b = b.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    ekus = {"server": ExtendedKeyUsageOID.SERVER_AUTH, "client": ExtendedKeyUsageOID.CLIENT_AUTH,
            "code": ExtendedKeyUsageOID.CODE_SIGNING}
    if spec.get("eku"):
        b = b.add_extension(x509.ExtendedKeyUsage([ekus[e] if e in ekus else x509.ObjectIdentifier(e) for e in spec["eku"]]), critical=False)
    algo = None if k == "ed25519" else hashes.SHA256()
    csr = b.sign(key, algo)
    out.append(csr.public_bytes(serialization.Encoding.PEM).decode())
print(json.dumps(out))
"#;

/// CSRs made by Python `cryptography`, one per JSON spec.
fn python_csrs(specs: &str) -> Vec<String> {
    let out = run_piped(
        Command::new("python3").args(["-c", PY_CSR]),
        Some(specs.as_bytes()),
    );
    assert!(
        out.status.success(),
        "python: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    // A JSON list of strings; split without a JSON dependency: cryptography's PEM has
    // no quotes, so each element is a quoted run with \n escapes.
    text.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split("\", \"")
        .map(|s| s.trim_matches('"').replace("\\n", "\n"))
        .collect()
}

/// `openssl verify -purpose PURPOSE` of `leaf` against `ca`.
fn openssl_verify(ca: &CertificateAuthority, leaf_pem: &str, purpose: &str) -> (bool, String) {
    let dir = TempDir::new("verify");
    let ca_path = dir.path().join("ca.crt");
    let leaf_path = dir.path().join("leaf.crt");
    std::fs::write(&ca_path, ca.certificate().to_pem()).unwrap();
    std::fs::write(&leaf_path, leaf_pem).unwrap();
    let out = run_piped(
        Command::new("openssl").args([
            "verify",
            "-CAfile",
            ca_path.to_str().unwrap(),
            "-purpose",
            purpose,
            leaf_path.to_str().unwrap(),
        ]),
        None,
    );
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success() && text.contains(": OK"), text)
}

fn openssl_text(pem: &str) -> String {
    let out = run_piped(
        Command::new("openssl").args(["x509", "-noout", "-text"]),
        Some(pem.as_bytes()),
    );
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

fn usages(names: &[&str]) -> Vec<Usage> {
    names.iter().map(|n| n.parse().unwrap()).collect()
}

// ---- signing CSRs from other implementations -------------------------------------------

#[test]
fn csrs_from_openssl_and_python_cryptography_are_signed_and_verify_with_openssl() {
    let now = SystemTime::now();
    let ca = ca(now);
    let client = SignerPolicy::kube_apiserver_client();
    let serving = SignerPolicy::kubelet_serving();

    let mut client_csrs: Vec<(String, String)> = ["rsa:2048", "ec", "ec384", "ed25519"]
        .iter()
        .map(|k| {
            (
                format!("openssl req ({k})"),
                openssl_csr(k, "/O=dev/O=ops/CN=alice", &[]),
            )
        })
        .collect();
    let py = python_csrs(
        r#"[{"key":"rsa","cn":["alice"],"o":["dev","ops"]},
            {"key":"ec","cn":["alice"],"o":["dev","ops"]},
            {"key":"ec384","cn":["alice"],"o":["dev","ops"]},
            {"key":"ed25519","cn":["alice"],"o":["dev","ops"]}]"#,
    );
    for (k, pem) in ["rsa", "ec", "ec384", "ed25519"].iter().zip(py) {
        client_csrs.push((format!("python cryptography ({k})"), pem));
    }
    for (source, pem) in &client_csrs {
        let csr = Csr::from_pem(pem).unwrap_or_else(|e| panic!("{source}: {e}"));
        let req = SigningRequest::for_csr(&csr, &client, Some(86_400)).unwrap();
        let cert = ca.sign_csr(&csr, &client, &req, now).unwrap();
        let (ok, text) = openssl_verify(&ca, &cert.to_pem(), "sslclient");
        assert!(ok, "{source}: openssl verify -purpose sslclient: {text}");
        let (ok, _) = openssl_verify(&ca, &cert.to_pem(), "sslserver");
        assert!(
            !ok,
            "{source}: a client certificate must not pass as a server"
        );
        let text = openssl_text(&cert.to_pem());
        assert!(
            text.contains("Subject: O = dev, O = ops, CN = alice"),
            "{source}: {text}"
        );
        assert!(text.contains("CA:FALSE"), "{source}: {text}");
        assert!(
            text.contains("TLS Web Client Authentication"),
            "{source}: {text}"
        );
        println!("signed and verified (sslclient): {source}");
    }

    let serving_csrs = vec![
        (
            "openssl req (ec)".to_owned(),
            openssl_csr(
                "ec",
                "/O=system:nodes/CN=system:node:node01",
                &["subjectAltName=DNS:node01,DNS:node01.example.internal,IP:10.0.0.21"],
            ),
        ),
        (
            "python cryptography (rsa)".to_owned(),
            python_csrs(
                r#"[{"key":"rsa","cn":["system:node:node01"],"o":["system:nodes"],"dns":["node01"],"ip":["10.0.0.21"]}]"#,
            )
            .remove(0),
        ),
    ];
    for (source, pem) in &serving_csrs {
        let csr = Csr::from_pem(pem).unwrap();
        let req = SigningRequest::for_csr(&csr, &serving, None).unwrap();
        let cert = ca.sign_csr(&csr, &serving, &req, now).unwrap();
        let (ok, text) = openssl_verify(&ca, &cert.to_pem(), "sslserver");
        assert!(ok, "{source}: openssl verify -purpose sslserver: {text}");
        let (ok, _) = openssl_verify(&ca, &cert.to_pem(), "sslclient");
        assert!(
            !ok,
            "{source}: a serving certificate must not pass as a client"
        );
        let text = openssl_text(&cert.to_pem());
        assert!(text.contains("DNS:node01"), "{source}: {text}");
        assert!(text.contains("IP Address:10.0.0.21"), "{source}: {text}");
        println!("signed and verified (sslserver): {source}");
    }
}

#[test]
fn kpki_made_csrs_verify_in_python_cryptography() {
    let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let csr = Csr::generate(
        &Identity::node(&"node01".parse().unwrap()),
        &SubjectAltNames::parse(["node01", "10.0.0.21"]).unwrap(),
        &key,
    )
    .unwrap();
    let script = "import sys\nfrom cryptography import x509\nc = x509.load_pem_x509_csr(sys.stdin.buffer.read())\nprint(c.is_signature_valid, c.subject.rfc4514_string(), c.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)";
    let out = run_piped(
        Command::new("python3").args(["-c", script]),
        Some(csr.to_pem().as_bytes()),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.starts_with("True CN=system:node:node01,O=system:nodes"),
        "{text}"
    );
    assert!(
        text.contains("node01") && text.contains("10.0.0.21"),
        "{text}"
    );
}

#[test]
fn a_tampered_signature_is_refused_before_anything_else() {
    let pem = openssl_csr("ec", "/CN=alice", &[]);
    let csr = Csr::from_pem(&pem).unwrap();
    let der = csr.der().to_vec();
    let mut tampered_sig = der.clone();
    let last = tampered_sig.len() - 2;
    tampered_sig[last] ^= 0x55;
    // The subject: change one letter of "alice" (same length, so it still parses).
    let mut tampered_subject = der.clone();
    let at = der.windows(5).position(|w| w == b"alice").unwrap();
    tampered_subject[at] = b'A';
    for (what, bytes) in [("signature", &tampered_sig), ("subject", &tampered_subject)] {
        let err = Csr::from_der(bytes).unwrap_err();
        assert_eq!(
            err.to_string(),
            "CSR: invalid certificate signing request: the signature does not verify with the request's own public key (no proof of possession of the private key)",
            "{what}"
        );
        // The outside oracle agrees the signature is bad.
        let script = "import sys\nfrom cryptography import x509\nprint(x509.load_der_x509_csr(sys.stdin.buffer.read()).is_signature_valid)";
        let out = run_piped(Command::new("python3").args(["-c", script]), Some(bytes));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "False",
            "{what}"
        );
    }
}

#[test]
fn the_signer_sets_usages_itself_and_copies_no_csr_extension() {
    let now = SystemTime::now();
    let ca = ca(now);
    let pem = openssl_csr(
        "ec",
        "/CN=alice",
        &[
            "keyUsage=digitalSignature,nonRepudiation",
            "extendedKeyUsage=clientAuth",
            "1.2.3.4.5=ASN1:UTF8String:smuggled",
            "nsComment=smuggled comment",
        ],
    );
    let csr = Csr::from_pem(&pem).unwrap();
    assert_eq!(
        csr.info().extensions.other.len(),
        2,
        "{:?}",
        csr.info().extensions
    );
    let policy = SignerPolicy::kube_apiserver_client();
    let req = SigningRequest::new(usages(&["digital signature", "client auth"]), None);
    let cert = ca.sign_csr(&csr, &policy, &req, now).unwrap();
    let text = openssl_text(&cert.to_pem());
    assert!(!text.contains("smuggled"), "{text}");
    assert!(!text.contains("1.2.3.4.5"), "{text}");
    assert!(!text.contains("Non Repudiation"), "{text}");
    assert!(text.contains("Digital Signature"), "{text}");
    assert!(text.contains("CA:FALSE"), "{text}");
}

#[test]
fn validity_follows_kube_controller_manager() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let ca = ca(now);
    let csr = Csr::from_pem(&openssl_csr("ec", "/CN=alice", &[])).unwrap();
    let policy = SignerPolicy::kube_apiserver_client();
    let five = Duration::from_secs(300);
    for (requested, expected_not_after) in [
        // short certificates (< 8h) end exactly `expirationSeconds` after now
        (Some(600), now + Duration::from_secs(600)),
        (Some(3600), now + Duration::from_secs(3600)),
        // longer ones lose the 5-minute backdate at the end too
        (Some(86_400), now + Duration::from_secs(86_400) - five),
        // clamped to the policy's maximum (8760h)
        (
            Some(10 * 365 * 86_400),
            now + Duration::from_secs(8760 * 3600) - five,
        ),
        (None, now + Duration::from_secs(8760 * 3600) - five),
    ] {
        let req = SigningRequest::new(usages(&["digital signature", "client auth"]), requested);
        let info = ca
            .sign_csr(&csr, &policy, &req, now)
            .unwrap()
            .info()
            .unwrap();
        assert_eq!(info.not_before, now - five, "{requested:?}");
        assert_eq!(info.not_after, expected_not_after, "{requested:?}");
    }
    // A CA with less left than the default: the certificate ends with the CA.
    let short_ca = ca_with(Duration::from_secs(30 * 86_400), now);
    let req = SigningRequest::new(usages(&["digital signature", "client auth"]), None);
    let info = short_ca
        .sign_csr(&csr, &policy, &req, now)
        .unwrap()
        .info()
        .unwrap();
    assert_eq!(info.not_after, short_ca.not_after());
}

// ---- the refusal table ------------------------------------------------------------------

struct Case {
    name: &'static str,
    result: Result<kpki_core::Certificate, Error>,
    expected: String,
    exact: bool,
}

#[test]
fn refusal_table() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let ca = ca(now);
    let client = SignerPolicy::kube_apiserver_client();
    let kubelet_client = SignerPolicy::kubelet_client();
    let serving = SignerPolicy::kubelet_serving();
    let kc_usages = usages(&["digital signature", "client auth"]);
    let ks_usages = usages(&["digital signature", "server auth"]);

    let py = python_csrs(
        r#"[
        {"cn":["system:node:node01"],"o":["system:nodes"],"dns":["node01"]},
        {"cn":["system:node:node01"],"o":["system:nodes"],"ip":["10.0.0.21"]},
        {"cn":["system:node:node01"],"o":["system:nodes"],"email":["n@example.com"]},
        {"cn":["system:node:node01"],"o":["system:nodes"],"uri":["spiffe://cluster/node01"]},
        {"cn":["system:node:node01"],"o":["system:masters"]},
        {"cn":["node01"],"o":["system:nodes"]},
        {"cn":["system:node:node01"],"o":["system:nodes"]},
        {"cn":["system:node:node01"],"o":["system:nodes"],"dns":["node01"],"email":["n@example.com"]},
        {"cn":["alice"],"o":["dev"]},
        {"cn":["alice"],"o":["dev"],"ca":true},
        {"cn":["mallory"],"o":["system:masters"]},
        {"cn":["alice"],"o":["dev"],"uri":["spiffe://x/alice"]},
        {"cn":["alice"],"ou":["eng"]},
        {"cn":[]},
        {"cn":["a","b"]},
        {"cn":["alice"],"eku":["code"]},
        {"cn":["alice"],"eku":["server"]},
        {"cn":["system:node:node01"],"o":["system:nodes"],"dns":["node01"]},
        {"cn":["alice"],"eku":["1.2.3.4"]}
        ]"#,
    );
    let c = |i: usize| Csr::from_pem(&py[i]).unwrap();
    let (kc_dns, kc_ip, kc_email, kc_uri, kc_masters, kc_bad_cn, kc_ok) =
        (c(0), c(1), c(2), c(3), c(4), c(5), c(6));
    let (ks_email, alice, alice_ca, mallory, alice_uri, alice_ou, no_cn, two_cn) =
        (c(7), c(8), c(9), c(10), c(11), c(12), c(13), c(14));
    let (alice_codesign, alice_server_eku, ks_ok, alice_odd_eku) = (c(15), c(16), c(17), c(18));
    let alice_cert_sign_ku = Csr::from_pem(&openssl_csr(
        "ec",
        "/CN=alice",
        &["keyUsage=digitalSignature,keyCertSign"],
    ))
    .unwrap();

    let sign = |csr: &Csr, p: &SignerPolicy, u: &[Usage], exp: Option<i64>| {
        ca.sign_csr(csr, p, &SigningRequest::new(u.to_vec(), exp), now)
    };
    let refused =
        |signer: &str, reason: &str| format!("signer {signer:?} refuses the request: {reason}");
    let kc = "kubernetes.io/kube-apiserver-client-kubelet";
    let ks = "kubernetes.io/kubelet-serving";
    let cl = "kubernetes.io/kube-apiserver-client";

    let custom = SignerPolicy::custom(
        "example.com/ci",
        CustomRules {
            common_name: Pattern::new("ci-*"),
            groups: vec![Pattern::new("ci")],
            dns_names: vec![Pattern::new("*.ci.example.com")],
            ip_ranges: vec!["10.0.0.0/8".parse().unwrap()],
            usages: usages(&["digital signature", "client auth", "server auth"]),
        },
    )
    .unwrap()
    .with_privileged_group("ci:admins");
    let ci = python_csrs(
        r#"[
        {"cn":["alice"],"o":["ci"]},
        {"cn":["ci-1"],"o":["dev"]},
        {"cn":["ci-1"],"o":["ci"],"dns":["a.b.ci.example.com"]},
        {"cn":["ci-1"],"o":["ci"],"ip":["192.0.2.1"]},
        {"cn":["ci-1"],"o":["ci"]},
        {"cn":["ci-1"],"o":["ci:admins"]}
        ]"#,
    );
    let ci = |i: usize| Csr::from_pem(&ci[i]).unwrap();

    let expired_ca = ca_with(Duration::from_secs(3600), now - Duration::from_secs(7200));
    let short_ca = ca_with(Duration::from_secs(30 * 86_400), now);

    let mut cases = vec![
        Case { name: "kubelet-client CSR with a DNS SAN", result: sign(&kc_dns, &kubelet_client, &kc_usages, None), expected: refused(kc, "DNS subjectAltNames are not allowed"), exact: true },
        Case { name: "kubelet-client CSR with an IP SAN", result: sign(&kc_ip, &kubelet_client, &kc_usages, None), expected: refused(kc, "IP subjectAltNames are not allowed"), exact: true },
        Case { name: "kubelet-client CSR with an email SAN", result: sign(&kc_email, &kubelet_client, &kc_usages, None), expected: refused(kc, "Email subjectAltNames are not allowed"), exact: true },
        Case { name: "kubelet-client CSR with a URI SAN", result: sign(&kc_uri, &kubelet_client, &kc_usages, None), expected: refused(kc, "URI subjectAltNames are not allowed"), exact: true },
        Case { name: "kubelet-client CSR with O=system:masters", result: sign(&kc_masters, &kubelet_client, &kc_usages, None), expected: refused(kc, "subject organization is not system:nodes"), exact: true },
        Case { name: "kubelet-client CSR with CN not system:node:", result: sign(&kc_bad_cn, &kubelet_client, &kc_usages, None), expected: refused(kc, "subject common name does not begin with system:node:"), exact: true },
        Case { name: "kubelet-client CSR asking for server auth too", result: sign(&kc_ok, &kubelet_client, &usages(&["digital signature", "client auth", "server auth"]), None), expected: refused(kc, "usages did not match [client auth digital signature key encipherment]"), exact: true },
        Case { name: "kubelet-serving CSR without SANs", result: sign(&kc_ok, &serving, &ks_usages, None), expected: refused(ks, "DNS or IP subjectAltName is required"), exact: true },
        Case { name: "kubelet-serving CSR with an email SAN", result: sign(&ks_email, &serving, &ks_usages, None), expected: refused(ks, "Email subjectAltNames are not allowed"), exact: true },
        Case { name: "kubelet-serving CSR asking for client auth", result: sign(&ks_ok, &serving, &kc_usages, None), expected: refused(ks, "usages did not match [digital signature key encipherment server auth]"), exact: true },
        Case { name: "client CSR asking for server auth (spec.usages)", result: sign(&alice, &client, &usages(&["digital signature", "client auth", "server auth"]), None), expected: refused(cl, "invalid usage for client certificate: server auth"), exact: true },
        Case { name: "client CSR asking for server auth (CSR extendedKeyUsage)", result: SigningRequest::for_csr(&alice_server_eku, &client, None).and_then(|r| ca.sign_csr(&alice_server_eku, &client, &r, now)), expected: refused(cl, "invalid usage for client certificate: server auth"), exact: true },
        Case { name: "client CSR without client auth", result: sign(&alice, &client, &usages(&["digital signature"]), None), expected: refused(cl, "missing required usage for client certificate: client auth"), exact: true },
        Case { name: "client CSR asking for cert sign", result: sign(&alice, &client, &usages(&["cert sign", "client auth"]), None), expected: refused(cl, "invalid usage for client certificate: cert sign"), exact: true },
        Case { name: "CSR requesting CA:TRUE", result: sign(&alice_ca, &client, &kc_usages, None), expected: refused(cl, "the CSR requests basicConstraints CA:TRUE; a signer never issues a CA certificate from a CSR"), exact: true },
        Case { name: "CSR requesting keyUsage keyCertSign", result: sign(&alice_cert_sign_ku, &client, &kc_usages, None), expected: refused(cl, "the CSR requests keyUsage cert sign; a signer never issues a CA certificate from a CSR"), exact: true },
        Case { name: "expirationSeconds 599", result: sign(&alice, &client, &kc_usages, Some(599)), expected: "spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 600 seconds (10 minutes)".into(), exact: true },
        Case { name: "validity beyond the CA's notAfter", result: short_ca.sign_csr(&alice, &client, &SigningRequest::new(kc_usages.clone(), Some(60 * 86_400)), now), expected: "invalid validity: the requested validity of 5183700 s would outlive the CA \"kubernetes\" (notAfter 2027-02-14 08:00:00 UTC); ask for at most 2592000 s".into(), exact: true },
        Case { name: "CA already expired", result: expired_ca.sign_csr(&alice, &client, &SigningRequest::new(kc_usages.clone(), None), now), expected: "invalid validity: refusing to sign a certificate that expired in the past: NotAfter=2027-01-15 07:00:00 UTC (CA \"kubernetes\")".into(), exact: true },
        Case { name: "O=system:masters through kube-apiserver-client (default policy)", result: sign(&mallory, &client, &kc_usages, None), expected: refused(cl, "group \"system:masters\" is privileged (cluster-admin that no RBAC change can revoke); the policy must allow it explicitly"), exact: true },
        Case { name: "URI SAN through kube-apiserver-client", result: sign(&alice_uri, &client, &kc_usages, None), expected: refused(cl, "URI subjectAltNames are not allowed (kpki issues DNS and IP SANs only)"), exact: true },
        Case { name: "subject with an OU", result: sign(&alice_ou, &client, &kc_usages, None), expected: refused(cl, "the CSR subject has attributes other than CN and O (OU); kpki issues CN and O only"), exact: true },
        Case { name: "subject without a CN", result: sign(&no_cn, &client, &kc_usages, None), expected: refused(cl, "the CSR subject has no common name"), exact: true },
        Case { name: "subject with two CNs", result: sign(&two_cn, &client, &kc_usages, None), expected: refused(cl, "the CSR subject has 2 common names; exactly one is allowed"), exact: true },
        Case { name: "client CSR whose extendedKeyUsage asks for code signing", result: SigningRequest::for_csr(&alice_codesign, &client, None).and_then(|r| ca.sign_csr(&alice_codesign, &client, &r, now)), expected: refused(cl, "invalid usage for client certificate: code signing"), exact: true },
        Case { name: "CSR extendedKeyUsage without a certificates.k8s.io name", result: SigningRequest::for_csr(&alice_odd_eku, &client, None).and_then(|r| ca.sign_csr(&alice_odd_eku, &client, &r, now)), expected: refused(cl, "the CSR requests extended key usage 1.2.3.4 which has no certificates.k8s.io usage name"), exact: true },
        Case { name: "custom: CN outside the pattern", result: sign(&ci(0), &custom, &kc_usages, None), expected: refused("example.com/ci", "common name \"alice\" does not match the allowed pattern \"ci-*\""), exact: true },
        Case { name: "custom: group not allowed", result: sign(&ci(1), &custom, &kc_usages, None), expected: refused("example.com/ci", "group \"dev\" is not allowed (allowed: ci)"), exact: true },
        Case { name: "custom: DNS name outside the patterns", result: sign(&ci(2), &custom, &kc_usages, None), expected: refused("example.com/ci", "DNS name \"a.b.ci.example.com\" is not allowed (allowed: *.ci.example.com)"), exact: true },
        Case { name: "custom: IP outside the ranges", result: sign(&ci(3), &custom, &kc_usages, None), expected: refused("example.com/ci", "IP address 192.0.2.1 is not allowed (allowed: 10.0.0.0/8)"), exact: true },
        Case { name: "custom: usage not allowed", result: sign(&ci(4), &custom, &usages(&["client auth", "code signing"]), None), expected: refused("example.com/ci", "usage \"code signing\" is not allowed (allowed: digital signature, client auth, server auth)"), exact: true },
        Case { name: "custom: group outside the allowed patterns", result: sign(&ci(5), &custom.clone().allowing_privileged_group("unrelated"), &kc_usages, None), expected: refused("example.com/ci", "group \"ci:admins\" is not allowed (allowed: ci)"), exact: true },
        Case { name: "custom: privileged group even when the pattern allows it", result: sign(&ci(5), &{ let mut p = custom.clone(); if let SignerRules::Custom(r) = &mut p.rules { r.groups.push(Pattern::new("ci:*")); } p }, &kc_usages, None), expected: refused("example.com/ci", "group \"ci:admins\" is privileged; the policy must allow it explicitly"), exact: true },
        Case { name: "usages empty", result: sign(&alice, &client, &[], None), expected: "spec.usages: Invalid value: []: usages must be provided".into(), exact: true },
        Case { name: "usages duplicated", result: sign(&alice, &client, &usages(&["client auth", "client auth"]), None), expected: "spec.usages[1]: Invalid value: \"client auth\": Duplicate value".into(), exact: true },
    ];
    // The allowed counterparts sign (so the refusals above are about the one thing each
    // case changes).
    assert!(sign(&kc_ok, &kubelet_client, &kc_usages, None).is_ok());
    assert!(sign(&ks_ok, &serving, &ks_usages, None).is_ok());
    assert!(sign(&alice, &client, &kc_usages, Some(600)).is_ok());
    assert!(sign(&ci(4), &custom, &kc_usages, None).is_ok());
    assert!(
        sign(
            &mallory,
            &client.clone().allowing_privileged_group("system:masters"),
            &kc_usages,
            None
        )
        .is_ok()
    );
    assert!(
        short_ca
            .sign_csr(
                &alice,
                &client,
                &SigningRequest::new(kc_usages.clone(), Some(30 * 86_400 - 1)),
                now
            )
            .is_ok()
    );
    // code signing as an EKU through a custom signer that allows it
    let codesign = SignerPolicy::custom(
        "example.com/code",
        CustomRules {
            common_name: Pattern::new("alice"),
            groups: vec![],
            dns_names: vec![],
            ip_ranges: vec![],
            usages: usages(&["digital signature", "code signing"]),
        },
    )
    .unwrap();
    let r = SigningRequest::for_csr(&alice_codesign, &codesign, None).unwrap();
    assert_eq!(r.usages, usages(&["code signing"]));
    assert!(ca.sign_csr(&alice_codesign, &codesign, &r, now).is_ok());

    // Kube CSR objects: the object-level refusals.
    let obj = KubeCsr::new("alice", cl, alice.clone(), kc_usages.clone(), None).unwrap();
    cases.push(Case {
        name: "object for another signer",
        result: obj
            .approve_and_sign(&ca, &serving, now)
            .map(|o| o.certificate().unwrap().clone()),
        expected: refused(
            ks,
            "\"alice\" asks for signer \"kubernetes.io/kube-apiserver-client\"",
        ),
        exact: true,
    });
    let denied = obj.deny("no", now);
    cases.push(Case {
        name: "object already denied",
        result: denied
            .approve_and_sign(&ca, &client, now)
            .map(|o| o.certificate().unwrap().clone()),
        expected: refused(cl, "\"alice\" is already denied or failed"),
        exact: true,
    });
    let issued = obj.approve_and_sign(&ca, &client, now).unwrap();
    cases.push(Case {
        name: "object already issued",
        result: issued
            .approve_and_sign(&ca, &client, now)
            .map(|o| o.certificate().unwrap().clone()),
        expected: refused(cl, "\"alice\" already has a certificate"),
        exact: true,
    });

    println!("\n| case | error the caller sees |\n|---|---|");
    let mut failures = Vec::new();
    for case in &cases {
        let got = match &case.result {
            Ok(_) => "(signed!)".to_owned(),
            Err(e) => e.to_string(),
        };
        println!("| {} | `{}` |", case.name, got);
        let ok = if case.exact {
            got == case.expected
        } else {
            got.contains(&case.expected)
        };
        if !ok {
            failures.push(format!(
                "{}:\n  got      {got}\n  expected {}",
                case.name, case.expected
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---- kube CSR objects, users, policy files, output files --------------------------------

#[test]
fn signed_object_status_certificate_decodes_to_the_issued_certificate() {
    let now = SystemTime::now();
    let ca = ca(now);
    let csr = Csr::from_pem(&openssl_csr("ec", "/O=dev/CN=alice", &[])).unwrap();
    let obj = KubeCsr::new(
        "alice",
        "kubernetes.io/kube-apiserver-client",
        csr,
        usages(&["digital signature", "client auth"]),
        Some(86_400),
    )
    .unwrap();
    let signed = obj
        .approve_and_sign(&ca, &SignerPolicy::kube_apiserver_client(), now)
        .unwrap();
    let yaml = signed.to_yaml().unwrap();
    // PyYAML + base64 (an independent reader) decode status.certificate to PEM that
    // openssl verifies as a client certificate of this CA.
    let script = "import sys, yaml, base64\no = yaml.safe_load(sys.stdin)\nc = [x for x in o['status']['conditions'] if x['type'] == 'Approved'][0]\nassert c['status'] == 'True' and c['reason'] == 'KpkiApprove' and c['lastUpdateTime'].endswith('Z'), c\nsys.stdout.write(base64.b64decode(o['status']['certificate']).decode())";
    let out = run_piped(
        Command::new("python3").args(["-c", script]),
        Some(yaml.as_bytes()),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pem = String::from_utf8(out.stdout).unwrap();
    assert_eq!(pem, signed.certificate().unwrap().to_pem());
    let (ok, text) = openssl_verify(&ca, &pem, "sslclient");
    assert!(ok, "{text}");
    // Read back (as a List too), the certificate is the same.
    let list = KubeCsr::list_to_yaml(&[signed.clone(), obj.clone()]).unwrap();
    let document = KubeCsr::read_document(&list, "list").unwrap();
    assert!(document.is_list);
    assert!(
        !KubeCsr::read_document(&signed.to_yaml().unwrap(), "one")
            .unwrap()
            .is_list
    );
    let back = document.items;
    assert_eq!(back.len(), 2);
    assert_eq!(back[0].certificate(), signed.certificate());
    assert!(back[0].is_approved() && !back[1].is_approved());
    let denied = obj.deny("not today", now);
    let back = KubeCsr::from_json(&denied.to_json().unwrap()).unwrap();
    assert!(back.is_denied());
    assert_eq!(back.conditions[0].message.as_deref(), Some("not today"));
}

#[test]
fn users_get_a_client_certificate_and_kubeconfig_but_not_system_masters() {
    let now = SystemTime::now();
    let ca = ca(now);
    let cluster = KubeconfigCluster::new(
        None,
        "https://10.0.0.10:6443",
        Some(ca.chain_pem().as_str()),
    )
    .unwrap();
    let mut req = UserRequest::new("alice", ["dev", "ops"]).unwrap();
    req.key_algorithm = KeyAlgorithm::EcdsaP256;
    req.validity = Some(Duration::from_secs(7 * 86_400));
    let creds = ca.issue_user(&req, &cluster, now).unwrap();
    let (ok, text) = openssl_verify(&ca, &creds.certificate.to_pem(), "sslclient");
    assert!(ok, "{text}");
    let t = openssl_text(&creds.certificate.to_pem());
    assert!(t.contains("Subject: O = dev, O = ops, CN = alice"), "{t}");
    assert_eq!(creds.kubeconfig.current_context, "alice@kubernetes");
    assert_eq!(
        creds.kubeconfig.client_key().unwrap().unwrap().public_key(),
        creds.key.public_key()
    );

    let masters = UserRequest::new("root", ["system:masters"]).unwrap();
    let err = ca.issue_user(&masters, &cluster, now).unwrap_err();
    assert!(matches!(err, Error::PolicyRefused { .. }), "{err}");
    let mut allowed = masters.clone();
    allowed.key_algorithm = KeyAlgorithm::EcdsaP256;
    allowed
        .allowed_privileged_groups
        .push("system:masters".into());
    assert!(ca.issue_user(&allowed, &cluster, now).is_ok());

    let mut short = req.clone();
    short.validity = Some(Duration::from_secs(599));
    let err = ca.issue_user(&short, &cluster, now).unwrap_err();
    assert!(err.to_string().contains("at least 600 s"), "{err}");
}

#[test]
fn policy_files_load_and_bad_ones_name_the_field() {
    let p = SignerPolicy::from_yaml(
        "signerName: example.com/ci\ncommonName: 'ci-*'\ngroups: [ci]\ndnsNames: ['*.ci.example.com']\nipAddresses: [10.0.0.0/8, 192.0.2.7]\nusages: [digital signature, client auth]\nmaxValidity: 24h\nprivilegedGroups: ['ci:admins']\nallowPrivilegedGroups: [system:masters]\n",
        "ci.yaml",
    )
    .unwrap();
    assert_eq!(p.signer_name, "example.com/ci");
    assert_eq!(p.max_validity, Duration::from_secs(86_400));
    assert!(p.privileged_groups.contains(&"ci:admins".to_owned()));
    assert_eq!(p.allowed_privileged_groups, ["system:masters"]);
    let j = SignerPolicy::from_json(
        r#"{"signerName":"kubernetes.io/kubelet-serving","maxValidity":"720h"}"#,
        "p.json",
    )
    .unwrap();
    assert_eq!(j.rules, SignerPolicy::kubelet_serving().rules);
    assert_eq!(j.max_validity, Duration::from_secs(720 * 3600));

    for (text, needle) in [
        (
            "signerName: example.com/ci\nusages: [client auth]\n",
            "commonName: required",
        ),
        (
            "signerName: example.com/ci\ncommonName: x\n",
            "usages: required",
        ),
        (
            "signerName: example.com/ci\ncommonName: x\nusages: []\n",
            "at least one usage",
        ),
        (
            "signerName: example.com/ci\ncommonName: x\nusages: [cert sign]\n",
            "is for CAs",
        ),
        (
            "signerName: example.com/ci\ncommonName: x\nusages: [bogus]\n",
            "unknown usage \"bogus\"",
        ),
        (
            "signerName: example.com/ci\ncommonName: x\nusages: [client auth]\nipAddresses: [nope]\n",
            "ipAddresses",
        ),
        (
            "signerName: example.com/ci\ncommonName: x\nusages: [client auth]\nmaxValidity: forever\n",
            "maxValidity",
        ),
        (
            "signerName: example.com/ci\ncommonName: x\nusages: [client auth]\nmaxValidity: 5m\n",
            "shorter than the 600 s",
        ),
        (
            "signerName: kubernetes.io/kubelet-serving\ncommonName: x\n",
            "fixed rules",
        ),
        ("signerName: kubernetes.io/unknown\n", "unknown signer"),
        (
            "signerName: noslash\ncommonName: x\nusages: [client auth]\n",
            "example.com/signer-name",
        ),
        (
            "signerName: example.com/ci\ncommonName: x\nusages: [client auth]\ntypo: 1\n",
            "typo",
        ),
        ("{", "ci.yaml"),
    ] {
        let err = SignerPolicy::from_yaml(text, "ci.yaml").unwrap_err();
        assert!(matches!(err, Error::InvalidPolicy { .. }), "{text}: {err}");
        assert!(err.to_string().contains(needle), "{text}: {err}");
    }
    let err = SignerPolicy::from_json("{", "p.json").unwrap_err();
    assert!(
        err.to_string().starts_with("p.json: invalid signer policy"),
        "{err}"
    );
    let err = SignerPolicy::builtin("example.com/x").unwrap_err();
    assert!(matches!(err, Error::UnknownChoice { .. }), "{err}");
}

#[test]
fn output_files_are_all_or_nothing_and_never_replace_a_key() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = TempDir::new("out");
    let key = dir.path().join("a.key");
    let crt = dir.path().join("a.crt");
    write_new_files(
        &[
            OutputFile::secret(&key, b"KEY"),
            OutputFile::public(&crt, b"CRT".to_vec()),
        ],
        false,
    )
    .unwrap();
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        std::fs::metadata(&crt).unwrap().permissions().mode() & 0o777,
        0o644
    );
    // An existing key is never replaced, even when public files may be.
    let err = write_new_files(&[OutputFile::secret(&key, b"NEW")], true).unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }), "{err}");
    assert_eq!(std::fs::read(&key).unwrap(), b"KEY");
    // An existing public file only with replace_public.
    let err = write_new_files(&[OutputFile::public(&crt, b"NEW".to_vec())], false).unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }), "{err}");
    write_new_files(&[OutputFile::public(&crt, b"NEW".to_vec())], true).unwrap();
    assert_eq!(std::fs::read(&crt).unwrap(), b"NEW");
    // A failing second write undoes the first.
    let fresh = dir.path().join("fresh.crt");
    let err = write_new_files(
        &[
            OutputFile::public(&fresh, b"X".to_vec()),
            OutputFile::public(dir.path().join("missing/dir/x.crt"), b"Y".to_vec()),
        ],
        false,
    )
    .unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    assert!(!fresh.exists());
    let err = write_new_files(
        &[
            OutputFile::public(&fresh, b"X".to_vec()),
            OutputFile::public(&fresh, b"Y".to_vec()),
        ],
        false,
    )
    .unwrap_err();
    assert!(err.to_string().contains("named for two outputs"), "{err}");
}

#[test]
fn unusual_csrs_are_refused_with_a_reason() {
    let now = SystemTime::now();
    let ca = ca(now);
    let client = SignerPolicy::kube_apiserver_client();
    let pss = Command::new("openssl")
        .args([
            "req",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "/dev/null",
            "-subj",
            "/CN=pss",
            "-sigopt",
            "rsa_padding_mode:pss",
            "-sha256",
        ])
        .output()
        .unwrap();
    let small = openssl_csr("rsa:1024", "/CN=small", &[]);
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "RSA-PSS signature",
            String::from_utf8(pss.stdout).unwrap(),
            "unsupported signature algorithm 1.2.840.113549.1.1.10",
        ),
        (
            "RSA-1024 key",
            small,
            "unusable public key: RSA-1024 is not supported (use 2048, 3072 or 4096 bits)",
        ),
        (
            "IP SAN of 5 bytes",
            openssl_csr("ec", "/CN=x", &["2.5.29.17=DER:300787050102030405"]),
            "IP address SAN of 5 bytes",
        ),
        (
            "subjectAltName that is not a GeneralNames",
            openssl_csr("ec", "/CN=x", &["2.5.29.17=DER:0500"]),
            "malformed requested extension 2.5.29.17",
        ),
    ];
    for (name, pem, expected) in cases {
        let err = Csr::from_pem(&pem).unwrap_err();
        assert!(matches!(err, Error::InvalidCsr { .. }), "{name}: {err}");
        assert!(err.to_string().contains(expected), "{name}: {err}");
    }

    // An otherName SAN parses (so a policy can see it) and is refused when signing.
    let other = Csr::from_pem(&openssl_csr(
        "ec",
        "/CN=x",
        &["subjectAltName=otherName:1.2.3.4;UTF8:hello"],
    ))
    .unwrap();
    assert_eq!(
        other.info().sans,
        [kpki_core::RequestedSan::Other("otherName".into())]
    );
    let err = ca
        .sign_csr(
            &other,
            &client,
            &SigningRequest::new(usages(&["client auth"]), None),
            now,
        )
        .unwrap_err();
    assert!(
        err.to_string().ends_with(
            "otherName subjectAltNames are not allowed (kpki issues DNS and IP SANs only)"
        ),
        "{err}"
    );

    // Hand-made with rcgen: an extension requested twice, two extensionRequest
    // attributes, a BMPString subject.
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = rcgen::CertificateParams::default();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "x");
    params.custom_extensions = vec![
        rcgen::CustomExtension::from_oid_content(&[1, 2, 3, 4], vec![0x05, 0x00]),
        rcgen::CustomExtension::from_oid_content(&[1, 2, 3, 4], vec![0x05, 0x00]),
    ];
    let twice = params.serialize_request(&key).unwrap();
    let err = Csr::from_der(twice.der()).unwrap_err();
    assert!(
        err.to_string()
            .contains("extension 1.2.3.4 is requested twice"),
        "{err}"
    );

    let mut params = rcgen::CertificateParams::default();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "x");
    params.custom_extensions = vec![rcgen::CustomExtension::from_oid_content(
        &[1, 2, 3, 4],
        vec![0x05, 0x00],
    )];
    // SET { SEQUENCE { OID 1.2.3.5, NULL } }: a second Extensions value.
    let second = rcgen::Attribute {
        oid: &[1, 2, 840, 113_549, 1, 9, 14],
        values: vec![
            0x31, 0x0b, 0x30, 0x09, 0x30, 0x07, 0x06, 0x03, 0x2a, 0x03, 0x05, 0x04, 0x00,
        ],
    };
    let two = params
        .serialize_request_with_attributes(&key, vec![second])
        .unwrap();
    let err = Csr::from_der(two.der()).unwrap_err();
    assert!(
        err.to_string()
            .contains("more than one extensionRequest attribute"),
        "{err}"
    );
}

#[test]
fn usages_come_from_the_csr_or_the_signer_defaults() {
    let client = SignerPolicy::kube_apiserver_client();
    let with_ext = Csr::from_pem(&openssl_csr(
        "ec",
        "/CN=alice",
        &[
            "keyUsage=digitalSignature,keyEncipherment",
            "extendedKeyUsage=clientAuth",
        ],
    ))
    .unwrap();
    let r = SigningRequest::for_csr(&with_ext, &client, Some(3600)).unwrap();
    assert_eq!(
        r.usages,
        usages(&["digital signature", "key encipherment", "client auth"])
    );
    assert_eq!(r.expiration_seconds, Some(3600));
    let rsa = Csr::from_pem(&openssl_csr("rsa:2048", "/CN=alice", &[])).unwrap();
    assert_eq!(
        SigningRequest::for_csr(&rsa, &SignerPolicy::kubelet_serving(), None)
            .unwrap()
            .usages,
        usages(&["digital signature", "key encipherment", "server auth"])
    );
    let ec = Csr::from_pem(&openssl_csr("ec", "/CN=alice", &[])).unwrap();
    assert_eq!(
        SigningRequest::for_csr(&ec, &client, None).unwrap().usages,
        usages(&["digital signature", "client auth"])
    );
    // A custom signer's defaults drop key encipherment for non-RSA keys.
    let custom = SignerPolicy::custom(
        "example.com/x",
        CustomRules {
            common_name: Pattern::new("*"),
            groups: vec![],
            dns_names: vec![],
            ip_ranges: vec![],
            usages: usages(&["digital signature", "key encipherment", "client auth"]),
        },
    )
    .unwrap();
    assert_eq!(
        custom.default_usages(KeyAlgorithm::EcdsaP256),
        usages(&["digital signature", "client auth"])
    );
    let err = SignerPolicy::custom(
        "kubernetes.io/mine",
        CustomRules {
            common_name: Pattern::new("*"),
            groups: vec![],
            dns_names: vec![],
            ip_ranges: vec![],
            usages: usages(&["client auth"]),
        },
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("kubernetes.io signers have fixed rules"),
        "{err}"
    );
}

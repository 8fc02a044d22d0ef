//! `kpki csr`, `kpki sign`, `kpki kube-csr create|sign` and `kpki user` end to end,
//! checked with outside tools: `openssl req -verify`, `openssl verify -purpose`,
//! `kubectl apply --dry-run=client` (against a stand-in serving only the API discovery
//! documents, `tests/fixtures/fake_discovery.py`, since no cluster is available), and
//! Python's `yaml` + `base64` to decode `status.certificate`. Every refusal exits
//! non-zero and leaves no file behind.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use kpki_testkit::run_piped;

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let mut rnd = [0u8; 8];
        std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom").unwrap(), &mut rnd)
            .unwrap();
        let name: String = rnd.iter().map(|b| format!("{b:02x}")).collect();
        let p = std::env::temp_dir().join(format!("kpki-cli-{tag}-{name}"));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn path(&self) -> &Path {
        &self.0
    }
    fn join(&self, p: &str) -> PathBuf {
        self.0.join(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process killed and reaped (by its PID) when dropped.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn kpki(dir: &TempDir, args: &[&str]) -> Output {
    run_piped(
        Command::new(env!("CARGO_BIN_EXE_kpki"))
            .current_dir(dir.path())
            .args(args),
        None,
    )
}

fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn refused(out: &Output, what: &str) -> String {
    assert!(
        !out.status.success(),
        "{what}: expected a refusal, got success: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        out.stdout.is_empty(),
        "{what}: printed {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// A kubeadm directory with an ECDSA cluster CA, made by `kpki init`.
fn cluster(dir: &TempDir) {
    ok(
        &kpki(
            dir,
            &[
                "init",
                "--dir",
                "pki",
                "--node-name",
                "node01",
                "--advertise-address",
                "10.0.0.10",
                "--key-algorithm",
                "ecdsa-p256",
                "-q",
            ],
        ),
        "kpki init",
    );
}

fn openssl_verify(dir: &TempDir, cert: &Path, purpose: &str) -> (bool, String) {
    let out = run_piped(
        Command::new("openssl").current_dir(dir.path()).args([
            "verify",
            "-CAfile",
            "pki/pki/ca.crt",
            "-purpose",
            purpose,
            cert.to_str().unwrap(),
        ]),
        None,
    );
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success() && text.contains(": OK"), text)
}

fn openssl_subject(cert: &Path) -> String {
    let out = run_piped(
        Command::new("openssl").args(["x509", "-noout", "-subject", "-in", cert.to_str().unwrap()]),
        None,
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn csr_then_sign_verifies_with_openssl() {
    let dir = TempDir::new("sign");
    cluster(&dir);
    ok(
        &kpki(
            &dir,
            &[
                "csr",
                "--cn",
                "alice",
                "--org",
                "dev",
                "--org",
                "ops",
                "--key-algorithm",
                "ecdsa-p256",
                "--key-out",
                "alice.key",
                "--csr-out",
                "alice.csr",
            ],
        ),
        "kpki csr",
    );
    let mode = std::fs::metadata(dir.join("alice.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let out = run_piped(
        Command::new("openssl").current_dir(dir.path()).args([
            "req",
            "-in",
            "alice.csr",
            "-noout",
            "-verify",
            "-subject",
        ]),
        None,
    );
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("verify OK") && text.contains("O = dev, O = ops, CN = alice"),
        "{text}"
    );

    ok(
        &kpki(
            &dir,
            &[
                "sign",
                "--dir",
                "pki",
                "--csr",
                "alice.csr",
                "--signer",
                "kubernetes.io/kube-apiserver-client",
                "--duration",
                "24h",
                "--out",
                "alice.crt",
            ],
        ),
        "kpki sign",
    );
    let (verified, text) = openssl_verify(&dir, &dir.join("alice.crt"), "sslclient");
    assert!(verified, "{text}");
    assert!(openssl_subject(&dir.join("alice.crt")).contains("O = dev, O = ops, CN = alice"));

    // A DER CSR from openssl, a kubelet serving certificate.
    let out = run_piped(
        Command::new("openssl").current_dir(dir.path()).args([
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "node.key",
            "-subj",
            "/O=system:nodes/CN=system:node:node02",
            "-addext",
            "subjectAltName=DNS:node02,IP:10.0.0.22",
            "-outform",
            "DER",
            "-out",
            "node.der",
        ]),
        None,
    );
    assert!(out.status.success());
    ok(
        &kpki(
            &dir,
            &[
                "sign",
                "--dir",
                "pki",
                "--csr",
                "node.der",
                "--signer",
                "kubernetes.io/kubelet-serving",
                "--out",
                "node.crt",
            ],
        ),
        "kpki sign (kubelet-serving)",
    );
    let (verified, text) = openssl_verify(&dir, &dir.join("node.crt"), "sslserver");
    assert!(verified, "{text}");

    // A custom policy file.
    std::fs::write(
        dir.join("ci.yaml"),
        "signerName: example.com/ci\ncommonName: 'ci-*'\ngroups: [ci]\nusages: [digital signature, client auth]\nmaxValidity: 24h\n",
    )
    .unwrap();
    ok(
        &kpki(
            &dir,
            &[
                "csr",
                "--cn",
                "ci-7",
                "--org",
                "ci",
                "--key-algorithm",
                "ed25519",
                "--key-out",
                "ci.key",
                "--csr-out",
                "ci.csr",
            ],
        ),
        "kpki csr (ci)",
    );
    ok(
        &kpki(
            &dir,
            &[
                "sign", "--dir", "pki", "--csr", "ci.csr", "--policy", "ci.yaml", "--out", "ci.crt",
            ],
        ),
        "kpki sign --policy",
    );
    let (verified, text) = openssl_verify(&dir, &dir.join("ci.crt"), "sslclient");
    assert!(verified, "{text}");
}

#[test]
fn refusals_exit_non_zero_and_write_nothing() {
    let dir = TempDir::new("refuse");
    cluster(&dir);
    let csr = |cn: &str, orgs: &[&str], extra: &[&str], name: &str| {
        let key = format!("{name}.key");
        let csr = format!("{name}.csr");
        let mut args = vec![
            "csr",
            "--cn",
            cn,
            "--key-algorithm",
            "ecdsa-p256",
            "--key-out",
            &key,
            "--csr-out",
            &csr,
        ];
        for o in orgs {
            args.extend(["--org", o]);
        }
        args.extend(extra);
        ok(&kpki(&dir, &args), "kpki csr");
    };
    csr("mallory", &["system:masters"], &[], "mallory");
    csr(
        "system:node:node01",
        &["system:nodes"],
        &["--dns", "node01"],
        "kubelet",
    );
    csr("alice", &["dev"], &[], "alice");
    std::fs::write(
        dir.join("ci.yaml"),
        "signerName: example.com/ci\ncommonName: 'ci-*'\nusages: [client auth]\n",
    )
    .unwrap();

    let cases: &[(&str, &[&str], &str)] = &[
        (
            "O=system:masters through kube-apiserver-client",
            &[
                "sign",
                "--dir",
                "pki",
                "--csr",
                "mallory.csr",
                "--signer",
                "kubernetes.io/kube-apiserver-client",
                "--out",
                "out.crt",
            ],
            "kpki: error: signer \"kubernetes.io/kube-apiserver-client\" refuses the request: group \"system:masters\" is privileged (cluster-admin that no RBAC change can revoke); the policy must allow it explicitly",
        ),
        (
            "kubelet-client CSR with a SAN",
            &[
                "sign",
                "--dir",
                "pki",
                "--csr",
                "kubelet.csr",
                "--signer",
                "kubernetes.io/kube-apiserver-client-kubelet",
                "--out",
                "out.crt",
            ],
            "kpki: error: signer \"kubernetes.io/kube-apiserver-client-kubelet\" refuses the request: DNS subjectAltNames are not allowed",
        ),
        (
            "--duration 599s",
            &[
                "sign",
                "--dir",
                "pki",
                "--csr",
                "alice.csr",
                "--signer",
                "kubernetes.io/kube-apiserver-client",
                "--duration",
                "599s",
                "--out",
                "out.crt",
            ],
            "kpki: error: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 600 seconds (10 minutes)",
        ),
        (
            "duration beyond the CA",
            &[
                "sign",
                "--dir",
                "pki",
                "--csr",
                "alice.csr",
                "--policy",
                "big.yaml",
                "--duration",
                "100000h",
                "--out",
                "out.crt",
            ],
            "would outlive the CA \"kubernetes\"",
        ),
        (
            "client CSR asking for server auth",
            &[
                "sign",
                "--dir",
                "pki",
                "--csr",
                "alice.csr",
                "--signer",
                "kubernetes.io/kube-apiserver-client",
                "--usage",
                "server auth",
                "--usage",
                "client auth",
                "--out",
                "out.crt",
            ],
            "refuses the request: invalid usage for client certificate: server auth",
        ),
        (
            "custom policy: CN outside the pattern",
            &[
                "sign",
                "--dir",
                "pki",
                "--csr",
                "alice.csr",
                "--policy",
                "ci.yaml",
                "--out",
                "out.crt",
            ],
            "signer \"example.com/ci\" refuses the request: common name \"alice\" does not match the allowed pattern \"ci-*\"",
        ),
        (
            "unknown signer",
            &[
                "sign",
                "--dir",
                "pki",
                "--csr",
                "alice.csr",
                "--signer",
                "example.com/x",
                "--out",
                "out.crt",
            ],
            "unknown signer \"example.com/x\"",
        ),
        (
            "unknown usage",
            &[
                "sign",
                "--dir",
                "pki",
                "--csr",
                "alice.csr",
                "--signer",
                "kubernetes.io/kube-apiserver-client",
                "--usage",
                "client-auth",
                "--out",
                "out.crt",
            ],
            "spec.usages[0]: Invalid value: \"client-auth\"",
        ),
        (
            "no CA in the directory",
            &[
                "sign",
                "--dir",
                "nowhere",
                "--csr",
                "alice.csr",
                "--signer",
                "kubernetes.io/kube-apiserver-client",
                "--out",
                "out.crt",
            ],
            "nowhere: no CA found",
        ),
        (
            "not a CSR",
            &[
                "sign",
                "--dir",
                "pki",
                "--csr",
                "pki/pki/ca.crt",
                "--signer",
                "kubernetes.io/kube-apiserver-client",
                "--out",
                "out.crt",
            ],
            "expected a CERTIFICATE REQUEST or NEW CERTIFICATE REQUEST block",
        ),
        (
            "user in system:masters",
            &[
                "user",
                "root",
                "--dir",
                "pki",
                "--group",
                "system:masters",
                "--key-algorithm",
                "ecdsa-p256",
                "--kubeconfig-out",
                "out.crt",
            ],
            "group \"system:masters\" is privileged",
        ),
        (
            "user without admin.conf or --server",
            &[
                "user",
                "bob",
                "--dir",
                "nowhere",
                "--kubeconfig-out",
                "out.crt",
            ],
            "admin.conf: not found; give the API server URL with --server",
        ),
        (
            "kube-csr create with expirationSeconds 599",
            &[
                "kube-csr",
                "create",
                "--csr",
                "alice.csr",
                "--signer",
                "kubernetes.io/kube-apiserver-client",
                "--name",
                "alice",
                "--expiration-seconds",
                "599",
            ],
            "kpki: error: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 600 seconds (10 minutes)",
        ),
        (
            "missing CSR file",
            &[
                "sign",
                "--dir",
                "pki",
                "--csr",
                "missing.csr",
                "--signer",
                "kubernetes.io/kube-apiserver-client",
                "--out",
                "out.crt",
            ],
            "kpki: error: missing.csr: No such file or directory",
        ),
        (
            "CA certificate without its key",
            &[
                "sign",
                "--dir",
                "external",
                "--csr",
                "alice.csr",
                "--signer",
                "kubernetes.io/kube-apiserver-client",
                "--out",
                "out.crt",
            ],
            "the kubernetes CA has no private key here, so it cannot sign",
        ),
        (
            "kube-csr sign for a custom signer without a policy",
            &["kube-csr", "sign", "--dir", "pki", "custom-obj.yaml"],
            "kpki: error: \"alice\": unknown signer \"example.com/ci\"",
        ),
        (
            "kube-csr create for a custom signer without usages",
            &[
                "kube-csr",
                "create",
                "--csr",
                "alice.csr",
                "--signer",
                "example.com/ci",
                "--name",
                "alice",
            ],
            "not a built-in signer; give its usages with --usage",
        ),
    ];
    std::fs::write(dir.join("big.yaml"), "signerName: example.com/big\ncommonName: alice\ngroups: [dev]\nusages: [digital signature, client auth]\nmaxValidity: 1000000h\n").unwrap();
    std::fs::create_dir_all(dir.join("external/pki")).unwrap();
    std::fs::copy(dir.join("pki/pki/ca.crt"), dir.join("external/pki/ca.crt")).unwrap();
    let custom_obj = ok(
        &kpki(
            &dir,
            &[
                "kube-csr",
                "create",
                "--csr",
                "alice.csr",
                "--signer",
                "example.com/ci",
                "--name",
                "alice",
                "--usage",
                "client auth",
            ],
        ),
        "kube-csr create (custom signer)",
    );
    std::fs::write(dir.join("custom-obj.yaml"), custom_obj).unwrap();
    println!("\n| kpki command | stderr |\n|---|---|");
    for (name, args, expected) in cases {
        let out = kpki(&dir, args);
        let err = refused(&out, name);
        println!("| {name} | `{}` |", err.trim());
        assert!(err.contains(expected), "{name}: {err}");
        assert!(!dir.join("out.crt").exists(), "{name}: wrote a file");
    }

    // Never overwrite: an existing key refuses the whole `kpki csr`, writing no CSR.
    std::fs::write(dir.join("taken.key"), "precious").unwrap();
    let out = kpki(
        &dir,
        &[
            "csr",
            "--cn",
            "x",
            "--key-algorithm",
            "ecdsa-p256",
            "--key-out",
            "taken.key",
            "--csr-out",
            "taken.csr",
        ],
    );
    let err = refused(&out, "existing key");
    assert!(err.contains("taken.key: already exists"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("taken.key")).unwrap(),
        "precious"
    );
    assert!(!dir.join("taken.csr").exists());
    // An existing certificate only with --force.
    std::fs::write(dir.join("have.crt"), "old").unwrap();
    let sign = |force: bool| {
        let mut a = vec![
            "sign",
            "--dir",
            "pki",
            "--csr",
            "alice.csr",
            "--signer",
            "kubernetes.io/kube-apiserver-client",
            "--out",
            "have.crt",
        ];
        if force {
            a.push("--force");
        }
        kpki(&dir, &a)
    };
    let err = refused(&sign(false), "existing certificate");
    assert!(err.contains("have.crt: already exists"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("have.crt")).unwrap(),
        "old"
    );
    ok(&sign(true), "--force");
    assert!(openssl_verify(&dir, &dir.join("have.crt"), "sslclient").0);
    // An explicitly allowed privileged group signs.
    ok(
        &kpki(
            &dir,
            &[
                "sign",
                "--dir",
                "pki",
                "--csr",
                "mallory.csr",
                "--signer",
                "kubernetes.io/kube-apiserver-client",
                "--allow-privileged-group",
                "system:masters",
                "--out",
                "mallory.crt",
            ],
        ),
        "allowed system:masters",
    );
}

/// Starts the discovery stand-in and writes a kubeconfig pointing at it.
fn fake_apiserver(dir: &TempDir) -> (ChildGuard, PathBuf) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fake_discovery.py");
    let port_file = dir.join("port");
    let child = Command::new("python3")
        .arg(&script)
        .arg(&port_file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let guard = ChildGuard(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    let port = loop {
        if let Ok(p) = std::fs::read_to_string(&port_file)
            && !p.is_empty()
        {
            break p;
        }
        assert!(
            Instant::now() < deadline,
            "fake discovery server did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let conf = dir.join("fake.conf");
    std::fs::write(
        &conf,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- cluster: {{server: \"http://127.0.0.1:{port}\"}}\n  name: fake\ncontexts:\n- context: {{cluster: fake, user: fake}}\n  name: fake\ncurrent-context: fake\nusers:\n- name: fake\n  user: {{}}\n"
        ),
    )
    .unwrap();
    (guard, conf)
}

fn kubectl_dry_run(conf: &Path, file: &Path) -> Output {
    run_piped(
        Command::new("kubectl").args([
            "--kubeconfig",
            conf.to_str().unwrap(),
            "apply",
            "--dry-run=client",
            "--validate=false",
            "-o",
            "json",
            "-f",
            file.to_str().unwrap(),
        ]),
        None,
    )
}

#[test]
fn kube_csr_objects_pass_kubectl_and_the_signed_certificate_decodes() {
    let dir = TempDir::new("kubecsr");
    cluster(&dir);
    let (_server, conf) = fake_apiserver(&dir);
    ok(
        &kpki(
            &dir,
            &[
                "csr",
                "--cn",
                "alice",
                "--org",
                "dev",
                "--key-algorithm",
                "ecdsa-p256",
                "--key-out",
                "a.key",
                "--csr-out",
                "a.csr",
            ],
        ),
        "kpki csr",
    );
    let object = ok(
        &kpki(
            &dir,
            &[
                "kube-csr",
                "create",
                "--csr",
                "a.csr",
                "--signer",
                "kubernetes.io/kube-apiserver-client",
                "--name",
                "alice",
                "--expiration-seconds",
                "86400",
            ],
        ),
        "kube-csr create",
    );
    std::fs::write(dir.join("alice.yaml"), &object).unwrap();
    let out = kubectl_dry_run(&conf, &dir.join("alice.yaml"));
    let json = ok(&out, "kubectl apply --dry-run=client (created object)");
    assert!(
        json.contains("\"kind\": \"CertificateSigningRequest\""),
        "{json}"
    );
    assert!(
        json.contains("\"signerName\": \"kubernetes.io/kube-apiserver-client\""),
        "{json}"
    );
    assert!(json.contains("\"expirationSeconds\": 86400"), "{json}");
    println!("kubectl apply --dry-run=client accepted the created object");

    let signed = ok(
        &kpki(&dir, &["kube-csr", "sign", "--dir", "pki", "alice.yaml"]),
        "kube-csr sign",
    );
    std::fs::write(dir.join("signed.yaml"), &signed).unwrap();
    ok(
        &kubectl_dry_run(&conf, &dir.join("signed.yaml")),
        "kubectl apply --dry-run=client (signed object)",
    );
    // status.certificate decodes (PyYAML + base64) to a certificate openssl verifies.
    let script = "import sys, yaml, base64\no = yaml.safe_load(open(sys.argv[1]))\nassert [c['type'] for c in o['status']['conditions']] == ['Approved'], o['status']\nopen(sys.argv[2], 'wb').write(base64.b64decode(o['status']['certificate']))";
    let out = run_piped(
        Command::new("python3").current_dir(dir.path()).args([
            "-c",
            script,
            "signed.yaml",
            "issued.crt",
        ]),
        None,
    );
    ok(&out, "decode status.certificate");
    let (verified, text) = openssl_verify(&dir, &dir.join("issued.crt"), "sslclient");
    assert!(verified, "{text}");
    assert!(openssl_subject(&dir.join("issued.crt")).contains("O = dev, CN = alice"));

    // JSON output is accepted too.
    let json_obj = ok(
        &kpki(
            &dir,
            &[
                "kube-csr",
                "create",
                "--csr",
                "a.csr",
                "--signer",
                "kubernetes.io/kube-apiserver-client",
                "--name",
                "alice-json",
                "--json",
            ],
        ),
        "kube-csr create --json",
    );
    std::fs::write(dir.join("alice.json"), &json_obj).unwrap();
    ok(
        &kubectl_dry_run(&conf, &dir.join("alice.json")),
        "kubectl (JSON object)",
    );

    // A custom signer signs through --policy.
    std::fs::write(
        dir.join("ci.yaml"),
        "signerName: example.com/ci\ncommonName: 'ci-*'\ngroups: [ci]\nusages: [digital signature, client auth]\n",
    )
    .unwrap();
    ok(
        &kpki(
            &dir,
            &[
                "csr",
                "--cn",
                "ci-7",
                "--org",
                "ci",
                "--key-algorithm",
                "ecdsa-p256",
                "--key-out",
                "ci.key",
                "--csr-out",
                "ci.csr",
            ],
        ),
        "kpki csr (ci)",
    );
    let ci = ok(
        &kpki(
            &dir,
            &[
                "kube-csr",
                "create",
                "--csr",
                "ci.csr",
                "--signer",
                "example.com/ci",
                "--name",
                "ci-7",
                "--usage",
                "digital signature",
                "--usage",
                "client auth",
            ],
        ),
        "kube-csr create (ci)",
    );
    std::fs::write(dir.join("ci-obj.yaml"), ci).unwrap();
    let signed_ci = ok(
        &kpki(
            &dir,
            &[
                "kube-csr",
                "sign",
                "--dir",
                "pki",
                "--policy",
                "ci.yaml",
                "ci-obj.yaml",
            ],
        ),
        "kube-csr sign --policy",
    );
    assert!(
        signed_ci.contains("KpkiApprove") && signed_ci.contains("certificate:"),
        "{signed_ci}"
    );
    // --policy applies to its own signerName; a built-in signer's object keeps the
    // built-in rules.
    let both = ok(
        &kpki(
            &dir,
            &[
                "kube-csr",
                "sign",
                "--dir",
                "pki",
                "--policy",
                "ci.yaml",
                "alice.yaml",
            ],
        ),
        "kube-csr sign: built-in object with a custom policy given",
    );
    assert!(
        both.contains("kubernetes.io/kube-apiserver-client."),
        "{both}"
    );

    // The check can fail: a misspelled kind is rejected by kubectl.
    std::fs::write(
        dir.join("bad.yaml"),
        object.replace(
            "kind: CertificateSigningRequest",
            "kind: CertificateSigningReqest",
        ),
    )
    .unwrap();
    let out = kubectl_dry_run(&conf, &dir.join("bad.yaml"));
    assert!(!out.status.success(), "kubectl accepted a misspelled kind");

    // A List with one refusable item: nothing printed, non-zero exit, the refusal named.
    ok(
        &kpki(
            &dir,
            &[
                "csr",
                "--cn",
                "mallory",
                "--org",
                "system:masters",
                "--key-algorithm",
                "ecdsa-p256",
                "--key-out",
                "m.key",
                "--csr-out",
                "m.csr",
            ],
        ),
        "kpki csr (mallory)",
    );
    let mallory = ok(
        &kpki(
            &dir,
            &[
                "kube-csr",
                "create",
                "--csr",
                "m.csr",
                "--signer",
                "kubernetes.io/kube-apiserver-client",
                "--name",
                "mallory",
            ],
        ),
        "kube-csr create (mallory)",
    );
    let indent = |doc: &str| {
        doc.lines()
            .enumerate()
            .map(|(i, l)| {
                if i == 0 {
                    format!("- {l}\n")
                } else {
                    format!("  {l}\n")
                }
            })
            .collect::<String>()
    };
    let list = format!(
        "apiVersion: v1\nkind: List\nitems:\n{}{}",
        indent(&object),
        indent(&mallory)
    );
    std::fs::write(dir.join("list.yaml"), &list).unwrap();
    ok(
        &kubectl_dry_run(&conf, &dir.join("list.yaml")),
        "kubectl (List)",
    );
    let err = refused(
        &kpki(&dir, &["kube-csr", "sign", "--dir", "pki", "list.yaml"]),
        "List with mallory",
    );
    assert!(err.contains("\"mallory\": signer \"kubernetes.io/kube-apiserver-client\" refuses the request: group \"system:masters\" is privileged"), "{err}");
    // Without mallory the List is signed and printed as a List.
    let list = format!("apiVersion: v1\nkind: List\nitems:\n{}", indent(&object));
    std::fs::write(dir.join("list1.yaml"), &list).unwrap();
    let out = ok(
        &kpki(&dir, &["kube-csr", "sign", "--dir", "pki", "list1.yaml"]),
        "List of one",
    );
    assert!(
        out.contains("kind: List") && out.contains("certificate:"),
        "{out}"
    );
}

#[test]
fn user_kubeconfig_is_read_by_kubectl_and_its_certificate_verifies() {
    let dir = TempDir::new("user");
    cluster(&dir);
    ok(
        &kpki(
            &dir,
            &[
                "user",
                "alice",
                "--dir",
                "pki",
                "--group",
                "dev",
                "--group",
                "ops",
                "--validity",
                "720h",
                "--key-algorithm",
                "ecdsa-p256",
                "--kubeconfig-out",
                "alice.conf",
            ],
        ),
        "kpki user",
    );
    let mode = std::fs::metadata(dir.join("alice.conf"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let out = run_piped(
        Command::new("kubectl").current_dir(dir.path()).args([
            "--kubeconfig", "alice.conf", "config", "view", "--minify", "--raw", "-o",
            "jsonpath={.users[0].user.client-certificate-data} {.clusters[0].cluster.server} {.contexts[0].name}",
        ]),
        None,
    );
    let text = ok(&out, "kubectl config view");
    let mut parts = text.split(' ');
    let cert_b64 = parts.next().unwrap();
    assert_eq!(parts.next(), Some("https://10.0.0.10:6443"));
    assert_eq!(parts.next(), Some("alice@kubernetes"));
    let out = run_piped(
        Command::new("base64").args(["-d"]),
        Some(cert_b64.as_bytes()),
    );
    std::fs::write(dir.join("alice.crt"), &out.stdout).unwrap();
    let (verified, text) = openssl_verify(&dir, &dir.join("alice.crt"), "sslclient");
    assert!(verified, "{text}");
    assert!(openssl_subject(&dir.join("alice.crt")).contains("O = dev, O = ops, CN = alice"));

    // system:masters only with the explicit flag; the existing kubeconfig is never replaced.
    let err = refused(
        &kpki(
            &dir,
            &[
                "user",
                "root",
                "--dir",
                "pki",
                "--group",
                "system:masters",
                "--key-algorithm",
                "ecdsa-p256",
                "--kubeconfig-out",
                "root.conf",
            ],
        ),
        "system:masters user",
    );
    assert!(err.contains("is privileged"), "{err}");
    assert!(!dir.join("root.conf").exists());
    ok(
        &kpki(
            &dir,
            &[
                "user",
                "root",
                "--dir",
                "pki",
                "--group",
                "system:masters",
                "--allow-privileged-group",
                "system:masters",
                "--key-algorithm",
                "ecdsa-p256",
                "--kubeconfig-out",
                "root.conf",
            ],
        ),
        "allowed system:masters user",
    );
    let before = std::fs::read(dir.join("alice.conf")).unwrap();
    let err = refused(
        &kpki(
            &dir,
            &[
                "user",
                "alice",
                "--dir",
                "pki",
                "--key-algorithm",
                "ecdsa-p256",
                "--kubeconfig-out",
                "alice.conf",
            ],
        ),
        "existing kubeconfig",
    );
    assert!(err.contains("alice.conf: already exists"), "{err}");
    assert_eq!(std::fs::read(dir.join("alice.conf")).unwrap(), before);
}

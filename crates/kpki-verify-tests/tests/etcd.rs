//! A real etcd (Debian's `etcd-server`) serves with the etcd certificates `kpki init`
//! wrote: client TLS with `--client-cert-auth`, peer TLS with `--peer-client-cert-auth`,
//! on 127.0.0.1 and random free ports, hard timeouts, stopped by PID.
//!
//! It must accept `apiserver-etcd-client` (a KV round trip with etcdctl, as the API
//! server does) and `healthcheck-client` (`/health`, as kubeadm's liveness probe does),
//! and reject a client certificate from another CA — even one with the same subject.
//!
//! etcd and etcdctl are installed by `scripts/install-test-deps.sh`; without them these
//! tests fail rather than skip.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kpki_core::{Compatibility, KeyAlgorithm};
use kpki_verify_tests::*;

fn require(tool: &str) -> PathBuf {
    let out = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "`{tool}` is not installed: run scripts/install-test-deps.sh (Debian: etcd-server, etcd-client)"
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

struct Etcd {
    _guard: ChildGuard,
    client_port: u16,
    peer_port: u16,
    log: PathBuf,
}

fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// Starts etcd with the PKI under `root` (a kubeadm root), waits (≤ 30 s) until it
/// answers `/health` to the healthcheck client.
fn start_etcd(root: &Path, work: &Path) -> Etcd {
    let etcd = require("etcd");
    let pki = root.join("pki/etcd");
    let p = |f: &str| pki.join(f).display().to_string();
    let client_port = free_port();
    let mut peer_port = free_port();
    while peer_port == client_port {
        peer_port = free_port();
    }
    let client_url = format!("https://127.0.0.1:{client_port}");
    let peer_url = format!("https://127.0.0.1:{peer_port}");
    let log = work.join("etcd.log");
    let child = Command::new(etcd)
        .args(["--name", "node01", "--data-dir"])
        .arg(work.join("data"))
        .args(["--listen-client-urls", &client_url])
        .args(["--advertise-client-urls", &client_url])
        .args(["--listen-peer-urls", &peer_url])
        .args(["--initial-advertise-peer-urls", &peer_url])
        .args(["--initial-cluster", &format!("node01={peer_url}")])
        .args(["--initial-cluster-state", "new"])
        // The flags kubeadm's etcd static pod manifest passes.
        .args([
            "--cert-file",
            &p("server.crt"),
            "--key-file",
            &p("server.key"),
        ])
        .args(["--client-cert-auth", "--trusted-ca-file", &p("ca.crt")])
        .args([
            "--peer-cert-file",
            &p("peer.crt"),
            "--peer-key-file",
            &p("peer.key"),
        ])
        .args([
            "--peer-client-cert-auth",
            "--peer-trusted-ca-file",
            &p("ca.crt"),
        ])
        .args(["--logger", "zap", "--log-outputs", "stderr"])
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(work.join("etcd.out")).unwrap())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut guard = ChildGuard {
        child,
        name: "etcd",
    };
    let health = client_config(
        &pki.join("ca.crt"),
        Some((
            &pki.join("healthcheck-client.crt"),
            &pki.join("healthcheck-client.key"),
        )),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = guard.child.try_wait().unwrap() {
            panic!(
                "etcd exited with {status} during start-up:\n{}",
                log_tail(&log)
            );
        }
        if let Ok((200, _)) = https_get(client_port, "127.0.0.1", health.clone(), "/health") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "etcd did not become healthy within 30 s:\n{}",
            log_tail(&log)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Etcd {
        _guard: guard,
        client_port,
        peer_port,
        log,
    }
}

/// `etcdctl` (v3 API) against the client port with a client certificate.
fn etcdctl(etcd: &Etcd, ca: &Path, cert: &Path, key: &Path, args: &[&str]) -> (bool, String) {
    let mut cmd = Command::new(require("etcdctl"));
    cmd.env("ETCDCTL_API", "3")
        .arg(format!(
            "--endpoints=https://127.0.0.1:{}",
            etcd.client_port
        ))
        .arg(format!("--cacert={}", ca.display()))
        .arg(format!("--cert={}", cert.display()))
        .arg(format!("--key={}", key.display()))
        .args(["--dial-timeout=3s", "--command-timeout=5s"])
        .args(args);
    let out = run(&mut cmd, Duration::from_secs(30));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// A GET that must be answered. A request that times out on a loaded machine (CI
/// once saw a 5 s read timeout on the peer port with both etcd tests running) is
/// tried again on a new connection, up to three times; every failed try is printed,
/// and a TLS alert is never retried — a refusal is a result, not a hiccup.
fn get_answered(
    port: u16,
    server_name: &str,
    cfg: std::sync::Arc<rustls::ClientConfig>,
    path: &str,
    etcd: &Etcd,
) -> (u16, String) {
    let mut errors = Vec::new();
    for attempt in 1..=3 {
        match https_get(port, server_name, cfg.clone(), path) {
            Ok(answer) => return answer,
            Err(e) if e.contains("alert") => errors.push(e),
            Err(e) => {
                eprintln!("GET {path} on port {port}, try {attempt}: {e}");
                errors.push(e);
                continue;
            }
        }
        break;
    }
    panic!(
        "GET {path} on port {port} was not answered: {errors:?}\netcd's log:\n{}",
        log_tail(&etcd.log)
    );
}

fn etcd_accepts_kpki_clients_and_rejects_a_foreign_ca(profile: Compatibility, alg: KeyAlgorithm) {
    let tmp = TempDir::new("etcd");
    let root = tmp.join("kubernetes");
    init_example(&root, profile, alg);
    // Another cluster: same subjects, another etcd CA.
    let foreign = tmp.join("foreign");
    init_example(&foreign, profile, alg);

    let etcd = start_etcd(&root, tmp.path());
    let pki = root.join("pki");
    let ca = pki.join("etcd/ca.crt");

    // 1. kube-apiserver's etcd client: a write and a read, as the API server does.
    let (cert, key) = (
        pki.join("apiserver-etcd-client.crt"),
        pki.join("apiserver-etcd-client.key"),
    );
    let (ok, out) = etcdctl(
        &etcd,
        &ca,
        &cert,
        &key,
        &["put", "/registry/kpki", "it works"],
    );
    assert!(
        ok && out.contains("OK"),
        "put as apiserver-etcd-client: {out}"
    );
    let (ok, out) = etcdctl(&etcd, &ca, &cert, &key, &["get", "/registry/kpki"]);
    assert!(
        ok && out.contains("it works"),
        "get as apiserver-etcd-client: {out}"
    );

    // 2. The healthcheck client: etcdctl endpoint health, and /health over rustls.
    let (hc_cert, hc_key) = (
        pki.join("etcd/healthcheck-client.crt"),
        pki.join("etcd/healthcheck-client.key"),
    );
    let (ok, out) = etcdctl(&etcd, &ca, &hc_cert, &hc_key, &["endpoint", "health"]);
    assert!(ok && out.contains("is healthy"), "endpoint health: {out}");
    let cfg = client_config(&ca, Some((&hc_cert, &hc_key)));
    let (status, body) = get_answered(etcd.client_port, "localhost", cfg, "/health", &etcd);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"health\":\"true\""), "{body}");

    // 3. The peer listener serves etcd/peer.crt and takes a peer client certificate.
    let peer = client_config(
        &ca,
        Some((&pki.join("etcd/peer.crt"), &pki.join("etcd/peer.key"))),
    );
    let (status, body) = get_answered(etcd.peer_port, "127.0.0.1", peer, "/version", &etcd);
    assert_eq!(status, 200, "peer /version: {body}");
    assert!(body.contains("etcdserver"), "{body}");

    // 4. Rejections: the foreign cluster's healthcheck and apiserver clients (same
    //    subjects, other CA), and no client certificate at all.
    let fpki = foreign.join("pki");
    let (ok, out) = etcdctl(
        &etcd,
        &ca,
        &fpki.join("apiserver-etcd-client.crt"),
        &fpki.join("apiserver-etcd-client.key"),
        &["get", "/registry/kpki"],
    );
    assert!(
        !ok && !out.contains("it works"),
        "etcd served a foreign-CA client: {out}"
    );
    eprintln!("foreign apiserver-etcd-client via etcdctl: {}", out.trim());
    for (what, client) in [
        (
            "foreign healthcheck-client",
            Some((
                fpki.join("etcd/healthcheck-client.crt"),
                fpki.join("etcd/healthcheck-client.key"),
            )),
        ),
        ("no client certificate", None),
    ] {
        let cfg = client_config(
            &ca,
            client.as_ref().map(|(c, k)| (c.as_path(), k.as_path())),
        );
        let r = https_get(etcd.client_port, "127.0.0.1", cfg, "/health");
        eprintln!("{what}: {r:?}");
        match r {
            Err(e) => assert!(
                e.contains("received fatal alert"),
                "{what}: rejected, but not by the TLS layer: {e}"
            ),
            Ok((status, body)) => panic!("etcd answered {status} {body} to a {what}"),
        }
    }
    // The server itself is still fine (the rejections were per connection).
    let cfg = client_config(&ca, Some((&hc_cert, &hc_key)));
    assert_eq!(
        get_answered(etcd.client_port, "127.0.0.1", cfg, "/health", &etcd).0,
        200
    );
    // etcd logged the rejected handshakes.
    let log = std::fs::read_to_string(&etcd.log).unwrap();
    assert!(
        log.contains("rejected connection") || log.contains("bad certificate"),
        "etcd's log does not show the rejection:\n{}",
        log_tail(&etcd.log)
    );
}

#[test]
fn etcd_serves_kubeadm_default_rsa_pki_with_client_cert_auth() {
    etcd_accepts_kpki_clients_and_rejects_a_foreign_ca(
        Compatibility::Current,
        KeyAlgorithm::Rsa2048,
    );
}

#[test]
fn etcd_serves_ecdsa_kubeadm_128_pki_with_client_cert_auth() {
    etcd_accepts_kpki_clients_and_rejects_a_foreign_ca(
        Compatibility::Kubeadm128,
        KeyAlgorithm::EcdsaP256,
    );
}

/// A healthcheck-style client certificate and key from the CA pair `ca_crt`/`ca_key`,
/// written as `<stem>.crt`/`<stem>.key` in `dir`.
fn client_from(ca_crt: &Path, ca_key: &Path, dir: &Path, stem: &str) -> (PathBuf, PathBuf) {
    use kpki_core::{CertificateAuthority, CertificateProfile, Identity, LeafRequest, PrivateKey};
    let ca = CertificateAuthority::from_pem(
        &std::fs::read_to_string(ca_crt).unwrap(),
        &std::fs::read_to_string(ca_key).unwrap(),
    )
    .unwrap();
    let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let req = LeafRequest::new(
        Identity::etcd_healthcheck_client(Compatibility::Current),
        CertificateProfile::Client,
    );
    let cert = ca
        .issue(&req, key.public_key(), std::time::SystemTime::now())
        .unwrap();
    let (crt, k) = (
        dir.join(format!("{stem}.crt")),
        dir.join(format!("{stem}.key")),
    );
    std::fs::write(&crt, cert.to_pem()).unwrap();
    std::fs::write(&k, key.to_pem().as_bytes()).unwrap();
    (crt, k)
}

/// `etcdctl endpoint health` with this client pair and trust bundle.
fn healthy(etcd: &Etcd, ca: &Path, pair: &(PathBuf, PathBuf)) -> (bool, String) {
    let (ok, out) = etcdctl(etcd, ca, &pair.0, &pair.1, &["endpoint", "health"]);
    (ok && out.contains("is healthy"), out)
}

/// CA rotation against a real etcd: from `start` until `finish` clients of the old and
/// of the new etcd CA are both accepted, after `finish` only the new; at every phase the
/// server's certificate verifies against the bundle a client holds (`etcd/ca.crt` of that
/// phase, and the bundle a client kept from `start`).
#[test]
fn etcd_accepts_old_and_new_ca_clients_through_a_rotation_and_only_new_after() {
    use kpki_core::KubeadmLayout;
    let tmp = TempDir::new("etcd-rotate");
    let root = tmp.join("kubernetes");
    init_example(&root, Compatibility::Current, KeyAlgorithm::EcdsaP256);
    let pki = root.join("pki");
    let side = tmp.join("clients");
    std::fs::create_dir_all(&side).unwrap();
    let layout = KubeadmLayout::new(&root);
    let now = std::time::SystemTime::now;
    // A client of the old CA, kept aside as a not-yet-renewed client would be.
    let old_client = client_from(
        &pki.join("etcd/ca.crt"),
        &pki.join("etcd/ca.key"),
        &side,
        "old",
    );

    layout
        .rotate_start(&[kpki_core::CaRole::Etcd], now())
        .unwrap();
    let start_bundle = side.join("start-bundle.crt");
    std::fs::copy(pki.join("etcd/ca.crt"), &start_bundle).unwrap();
    let new_client = client_from(
        &pki.join("rotation/etcd/ca.crt"),
        &pki.join("rotation/etcd/ca.key"),
        &side,
        "new",
    );
    let mut seen = Vec::new();
    for phase in ["start", "reissue", "finish"] {
        match phase {
            "reissue" => drop(layout.rotate_reissue(now()).unwrap()),
            "finish" => drop(layout.rotate_finish().unwrap()),
            _ => {}
        }
        let work = tmp.join(format!("etcd-{phase}"));
        std::fs::create_dir_all(&work).unwrap();
        let etcd = start_etcd(&root, &work);
        let bundle = pki.join("etcd/ca.crt");
        let (new_ok, out) = healthy(&etcd, &bundle, &new_client);
        assert!(new_ok, "{phase}: new-CA client refused: {out}");
        let (old_ok, out) = healthy(&etcd, &bundle, &old_client);
        assert_eq!(old_ok, phase != "finish", "{phase}: old-CA client: {out}");
        // The bundle a client took at `start` verifies the server at every phase.
        let (kept_ok, out) = healthy(&etcd, &start_bundle, &new_client);
        assert!(
            kept_ok,
            "{phase}: server does not verify against the start bundle: {out}"
        );
        // The reissued healthcheck client of the directory is accepted too.
        let dir_client = (
            pki.join("etcd/healthcheck-client.crt"),
            pki.join("etcd/healthcheck-client.key"),
        );
        assert!(
            healthy(&etcd, &bundle, &dir_client).0,
            "{phase}: directory client"
        );
        seen.push(format!(
            "{phase}: new-CA client accepted, old-CA client {}",
            if old_ok { "accepted" } else { "refused" }
        ));
    }
    eprintln!("{}", seen.join("\n"));
}

/// The etcd CA's key in a PKCS#11 token (SoftHSM): `init` writes `etcd/ca.crt` and no
/// `etcd/ca.key`, and a real etcd serves with the certificates the token signed —
/// server, peer, and the clients it accepts.
#[test]
fn etcd_serves_a_pki_whose_cas_are_in_a_token() {
    use kpki_core::{CaKeyUri, CaRole};
    let tmp = TempDir::new("etcd-pkcs11");
    let root = tmp.join("kubernetes");
    let mut builder = example(Compatibility::Current, KeyAlgorithm::EcdsaP256);
    for (role, object) in [
        (CaRole::Kubernetes, "etcd-test-ca"),
        (CaRole::Etcd, "etcd-test-etcd-ca"),
        (CaRole::FrontProxy, "etcd-test-front-proxy-ca"),
    ] {
        let key: CaKeyUri = format!("{}={}", role.name(), softhsm_uri("kpki", object))
            .parse()
            .unwrap();
        builder = builder.ca_key(key);
    }
    init(&root, builder);
    let pki = root.join("pki");
    for absent in ["ca.key", "etcd/ca.key", "front-proxy-ca.key"] {
        assert!(!pki.join(absent).exists(), "{absent} was written");
    }
    let etcd = start_etcd(&root, tmp.path());
    let ca = pki.join("etcd/ca.crt");
    let client = (
        pki.join("apiserver-etcd-client.crt"),
        pki.join("apiserver-etcd-client.key"),
    );
    let (ok, out) = etcdctl(&etcd, &ca, &client.0, &client.1, &["put", "/kpki", "token"]);
    assert!(ok && out.contains("OK"), "put: {out}");
    let health = (
        pki.join("etcd/healthcheck-client.crt"),
        pki.join("etcd/healthcheck-client.key"),
    );
    let (ok, out) = healthy(&etcd, &ca, &health);
    assert!(ok, "health: {out}");
}

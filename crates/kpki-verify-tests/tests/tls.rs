//! Real TLS handshakes with the API server's certificate: a rustls server serving
//! `pki/apiserver.crt`/`.key`, a rustls client trusting only `pki/ca.crt`. The client
//! must accept the certificate for every name a client uses for the API server
//! (`kubernetes.default.svc`, `10.96.0.1`, ...) with data flowing both ways, and refuse
//! it for a name not in the set. Then the same with openssl's `s_server`/`s_client`
//! (`-verify_return_error -verify_hostname`), a second TLS implementation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kpki_core::{Compatibility, KeyAlgorithm};
use kpki_verify_tests::*;
use rustls_pki_types::ServerName;

/// Every SAN of the example apiserver certificate (SPEC.md's example inputs).
const APISERVER_NAMES: [&str; 10] = [
    "kubernetes.default.svc",
    "10.96.0.1",
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc.cluster.local",
    "node01",
    "cp.example.internal",
    "extra.example.com",
    "10.0.0.10",
    "192.0.2.7",
];

/// A rustls server on 127.0.0.1 answering each line with `pong:<line>`; it serves
/// `connections` handshakes, then stops. Returns the port and the join handle, whose
/// value is the list of per-connection outcomes.
fn rustls_server(
    config: Arc<rustls::ServerConfig>,
    connections: usize,
) -> (u16, std::thread::JoinHandle<Vec<Result<String, String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let mut outcomes = Vec::new();
        for _ in 0..connections {
            let (mut sock, _) = listener.accept().unwrap();
            sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            sock.set_write_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut conn = rustls::ServerConnection::new(config.clone()).unwrap();
            let mut tls = rustls::Stream::new(&mut conn, &mut sock);
            let mut line = String::new();
            let r = BufReader::new(&mut tls)
                .read_line(&mut line)
                .map_err(|e| e.to_string())
                .and_then(|_| {
                    tls.write_all(format!("pong:{line}").as_bytes())
                        .map_err(|e| e.to_string())?;
                    tls.conn.send_close_notify();
                    tls.flush().map_err(|e| e.to_string())?;
                    Ok(line.trim().to_owned())
                });
            outcomes.push(r);
        }
        outcomes
    });
    (port, handle)
}

/// Connects as `server_name`, sends `ping <name>`, returns the answer.
fn rustls_client(
    port: u16,
    server_name: &str,
    config: Arc<rustls::ClientConfig>,
) -> Result<String, rustls::Error> {
    let name = ServerName::try_from(server_name.to_owned()).unwrap();
    let mut conn = rustls::ClientConnection::new(config, name).unwrap();
    let mut sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut tls = rustls::Stream::new(&mut conn, &mut sock);
    let io = |e: std::io::Error| -> rustls::Error {
        // rustls reports handshake failures through io::Error wrapping rustls::Error.
        match e
            .into_inner()
            .map(|inner| inner.downcast::<rustls::Error>())
        {
            Some(Ok(tls_err)) => *tls_err,
            Some(Err(other)) => rustls::Error::General(other.to_string()),
            None => rustls::Error::General("io error".into()),
        }
    };
    tls.write_all(format!("ping {server_name}\n").as_bytes())
        .map_err(io)?;
    let mut answer = String::new();
    BufReader::new(&mut tls)
        .read_line(&mut answer)
        .map_err(io)?;
    Ok(answer.trim().to_owned())
}

fn server_config(root: &Path, client_auth: bool) -> Arc<rustls::ServerConfig> {
    let pki = root.join("pki");
    let (certs, key) = cert_and_key(&pki.join("apiserver.crt"), &pki.join("apiserver.key"));
    let b = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap();
    let b = if client_auth {
        // As kube-apiserver with --client-ca-file=pki/ca.crt.
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            roots(&pki.join("ca.crt")),
            provider(),
        )
        .build()
        .unwrap();
        b.with_client_cert_verifier(verifier)
    } else {
        b.with_no_client_auth()
    };
    Arc::new(b.with_single_cert(certs, key).unwrap())
}

fn apiserver_cert_verifies_for_service_names(alg: &str) {
    let tmp = TempDir::new("tls");
    let root = tmp.join("kubernetes");
    init_example(
        &root,
        Compatibility::Current,
        alg.parse::<KeyAlgorithm>().unwrap(),
    );
    let client = client_config(&root.join("pki/ca.crt"), None);

    let (port, server) = rustls_server(server_config(&root, false), APISERVER_NAMES.len() + 1);
    for name in APISERVER_NAMES {
        let answer = rustls_client(port, name, client.clone())
            .unwrap_or_else(|e| panic!("{alg}: handshake as {name:?} failed: {e}"));
        assert_eq!(
            answer,
            format!("pong:ping {name}"),
            "{alg}: data did not flow"
        );
    }
    // A name the certificate does not cover: the client refuses the server.
    let err = rustls_client(port, "not-in-set.example", client.clone()).unwrap_err();
    assert!(
        matches!(
            err,
            rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                    | rustls::CertificateError::NotValidForNameContext { .. }
            )
        ),
        "{alg}: want NotValidForName, got {err:?}"
    );
    let outcomes = server.join().unwrap();
    assert_eq!(
        outcomes.iter().filter(|o| o.is_ok()).count(),
        APISERVER_NAMES.len()
    );
    assert!(outcomes.last().unwrap().is_err(), "{outcomes:?}");

    // A client that trusts another cluster's CA refuses this server.
    let other = tmp.join("other");
    init_example(
        &other,
        Compatibility::Current,
        alg.parse::<KeyAlgorithm>().unwrap(),
    );
    let (port, server) = rustls_server(server_config(&root, false), 1);
    let err = rustls_client(
        port,
        "kubernetes.default.svc",
        client_config(&other.join("pki/ca.crt"), None),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            rustls::Error::InvalidCertificate(
                rustls::CertificateError::BadSignature | rustls::CertificateError::UnknownIssuer
            )
        ),
        "{alg}: want UnknownIssuer/BadSignature, got {err:?}"
    );
    let _ = server.join();

    // Mutual TLS as kube-apiserver does it: the API server's kubelet client
    // (pki/ca) is accepted; the front-proxy client (front-proxy CA) is refused.
    let (port, server) = rustls_server(server_config(&root, true), 2);
    let pki = root.join("pki");
    let ok = rustls_client(
        port,
        "kubernetes.default.svc",
        client_config(
            &pki.join("ca.crt"),
            Some((
                &pki.join("apiserver-kubelet-client.crt"),
                &pki.join("apiserver-kubelet-client.key"),
            )),
        ),
    );
    assert_eq!(ok.unwrap(), "pong:ping kubernetes.default.svc");
    let refused = rustls_client(
        port,
        "kubernetes.default.svc",
        client_config(
            &pki.join("ca.crt"),
            Some((
                &pki.join("front-proxy-client.crt"),
                &pki.join("front-proxy-client.key"),
            )),
        ),
    );
    assert!(refused.is_err(), "front-proxy-client was accepted");
    let outcomes = server.join().unwrap();
    assert!(outcomes[0].is_ok(), "{outcomes:?}");
    assert!(
        outcomes[1]
            .as_ref()
            .is_err_and(|e| e.contains("UnknownIssuer") || e.contains("BadSignature")),
        "server-side: {outcomes:?}"
    );
}

#[test]
fn rustls_verifies_rsa_apiserver_cert_for_every_service_name() {
    apiserver_cert_verifies_for_service_names("rsa-2048");
}

#[test]
fn rustls_verifies_ecdsa_apiserver_cert_for_every_service_name() {
    apiserver_cert_verifies_for_service_names("ecdsa-p256");
}

/// openssl's s_server with apiserver.crt/key; s_client with `-verify_return_error`.
#[test]
fn openssl_s_client_verifies_apiserver_cert_by_hostname_and_ip() {
    let tmp = TempDir::new("s-client");
    let root = tmp.join("kubernetes");
    init_example(&root, Compatibility::Current, KeyAlgorithm::Rsa2048);
    let pki = root.join("pki");
    let port = free_port();
    let child = Command::new("openssl")
        .args(["s_server", "-www", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(pki.join("apiserver.crt"))
        .arg("-key")
        .arg(pki.join("apiserver.key"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _guard = ChildGuard {
        child,
        name: "openssl s_server",
    };
    let deadline = Instant::now() + Duration::from_secs(15);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "s_server did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }

    let s_client = |verify: &[&str]| {
        let mut cmd = Command::new("openssl");
        cmd.args(["s_client", "-connect"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("-CAfile")
            .arg(pki.join("ca.crt"))
            .args([
                "-verify_return_error",
                "-ign_eof",
                "-servername",
                "kubernetes",
            ])
            .args(verify)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"GET / HTTP/1.0\r\n\r\n")
            .unwrap();
        let out = wait_output(child, Duration::from_secs(30), "openssl s_client");
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    for verify in [
        ["-verify_hostname", "kubernetes.default.svc"],
        ["-verify_ip", "10.96.0.1"],
    ] {
        let (ok, out) = s_client(&verify);
        assert!(ok, "s_client {verify:?} failed:\n{out}");
        assert!(
            out.contains("Verify return code: 0 (ok)"),
            "{verify:?}:\n{out}"
        );
        assert!(
            out.contains("HTTP/1.0 200 ok"),
            "{verify:?}: no data:\n{out}"
        );
    }
    let (ok, out) = s_client(&["-verify_hostname", "not-in-set.example"]);
    assert!(!ok, "s_client accepted a name not in the set:\n{out}");
    assert!(out.contains("hostname mismatch"), "{out}");
    let (ok, out) = s_client(&["-verify_ip", "10.96.0.2"]);
    assert!(!ok, "s_client accepted an IP not in the set:\n{out}");
    assert!(out.contains("IP address mismatch"), "{out}");
}

//! Bad input to `kpki init`: each case exits non-zero with `kpki: error: ...` naming the
//! culprit (the value, the file, or the configuration field), and leaves the disk as it
//! was — nothing half-written, existing files byte-for-byte untouched.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

use common::*;

/// Runs `kpki init --dir DIR ARGS` (P-256 keys: fast), expects failure; returns stderr.
fn init_fails(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["init", "--dir", dir.to_str().unwrap()];
    all.extend(args);
    if !args.contains(&"--key-algorithm") {
        all.extend(["--key-algorithm", "ecdsa-p256"]);
    }
    let out = kpki(&all);
    check_failure(&out, &all)
}

fn check_failure(out: &std::process::Output, args: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "kpki {args:?} should fail with status 1; stderr: {stderr}"
    );
    assert!(
        stderr.starts_with("kpki: error: "),
        "not a one-line error: {stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "printed a report despite failing: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    stderr
}

fn base_args() -> Vec<&'static str> {
    vec!["--node-name", "node01", "--advertise-address", "10.0.0.10"]
}

#[test]
fn malformed_cidr_is_named_and_nothing_is_written() {
    let tmp = TempDir::new("bad-cidr");
    let dir = tmp.join("out");
    for cidr in [
        "10.96.0.0/33",
        "10.96.0/12",
        "not-a-cidr",
        "10.96.0.0/12,fd00::/129",
    ] {
        let mut args = base_args();
        args.extend(["--service-cidr", cidr]);
        let err = init_fails(&dir, &args);
        let culprit = cidr.split(',').next_back().unwrap();
        assert!(err.contains(culprit), "{cidr}: {err}");
        assert!(err.contains("CIDR"), "{cidr}: {err}");
        assert!(!dir.exists(), "{cidr}: the output directory was created");
    }
}

#[test]
fn invalid_san_is_refused_not_dropped() {
    let tmp = TempDir::new("bad-san");
    let dir = tmp.join("out");
    // kubeadm silently drops these; kpki must refuse them (SPEC.md, apiserver row).
    for san in [
        "bad_name!",
        "-leading-dash.example",
        "a..b",
        "ünïcode.example",
    ] {
        let mut args = base_args();
        let list = format!("extra.example.com,{san}");
        args.extend(["--apiserver-cert-extra-sans", &list]);
        let err = init_fails(&dir, &args);
        assert!(err.contains(san), "{san}: {err}");
        assert!(err.contains("subject alternative name"), "{san}: {err}");
        assert!(!dir.exists(), "{san}: the output directory was created");
    }
}

#[test]
fn names_longer_than_a_64_byte_cn_are_refused() {
    let tmp = TempDir::new("long-cn");
    let dir = tmp.join("out");
    // 53-byte node name: the kubelet CN "system:node:<name>" would be 65 bytes.
    let n53 = "n".repeat(53);
    let err = init_fails(
        &dir,
        &["--node-name", &n53, "--advertise-address", "10.0.0.10"],
    );
    assert!(err.contains(&n53), "{err}");
    assert!(err.contains("53 bytes") && err.contains("52"), "{err}");
    assert!(!dir.exists());
    // A 65-byte node name (the etcd member CN) too.
    let n65 = "n".repeat(65);
    let err = init_fails(
        &dir,
        &["--node-name", &n65, "--advertise-address", "10.0.0.10"],
    );
    assert!(err.contains(&n65), "{err}");
    assert!(!dir.exists());
    // A worker with a 53-byte name.
    let mut args = base_args();
    args.extend(["--worker-nodes", &n53]);
    let err = init_fails(&dir, &args);
    assert!(err.contains(&n53), "{err}");
    assert!(!dir.exists());

    // The boundary: 52 bytes works, and the kubelet CN is then exactly 64 bytes.
    let n52 = "n".repeat(52);
    let out = kpki(&[
        "init",
        "--dir",
        dir.to_str().unwrap(),
        "-q",
        "--key-algorithm",
        "ecdsa-p256",
        "--node-name",
        &n52,
        "--advertise-address",
        "10.0.0.10",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kubelet = kubectl_view(&dir.join("kubelet.conf"), false).unwrap();
    let cert = b64(kubelet["users"][0]["user"]["client-certificate-data"]
        .as_str()
        .unwrap())
    .unwrap();
    let p = Parsed::from_pem_bytes(&cert).unwrap();
    assert_eq!(p.common_name().unwrap().len(), 64);
}

#[test]
fn a_65_byte_common_name_is_refused_by_the_core_api() {
    let err = kpki_core::Identity::user("u".repeat(65), ["dev"]).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(&"u".repeat(65)) && msg.contains("64"), "{msg}");
    assert!(kpki_core::Identity::user("u".repeat(64), ["dev"]).is_ok());
    let err = kpki_core::Identity::new("c".repeat(65), Vec::<String>::new()).unwrap_err();
    assert!(err.to_string().contains("64"), "{err}");
}

/// Files to plant: relative path → bytes.
type Files<'a> = Vec<(&'a str, &'a [u8])>;

/// Writes `files` (relative path → bytes) under `dir`.
fn plant(dir: &Path, files: &[(&str, &[u8])]) {
    for (f, bytes) in files {
        let p = dir.join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
    }
}

#[test]
fn garbled_bring_your_own_ca_is_named_and_left_alone() {
    let tmp = TempDir::new("garbled-ca");
    let good = tmp.join("good");
    kpki_init_example(&good, &["--key-algorithm", "ecdsa-p256"]);
    let good_key = std::fs::read(good.join("pki/ca.key")).unwrap();
    let good_crt = std::fs::read(good.join("pki/ca.crt")).unwrap();
    let garbage_pem =
        b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";
    // (case, files planted, the file the error must name)
    let cases: [(&str, Files, &str); 4] = [
        (
            "ca.crt not base64",
            vec![
                (
                    "pki/ca.crt",
                    b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
                ),
                ("pki/ca.key", &good_key),
            ],
            "pki/ca.crt",
        ),
        (
            "ca.crt base64 but not DER",
            vec![("pki/ca.crt", garbage_pem), ("pki/ca.key", &good_key)],
            "pki/ca.crt",
        ),
        (
            "ca.crt without PEM",
            vec![("pki/ca.crt", b"hello\n"), ("pki/ca.key", &good_key)],
            "pki/ca.crt",
        ),
        (
            "etcd ca.key garbled",
            vec![
                ("pki/etcd/ca.crt", &good_crt),
                (
                    "pki/etcd/ca.key",
                    b"-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n",
                ),
            ],
            "pki/etcd/ca.key",
        ),
    ];
    for (what, files, culprit) in cases {
        let dir = tmp.join(what.replace(' ', "-"));
        plant(&dir, &files);
        let before = snapshot(&dir);
        let mut args = base_args();
        args.push("-q");
        let err = init_fails(&dir, &args);
        assert!(err.contains(culprit), "{what}: {err}");
        assert_eq!(snapshot(&dir), before, "{what}: the directory changed");
    }
}

#[test]
fn ca_certificate_and_key_that_do_not_match_are_refused() {
    let tmp = TempDir::new("mismatch");
    let a = tmp.join("a");
    let b = tmp.join("b");
    kpki_init_example(&a, &["--key-algorithm", "ecdsa-p256"]);
    kpki_init_example(&b, &["--key-algorithm", "ecdsa-p256"]);
    let dir = tmp.join("mixed");
    let crt = std::fs::read(a.join("pki/front-proxy-ca.crt")).unwrap();
    let key = std::fs::read(b.join("pki/front-proxy-ca.key")).unwrap();
    plant(
        &dir,
        &[
            ("pki/front-proxy-ca.crt", &crt),
            ("pki/front-proxy-ca.key", &key),
        ],
    );
    let before = snapshot(&dir);
    let err = init_fails(&dir, &base_args());
    assert!(
        err.contains("front-proxy-ca.crt") && err.contains("front-proxy-ca.key"),
        "{err}"
    );
    assert!(err.contains("does not match"), "{err}");
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn unwritable_output_directory_is_named_and_left_empty() {
    let tmp = TempDir::new("unwritable");
    let ro = tmp.join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    // Root ignores directory modes: run kpki as `nobody` then (setpriv, util-linux),
    // from a copy in the temporary directory (the build tree may not be reachable for
    // `nobody`, e.g. a clone under /root).
    let as_root = unsafe_free_euid() == 0;
    let bin = tmp.join("kpki");
    std::fs::copy(kpki_bin(), &bin).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    for target in [ro.clone(), ro.join("nested/kubernetes")] {
        let mut cmd = if as_root {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(&bin);
            c
        } else {
            Command::new(&bin)
        };
        let args = [
            "init",
            "--dir",
            target.to_str().unwrap(),
            "--key-algorithm",
            "ecdsa-p256",
            "--node-name",
            "node01",
            "--advertise-address",
            "10.0.0.10",
        ];
        cmd.args(args);
        let out = run(&mut cmd, Duration::from_secs(60));
        let err = check_failure(&out, &args);
        assert!(err.contains(ro.to_str().unwrap()), "{err}");
        assert!(err.contains("Permission denied"), "{err}");
        assert_eq!(
            list_files(&ro),
            Vec::<String>::new(),
            "something was written"
        );
        assert_eq!(std::fs::read_dir(&ro).unwrap().count(), 0);
    }
}

/// The effective user id, read from /proc (no libc, no unsafe).
fn unsafe_free_euid() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    line.split_whitespace().nth(2).unwrap().parse().unwrap()
}

/// A write that fails midway (pki/etcd is a file, so the second CA cannot be written)
/// undoes the files it already wrote.
#[test]
fn a_failure_midway_leaves_nothing_half_written() {
    let tmp = TempDir::new("midway");
    let dir = tmp.join("out");
    plant(
        &dir,
        &[("pki/etcd", b"a file where a directory should be\n")],
    );
    let before = snapshot(&dir);
    let err = init_fails(&dir, &base_args());
    assert!(err.contains("pki/etcd"), "{err}");
    assert_eq!(snapshot(&dir), before, "files were left behind");
}

#[test]
fn an_existing_key_is_not_overwritten_without_force() {
    let tmp = TempDir::new("force");
    let dir = tmp.join("kubernetes");
    kpki_init_example(&dir, &["--key-algorithm", "ecdsa-p256"]);
    let before = snapshot(&dir);

    // Again without --force: refused, every file byte-for-byte (and mode) as it was.
    let mut args: Vec<&str> = EXAMPLE_ARGS.to_vec();
    args.push("-q");
    let err = init_fails(&dir, &args);
    assert!(
        err.contains("already exists") && err.contains("force"),
        "{err}"
    );
    assert!(err.contains(dir.to_str().unwrap()), "{err}");
    assert_eq!(snapshot(&dir), before, "a refused run changed files");

    // A single foreign key planted in an empty directory: refused, untouched, alone.
    let lone = tmp.join("lone");
    let foreign = std::fs::read(dir.join("pki/apiserver.key")).unwrap();
    plant(&lone, &[("pki/apiserver.key", &foreign)]);
    let err = init_fails(&lone, &args);
    assert!(
        err.contains("pki/apiserver.key") && err.contains("already exists"),
        "{err}"
    );
    assert_eq!(list_files(&lone), vec!["pki/apiserver.key".to_owned()]);
    assert_eq!(
        std::fs::read(lone.join("pki/apiserver.key")).unwrap(),
        foreign
    );

    // With --force: leaves are replaced, the CAs and sa.key/sa.pub are reused as they
    // are (kubeadm's behaviour), and the new leaves chain to the old CAs.
    args.extend(["--force", "--key-algorithm", "ecdsa-p256"]);
    let mut all = vec!["init", "--dir", dir.to_str().unwrap()];
    all.extend(&args);
    let out = kpki(&all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = snapshot(&dir);
    let get = |snap: &[(String, Vec<u8>, u32)], f: &str| {
        snap.iter().find(|(n, _, _)| n == f).unwrap().clone()
    };
    for kept in [
        "pki/ca.crt",
        "pki/ca.key",
        "pki/etcd/ca.crt",
        "pki/etcd/ca.key",
        "pki/front-proxy-ca.crt",
        "pki/front-proxy-ca.key",
        "pki/sa.key",
        "pki/sa.pub",
    ] {
        assert_eq!(
            get(&after, kept),
            get(&before, kept),
            "{kept} changed under --force"
        );
    }
    for replaced in [
        "pki/apiserver.key",
        "pki/apiserver.crt",
        "pki/etcd/server.key",
    ] {
        let (_, new, mode) = get(&after, replaced);
        assert_ne!(new, get(&before, replaced).1, "{replaced} not replaced");
        assert_eq!(mode, get(&before, replaced).2, "{replaced}: mode changed");
    }
    let leaf = Parsed::from_pem_file(&dir.join("pki/apiserver.crt")).unwrap();
    let ca = Parsed::from_pem_file(&dir.join("pki/ca.crt")).unwrap();
    webpki_verify(&leaf.der, &ca.der, Purpose::Server, SystemTime::now()).unwrap();
    assert_eq!(
        list_files(&dir),
        before.iter().map(|(f, _, _)| f.clone()).collect::<Vec<_>>()
    );
}

#[test]
fn kubeadm_config_with_a_wrong_type_names_the_field() {
    let tmp = TempDir::new("bad-config");
    let dir = tmp.join("out");
    let head = "apiVersion: kubeadm.k8s.io/v1beta3\nkind: InitConfiguration\n";
    let cluster = "---\napiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\n";
    let cases = [
        (
            format!(
                "{head}localAPIEndpoint:\n  advertiseAddress: 10.0.0.10\n  bindPort: not-a-port\n"
            ),
            "localAPIEndpoint.bindPort",
        ),
        (
            format!("{head}localAPIEndpoint:\n  bindPort: [1, 2]\n"),
            "localAPIEndpoint.bindPort",
        ),
        (
            format!("{head}nodeRegistration:\n  name:\n    nested: map\n"),
            "nodeRegistration.name",
        ),
        (
            format!("{head}{cluster}apiServer:\n  certSANs: just-one-string\n"),
            "apiServer.certSANs",
        ),
        (
            format!("{head}{cluster}networking:\n  serviceSubnet: 10.96.0.0/33\n"),
            "networking.serviceSubnet",
        ),
        (
            format!("{head}{cluster}encryptionAlgorithm: DSA-1024\n"),
            "encryptionAlgorithm",
        ),
        (
            format!("{head}localAPIEndpoint:\n  advertiseAddress: 10.0.0.300\n"),
            "localAPIEndpoint.advertiseAddress",
        ),
    ];
    let config = tmp.join("kubeadm.yaml");
    for (yaml, field) in cases {
        std::fs::write(&config, &yaml).unwrap();
        let err = init_fails(&dir, &["--config", config.to_str().unwrap()]);
        assert!(
            err.contains(&format!("field {field}:")),
            "want the field {field} named:\n{yaml}\n{err}"
        );
        assert!(err.contains(config.to_str().unwrap()), "{err}");
        assert!(!dir.exists());
    }
}

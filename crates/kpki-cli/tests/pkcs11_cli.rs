//! `kpki init --ca-key ROLE=pkcs11:...` on SoftHSM: all three CA roles in the token for
//! each key algorithm; the directory holds the CA certificates and no CA key (kubeadm's
//! external-CA layout), openssl verifies every leaf against its CA, the expiry report
//! reads it, and a PIN on the command line is refused with nothing written.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;

fn ca_key_args(tag: &str) -> Vec<String> {
    ["kubernetes", "etcd", "front-proxy"]
        .into_iter()
        .flat_map(|role| {
            [
                "--ca-key".to_owned(),
                format!(
                    "{role}={}",
                    softhsm_uri("kpki", &format!("cli-{tag}-{role}"))
                ),
            ]
        })
        .collect()
}

#[test]
fn init_with_every_ca_key_in_the_token() {
    for alg in ["rsa-2048", "ecdsa-p256", "ecdsa-p384", "ed25519"] {
        let tmp = TempDir::new("pkcs11-cli");
        let dir = tmp.join("kubernetes");
        let keys = ca_key_args(alg);
        let mut extra: Vec<&str> = vec!["--key-algorithm", alg];
        extra.extend(keys.iter().map(String::as_str));
        kpki_init_example(&dir, &extra);
        let pki = dir.join("pki");
        for absent in ["ca.key", "etcd/ca.key", "front-proxy-ca.key"] {
            assert!(!pki.join(absent).exists(), "{alg}: {absent} was written");
        }
        // No key file in the directory is a CA's key.
        let ca_spkis: Vec<Vec<u8>> = ["ca.crt", "etcd/ca.crt", "front-proxy-ca.crt"]
            .iter()
            .map(|c| Parsed::from_pem_file(&pki.join(c)).unwrap().spki_der())
            .collect();
        for f in list_files(&dir).iter().filter(|f| f.ends_with(".key")) {
            let spki = public_key_of_private(&std::fs::read(dir.join(f)).unwrap()).unwrap();
            assert!(!ca_spkis.contains(&spki), "{alg}: {f} is a CA key");
        }
        for (ca, leaf, purpose) in [
            ("ca.crt", "apiserver.crt", "sslserver"),
            ("ca.crt", "apiserver-kubelet-client.crt", "sslclient"),
            ("etcd/ca.crt", "etcd/server.crt", "sslserver"),
            ("etcd/ca.crt", "etcd/peer.crt", "sslclient"),
            ("etcd/ca.crt", "apiserver-etcd-client.crt", "sslclient"),
            ("front-proxy-ca.crt", "front-proxy-client.crt", "sslclient"),
        ] {
            openssl_verify(&pki.join(ca), &pki.join(leaf), Some(purpose))
                .unwrap_or_else(|e| panic!("{alg}: {leaf}: {e}"));
        }
        // The expiry report reads the directory: the CAs are there, their keys are not.
        let out = kpki(&[
            "certs",
            "check-expiration",
            "--dir",
            dir.to_str().unwrap(),
            "-o",
            "json",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let cas = report["certificateAuthorities"].as_array().unwrap();
        assert_eq!(cas.len(), 3, "{report}");
        assert!(cas.iter().all(|c| c["missing"] == false), "{report}");
    }
}

/// `kpki init --ca-key KEY` with SPEC.md's inputs into a new directory: it must fail,
/// leave no directory, and never print the test PIN; returns its standard error.
fn init_refused(tag: &str, key: &str) -> String {
    let tmp = TempDir::new(tag);
    let dir = tmp.join("kubernetes");
    let mut args = vec!["init", "--dir", dir.to_str().unwrap(), "--ca-key", key];
    args.extend(EXAMPLE_ARGS);
    let out = kpki(&args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{err}");
    assert!(!err.contains(&format!("pin-value={SOFTHSM_PIN}")), "{err}");
    assert!(!dir.exists(), "{:?}", list_files(&dir));
    err
}

#[test]
fn a_pin_on_the_command_line_is_refused_and_nothing_is_written() {
    let key = format!(
        "kubernetes=pkcs11:token=kpki;object=argv?module-path={SOFTHSM_MODULE}&pin-value={SOFTHSM_PIN}"
    );
    let err = init_refused("pkcs11-pin", &key);
    assert!(
        err.contains("--ca-key") && err.contains("pin-source"),
        "{err}"
    );
}

#[test]
fn a_missing_token_is_an_error_naming_it_and_nothing_is_written() {
    softhsm();
    let err = init_refused(
        "pkcs11-missing",
        &format!("etcd={}", softhsm_uri("no-such-token", "x")),
    );
    assert!(
        err.contains("token=no-such-token") && err.contains("no initialised token"),
        "{err}"
    );
}

/// `kpki ARGS`, which must succeed; returns its standard output.
fn ok(args: &[&str]) -> String {
    let out = kpki(args);
    assert!(
        out.status.success(),
        "kpki {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `kpki ARGS`, which must fail and leave `dir` as it was; returns its standard error.
fn refused(dir: &std::path::Path, args: &[&str]) -> String {
    let before = snapshot(dir);
    let out = kpki(args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "kpki {args:?} succeeded");
    assert_eq!(
        snapshot(dir),
        before,
        "kpki {args:?} changed {}",
        dir.display()
    );
    err
}

/// The first `field:` value (base64) of a kubeconfig's text, decoded.
fn kubeconfig_data(text: &str, field: &str) -> Vec<u8> {
    text.lines()
        .find_map(|l| l.trim_start().strip_prefix(&format!("{field}:")))
        .map(|v| b64(v.trim().trim_matches('"')).unwrap())
        .unwrap_or_else(|| panic!("no {field} in {text}"))
}

/// A P-256 PKI whose three CA keys are in the token, through every command that signs:
/// each refuses without `--ca-key` (naming the flag, changing nothing) and works with
/// it; the CA renews with its token key kept; a rotation puts the new CA key in the
/// token (refusing the old key's URI), after which the new URI signs and the old does
/// not fit. No file written along the way is a CA's private key.
#[test]
fn a_token_pki_lives_its_whole_life_through_the_cli() {
    let tmp = TempDir::new("pkcs11-life");
    let dir = tmp.join("kubernetes");
    let d = dir.to_str().unwrap();
    let pki = dir.join("pki");
    let key = |role: &str, object: &str| format!("{role}={}", softhsm_uri("kpki", object));
    let (ca, etcd, fp) = (
        key("kubernetes", "life-ca"),
        key("etcd", "life-etcd-ca"),
        key("front-proxy", "life-front-proxy-ca"),
    );
    kpki_init_example(
        &dir,
        &[
            "--key-algorithm",
            "ecdsa-p256",
            "--ca-key",
            &ca,
            "--ca-key",
            &etcd,
            "--ca-key",
            &fp,
        ],
    );
    let hint = "pass --ca-key kubernetes=pkcs11:URI";

    // sign
    let (csr, crt) = (tmp.join("alice.csr"), tmp.join("alice.crt"));
    let (csr_s, crt_s) = (csr.to_str().unwrap(), crt.to_str().unwrap());
    ok(&[
        "csr",
        "--cn",
        "alice",
        "--org",
        "dev",
        "--key-algorithm",
        "ecdsa-p256",
        "--key-out",
        tmp.join("alice.key").to_str().unwrap(),
        "--csr-out",
        csr_s,
    ]);
    let sign = [
        "sign",
        "--dir",
        d,
        "--csr",
        csr_s,
        "--signer",
        "kubernetes.io/kube-apiserver-client",
        "--out",
        crt_s,
    ];
    let err = refused(&dir, &sign);
    assert!(err.contains(hint) && !crt.exists(), "{err}");
    ok(&[&sign[..], &["--ca-key", &ca]].concat());
    openssl_verify(&pki.join("ca.crt"), &crt, Some("sslclient")).unwrap();

    // user
    let kc = tmp.join("bob.conf");
    let user = [
        "user",
        "bob",
        "--group",
        "dev",
        "--dir",
        d,
        "--kubeconfig-out",
        kc.to_str().unwrap(),
    ];
    let err = refused(&dir, &user);
    assert!(err.contains(hint) && !kc.exists(), "{err}");
    ok(&[&user[..], &["--ca-key", &ca]].concat());
    let bob = tmp.join("bob.crt");
    std::fs::write(
        &bob,
        kubeconfig_data(
            &std::fs::read_to_string(&kc).unwrap(),
            "client-certificate-data",
        ),
    )
    .unwrap();
    openssl_verify(&pki.join("ca.crt"), &bob, Some("sslclient")).unwrap();

    // kube-csr sign
    let obj = tmp.join("alice.yaml");
    std::fs::write(
        &obj,
        ok(&[
            "kube-csr",
            "create",
            "--csr",
            csr_s,
            "--signer",
            "kubernetes.io/kube-apiserver-client",
            "--name",
            "alice",
        ]),
    )
    .unwrap();
    let kube_sign = ["kube-csr", "sign", "--dir", d, obj.to_str().unwrap()];
    let err = refused(&dir, &kube_sign);
    assert!(err.contains(hint), "{err}");
    let signed = ok(&[&kube_sign[..], &["--ca-key", &ca]].concat());
    let issued = tmp.join("alice-kube.crt");
    std::fs::write(&issued, kubeconfig_data(&signed, "certificate")).unwrap();
    openssl_verify(&pki.join("ca.crt"), &issued, Some("sslclient")).unwrap();

    // certs renew all: every CA's key is needed.
    let renew = ["certs", "renew", "all", "--dir", d];
    let err = refused(&dir, &renew);
    assert!(
        err.contains("--ca-key") && err.contains("external-CA"),
        "{err}"
    );
    let err = refused(&dir, &[&renew[..], &["--ca-key", &ca]].concat());
    assert!(err.contains("pass --ca-key etcd=pkcs11:URI"), "{err}");
    let before = Parsed::from_pem_file(&pki.join("apiserver.crt")).unwrap();
    ok(&[
        &renew[..],
        &["--ca-key", &ca, "--ca-key", &etcd, "--ca-key", &fp],
    ]
    .concat());
    let after = Parsed::from_pem_file(&pki.join("apiserver.crt")).unwrap();
    assert_ne!(before.der, after.der, "apiserver.crt was not renewed");
    openssl_verify(
        &pki.join("ca.crt"),
        &pki.join("apiserver.crt"),
        Some("sslserver"),
    )
    .unwrap();
    openssl_verify(
        &pki.join("etcd/ca.crt"),
        &pki.join("etcd/server.crt"),
        Some("sslserver"),
    )
    .unwrap();

    // certs renew ca: the same token key, so what it issued still verifies.
    let old_ca = Parsed::from_pem_file(&pki.join("ca.crt")).unwrap();
    let err = refused(&dir, &["certs", "renew", "ca", "--dir", d]);
    assert!(err.contains(hint), "{err}");
    ok(&["certs", "renew", "ca", "--dir", d, "--ca-key", &ca]);
    let new_ca = Parsed::from_pem_file(&pki.join("ca.crt")).unwrap();
    assert_ne!(old_ca.der, new_ca.der);
    assert_eq!(old_ca.spki_der(), new_ca.spki_der(), "the CA key changed");
    openssl_verify(&pki.join("ca.crt"), &crt, Some("sslclient")).unwrap();
    assert!(!pki.join("ca.key").exists());

    // ca rotate: the old key's URI is refused for the new CA; a new object is used.
    let err = refused(
        &dir,
        &[
            "ca",
            "rotate",
            "start",
            "--dir",
            d,
            "--role",
            "kubernetes",
            "--ca-key",
            &ca,
        ],
    );
    assert!(err.contains("name another object"), "{err}");
    let ca2 = key("kubernetes", "life-ca-2");
    ok(&[
        "ca",
        "rotate",
        "start",
        "--dir",
        d,
        "--role",
        "kubernetes",
        "--ca-key",
        &ca2,
    ]);
    // No ca.key was there to remove (the old key is in the token too).
    let out = ok(&["ca", "rotate", "reissue", "--dir", d]);
    assert!(
        out.contains(" 0 removed)") && !out.contains("ca.key"),
        "{out}"
    );
    ok(&["ca", "rotate", "finish", "--dir", d]);
    let rotated = Parsed::from_pem_file(&pki.join("ca.crt")).unwrap();
    assert_ne!(
        rotated.spki_der(),
        new_ca.spki_der(),
        "the CA key did not rotate"
    );
    openssl_verify(
        &pki.join("ca.crt"),
        &pki.join("apiserver.crt"),
        Some("sslserver"),
    )
    .unwrap();
    std::fs::remove_file(&crt).unwrap();
    let err = refused(&dir, &[&sign[..], &["--ca-key", &ca]].concat());
    assert!(err.contains("does not match"), "{err}");
    ok(&[&sign[..], &["--ca-key", &ca2]].concat());
    openssl_verify(&pki.join("ca.crt"), &crt, Some("sslclient")).unwrap();

    // No file here is a CA's private key.
    let ca_spkis: Vec<Vec<u8>> = [old_ca.spki_der(), rotated.spki_der()]
        .into_iter()
        .chain(
            ["etcd/ca.crt", "front-proxy-ca.crt"]
                .iter()
                .map(|c| Parsed::from_pem_file(&pki.join(c)).unwrap().spki_der()),
        )
        .collect();
    for f in list_files(&dir).iter().filter(|f| f.ends_with(".key")) {
        let spki = public_key_of_private(&std::fs::read(dir.join(f)).unwrap()).unwrap();
        assert!(!ca_spkis.contains(&spki), "{f} is a CA key");
    }
}

/// `kpki ARGS` against the SoftHSM configuration `conf`.
fn kpki_on(conf: &std::path::Path, args: &[&str]) -> std::process::Output {
    run(
        std::process::Command::new(kpki_bin())
            .env("SOFTHSM2_CONF", conf)
            .args(args),
        std::time::Duration::from_secs(120),
    )
}

/// The mechanisms that let SoftHSM generate EC and RSA keys but not sign with ECDSA.
const NO_ECDSA: &str = "slots.mechanisms = CKM_RSA_PKCS_KEY_PAIR_GEN,CKM_RSA_PKCS,CKM_SHA256_RSA_PKCS,CKM_EC_KEY_PAIR_GEN";

/// An independent PKCS#11 client (OpenSC's pkcs11-tool) reads the key `kpki init`
/// generated: sensitive, never extractable, generated in the token, allowed to sign
/// only. Then the token stops offering CKM_ECDSA: renewing with that key, and a new
/// `init`, are each a typed error naming the mechanism, with nothing written.
#[test]
fn pkcs11_tool_reads_a_sign_only_key_and_a_refused_mechanism_writes_nothing() {
    let hsm = OwnSoftHsm::new("pkcs11-own", "");
    let tmp = TempDir::new("pkcs11-mech");
    let dir = tmp.join("kubernetes");
    let d = dir.to_str().unwrap();
    let ca = format!("kubernetes={}", hsm.uri("own-ca"));
    let mut init = vec![
        "init",
        "--dir",
        d,
        "--quiet",
        "--key-algorithm",
        "ecdsa-p256",
    ];
    init.extend(EXAMPLE_ARGS);
    init.extend(["--ca-key", &ca]);
    let out = kpki_on(&hsm.conf(), &init);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = run(
        std::process::Command::new("pkcs11-tool")
            .env("SOFTHSM2_CONF", hsm.conf())
            .args(["--module", SOFTHSM_MODULE, "--login", "--pin", SOFTHSM_PIN])
            .args(["--list-objects", "--type", "privkey"]),
        std::time::Duration::from_secs(60),
    );
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{listing}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{listing}");
    let block: Vec<&str> = listing
        .split("Private Key Object")
        .filter(|b| b.contains("label:      own-ca"))
        .collect();
    assert_eq!(block.len(), 1, "{listing}");
    let field = |name: &str| {
        block[0]
            .lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .map(str::trim)
            .unwrap_or_else(|| panic!("no {name} in {listing}"))
            .to_owned()
    };
    assert_eq!(
        field("Access:"),
        "sensitive, always sensitive, never extractable, local"
    );
    assert_eq!(field("Usage:"), "sign");

    // The token stops offering ECDSA signatures.
    let conf = std::fs::read_to_string(hsm.conf()).unwrap();
    std::fs::write(hsm.conf(), format!("{conf}{NO_ECDSA}\n")).unwrap();
    let before = snapshot(&dir);
    let out = kpki_on(
        &hsm.conf(),
        &["certs", "renew", "apiserver", "--dir", d, "--ca-key", &ca],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("object=own-ca")
            && err.contains("does not offer the mechanism")
            && err.contains("CKM_ECDSA"),
        "{err}"
    );
    assert_eq!(snapshot(&dir), before, "renew changed the directory");

    let fresh = tmp.join("fresh");
    init[2] = fresh.to_str().unwrap();
    let out = kpki_on(&hsm.conf(), &init);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("CKM_ECDSA"), "{err}");
    assert!(!fresh.exists(), "{:?}", list_files(&fresh));
}

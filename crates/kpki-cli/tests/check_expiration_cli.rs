//! `kpki certs check-expiration` on real kubeadm v1.28.7 output (kpki-testkit's
//! fixtures) and on a fresh `kpki init`: the table is kubeadm's, column for column;
//! `-o json` / `-o yaml` are kubeadm's `CertificateExpirationInfo`
//! (cmd/kubeadm/app/apis/output/v1alpha3), checked field by field against that Go type;
//! `--fail-within` fails on what is due and only on that; a directory without a PKI is
//! an error, not an empty table.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;

fn fixture(kind: &str) -> std::path::PathBuf {
    kubeadm_128_fixture(kind)
}

#[test]
fn check_expiration_cli_reads_the_fixture() {
    let tmp = TempDir::new("fixture-cli");
    copy_fixture(&fixture("rsa"), tmp.path());
    let out = kpki(&[
        "certs",
        "check-expiration",
        "--dir",
        tmp.path().to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    // kubeadm's headers, laid out by Go's tabwriter (minwidth 10, padding 3): the widest
    // name is `!MISSING! super-admin.conf` (26) — kubeadm ≥ 1.29 lists super-admin.conf,
    // which v1.28.7 did not write.
    assert_eq!(
        lines[0],
        "CERTIFICATE                  EXPIRES                  RESIDUAL TIME   \
         CERTIFICATE AUTHORITY   EXTERNALLY MANAGED",
        "{text}"
    );
    let names: Vec<&str> = lines[1..12]
        .iter()
        .map(|l| l.split("   ").next().unwrap().trim())
        .collect();
    assert_eq!(
        names,
        [
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
            "!MISSING! super-admin.conf",
        ],
        "{text}"
    );
    let etcd = lines
        .iter()
        .find(|l| l.starts_with("etcd-server "))
        .unwrap();
    let cells: Vec<&str> = etcd.split("  ").filter(|c| !c.trim().is_empty()).collect();
    assert_eq!(cells.len(), 5, "{etcd}");
    assert!(
        cells[1].trim().ends_with(" UTC") && cells[1].contains(", 20"),
        "{etcd}"
    );
    assert_eq!(
        (cells[3].trim(), cells[4].trim()),
        ("etcd-ca", "no"),
        "{etcd}"
    );
    assert_eq!(lines[12], "", "{text}");
    assert_eq!(
        lines[13],
        "CERTIFICATE AUTHORITY   EXPIRES                  RESIDUAL TIME   EXTERNALLY MANAGED"
    );
    let cas: Vec<&str> = lines[14..]
        .iter()
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(cas, ["ca", "etcd-ca", "front-proxy-ca"], "{text}");
    assert!(!text.contains("kubelet.conf"), "{text}");
}

/// `kpki certs check-expiration --dir DIR ARGS`.
fn check(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["certs", "check-expiration", "--dir", dir.to_str().unwrap()];
    all.extend(args);
    kpki(&all)
}

/// The keys of each JSON object in `text`, in the order they are written, by the
/// indentation of the object's fields (Go's MarshalIndent with four spaces).
fn keys_at_indent(text: &str, indent: usize) -> Vec<Vec<String>> {
    let mut objects: Vec<Vec<String>> = Vec::new();
    let open = format!("{}{{", " ".repeat(indent - 4));
    let field = " ".repeat(indent);
    for line in text.lines() {
        if line == open {
            objects.push(Vec::new());
        } else if let Some(rest) = line.strip_prefix(&field)
            && rest.starts_with('"')
            && let Some(obj) = objects.last_mut()
        {
            obj.push(rest[1..].split('"').next().unwrap().to_owned());
        }
    }
    objects
}

/// kubeadm's `output/v1alpha3.Certificate`, as its Go declaration reads: JSON name,
/// JSON kind, and whether the field is `omitempty`.
const GO_CERTIFICATE: [(&str, &str, bool); 6] = [
    ("name", "string", false),
    ("expirationDate", "metav1.Time", false),
    ("residualTime", "int64", false),
    ("externallyManaged", "bool", false),
    ("caName", "string", true),
    ("missing", "bool", false),
];

/// Checks one `Certificate` against [`GO_CERTIFICATE`]: the keys Go writes, in Go's
/// order, each of the Go type's JSON kind.
fn assert_is_go_certificate(v: &serde_json::Value, keys: &[String], is_ca: bool) {
    let want: Vec<&str> = GO_CERTIFICATE
        .iter()
        // caName is omitempty: a CA has none, and kubeadm fills in only the name of a
        // missing file.
        .filter(|(_, _, omitempty)| !(*omitempty && (is_ca || v["missing"] == true)))
        .map(|(name, _, _)| *name)
        .collect();
    assert_eq!(keys, want, "{v}");
    for (name, kind, _) in GO_CERTIFICATE {
        let field = &v[name];
        if field.is_null() && name == "caName" {
            continue;
        }
        let ok = match kind {
            "string" => field.is_string(),
            "int64" => field.is_i64(),
            "bool" => field.is_boolean(),
            // metav1.Time: RFC 3339 in UTC to the second, or null for the zero time.
            "metav1.Time" => match field.as_str() {
                Some(t) => {
                    let b = t.as_bytes();
                    t.len() == 20
                        && b[4] == b'-'
                        && b[7] == b'-'
                        && b[10] == b'T'
                        && b[13] == b':'
                        && b[16] == b':'
                        && b[19] == b'Z'
                }
                None => field.is_null(),
            },
            _ => unreachable!(),
        };
        assert!(ok, "{name} is not a {kind}: {field}");
    }
}

/// `openssl x509 -enddate` of a file, as RFC 3339 (the independent reading of the date).
fn openssl_enddate(path: &std::path::Path) -> String {
    let out = run(
        std::process::Command::new("openssl")
            .args(["x509", "-noout", "-enddate", "-dateopt", "iso_8601", "-in"])
            .arg(path),
        std::time::Duration::from_secs(30),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // notAfter=2027-12-02 07:40:00Z
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .trim_start_matches("notAfter=")
        .replacen(' ', "T", 1)
}

#[test]
fn json_is_kubeadms_certificate_expiration_info_field_by_field() {
    let tmp = TempDir::new("expiry-json");
    kpki_init_example(tmp.path(), &[]);
    let out = check(tmp.path(), &["-o", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    println!("{text}");
    assert!(
        text.ends_with("}\n") && text.starts_with("{\n    \"kind\""),
        "{text}"
    );
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();

    // TypeMeta inline, then the two lists, in the Go type's order.
    assert_eq!(
        keys_at_indent(&text, 4)[0],
        [
            "kind",
            "apiVersion",
            "certificates",
            "certificateAuthorities"
        ]
    );
    assert_eq!(v["kind"], "CertificateExpirationInfo");
    assert_eq!(v["apiVersion"], "output.kubeadm.k8s.io/v1alpha3");
    let objects = keys_at_indent(&text, 12);
    let certs = v["certificates"].as_array().unwrap();
    let cas = v["certificateAuthorities"].as_array().unwrap();
    assert_eq!(objects.len(), certs.len() + cas.len());
    for (i, c) in certs.iter().chain(cas).enumerate() {
        assert_is_go_certificate(c, &objects[i], i >= certs.len());
    }

    // kubeadm's names, sorted, each with kubeadm's CA name, none missing or external.
    let names: Vec<&str> = certs.iter().map(|c| c["name"].as_str().unwrap()).collect();
    let want = [
        ("admin.conf", "ca", "admin.conf"),
        ("apiserver", "ca", "pki/apiserver.crt"),
        (
            "apiserver-etcd-client",
            "etcd-ca",
            "pki/apiserver-etcd-client.crt",
        ),
        (
            "apiserver-kubelet-client",
            "ca",
            "pki/apiserver-kubelet-client.crt",
        ),
        ("controller-manager.conf", "ca", "controller-manager.conf"),
        (
            "etcd-healthcheck-client",
            "etcd-ca",
            "pki/etcd/healthcheck-client.crt",
        ),
        ("etcd-peer", "etcd-ca", "pki/etcd/peer.crt"),
        ("etcd-server", "etcd-ca", "pki/etcd/server.crt"),
        (
            "front-proxy-client",
            "front-proxy-ca",
            "pki/front-proxy-client.crt",
        ),
        ("scheduler.conf", "ca", "scheduler.conf"),
        ("super-admin.conf", "ca", "super-admin.conf"),
    ];
    assert_eq!(names, want.map(|(n, _, _)| n));
    for (c, (name, ca, file)) in certs.iter().zip(want) {
        assert_eq!(c["caName"], ca, "{name}");
        assert_eq!(
            (c["missing"].as_bool(), c["externallyManaged"].as_bool()),
            (Some(false), Some(false))
        );
        // The date is the certificate's own, as openssl reads it (a kubeconfig's
        // embedded certificate is checked through its renewal elsewhere).
        if file.ends_with(".crt") {
            assert_eq!(
                c["expirationDate"].as_str().unwrap(),
                openssl_enddate(&tmp.join(file)),
                "{name}"
            );
        }
        // residualTime: seconds until expirationDate, measured from the run.
        let left = c["residualTime"].as_i64().unwrap();
        assert!(
            (365 * 86400 - 120..=365 * 86400).contains(&left),
            "{name}: {left}"
        );
    }
    let ca_names: Vec<&str> = cas.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(ca_names, ["ca", "etcd-ca", "front-proxy-ca"]);
    for (c, file) in cas
        .iter()
        .zip(["pki/ca.crt", "pki/etcd/ca.crt", "pki/front-proxy-ca.crt"])
    {
        assert!(c.get("caName").is_none(), "{c}");
        assert_eq!(
            c["expirationDate"].as_str().unwrap(),
            openssl_enddate(&tmp.join(file))
        );
    }
}

#[test]
fn yaml_is_the_same_object_with_sorted_keys_and_a_missing_file_is_null() {
    let tmp = TempDir::new("expiry-yaml");
    copy_fixture(&fixture("ecdsa"), tmp.path());
    let json = check(tmp.path(), &["-o", "json"]);
    let yaml = check(tmp.path(), &["--output", "yaml"]);
    assert!(
        yaml.status.success(),
        "{}",
        String::from_utf8_lossy(&yaml.stderr)
    );
    let text = String::from_utf8(yaml.stdout).unwrap();
    println!("{text}");
    // sigs.k8s.io/yaml: JSON into a sorted map, lists not indented, dates quoted.
    let top: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.starts_with('-'))
        .map(|l| l.split(':').next().unwrap())
        .collect();
    assert_eq!(
        top,
        [
            "apiVersion",
            "certificateAuthorities",
            "certificates",
            "kind"
        ]
    );
    assert!(
        text.contains("\n- caName: ca\n  expirationDate: \"20"),
        "{text}"
    );
    assert!(
        text.contains("- expirationDate: null\n  externallyManaged: false\n  missing: true\n  name: super-admin.conf\n  residualTime: 0\n"),
        "{text}"
    );
    // The same data as the JSON (residualTime aside: the two runs are seconds apart).
    let strip = |mut v: serde_json::Value| {
        for list in ["certificates", "certificateAuthorities"] {
            for c in v[list].as_array_mut().unwrap() {
                c.as_object_mut().unwrap().remove("residualTime");
            }
        }
        v
    };
    let from_yaml: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    let from_json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(strip(from_yaml), strip(from_json));
}

#[test]
fn fail_within_exits_3_naming_what_is_due_and_0_otherwise() {
    let tmp = TempDir::new("fail-within");
    kpki_init_example(tmp.path(), &[]);
    // Leaves live a year, CAs ten: a 30-day window has nothing due.
    let out = check(tmp.path(), &["--fail-within", "720h"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty());
    // A year and a day catches every leaf and no CA.
    let out = check(tmp.path(), &["-o", "json", "--fail-within", "8784h"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.starts_with("kpki: 11 certificates or CAs expire within 8784h"),
        "{err}"
    );
    for name in ["apiserver", "etcd-server", "super-admin.conf"] {
        assert!(err.contains(&format!("kpki:   {name} ")), "{name}: {err}");
    }
    assert!(!err.contains(" ca ") && !err.contains("etcd-ca"), "{err}");
    // stdout still carries the whole report for a monitor to read.
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["certificates"].as_array().unwrap().len(), 11);
    // Eleven years catches the CAs too.
    let out = check(tmp.path(), &["--fail-within", "96360h"]);
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("kpki: 14 certificates or CAs"));
    // Missing files are listed as missing but are not "due": the kubeadm-1.28 profile
    // writes no super-admin.conf.
    let old = TempDir::new("fail-within-128");
    kpki_init_example(old.path(), &["--profile", "kubeadm-1.28"]);
    let out = check(old.path(), &["-o", "json", "--fail-within", "1h"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let super_admin = &v["certificates"][10];
    assert_eq!(
        (&super_admin["name"], &super_admin["missing"]),
        (&"super-admin.conf".into(), &true.into())
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A bad window or format names its flag.
    for (args, want) in [
        (vec!["--fail-within", "30d"], "--fail-within"),
        (vec!["-o", "xml"], "--output"),
    ] {
        let out = check(old.path(), &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

#[test]
fn a_missing_or_empty_directory_is_an_error_for_every_command_that_reads_one() {
    let tmp = TempDir::new("empty-dir");
    let empty = tmp.path().to_str().unwrap();
    let missing = tmp.join("nope");
    let missing = missing.to_str().unwrap();
    for (args, want) in [
        (
            vec!["certs", "check-expiration", "--dir", empty],
            "no certificates",
        ),
        (
            vec!["certs", "renew", "all", "--dir", empty],
            "no certificates",
        ),
        (
            vec!["certs", "check-expiration", "--dir", missing],
            "does not exist",
        ),
        (
            vec!["certs", "renew", "all", "--dir", missing],
            "does not exist",
        ),
    ] {
        let out = kpki(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.starts_with("kpki: error: ") && err.contains(want),
            "{args:?}: {err}"
        );
    }
}

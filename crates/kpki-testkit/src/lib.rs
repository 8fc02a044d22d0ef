//! What kpki's tests share: the independent oracle (RustCrypto's `x509-cert`/`der` for
//! parsing, `rustls-webpki` and `openssl` for chain checks, `kubectl` for kubeconfigs,
//! rustls for real TLS), temporary directories, child processes with hard timeouts,
//! and the real kubeadm output the tests load (`fixtures/`).
//!
//! Nothing here uses kpki's own parser (x509-parser), nor depends on kpki at all: an
//! assertion that passes with these helpers was checked by a second implementation.
//! A test-only crate (`publish = false`): it panics on failure, as tests do.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::Write as _;
use std::net::{IpAddr, TcpListener};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

use der::asn1::{ObjectIdentifier, UintRef};
use der::{Decode as _, Encode as _, Tag, Tagged as _};
use rustls_pki_types::{CertificateDer, UnixTime};
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAltName,
    SubjectKeyIdentifier,
};

// ---- OIDs (RFC 5280, RFC 3279, RFC 5758, RFC 4055) ----------------------------------
pub const OID_CN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
pub const OID_O: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");
pub const OID_SERVER_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.1");
pub const OID_CLIENT_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.2");
pub const OID_KU: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
pub const OID_EKU: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
pub const OID_BC: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
pub const OID_SKI: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
pub const OID_AKI: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
pub const OID_SAN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
pub const OID_RSA_ENCRYPTION: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
pub const OID_SHA256_WITH_RSA: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
pub const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
pub const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
pub const OID_ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");

pub const DAY: Duration = Duration::from_secs(86_400);
pub const FIVE_MINUTES: Duration = Duration::from_secs(300);

// ---- fixtures ------------------------------------------------------------------------

/// Real kubeadm v1.28.7 output (`fixtures/kubeadm-1.28/{rsa,ecdsa}`; see its README).
pub fn kubeadm_128_fixture(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/kubeadm-1.28")
        .join(kind)
}

/// The project's outside layout check (`peers/check-layout.sh`, a copy of
/// `shared/peers/check-layout.sh`).
pub fn check_layout_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/check-layout.sh")
}

// ---- processes -----------------------------------------------------------------------

/// Runs `cmd` with stdin closed, killing it (by PID) after `timeout`.
pub fn run(cmd: &mut Command, timeout: Duration) -> Output {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    wait_output(child, timeout, &format!("{cmd:?}"))
}

/// Waits for `child` (stdout/stderr piped) at most `timeout`, then kills it and panics.
pub fn wait_output(mut child: Child, timeout: Duration, what: &str) -> Output {
    // Drain the pipes on threads so a chatty child cannot block on a full pipe.
    let mut out = child.stdout.take();
    let mut err = child.stderr.take();
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        if let Some(o) = out.as_mut() {
            let _ = std::io::Read::read_to_end(o, &mut v);
        }
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        if let Some(e) = err.as_mut() {
            let _ = std::io::Read::read_to_end(e, &mut v);
        }
        v
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: did not finish within {timeout:?} (killed)");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: t_out.join().unwrap(),
        stderr: t_err.join().unwrap(),
    }
}

/// A child process killed and reaped (by its PID) when dropped.
pub struct ChildGuard {
    pub child: Child,
    pub name: &'static str,
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A temporary directory, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let mut rnd = [0u8; 8];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut rnd))
            .unwrap();
        let name: String = rnd.iter().map(|b| format!("{b:02x}")).collect();
        let dir = std::env::temp_dir().join(format!("kpki-test-{tag}-{name}"));
        std::fs::create_dir_all(&dir).unwrap();
        // Readable by an unprivileged user too (the unwritable-directory test drops root).
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        TempDir(dir)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
    pub fn join(&self, p: impl AsRef<Path>) -> PathBuf {
        self.0.join(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every file under `dir` (relative paths, sorted).
pub fn list_files(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, d: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out.sort();
    out
}

/// Copies a fixture tree, restoring kubeadm's modes (git keeps none): certificates and
/// YAML 0644, everything else (keys, kubeconfigs) 0600.
pub fn copy_fixture(src: &Path, dst: &Path) {
    for f in list_files(src) {
        let to = dst.join(&f);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(src.join(&f), &to).unwrap();
        let mode = if f.ends_with(".crt") || f.ends_with(".yaml") {
            0o644
        } else {
            0o600
        };
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(mode)).unwrap();
    }
}

/// Runs `cmd` with piped standard streams, `stdin` (if any) fed to it, and waits.
pub fn run_piped(cmd: &mut Command, stdin: Option<&[u8]>) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    {
        let mut pipe = child.stdin.take().unwrap();
        if let Some(input) = stdin {
            pipe.write_all(input).unwrap();
        }
    }
    child.wait_with_output().unwrap()
}

/// Every file under `dir` with its bytes and mode.
pub fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>, u32)> {
    list_files(dir)
        .into_iter()
        .map(|f| {
            let p = dir.join(&f);
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o7777;
            (f, std::fs::read(&p).unwrap(), mode)
        })
        .collect()
}

pub fn mode_of(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o7777
}

// ---- PEM (RFC 7468, via der's pem-rfc7468, not the `pem` crate kpki uses) ------------

/// Every PEM block of `text`, as (label, DER).
pub fn pem_blocks(text: &[u8]) -> Vec<(String, Vec<u8>)> {
    let s = std::str::from_utf8(text).expect("PEM is UTF-8");
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start..];
        let label_end = after[11..].find("-----").expect("BEGIN line") + 11;
        let label = &after[11..label_end];
        let end_marker = format!("-----END {label}-----");
        let end = after.find(&end_marker).expect("END line") + end_marker.len();
        let block = &after[..end];
        let (l, der) = der::pem::decode_vec(block.as_bytes())
            .unwrap_or_else(|e| panic!("PEM block {label:?} does not decode: {e}"));
        out.push((l.to_owned(), der));
        rest = &after[end..];
    }
    out
}

/// The one PEM block of a file, with its label.
pub fn read_single_pem(path: &Path) -> (String, Vec<u8>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut blocks = pem_blocks(&bytes);
    assert_eq!(
        blocks.len(),
        1,
        "{}: expected exactly one PEM block",
        path.display()
    );
    blocks.remove(0)
}

// ---- certificates, parsed by x509-cert ----------------------------------------------

/// A certificate parsed by the oracle.
pub struct Parsed {
    pub der: Vec<u8>,
    pub cert: Certificate,
}

/// The key algorithms the tests exercise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alg {
    Rsa2048,
    EcdsaP256,
}

impl Alg {
    pub fn cli_name(self) -> &'static str {
        match self {
            Alg::Rsa2048 => "rsa-2048",
            Alg::EcdsaP256 => "ecdsa-p256",
        }
    }
    /// kubeadm's private-key PEM label.
    pub fn key_pem_label(self) -> &'static str {
        match self {
            Alg::Rsa2048 => "RSA PRIVATE KEY",
            Alg::EcdsaP256 => "EC PRIVATE KEY",
        }
    }
    /// The signature algorithm of a certificate issued by a CA with this key.
    pub fn signature_oid(self) -> ObjectIdentifier {
        match self {
            Alg::Rsa2048 => OID_SHA256_WITH_RSA,
            Alg::EcdsaP256 => OID_ECDSA_SHA256,
        }
    }
}

#[derive(der::Sequence)]
struct RsaPublicKey<'a> {
    modulus: UintRef<'a>,
    public_exponent: UintRef<'a>,
}

impl Parsed {
    pub fn from_der(der: Vec<u8>) -> Result<Parsed, String> {
        let cert = Certificate::from_der(&der).map_err(|e| format!("x509-cert: {e}"))?;
        Ok(Parsed { der, cert })
    }

    /// Reads a `.crt` file: exactly one `CERTIFICATE` PEM block.
    pub fn from_pem_file(path: &Path) -> Result<Parsed, String> {
        let (label, der) = read_single_pem(path);
        if label != "CERTIFICATE" {
            return Err(format!("PEM label is {label:?}, want CERTIFICATE"));
        }
        Parsed::from_der(der)
    }

    pub fn from_pem_bytes(bytes: &[u8]) -> Result<Parsed, String> {
        let mut blocks = pem_blocks(bytes);
        if blocks.len() != 1 || blocks[0].0 != "CERTIFICATE" {
            return Err(format!(
                "want one CERTIFICATE block, got {:?}",
                blocks.iter().map(|b| &b.0).collect::<Vec<_>>()
            ));
        }
        Parsed::from_der(blocks.remove(0).1)
    }

    /// Subject attributes in order, one entry per RDN: (oid, tag, value). An RDN with
    /// more or fewer than one attribute is reported as an error.
    pub fn name_attrs(
        name: &x509_cert::name::Name,
    ) -> Result<Vec<(ObjectIdentifier, Tag, String)>, String> {
        let mut out = Vec::new();
        for rdn in &name.0 {
            let atvs: Vec<_> = rdn.0.iter().collect();
            if atvs.len() != 1 {
                return Err(format!("an RDN has {} attributes", atvs.len()));
            }
            let atv = atvs[0];
            let value = String::from_utf8(atv.value.value().to_vec())
                .map_err(|_| "attribute value is not UTF-8".to_owned())?;
            out.push((atv.oid, atv.value.tag(), value));
        }
        Ok(out)
    }

    pub fn subject_attrs(&self) -> Result<Vec<(ObjectIdentifier, Tag, String)>, String> {
        Parsed::name_attrs(&self.cert.tbs_certificate.subject)
    }

    pub fn common_name(&self) -> Option<String> {
        self.subject_attrs()
            .ok()?
            .into_iter()
            .find(|(o, _, _)| *o == OID_CN)
            .map(|(_, _, v)| v)
    }

    pub fn organizations(&self) -> Vec<String> {
        self.subject_attrs()
            .unwrap_or_default()
            .into_iter()
            .filter(|(o, _, _)| *o == OID_O)
            .map(|(_, _, v)| v)
            .collect()
    }

    pub fn subject_der(&self) -> Vec<u8> {
        self.cert.tbs_certificate.subject.to_der().unwrap()
    }

    pub fn issuer_der(&self) -> Vec<u8> {
        self.cert.tbs_certificate.issuer.to_der().unwrap()
    }

    pub fn not_before(&self) -> SystemTime {
        self.cert
            .tbs_certificate
            .validity
            .not_before
            .to_system_time()
    }

    pub fn not_after(&self) -> SystemTime {
        self.cert
            .tbs_certificate
            .validity
            .not_after
            .to_system_time()
    }

    pub fn spki_der(&self) -> Vec<u8> {
        self.cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .unwrap()
    }

    /// The extension with `oid`: (critical, extnValue bytes); error if repeated.
    pub fn extension(&self, oid: ObjectIdentifier) -> Result<Option<(bool, Vec<u8>)>, String> {
        let found: Vec<_> = self
            .extensions()
            .into_iter()
            .filter(|(o, _, _)| *o == oid)
            .collect();
        match found.len() {
            0 => Ok(None),
            1 => Ok(Some((found[0].1, found[0].2.clone()))),
            n => Err(format!("extension {oid} appears {n} times")),
        }
    }

    /// Every extension in order: (oid, critical, extnValue bytes).
    pub fn extensions(&self) -> Vec<(ObjectIdentifier, bool, Vec<u8>)> {
        self.cert
            .tbs_certificate
            .extensions
            .as_deref()
            .unwrap_or(&[])
            .iter()
            .map(|e| (e.extn_id, e.critical, e.extn_value.as_bytes().to_vec()))
            .collect()
    }

    pub fn basic_constraints(&self) -> Result<Option<(bool, BasicConstraints)>, String> {
        self.cert
            .tbs_certificate
            .get::<BasicConstraints>()
            .map_err(|e| e.to_string())
    }

    pub fn key_usage(&self) -> Result<Option<(bool, KeyUsage)>, String> {
        self.cert
            .tbs_certificate
            .get::<KeyUsage>()
            .map_err(|e| e.to_string())
    }

    pub fn extended_key_usage(&self) -> Result<Option<(bool, ExtendedKeyUsage)>, String> {
        self.cert
            .tbs_certificate
            .get::<ExtendedKeyUsage>()
            .map_err(|e| e.to_string())
    }

    pub fn ski(&self) -> Result<Option<Vec<u8>>, String> {
        Ok(self
            .cert
            .tbs_certificate
            .get::<SubjectKeyIdentifier>()
            .map_err(|e| e.to_string())?
            .map(|(_, s)| s.0.as_bytes().to_vec()))
    }

    pub fn aki(&self) -> Result<Option<(bool, AuthorityKeyIdentifier)>, String> {
        self.cert
            .tbs_certificate
            .get::<AuthorityKeyIdentifier>()
            .map_err(|e| e.to_string())
    }

    /// SANs in order, as `DNS:x` / `IP:x`; other kinds as `OTHER`.
    pub fn sans(&self) -> Result<Option<(bool, Vec<String>)>, String> {
        let Some((crit, san)) = self
            .cert
            .tbs_certificate
            .get::<SubjectAltName>()
            .map_err(|e| e.to_string())?
        else {
            return Ok(None);
        };
        let names = san
            .0
            .iter()
            .map(|g| match g {
                GeneralName::DnsName(d) => format!("DNS:{}", d.as_str()),
                GeneralName::IpAddress(o) => {
                    let b = o.as_bytes();
                    match b.len() {
                        4 => format!("IP:{}", IpAddr::from(<[u8; 4]>::try_from(b).unwrap())),
                        16 => format!("IP:{}", IpAddr::from(<[u8; 16]>::try_from(b).unwrap())),
                        n => format!("IP:<{n} bytes>"),
                    }
                }
                other => format!("OTHER:{other:?}"),
            })
            .collect();
        Ok(Some((crit, names)))
    }

    /// The public key: (algorithm, size in bits).
    pub fn public_key(&self) -> Result<(Alg, usize), String> {
        let spki = &self.cert.tbs_certificate.subject_public_key_info;
        let bits = spki
            .subject_public_key
            .as_bytes()
            .ok_or("public key BIT STRING has unused bits")?;
        if spki.algorithm.oid == OID_RSA_ENCRYPTION {
            // RFC 3279: parameters MUST be NULL.
            match &spki.algorithm.parameters {
                Some(p) if p.tag() == Tag::Null => {}
                _ => return Err("rsaEncryption without NULL parameters".into()),
            }
            let k = RsaPublicKey::from_der(bits).map_err(|e| format!("RSAPublicKey: {e}"))?;
            let n = k.modulus.as_bytes();
            let size = n.len() * 8 - n.first().map_or(0, |b| b.leading_zeros() as usize);
            if k.public_exponent.as_bytes() != [0x01, 0x00, 0x01] {
                return Err("RSA public exponent is not 65537".into());
            }
            Ok((Alg::Rsa2048, size))
        } else if spki.algorithm.oid == OID_EC_PUBLIC_KEY {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
                .ok_or("EC key without namedCurve")?;
            if curve != OID_P256 {
                return Err(format!("EC curve {curve}, want P-256"));
            }
            if bits.len() != 65 || bits[0] != 0x04 {
                return Err("P-256 point is not an uncompressed 65-byte point".into());
            }
            Ok((Alg::EcdsaP256, 256))
        } else {
            Err(format!("unexpected key algorithm {}", spki.algorithm.oid))
        }
    }
}

/// A serial's bit length, or an error if it is not positive / longer than 20 octets.
pub fn serial_bits(p: &Parsed) -> Result<usize, String> {
    let b = p.cert.tbs_certificate.serial_number.as_bytes();
    if b.is_empty() || b[0] & 0x80 != 0 {
        return Err("serial is not positive".into());
    }
    if b.len() > 20 {
        return Err(format!("serial has {} octets (> 20)", b.len()));
    }
    let nz: Vec<u8> = b.iter().copied().skip_while(|x| *x == 0).collect();
    if nz.is_empty() {
        return Err("serial is zero".into());
    }
    Ok(nz.len() * 8 - nz[0].leading_zeros() as usize)
}

// ---- chain verification: webpki (signature + path + EKU) ---------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Server,
    Client,
}

/// Verifies `leaf` up to `ca` (a trust anchor) for `purpose` at `at`, with webpki.
pub fn webpki_verify(
    leaf_der: &[u8],
    ca_der: &[u8],
    purpose: Purpose,
    at: SystemTime,
) -> Result<(), String> {
    let ca = CertificateDer::from(ca_der.to_vec());
    let anchor = webpki::anchor_from_trusted_cert(&ca).map_err(|e| format!("anchor: {e}"))?;
    let leaf = CertificateDer::from(leaf_der.to_vec());
    let ee = webpki::EndEntityCert::try_from(&leaf).map_err(|e| format!("end entity: {e}"))?;
    let usage = match purpose {
        Purpose::Server => webpki::KeyUsage::server_auth(),
        Purpose::Client => webpki::KeyUsage::client_auth(),
    };
    let t = UnixTime::since_unix_epoch(at.duration_since(SystemTime::UNIX_EPOCH).unwrap());
    ee.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        &[anchor],
        &[],
        t,
        usage,
        None,
        None,
    )
    .map(|_| ())
    .map_err(|e| format!("webpki: {e}"))
}

// ---- openssl (a third implementation) -----------------------------------------------

fn openssl(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new("openssl");
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("openssl is required by these tests: {e}"));
    if let Some(input) = stdin {
        let mut si = child.stdin.take().unwrap();
        si.write_all(input).unwrap();
    }
    wait_output(child, Duration::from_secs(30), &format!("openssl {args:?}"))
}

/// `openssl verify -x509_strict [-purpose P] -CAfile CA CERT`.
pub fn openssl_verify(ca: &Path, cert: &Path, purpose: Option<&str>) -> Result<(), String> {
    let mut args = vec!["verify", "-x509_strict"];
    if let Some(p) = purpose {
        args.extend(["-purpose", p]);
    }
    args.extend(["-CAfile", ca.to_str().unwrap(), cert.to_str().unwrap()]);
    let out = openssl(&args, None);
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "openssl verify: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// The SPKI DER of a private key (PEM bytes), as openssl derives it.
pub fn openssl_public_of_private(key_pem: &[u8]) -> Result<Vec<u8>, String> {
    let out = openssl(&["pkey", "-pubout", "-outform", "DER"], Some(key_pem));
    if out.status.success() && !out.stdout.is_empty() {
        Ok(out.stdout)
    } else {
        Err(format!(
            "openssl pkey cannot read the key: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

// ---- kubectl (the kubeconfig consumer) ----------------------------------------------

/// `kubectl config view --raw -o json --kubeconfig F` (optionally `--minify`).
pub fn kubectl_view(path: &Path, minify: bool) -> Result<serde_json::Value, String> {
    let mut args = vec![
        "config",
        "view",
        "--raw",
        "-o",
        "json",
        "--kubeconfig",
        path.to_str().unwrap(),
    ];
    if minify {
        args.push("--minify");
    }
    let out = run(Command::new("kubectl").args(&args), Duration::from_secs(30));
    if !out.status.success() {
        return Err(format!(
            "kubectl config view: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("kubectl JSON: {e}"))
}

pub fn b64(s: &str) -> Result<Vec<u8>, String> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| format!("base64: {e}"))
}

// ---- rustls (real TLS handshakes) -------------------------------------------------------

use std::sync::Arc;

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{PrivateKeyDer, ServerName};

pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// A root store holding the certificates of a PEM file.
pub fn roots(ca_pem: &Path) -> Arc<rustls::RootCertStore> {
    let mut store = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(ca_pem).unwrap() {
        store.add(c.unwrap()).unwrap();
    }
    Arc::new(store)
}

/// The certificate chain and key of PEM files (kubeadm's key forms: PKCS#1, SEC1, PKCS#8).
pub fn cert_and_key(
    cert_pem: &Path,
    key_pem: &Path,
) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
    let certs = CertificateDer::pem_file_iter(cert_pem)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(key_pem)
        .unwrap_or_else(|e| panic!("{}: {e}", key_pem.display()));
    (certs, key)
}

/// A rustls client trusting `ca_pem`, presenting `client` (cert, key) if given.
pub fn client_config(ca_pem: &Path, client: Option<(&Path, &Path)>) -> Arc<rustls::ClientConfig> {
    let b = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots(ca_pem));
    let cfg = match client {
        Some((c, k)) => {
            let (certs, key) = cert_and_key(c, k);
            b.with_client_auth_cert(certs, key).unwrap()
        }
        None => b.with_no_client_auth(),
    };
    Arc::new(cfg)
}

/// `GET path` over TLS to 127.0.0.1:`port`, verifying the server as `server_name`.
/// Returns (status code, body), or the TLS/IO error as text.
pub fn https_get(
    port: u16,
    server_name: &str,
    config: Arc<rustls::ClientConfig>,
    path: &str,
) -> Result<(u16, String), String> {
    let name = ServerName::try_from(server_name.to_owned()).map_err(|e| e.to_string())?;
    let mut conn = rustls::ClientConnection::new(config, name).map_err(|e| e.to_string())?;
    let mut sock = std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    sock.set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut tls = rustls::Stream::new(&mut conn, &mut sock);
    let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    tls.write_all(req.as_bytes())
        .map_err(|e| format!("write: {e}"))?;
    let mut resp = Vec::new();
    match std::io::Read::read_to_end(&mut tls, &mut resp) {
        Ok(_) => {}
        // Some servers close without close_notify; what arrived still counts.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !resp.is_empty() => {}
        Err(e) => return Err(format!("read: {e}")),
    }
    let text = String::from_utf8_lossy(&resp).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no HTTP status in {text:?}"))?;
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
    Ok((status, body))
}

/// The SPKI DER of a private key (PEM: PKCS#1, SEC1 or PKCS#8), as rustls's aws-lc-rs
/// key loader derives it — without a child process, for checks run thousands of times.
pub fn public_key_of_private(key_pem: &[u8]) -> Result<Vec<u8>, String> {
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| format!("key PEM: {e}"))?;
    let signing = provider()
        .key_provider
        .load_private_key(key)
        .map_err(|e| format!("key: {e}"))?;
    signing
        .public_key()
        .map(|spki| spki.as_ref().to_vec())
        .ok_or_else(|| "the key loader gives no public key".to_owned())
}

// ---- SoftHSM (a PKCS#11 token) -------------------------------------------------------

/// Debian's SoftHSM module.
pub const SOFTHSM_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// The user PIN of the test tokens.
pub const SOFTHSM_PIN: &str = "4321";

/// Throw-away SoftHSM tokens `kpki`, `kpki-faults` and `kpki-doomed` (PIN [`SOFTHSM_PIN`]), made once
/// per test process, before any module is loaded (SoftHSM reads its configuration and
/// tokens at C_Initialize), in the directory of `$SOFTHSM2_CONF` (set for every cargo
/// command by `.cargo/config.toml`, under `target/`). Returns that directory, which also
/// holds `softhsm-pin` (the PIN, for `pin-source=file:`).
pub fn softhsm() -> &'static Path {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let conf = PathBuf::from(
            std::env::var("SOFTHSM2_CONF").expect("SOFTHSM2_CONF (set in .cargo/config.toml)"),
        );
        let base = conf.parent().unwrap().to_path_buf();
        let tokens = base.join("softhsm-tokens");
        let _ = std::fs::remove_dir_all(&tokens);
        std::fs::create_dir_all(&tokens).unwrap();
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                tokens.display()
            ),
        )
        .unwrap();
        for label in ["kpki", "kpki-faults", "kpki-doomed"] {
            init_softhsm_token(&conf, label);
        }
        std::fs::write(base.join("softhsm-pin"), format!("{SOFTHSM_PIN}\n")).unwrap();
        base
    })
}

/// A new token `label` (PIN [`SOFTHSM_PIN`]) in the first free slot of the SoftHSM
/// configured by `conf`.
fn init_softhsm_token(conf: &Path, label: &str) {
    let out = run(
        Command::new("softhsm2-util")
            .env("SOFTHSM2_CONF", conf)
            .args(["--init-token", "--free", "--label", label])
            .args(["--pin", SOFTHSM_PIN, "--so-pin", "87654321"]),
        Duration::from_secs(60),
    );
    assert!(
        out.status.success(),
        "softhsm2-util (Debian's softhsm2) --init-token {label}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A `pkcs11:` URI for `object` in the test token `token`, its PIN from the PIN file.
pub fn softhsm_uri(token: &str, object: &str) -> String {
    format!(
        "pkcs11:token={token};object={object}?module-path={SOFTHSM_MODULE}&pin-source=file:{}",
        softhsm().join("softhsm-pin").display()
    )
}

/// A SoftHSM of its own: a configuration (with `conf_extra` lines, e.g.
/// `slots.mechanisms = -CKM_ECDSA`) and a token `kpki-own` (PIN [`SOFTHSM_PIN`]) in a
/// temporary directory, for a process started with `SOFTHSM2_CONF` = [`Self::conf`].
pub struct OwnSoftHsm {
    dir: TempDir,
}

impl OwnSoftHsm {
    pub fn new(tag: &str, conf_extra: &str) -> OwnSoftHsm {
        let dir = TempDir::new(tag);
        let tokens = dir.join("tokens");
        std::fs::create_dir_all(&tokens).unwrap();
        std::fs::write(
            dir.join("softhsm2.conf"),
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n{conf_extra}\n",
                tokens.display()
            ),
        )
        .unwrap();
        std::fs::write(dir.join("pin"), format!("{SOFTHSM_PIN}\n")).unwrap();
        init_softhsm_token(&dir.join("softhsm2.conf"), "kpki-own");
        OwnSoftHsm { dir }
    }
    /// The configuration file, for `SOFTHSM2_CONF`.
    pub fn conf(&self) -> PathBuf {
        self.dir.join("softhsm2.conf")
    }
    /// The token's directory (removing it makes the module fail).
    pub fn token_dir(&self) -> PathBuf {
        let tokens = self.dir.join("tokens");
        let mut dirs = std::fs::read_dir(&tokens)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir());
        let d = dirs.next().expect("a token directory");
        assert!(dirs.next().is_none());
        d
    }
    /// A `pkcs11:` URI for `object` in this token.
    pub fn uri(&self, object: &str) -> String {
        format!(
            "pkcs11:token=kpki-own;object={object}?module-path={SOFTHSM_MODULE}&pin-source=file:{}",
            self.dir.join("pin").display()
        )
    }
}

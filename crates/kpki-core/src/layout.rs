//! The kubeadm directory layout — the only module that touches the filesystem.
//!
//! Writes are atomic per file (temporary file in the same directory, `fsync`, rename,
//! `fsync` of the directory) with kubeadm's modes set before any byte is written. A run
//! checks every target before it writes the first file, and if a write still fails
//! midway, the files it already wrote are removed or restored, so a failed run leaves
//! the directory as it found it. Existing CA pairs are reused (kubeadm's
//! bring-your-own-CA behaviour); any other existing file is left alone unless the
//! caller asks to overwrite it.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use zeroize::Zeroizing;

use crate::ca::{CertificateAuthority, CertifiedKey};
use crate::certificate::Certificate;
use crate::cluster::{CaRole, CaSource, CertificateName, ClusterPki, ClusterSpec};
use crate::error::{Error, Result};
use crate::identity::NodeName;
use crate::key::{PrivateKey, PublicKey};
use crate::kubeconfig::Kubeconfig;
use crate::renew::KeyChoice;

/// Mode of certificates and of directories.
const MODE_PUBLIC: u32 = 0o644;
/// Mode of private keys, `sa.pub` and kubeconfigs.
const MODE_SECRET: u32 = 0o600;
const MODE_DIR: u32 = 0o755;

/// A kubeadm root directory (kubeadm's `/etc/kubernetes`): kubeconfigs in the root,
/// certificates under the certificates directory (`<root>/pki` by default).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KubeadmLayout {
    root: PathBuf,
    pki: PathBuf,
}

/// What a write did to one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileAction {
    /// The file did not exist and was written.
    Created,
    /// The file existed and was replaced (only when overwriting was allowed).
    Replaced,
    /// The file existed with the same content (a reused CA, key or certificate).
    Kept,
}

/// One file of a write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenFile {
    /// The path.
    pub path: PathBuf,
    /// What happened to it.
    pub action: FileAction,
    /// The certificate it holds (for `.crt` files and kubeconfigs), for reports.
    pub certificate: Option<Certificate>,
}

/// The outcome of [`KubeadmLayout::write`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Every file considered, in write order.
    pub files: Vec<WrittenFile>,
}

struct Planned {
    path: PathBuf,
    contents: Zeroizing<Vec<u8>>,
    mode: u32,
    certificate: Option<Certificate>,
    /// Whether the existing file counts as "the same" (so it is kept, not replaced).
    same: Sameness,
}

enum Sameness {
    Bytes,
    Certificate(Vec<u8>),
    PrivateKey(PublicKey),
    PublicKey(PublicKey),
}

/// What [`KubeadmLayout::load`] found.
#[derive(Clone, Debug, Default)]
pub struct LoadedPki {
    /// CAs found, by role (external where the key file is absent).
    pub cas: BTreeMap<CaRole, CertificateAuthority>,
    /// Certificate files found, with their keys where present.
    pub certificates: Vec<LoadedCertificate>,
    /// Kubeconfig files found.
    pub kubeconfigs: Vec<LoadedKubeconfig>,
    /// `sa.key`, if present.
    pub service_account_key: Option<PrivateKey>,
}

/// A certificate file found on disk.
#[derive(Clone, Debug)]
pub struct LoadedCertificate {
    /// Which certificate it is.
    pub name: CertificateName,
    /// The `.crt` path.
    pub path: PathBuf,
    /// The certificate.
    pub certificate: Certificate,
    /// Its key, if the `.key` file exists.
    pub key: Option<PrivateKey>,
}

/// A kubeconfig file found on disk.
#[derive(Clone, Debug)]
pub struct LoadedKubeconfig {
    /// Which certificate it embeds.
    pub name: CertificateName,
    /// The path.
    pub path: PathBuf,
    /// The parsed kubeconfig.
    pub kubeconfig: Kubeconfig,
}

fn read_text(path: &Path) -> Result<Option<String>> {
    match fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| Error::InvalidPem {
                what: path.display().to_string(),
                reason: "not UTF-8 text".into(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, "read", e)),
    }
}

impl KubeadmLayout {
    /// The layout under `root`, certificates in `root/pki`.
    pub fn new(root: impl Into<PathBuf>) -> KubeadmLayout {
        let root = root.into();
        let pki = root.join("pki");
        KubeadmLayout { root, pki }
    }

    /// Uses `dir` as the certificates directory (kubeadm's `certificatesDir`); a relative
    /// path is taken relative to the root.
    pub fn with_certificates_dir(mut self, dir: impl AsRef<Path>) -> KubeadmLayout {
        self.pki = self.root.join(dir);
        self
    }

    /// The root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The certificates directory.
    pub fn certificates_dir(&self) -> &Path {
        &self.pki
    }

    fn stem_path(&self, stem: &str) -> PathBuf {
        match stem.strip_prefix("pki/") {
            Some(rest) => self.pki.join(rest),
            None => self.root.join(stem),
        }
    }

    /// The `.crt` and `.key` paths of a CA role.
    pub fn ca_paths(&self, role: CaRole) -> (PathBuf, PathBuf) {
        let stem = self.pki.join(role.file_stem());
        (stem.with_extension("crt"), stem.with_extension("key"))
    }

    /// The `.crt` and `.key` paths of a certificate written as a file pair.
    pub fn certificate_paths(&self, name: &CertificateName) -> Option<(PathBuf, PathBuf)> {
        let stem = self.stem_path(&name.file_stem()?);
        let mut crt = stem.clone().into_os_string();
        crt.push(".crt");
        let mut key = stem.into_os_string();
        key.push(".key");
        Some((crt.into(), key.into()))
    }

    /// The path of a certificate's kubeconfig, if it has one.
    pub fn kubeconfig_path(&self, name: &CertificateName) -> Option<PathBuf> {
        name.kubeconfig_file().map(|f| self.root.join(f))
    }

    /// `sa.key` and `sa.pub`.
    pub fn service_account_paths(&self) -> (PathBuf, PathBuf) {
        (self.pki.join("sa.key"), self.pki.join("sa.pub"))
    }

    /// Loads a CA role's files: both present → a CA with its key; certificate only →
    /// an external CA; neither → `None`.
    pub fn load_ca(&self, role: CaRole) -> Result<Option<CertificateAuthority>> {
        let (crt, key) = self.ca_paths(role);
        let Some(cert_pem) = read_text(&crt)? else {
            return Ok(None);
        };
        let what = crt.display().to_string();
        let mut chain = Certificate::chain_from_pem(&cert_pem, &what)?;
        let certificate = chain.remove(0);
        match read_text(&key)? {
            Some(key_pem) => {
                let private = PrivateKey::from_pem_named(&key_pem, &key.display().to_string())?;
                CertificateAuthority::from_parts(certificate, chain, private)
                    .map(Some)
                    .map_err(|e| match e {
                        Error::KeyMismatch { .. } => Error::KeyMismatch {
                            what: format!("{} and {}", crt.display(), key.display()),
                        },
                        other => other,
                    })
            }
            None => CertificateAuthority::external(certificate).map(Some),
        }
    }

    fn load_pair(&self, name: &CertificateName) -> Result<Option<LoadedCertificate>> {
        let Some((crt, key)) = self.certificate_paths(name) else {
            return Ok(None);
        };
        let Some(cert_pem) = read_text(&crt)? else {
            return Ok(None);
        };
        let certificate = Certificate::from_pem_named(&cert_pem, &crt.display().to_string())?;
        let key = match read_text(&key)? {
            Some(pem) => Some(PrivateKey::from_pem_named(
                &pem,
                &key.display().to_string(),
            )?),
            None => None,
        };
        Ok(Some(LoadedCertificate {
            name: name.clone(),
            path: crt,
            certificate,
            key,
        }))
    }

    fn worker_names(&self) -> Result<Vec<NodeName>> {
        let dir = self.root.join("nodes");
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
            Err(e) => return Err(Error::io(&dir, "read directory", e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&dir, "read directory", e))?;
            let file = entry.file_name();
            if let Some(stem) = file.to_str().and_then(|f| f.strip_suffix(".crt"))
                && let Ok(n) = NodeName::new(stem)
            {
                names.push(n);
            }
        }
        names.sort();
        Ok(names)
    }

    /// Loads everything kpki or kubeadm wrote here.
    pub fn load(&self) -> Result<LoadedPki> {
        let mut out = LoadedPki::default();
        for role in CaRole::ALL {
            if let Some(ca) = self.load_ca(role)? {
                out.cas.insert(role, ca);
            }
        }
        let mut names = vec![
            CertificateName::ApiServer,
            CertificateName::ApiServerKubeletClient,
            CertificateName::ApiServerEtcdClient,
            CertificateName::FrontProxyClient,
            CertificateName::EtcdServer,
            CertificateName::EtcdPeer,
            CertificateName::EtcdHealthcheckClient,
            CertificateName::Admin,
            CertificateName::SuperAdmin,
            CertificateName::Kubelet,
            CertificateName::ControllerManager,
            CertificateName::Scheduler,
            CertificateName::KubeProxy,
        ];
        for w in self.worker_names()? {
            names.push(CertificateName::WorkerKubeletClient(w.clone()));
            names.push(CertificateName::WorkerKubeletServing(w));
        }
        for name in names {
            if let Some(found) = self.load_pair(&name)? {
                out.certificates.push(found);
            }
            if let Some(path) = self.kubeconfig_path(&name)
                && let Some(yaml) = read_text(&path)?
            {
                let kubeconfig = Kubeconfig::from_yaml(&yaml, &path.display().to_string())?;
                out.kubeconfigs.push(LoadedKubeconfig {
                    name,
                    path,
                    kubeconfig,
                });
            }
        }
        let (sa_key, _) = self.service_account_paths();
        if let Some(pem) = read_text(&sa_key)? {
            out.service_account_key = Some(PrivateKey::from_pem_named(
                &pem,
                &sa_key.display().to_string(),
            )?);
        }
        Ok(out)
    }

    /// Makes `spec` fit what is already on disk, as kubeadm does: an existing CA pair is
    /// reused for a role the caller did not configure; a CA certificate without its key
    /// makes the role external, and the certificates it signed are loaded as supplied;
    /// an existing `sa.key` is kept.
    pub fn adopt_existing(&self, spec: &mut ClusterSpec) -> Result<()> {
        for role in CaRole::ALL {
            if spec.cas.contains_key(&role) {
                continue;
            }
            if let Some(ca) = self.load_ca(role)? {
                let source = if ca.can_issue() {
                    CaSource::Provided(ca)
                } else {
                    CaSource::External(ca.certificate().clone())
                };
                spec.cas.insert(role, source);
            }
        }
        let external: Vec<CaRole> = CaRole::ALL
            .into_iter()
            .filter(|r| {
                let src = match spec.ca_source(*r) {
                    CaSource::SameAs(o) => spec.ca_source(o),
                    s => s,
                };
                matches!(src, CaSource::External(_))
            })
            .collect();
        if !external.is_empty() {
            for (name, _) in spec.plan()? {
                if !external.contains(&name.ca_role()) || spec.supplied.contains_key(&name) {
                    continue;
                }
                let found = match self.load_pair(&name)? {
                    Some(LoadedCertificate {
                        certificate,
                        key: Some(key),
                        ..
                    }) => Some(CertifiedKey { certificate, key }),
                    _ => match self
                        .kubeconfig_path(&name)
                        .map(|p| read_text(&p).map(|y| (p, y)))
                        .transpose()?
                    {
                        Some((path, Some(yaml))) => {
                            let kc = Kubeconfig::from_yaml(&yaml, &path.display().to_string())?;
                            match (kc.client_certificate()?, kc.client_key()?) {
                                (Some(certificate), Some(key)) => {
                                    Some(CertifiedKey { certificate, key })
                                }
                                _ => None,
                            }
                        }
                        _ => None,
                    },
                };
                if let Some(ck) = found {
                    spec.supplied.insert(name, ck);
                }
            }
        }
        if spec.service_account_key.is_none() {
            let (sa_key, _) = self.service_account_paths();
            if let Some(pem) = read_text(&sa_key)? {
                spec.service_account_key = Some(PrivateKey::from_pem_named(
                    &pem,
                    &sa_key.display().to_string(),
                )?);
            }
        }
        Ok(())
    }

    fn plan_files(&self, pki: &ClusterPki) -> Vec<Planned> {
        let mut files = Vec::new();
        let mut written_cas: Vec<&Certificate> = Vec::new();
        for (role, ca) in pki.cas() {
            if written_cas.contains(&ca.certificate()) {
                continue; // a shared CA is written once, under the first role it serves
            }
            written_cas.push(ca.certificate());
            let (crt, key) = self.ca_paths(role);
            files.push(Planned {
                path: crt,
                contents: Zeroizing::new(ca.chain_pem().into_bytes()),
                mode: MODE_PUBLIC,
                certificate: Some(ca.certificate().clone()),
                same: Sameness::Certificate(ca.certificate().der().to_vec()),
            });
            if let Some(k) = ca.private_key() {
                files.push(Planned {
                    path: key,
                    contents: Zeroizing::new(k.to_pem().as_bytes().to_vec()),
                    mode: MODE_SECRET,
                    certificate: None,
                    same: Sameness::PrivateKey(k.public_key().clone()),
                });
            }
        }
        for (name, ck) in pki.certificates() {
            let Some((crt, key)) = self.certificate_paths(name) else {
                continue;
            };
            files.push(Planned {
                path: crt,
                contents: Zeroizing::new(ck.certificate.to_pem().into_bytes()),
                mode: MODE_PUBLIC,
                certificate: Some(ck.certificate.clone()),
                same: Sameness::Certificate(ck.certificate.der().to_vec()),
            });
            files.push(Planned {
                path: key,
                contents: Zeroizing::new(ck.key.to_pem().as_bytes().to_vec()),
                mode: MODE_SECRET,
                certificate: None,
                same: Sameness::PrivateKey(ck.key.public_key().clone()),
            });
        }
        let (sa_key, sa_pub) = self.service_account_paths();
        let sa = pki.service_account_key();
        files.push(Planned {
            path: sa_key,
            contents: Zeroizing::new(sa.to_pem().as_bytes().to_vec()),
            mode: MODE_SECRET,
            certificate: None,
            same: Sameness::PrivateKey(sa.public_key().clone()),
        });
        files.push(Planned {
            path: sa_pub,
            contents: Zeroizing::new(sa.public_key().to_pem().into_bytes()),
            mode: MODE_SECRET,
            certificate: None,
            same: Sameness::PublicKey(sa.public_key().clone()),
        });
        for (file, kc) in pki.kubeconfigs() {
            let certificate = kc.client_certificate().ok().flatten();
            // A kubeconfig that cannot be rendered is a bug, not a file to skip.
            let contents = match kc.to_yaml() {
                Ok(y) => Zeroizing::new(y.as_bytes().to_vec()),
                Err(_) => continue,
            };
            files.push(Planned {
                path: self.root.join(file),
                contents,
                mode: MODE_SECRET,
                certificate,
                same: Sameness::Bytes,
            });
        }
        files
    }

    fn is_same(existing: &[u8], planned: &Planned) -> bool {
        let text = std::str::from_utf8(existing).unwrap_or("");
        match &planned.same {
            Sameness::Bytes => existing == planned.contents.as_slice(),
            Sameness::Certificate(der) => {
                Certificate::from_pem(text).is_ok_and(|c| c.der() == der.as_slice())
            }
            Sameness::PrivateKey(public) => {
                PrivateKey::from_pem(text).is_ok_and(|k| k.public_key() == public)
            }
            Sameness::PublicKey(public) => PublicKey::from_pem(text).is_ok_and(|k| &k == public),
        }
    }

    /// Writes `pki` here. Files that already hold the same thing (a reused CA, `sa.key`)
    /// are kept; any other existing file is an [`Error::AlreadyExists`] unless
    /// `overwrite` is set. All checks happen before the first write; a failure midway
    /// undoes the files this call wrote.
    pub fn write(&self, pki: &ClusterPki, overwrite: bool) -> Result<WriteReport> {
        let planned = self.plan_files(pki);
        // Preflight: decide every file's fate before touching anything.
        let mut actions = Vec::with_capacity(planned.len());
        for p in &planned {
            let action = match fs::read(&p.path) {
                Ok(existing) if KubeadmLayout::is_same(&existing, p) => {
                    (FileAction::Kept, Some(Zeroizing::new(existing)))
                }
                Ok(existing) if overwrite => (FileAction::Replaced, Some(Zeroizing::new(existing))),
                Ok(_) => {
                    return Err(Error::AlreadyExists {
                        path: p.path.clone(),
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => (FileAction::Created, None),
                Err(e) => return Err(Error::io(&p.path, "read", e)),
            };
            actions.push(action);
        }
        let mut created_dirs = Vec::new();
        let todo: Vec<usize> = (0..planned.len())
            .filter(|i| actions[*i].0 != FileAction::Kept)
            .collect();
        let mut renamed = 0;
        let result = (|| -> Result<()> {
            for &i in &todo {
                if let Some(parent) = planned[i].path.parent() {
                    create_dirs(parent, &mut created_dirs)?;
                }
            }
            let batch: Vec<(&Path, &[u8], u32)> = todo
                .iter()
                .map(|&i| {
                    let p = &planned[i];
                    (p.path.as_path(), p.contents.as_slice(), p.mode)
                })
                .collect();
            atomic_write_all(&batch, &mut renamed)
        })();
        if let Err(e) = result {
            // Undo: restore what was replaced, remove what was created, then the new dirs.
            for &i in todo.iter().take(renamed).rev() {
                let p = &planned[i];
                match &actions[i].1 {
                    Some(old) => {
                        let _ = atomic_write(&p.path, old, p.mode);
                    }
                    None => {
                        let _ = fs::remove_file(&p.path);
                    }
                }
            }
            for d in created_dirs.iter().rev() {
                let _ = fs::remove_dir(d);
            }
            return Err(e);
        }
        Ok(WriteReport {
            files: planned
                .into_iter()
                .zip(actions)
                .map(|(p, (action, _))| WrittenFile {
                    path: p.path,
                    action,
                    certificate: p.certificate,
                })
                .collect(),
        })
    }

    /// The whole job: adopt what exists here ([`KubeadmLayout::adopt_existing`]),
    /// generate, and write.
    pub fn init(
        &self,
        mut spec: ClusterSpec,
        now: SystemTime,
        overwrite: bool,
    ) -> Result<(ClusterPki, WriteReport)> {
        self.adopt_existing(&mut spec)?;
        let pki = spec.generate(now)?;
        let report = self.write(&pki, overwrite)?;
        Ok((pki, report))
    }
}

fn create_dirs(dir: &Path, created: &mut Vec<PathBuf>) -> Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dirs(parent, created)?;
    }
    match fs::create_dir(dir) {
        Ok(()) => {
            fs::set_permissions(dir, fs::Permissions::from_mode(MODE_DIR))
                .map_err(|e| Error::io(dir, "set permissions", e))?;
            created.push(dir.to_path_buf());
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(Error::io(dir, "create directory", e)),
    }
}

/// Writes `contents` to `path` atomically with `mode`: a temporary file in the same
/// directory (created with `mode`, so a key is never readable by others, not even for a
/// moment), fsync, rename over `path`, fsync of the directory.
pub(crate) fn atomic_write(path: &Path, contents: &[u8], mode: u32) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let (tmp, f) = write_temp(path, contents, mode)?;
    if let Err(e) = f.sync_all() {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io(path, "write", e));
    }
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io(path, "rename into place", e));
    }
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The first half of [`atomic_write`]: `contents` in a new temporary file next to
/// `path`, created with `mode`, not yet synced.
fn write_temp(path: &Path, contents: &[u8], mode: u32) -> Result<(PathBuf, fs::File)> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut suffix = [0u8; 6];
    aws_lc_rs::rand::fill(&mut suffix).map_err(|e| Error::crypto("temporary file name", e))?;
    let suffix: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
    let tmp = dir.join(format!(".{file_name}.kpki-{suffix}.tmp"));
    let write = || -> std::io::Result<fs::File> {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        // The umask may have narrowed `mode`; kubeadm's modes are exact.
        f.set_permissions(fs::Permissions::from_mode(mode))?;
        f.write_all(contents)?;
        Ok(f)
    };
    match write() {
        Ok(f) => Ok((tmp, f)),
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(Error::io(path, "write", e))
        }
    }
}

/// [`atomic_write`] for many files with one round of syncing: every temporary file is
/// written, then all are fsynced at once from several threads — so the filesystem
/// commits them together (ext4: one journal commit instead of one per file; 30 files
/// took ~10 ms instead of ~100 ms on this machine's busy disk) — then renamed into
/// place in order, then each directory is fsynced once. Each file is still replaced
/// atomically. `renamed` counts the files already in place, for the caller's undo; a
/// failure before the renames leaves no temporary file behind.
pub(crate) fn atomic_write_all(files: &[(&Path, &[u8], u32)], renamed: &mut usize) -> Result<()> {
    let mut temps: Vec<(PathBuf, fs::File)> = Vec::with_capacity(files.len());
    let remove = |temps: &[(PathBuf, fs::File)]| {
        for (tmp, _) in temps {
            let _ = fs::remove_file(tmp);
        }
    };
    for (path, contents, mode) in files {
        match write_temp(path, contents, *mode) {
            Ok(t) => temps.push(t),
            Err(e) => {
                remove(&temps);
                return Err(e);
            }
        }
    }
    // fsync waits on the disk, not the CPU: more threads than cores is the point.
    let threads = temps.len().clamp(1, 64);
    let synced: Vec<std::result::Result<(), (usize, std::io::Error)>> = std::thread::scope(|s| {
        let temps = &temps;
        let workers: Vec<_> = (0..threads)
            .map(|first| {
                s.spawn(move || {
                    for (j, (_, f)) in temps.iter().enumerate().skip(first).step_by(threads) {
                        f.sync_all().map_err(|e| (j, e))?;
                    }
                    Ok(())
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|_| Err((0, std::io::Error::other("fsync worker panicked"))))
            })
            .collect()
    });
    if let Some(Err((j, e))) = synced.into_iter().find(|r| r.is_err()) {
        remove(&temps);
        let path = files.get(j).map_or(Path::new("."), |f| f.0);
        return Err(Error::io(path, "write", e));
    }
    for (k, ((path, _, _), (tmp, _))) in files.iter().zip(&temps).enumerate() {
        if let Err(e) = fs::rename(tmp, path) {
            remove(&temps[k..]);
            return Err(Error::io(path, "rename into place", e));
        }
        *renamed += 1;
    }
    let mut dirs: Vec<&Path> = files
        .iter()
        .map(|(p, _, _)| p.parent().unwrap_or(Path::new(".")))
        .collect();
    dirs.sort();
    dirs.dedup();
    for dir in dirs {
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

impl KubeadmLayout {
    /// The kubeconfig at `<root>/admin.conf`, if it exists (where `kpki user` finds the
    /// cluster's name, API server URL and CA bundle).
    pub fn admin_kubeconfig(&self) -> Result<Option<Kubeconfig>> {
        let path = self.root.join("admin.conf");
        match read_text(&path)? {
            Some(yaml) => Kubeconfig::from_yaml(&yaml, &path.display().to_string()).map(Some),
            None => Ok(None),
        }
    }
}

/// A file for [`write_new_files`]: a path, its bytes (zeroized on drop) and its mode.
pub struct OutputFile {
    /// Where to write.
    pub path: PathBuf,
    /// What to write.
    pub contents: Zeroizing<Vec<u8>>,
    /// Whether the file holds a secret (mode 0600, never replaced) or not (mode 0644).
    pub secret: bool,
}

impl OutputFile {
    /// A certificate, CSR or other public file (mode 0644).
    pub fn public(path: impl Into<PathBuf>, contents: impl Into<Vec<u8>>) -> OutputFile {
        OutputFile {
            path: path.into(),
            contents: Zeroizing::new(contents.into()),
            secret: false,
        }
    }

    /// A private key or kubeconfig (mode 0600; an existing file is never replaced).
    /// The bytes are copied into memory that is zeroized on drop.
    pub fn secret(path: impl Into<PathBuf>, contents: &[u8]) -> OutputFile {
        OutputFile {
            path: path.into(),
            contents: Zeroizing::new(contents.to_vec()),
            secret: true,
        }
    }
}

impl std::fmt::Debug for OutputFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputFile")
            .field("path", &self.path)
            .field("len", &self.contents.len())
            .field("secret", &self.secret)
            .finish()
    }
}

/// Writes `files` all or nothing: every target is checked first (an existing secret
/// file is always [`Error::AlreadyExists`]; an existing public file too unless
/// `replace_public`), then each is written atomically (a new file is linked into place,
/// so a file that appears meanwhile is not clobbered either). If a write fails, the
/// files already written are removed or restored.
pub fn write_new_files(files: &[OutputFile], replace_public: bool) -> Result<()> {
    let mut previous: Vec<Option<Zeroizing<Vec<u8>>>> = Vec::with_capacity(files.len());
    for (i, f) in files.iter().enumerate() {
        if files[..i].iter().any(|o| o.path == f.path) {
            return Err(Error::InvalidSpec {
                reason: format!("{} is named for two outputs", f.path.display()),
            });
        }
        match fs::read(&f.path) {
            Ok(existing) if replace_public && !f.secret => {
                previous.push(Some(Zeroizing::new(existing)));
            }
            Ok(_) => {
                return Err(Error::AlreadyExists {
                    path: f.path.clone(),
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => previous.push(None),
            Err(e) => return Err(Error::io(&f.path, "read", e)),
        }
    }
    let mut done: Vec<usize> = Vec::new();
    let mut result = Ok(());
    for (i, f) in files.iter().enumerate() {
        let mode = if f.secret { MODE_SECRET } else { MODE_PUBLIC };
        let r = if previous[i].is_some() {
            atomic_write(&f.path, &f.contents, mode)
        } else {
            atomic_create(&f.path, &f.contents, mode)
        };
        if let Err(e) = r {
            result = Err(e);
            break;
        }
        done.push(i);
    }
    if result.is_err() {
        for i in done.into_iter().rev() {
            let f = &files[i];
            match &previous[i] {
                Some(old) => {
                    let _ = atomic_write(&f.path, old, MODE_PUBLIC);
                }
                None => {
                    let _ = fs::remove_file(&f.path);
                }
            }
        }
    }
    result
}

/// As [`atomic_write`], but the temporary file is hard-linked to `path`, which fails
/// if `path` exists: never clobbers, even a file created after the caller's check.
fn atomic_create(path: &Path, contents: &[u8], mode: u32) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut suffix = [0u8; 6];
    aws_lc_rs::rand::fill(&mut suffix).map_err(|e| Error::crypto("temporary file name", e))?;
    let suffix: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
    let tmp = dir.join(format!(".{file_name}.kpki-{suffix}.tmp"));
    let write = || -> std::io::Result<()> {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        f.set_permissions(fs::Permissions::from_mode(mode))?;
        f.write_all(contents)?;
        f.sync_all()?;
        Ok(())
    };
    if let Err(e) = write() {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io(path, "write", e));
    }
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Error::AlreadyExists {
                path: path.to_path_buf(),
            });
        }
        Err(e) => return Err(Error::io(path, "link into place", e)),
    }
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// One certificate renewed by [`KubeadmLayout::renew`].
#[derive(Clone, Debug)]
pub struct RenewedCertificate {
    /// Which certificate.
    pub name: CertificateName,
    /// The file rewritten (`.crt`, or the kubeconfig embedding it).
    pub path: PathBuf,
    /// The new certificate.
    pub certificate: Certificate,
    /// Whether its key pair was replaced.
    pub key_rotated: bool,
}

impl KubeadmLayout {
    /// Renews certificates in place, as `kubeadm certs renew` does: each keeps its
    /// subject, SANs and usages and is re-issued by the CA of its role found in this
    /// directory, with the key kept or rotated as `key` says; kubeconfigs get their
    /// embedded credentials replaced. `names` empty means every leaf certificate and
    /// kubeconfig found here.
    ///
    /// All or nothing: every certificate is renewed in memory first; then the files are
    /// replaced atomically, and if a write fails, the files already replaced are
    /// restored.
    pub fn renew(
        &self,
        names: &[CertificateName],
        key: KeyChoice,
        validity: Option<Duration>,
        now: SystemTime,
    ) -> Result<Vec<RenewedCertificate>> {
        let loaded = self.load()?;
        let targets: Vec<CertificateName> = if names.is_empty() {
            let mut all: Vec<CertificateName> =
                loaded.certificates.iter().map(|c| c.name.clone()).collect();
            all.extend(loaded.kubeconfigs.iter().map(|k| k.name.clone()));
            all
        } else {
            names.to_vec()
        };
        let mut targets = targets;
        let mut seen = Vec::with_capacity(targets.len());
        targets.retain(|n| {
            let new = !seen.contains(n);
            seen.push(n.clone());
            new
        });
        let mut renewed = Vec::with_capacity(targets.len());
        let mut files: Vec<(PathBuf, Zeroizing<Vec<u8>>, u32)> = Vec::new();
        for name in targets {
            let role = name.ca_role();
            // The CA that issued it: its role's own, or — where roles share a CA (the
            // client and kubelet CAs are the cluster CA unless configured apart) — the
            // CA in this directory whose subject is the certificate's issuer.
            let issuer_of = |cert: &Certificate| -> Result<&CertificateAuthority> {
                let issuer = cert.info()?.issuer_der;
                let own = loaded.cas.get(&role).into_iter();
                let others = loaded
                    .cas
                    .iter()
                    .filter(|(r, _)| **r != role)
                    .map(|(_, c)| c);
                for ca in own.chain(others) {
                    if ca.certificate().info()?.subject_der == issuer {
                        return Ok(ca);
                    }
                }
                Err(Error::MissingFile {
                    path: self.ca_paths(role).0,
                    reason: format!("the {role} CA that issued {name}"),
                })
            };
            // A certificate may live as a .crt/.key pair, in a kubeconfig, or both
            // (a worker's nodes/<node>.crt and nodes/<node>.conf): renew once, write both.
            let pair = loaded.certificates.iter().find(|c| c.name == name);
            let kc = loaded.kubeconfigs.iter().find(|k| k.name == name);
            let (old, path) = match (pair, kc) {
                (Some(p), _) => (p.certificate.clone(), p.path.clone()),
                (None, Some(k)) => {
                    let cert = k.kubeconfig.client_certificate()?.ok_or_else(|| {
                        Error::InvalidKubeconfig {
                            what: k.path.display().to_string(),
                            reason: "no embedded client certificate to renew".into(),
                        }
                    })?;
                    (cert, k.path.clone())
                }
                (None, None) => {
                    let path = self
                        .certificate_paths(&name)
                        .map(|(crt, _)| crt)
                        .or_else(|| self.kubeconfig_path(&name))
                        .unwrap_or_else(|| self.root.clone());
                    return Err(Error::MissingFile {
                        path,
                        reason: format!("{name} was asked to be renewed"),
                    });
                }
            };
            let r = issuer_of(&old)?.renew(&old, key, validity, now)?;
            if let Some(p) = pair {
                files.push((
                    p.path.clone(),
                    Zeroizing::new(r.certificate.to_pem().into_bytes()),
                    MODE_PUBLIC,
                ));
                if let (Some(new_key), Some((_, key_path))) =
                    (&r.new_key, self.certificate_paths(&name))
                {
                    files.push((
                        key_path,
                        Zeroizing::new(new_key.to_pem().as_bytes().to_vec()),
                        MODE_SECRET,
                    ));
                }
            }
            if let Some(k) = kc {
                let private = match (&r.new_key, k.kubeconfig.client_key()?) {
                    (Some(new), _) => new.clone(),
                    (None, Some(existing)) => existing,
                    (None, None) => pair.and_then(|p| p.key.clone()).ok_or_else(|| {
                        Error::InvalidKubeconfig {
                            what: k.path.display().to_string(),
                            reason: "no embedded client key to renew".into(),
                        }
                    })?,
                };
                let mut kubeconfig = k.kubeconfig.clone();
                kubeconfig.set_client_credentials(&r.certificate, &private)?;
                let yaml = kubeconfig.to_yaml()?;
                files.push((
                    k.path.clone(),
                    Zeroizing::new(yaml.as_bytes().to_vec()),
                    MODE_SECRET,
                ));
            }
            renewed.push(RenewedCertificate {
                name,
                path,
                key_rotated: r.new_key.is_some(),
                certificate: r.certificate,
            });
        }
        replace_files(&files)?;
        Ok(renewed)
    }
}

/// Replaces existing files atomically, restoring the ones already replaced if a later
/// write fails.
fn replace_files(files: &[(PathBuf, Zeroizing<Vec<u8>>, u32)]) -> Result<()> {
    let mut previous = Vec::with_capacity(files.len());
    for (path, _, _) in files {
        let old = fs::read(path).map_err(|e| Error::io(path, "read", e))?;
        previous.push(Zeroizing::new(old));
    }
    for (i, (path, contents, mode)) in files.iter().enumerate() {
        if let Err(e) = atomic_write(path, contents, *mode) {
            for ((path, _, mode), old) in files[..i].iter().zip(&previous).rev() {
                let _ = atomic_write(path, old, *mode);
            }
            return Err(e);
        }
    }
    Ok(())
}

#[cfg(test)]
mod renew_tests {
    use super::*;
    use crate::identity::NodeName;
    use crate::key::KeyAlgorithm;

    fn init(dir: &Path, now: SystemTime) {
        let spec = ClusterSpec::builder(
            NodeName::new("node01").unwrap(),
            "10.0.0.10".parse().unwrap(),
        )
        .key_algorithm(KeyAlgorithm::EcdsaP256)
        .workers(vec![NodeName::new("node02").unwrap()])
        .build()
        .unwrap();
        KubeadmLayout::new(dir).init(spec, now, false).unwrap();
    }

    fn temp_dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("kpki-renew-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn renews_every_certificate_keeping_keys_and_subjects() {
        let dir = temp_dir("all");
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        init(&dir, t0);
        let layout = KubeadmLayout::new(&dir);
        let before = layout.load().unwrap();
        let key_before = fs::read(dir.join("pki/apiserver.key")).unwrap();
        let t1 = t0 + Duration::from_secs(200 * 24 * 3600);
        let renewed = layout.renew(&[], KeyChoice::Keep, None, t1).unwrap();
        let mut distinct: Vec<&CertificateName> =
            before.certificates.iter().map(|c| &c.name).collect();
        distinct.extend(before.kubeconfigs.iter().map(|k| &k.name));
        distinct.sort_by_key(|n| n.to_string());
        distinct.dedup();
        assert_eq!(renewed.len(), distinct.len());
        let after = layout.load().unwrap();
        for (a, b) in before.certificates.iter().zip(&after.certificates) {
            let (ia, ib) = (a.certificate.info().unwrap(), b.certificate.info().unwrap());
            assert_eq!(ia.subject_der, ib.subject_der, "{}", a.name);
            assert_eq!(ia.dns_names, ib.dns_names, "{}", a.name);
            assert_eq!(ia.ip_addresses, ib.ip_addresses, "{}", a.name);
            assert_eq!(ia.public_key, ib.public_key, "{}", a.name);
            assert!(ib.not_after > ia.not_after, "{}", a.name);
        }
        for kc in &after.kubeconfigs {
            let cert = kc.kubeconfig.client_certificate().unwrap().unwrap();
            let key = kc.kubeconfig.client_key().unwrap().unwrap();
            assert!(key.matches(&cert.info().unwrap().public_key), "{}", kc.name);
            assert!(cert.info().unwrap().not_before > t0, "{}", kc.name);
        }
        assert_eq!(fs::read(dir.join("pki/apiserver.key")).unwrap(), key_before);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn rotating_replaces_the_key_file_with_mode_0600() {
        let dir = temp_dir("rotate");
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        init(&dir, t0);
        let layout = KubeadmLayout::new(&dir);
        let key_before = fs::read(dir.join("pki/apiserver.key")).unwrap();
        let r = layout
            .renew(&[CertificateName::ApiServer], KeyChoice::Rotate, None, t0)
            .unwrap();
        assert_eq!(r.len(), 1);
        assert!(r[0].key_rotated);
        let key_after = fs::read(dir.join("pki/apiserver.key")).unwrap();
        assert_ne!(key_before, key_after);
        let mode = fs::metadata(dir.join("pki/apiserver.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let key = PrivateKey::from_pem(std::str::from_utf8(&key_after).unwrap()).unwrap();
        let loaded = layout.load().unwrap();
        let cert = loaded
            .certificates
            .iter()
            .find(|c| c.name == CertificateName::ApiServer)
            .unwrap();
        assert!(key.matches(&cert.certificate.info().unwrap().public_key));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn nothing_changes_when_one_name_is_missing_or_its_ca_is_external() {
        let dir = temp_dir("missing");
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        init(&dir, t0);
        let layout = KubeadmLayout::new(&dir);
        let before = fs::read(dir.join("pki/apiserver.crt")).unwrap();
        let err = layout
            .renew(
                &[CertificateName::ApiServer, CertificateName::KubeProxy],
                KeyChoice::Keep,
                None,
                t0,
            )
            .unwrap_err();
        assert!(matches!(err, Error::MissingFile { .. }), "{err}");
        assert_eq!(fs::read(dir.join("pki/apiserver.crt")).unwrap(), before);

        fs::remove_file(dir.join("pki/etcd/ca.key")).unwrap();
        let err = layout
            .renew(&[CertificateName::EtcdServer], KeyChoice::Keep, None, t0)
            .unwrap_err();
        assert!(matches!(err, Error::CaKeyUnavailable { .. }), "{err}");
        let _ = fs::remove_dir_all(&dir);
    }
}

#[cfg(test)]
mod atomic_write_all_tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn temp_dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("kpki-batch-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(d.join("sub")).unwrap();
        d
    }

    fn names_in(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_every_file_with_its_mode_and_leaves_no_temporary_file() {
        let d = temp_dir("ok");
        fs::write(d.join("old.crt"), b"old").unwrap();
        let paths: Vec<PathBuf> = (0..40)
            .map(|i| {
                d.join(if i % 2 == 0 { "sub" } else { "." })
                    .join(format!("f{i}"))
            })
            .chain([d.join("old.crt")])
            .collect();
        let contents: Vec<Vec<u8>> = (0..paths.len()).map(|i| vec![i as u8; 100 + i]).collect();
        let files: Vec<(&Path, &[u8], u32)> = paths
            .iter()
            .zip(&contents)
            .enumerate()
            .map(|(i, (p, c))| {
                (
                    p.as_path(),
                    c.as_slice(),
                    if i % 3 == 0 { 0o600 } else { 0o644 },
                )
            })
            .collect();
        let mut renamed = 0;
        atomic_write_all(&files, &mut renamed).unwrap();
        assert_eq!(renamed, files.len());
        for (path, contents, mode) in &files {
            assert_eq!(fs::read(path).unwrap(), *contents, "{}", path.display());
            let m = fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!(m, *mode, "{}", path.display());
        }
        for dir in [d.clone(), d.join("sub")] {
            assert!(
                !names_in(&dir).iter().any(|n| n.ends_with(".tmp")),
                "{:?}",
                names_in(&dir)
            );
        }
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_failing_file_writes_nothing_and_cleans_up() {
        let d = temp_dir("fail");
        fs::write(d.join("keep.crt"), b"old").unwrap();
        let missing = d.join("no-such-dir").join("x.key");
        let (a, b) = (d.join("keep.crt"), d.join("sub").join("new.crt"));
        let files: Vec<(&Path, &[u8], u32)> = vec![
            (a.as_path(), b"new", 0o644),
            (b.as_path(), b"new", 0o644),
            (missing.as_path(), b"secret", 0o600),
        ];
        let mut renamed = 0;
        let err = atomic_write_all(&files, &mut renamed).unwrap_err();
        assert!(err.to_string().contains("no-such-dir"), "{err}");
        assert_eq!(renamed, 0);
        assert_eq!(fs::read(&a).unwrap(), b"old");
        assert_eq!(names_in(&d), ["keep.crt", "sub"]);
        assert!(names_in(&d.join("sub")).is_empty());
        fs::remove_dir_all(&d).unwrap();
    }
}

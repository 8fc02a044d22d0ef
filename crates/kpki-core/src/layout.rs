//! The kubeadm directory layout: where each file of a cluster PKI lives, loading a
//! directory written by kpki or kubeadm, writing one, and the operations that work on a
//! directory (init, renew, signing with its CA, user credentials under its cluster).
//!
//! Writes go through `crate::files`: kubeadm's modes set before any byte is written,
//! every target checked before the first write, and every change one journaled commit
//! — all files or none, even across a crash or SIGKILL — so a failed run leaves the
//! directory as it found it.
//! Existing CA pairs are reused (kubeadm's bring-your-own-CA behaviour); any other
//! existing file is left alone unless the caller asks to overwrite it.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use zeroize::Zeroizing;

use crate::ca::{CertificateAuthority, CertifiedKey};
use crate::certificate::Certificate;
use crate::certificate_name::CertificateName;
use crate::cluster::{CaSource, ClusterPki, ClusterSpec};
use crate::dns::NodeName;
use crate::error::{CaKeyNeeded, Error, Origin, Pkcs11Problem, Result, SpecProblem};
use crate::files::{MODE_PUBLIC, MODE_SECRET, commit, create_dirs, read_if_exists, recover};
use crate::key::{PrivateKey, PublicKey};
use crate::kube_csr::KubeCsr;
use crate::kubeadm_config::CertificatesDir;
use crate::kubeconfig::{Cluster, Kubeconfig};
use crate::names::CaRole;
use crate::pkcs11::{CaKeyUri, Pkcs11Uri};
use crate::policy::SignerPolicy;
use crate::user::{UserCredentials, UserRequest};

/// A kubeadm root directory (kubeadm's `/etc/kubernetes`): kubeconfigs in the root,
/// certificates under the certificates directory (`<root>/pki` by default).
///
/// A CA whose key is in a PKCS#11 token has `ca.crt` and no `ca.key` here (kubeadm's
/// external-CA mode); [`KubeadmLayout::with_ca_key`] says where its key is, and every
/// operation on the directory (signing, users, renewal, rotation) then signs through
/// the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KubeadmLayout {
    pub(crate) root: PathBuf,
    pki: PathBuf,
    pub(crate) ca_keys: BTreeMap<CaRole, Pkcs11Uri>,
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

impl FileAction {
    /// `created`, `replaced` or `kept`.
    pub fn name(self) -> &'static str {
        match self {
            FileAction::Created => "created",
            FileAction::Replaced => "replaced",
            FileAction::Kept => "kept",
        }
    }
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

impl WriteReport {
    /// The report as a table (file relative to `root`, subject, issuer, expiry, and
    /// whether it was kept or replaced), with a closing count.
    pub fn to_table(&self, root: &Path) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<44} {:<58} {:<16} {:<25} ",
            "FILE", "SUBJECT", "ISSUER", "EXPIRES"
        );
        for f in &self.files {
            let rel = f.path.strip_prefix(root).unwrap_or(&f.path).display();
            let note = match f.action {
                FileAction::Created => "",
                FileAction::Replaced => " (replaced)",
                FileAction::Kept => " (kept)",
            };
            match f.certificate.as_ref().map(Certificate::info) {
                Some(Ok(info)) => {
                    let _ = writeln!(
                        out,
                        "{:<44} {:<58} {:<16} {}{note}",
                        rel.to_string(),
                        info.subject_line(),
                        info.issuer_common_name.unwrap_or_default(),
                        crate::duration::human_time(info.not_after)
                    );
                }
                _ => {
                    let _ = writeln!(
                        out,
                        "{:<44} {:<58} {:<16} {:<25}{note}",
                        rel.to_string(),
                        "-",
                        "-",
                        "-"
                    );
                }
            }
        }
        let _ = writeln!(
            out,
            "wrote {} files under {}",
            self.files
                .iter()
                .filter(|f| f.action != FileAction::Kept)
                .count(),
            root.display()
        );
        out
    }
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
#[derive(Clone, Debug)]
pub struct LoadedPki {
    /// Where it was loaded from.
    pub layout: KubeadmLayout,
    /// CAs found, by role (external where the key file is absent).
    pub cas: BTreeMap<CaRole, CertificateAuthority>,
    /// Certificate files found, with their keys where present.
    pub certificates: Vec<LoadedCertificate>,
    /// Kubeconfig files found.
    pub kubeconfigs: Vec<LoadedKubeconfig>,
    /// `sa.key`, if present.
    pub service_account_key: Option<PrivateKey>,
}

impl LoadedPki {
    /// The names of every certificate found, each once (a worker's certificate can be
    /// both a `.crt` and inside its kubeconfig), in file order.
    pub fn names(&self) -> Vec<CertificateName> {
        let mut names: Vec<CertificateName> = Vec::new();
        let all = self
            .certificates
            .iter()
            .map(|c| &c.name)
            .chain(self.kubeconfigs.iter().map(|k| &k.name));
        for name in all {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        names
    }
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

impl KubeadmLayout {
    /// The layout under `root`, certificates in `root/pki`.
    pub fn new(root: impl Into<PathBuf>) -> KubeadmLayout {
        let root = root.into();
        let pki = root.join("pki");
        KubeadmLayout {
            root,
            pki,
            ca_keys: BTreeMap::new(),
        }
    }

    /// The CA of `key.role` here signs with the token key `key.uri` (its `.crt` is
    /// here, its `.key` must not be). For [`KubeadmLayout::rotate_start`], the URI
    /// names the *new* CA's key instead: generated in the token unless it exists.
    pub fn with_ca_key(mut self, key: CaKeyUri) -> KubeadmLayout {
        self.ca_keys.insert(key.role, key.uri);
        self
    }

    /// [`KubeadmLayout::with_ca_key`] for each of `keys`.
    pub fn with_ca_keys(self, keys: impl IntoIterator<Item = CaKeyUri>) -> KubeadmLayout {
        keys.into_iter().fold(self, KubeadmLayout::with_ca_key)
    }

    /// The token key given for `role` ([`KubeadmLayout::with_ca_key`]).
    pub fn ca_key(&self, role: CaRole) -> Option<&Pkcs11Uri> {
        self.ca_keys.get(&role)
    }

    /// Uses `dir` as the certificates directory (a relative path is taken relative to
    /// the root); [`KubeadmLayout::write`] and [`KubeadmLayout::init`] use the PKI's
    /// own ([`ClusterSpec::certificates_dir`]) instead.
    pub fn with_certificates_dir(mut self, dir: impl AsRef<Path>) -> KubeadmLayout {
        self.pki = self.root.join(dir);
        self
    }

    /// The same root with the certificates under `dir`.
    fn for_certificates_dir(&self, dir: &CertificatesDir) -> KubeadmLayout {
        self.clone().with_certificates_dir(dir.as_path())
    }

    /// The root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The certificates directory.
    pub fn certificates_dir(&self) -> &Path {
        &self.pki
    }

    /// The `.crt` and `.key` paths of a CA role.
    pub fn ca_paths(&self, role: CaRole) -> (PathBuf, PathBuf) {
        let stem = self.pki.join(role.file_stem());
        (stem.with_extension("crt"), stem.with_extension("key"))
    }

    /// The `.crt` and `.key` paths of a certificate written as a file pair.
    pub fn certificate_paths(&self, name: &CertificateName) -> Option<(PathBuf, PathBuf)> {
        let stem = match (name.pki_stem(), name.root_stem()) {
            (Some(s), _) => self.pki.join(s),
            (None, Some(s)) => self.root.join(s),
            (None, None) => return None,
        };
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

    /// As [`KubeadmLayout::load_ca`], with a missing certificate an [`Error::NoCa`].
    pub fn require_ca(&self, role: CaRole) -> Result<CertificateAuthority> {
        self.load_ca(role)?.ok_or_else(|| Error::NoCa {
            role,
            path: self.ca_paths(role).0,
        })
    }

    /// Loads a CA role's files: both present → a CA with its key; certificate only →
    /// a CA signing through its token key if one was given
    /// ([`KubeadmLayout::with_ca_key`]), else an external CA; neither → `None`. A key
    /// file beside a token key is refused: which of the two signs would be a guess.
    pub fn load_ca(&self, role: CaRole) -> Result<Option<CertificateAuthority>> {
        let (crt, key) = self.ca_paths(role);
        let Some(cert_bytes) = read_if_exists(&crt)? else {
            return Ok(None);
        };
        let mut chain = Certificate::load_chain(&cert_bytes, crt.as_path())?;
        let certificate = chain.remove(0);
        // A root first: what follows is not its chain but a trust bundle's other CAs
        // (old and new during a rotation).
        let info = certificate.info()?;
        if info.issuer_der == info.subject_der {
            chain.clear();
        }
        match (read_if_exists(&key)?, self.ca_keys.get(&role)) {
            (Some(_), Some(uri)) => Err(Error::Pkcs11 {
                uri: uri.to_string(),
                problem: Pkcs11Problem::KeyFileBeside { path: key },
            }),
            (None, Some(uri)) => {
                let mut certificates = vec![certificate];
                certificates.extend(chain);
                CertificateAuthority::from_pkcs11(certificates, uri)
                    .map(Some)
                    .map_err(|e| match e {
                        Error::KeyMismatch { .. } => Error::KeyMismatch {
                            what: format!("{} and the token key {uri}", crt.display()),
                        },
                        other => other,
                    })
            }
            (Some(key_bytes), None) => {
                let private = PrivateKey::load(&Zeroizing::new(key_bytes), key.as_path())?;
                CertificateAuthority::from_parts(certificate, chain, private)
                    .map(Some)
                    .map_err(|e| match e {
                        Error::KeyMismatch { .. } => Error::KeyMismatch {
                            what: format!("{} and {}", crt.display(), key.display()),
                        },
                        other => other,
                    })
            }
            (None, None) => CertificateAuthority::external(certificate).map(Some),
        }
    }

    fn load_pair(&self, name: &CertificateName) -> Result<Option<LoadedCertificate>> {
        let Some((crt, key)) = self.certificate_paths(name) else {
            return Ok(None);
        };
        let Some(cert_bytes) = read_if_exists(&crt)? else {
            return Ok(None);
        };
        let certificate = Certificate::load(&cert_bytes, crt.as_path())?;
        let key = match read_if_exists(&key)? {
            Some(bytes) => Some(PrivateKey::load(&Zeroizing::new(bytes), key.as_path())?),
            None => None,
        };
        Ok(Some(LoadedCertificate {
            name: name.clone(),
            path: crt,
            certificate,
            key,
        }))
    }

    fn load_kubeconfig(&self, path: &Path) -> Result<Option<Kubeconfig>> {
        match read_if_exists(path)? {
            Some(bytes) => {
                let bytes = Zeroizing::new(bytes);
                let text = crate::pem::text(&bytes, &Origin::File(path.to_path_buf()))?;
                Kubeconfig::from_yaml(text, path).map(Some)
            }
            None => Ok(None),
        }
    }

    fn worker_names(&self) -> Result<Vec<NodeName>> {
        let dir = self.root.join("nodes");
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
            Err(e) => return Err(Error::io(&dir, "reading the directory", e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&dir, "reading the directory", e))?;
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

    /// Loads everything kpki or kubeadm wrote here. A root that does not exist, or
    /// holds none of a PKI's files, is an error: a job reading it (renewal, an expiry
    /// check from cron) must not pass for having found nothing to do.
    pub fn load(&self) -> Result<LoadedPki> {
        match fs::metadata(&self.root) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(Error::MissingFile {
                    path: self.root.clone(),
                    reason: "not a directory".into(),
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::MissingFile {
                    path: self.root.clone(),
                    reason: "the directory does not exist".into(),
                });
            }
            Err(e) => return Err(Error::io(&self.root, "reading the directory", e)),
        }
        // A change a crash interrupted is finished (or, if it had not committed, its
        // temporary files removed) before anything is read.
        recover(&self.root)?;
        let mut out = LoadedPki {
            layout: self.clone(),
            cas: BTreeMap::new(),
            certificates: Vec::new(),
            kubeconfigs: Vec::new(),
            service_account_key: None,
        };
        for role in CaRole::ALL {
            if let Some(ca) = self.load_ca(role)? {
                out.cas.insert(role, ca);
            }
        }
        let mut names = CertificateName::CONTROL_PLANE.to_vec();
        for w in self.worker_names()? {
            names.push(CertificateName::WorkerKubeletClient(w.clone()));
            names.push(CertificateName::WorkerKubeletServing(w));
        }
        for name in names {
            if let Some(found) = self.load_pair(&name)? {
                out.certificates.push(found);
            }
            if let Some(path) = self.kubeconfig_path(&name)
                && let Some(kubeconfig) = self.load_kubeconfig(&path)?
            {
                out.kubeconfigs.push(LoadedKubeconfig {
                    name,
                    path,
                    kubeconfig,
                });
            }
        }
        let (sa_key, _) = self.service_account_paths();
        if let Some(bytes) = read_if_exists(&sa_key)? {
            out.service_account_key =
                Some(PrivateKey::load(&Zeroizing::new(bytes), sa_key.as_path())?);
        }
        if out.cas.is_empty()
            && out.certificates.is_empty()
            && out.kubeconfigs.is_empty()
            && out.service_account_key.is_none()
        {
            return Err(Error::EmptyDirectory {
                path: self.root.clone(),
            });
        }
        Ok(out)
    }

    /// Makes `spec` fit what is already on disk, as kubeadm does: an existing CA pair is
    /// reused for a role the caller did not configure; a CA certificate without its key
    /// makes the role external, and the certificates it signed are loaded as supplied;
    /// an existing `sa.key` is kept.
    pub fn adopt_existing(&self, spec: &mut ClusterSpec) -> Result<()> {
        for role in CaRole::ALL {
            if let Some(CaSource::Token(uri)) = spec.cas.get(&role) {
                // A CA certificate here whose key is in the token: sign through it (its
                // key must be the token's), rather than make a second certificate.
                if let Some(ca) = self.load_ca(role)? {
                    let mut certificates = vec![ca.certificate().clone()];
                    certificates.extend(ca.chain().iter().cloned());
                    let ca = CertificateAuthority::from_pkcs11(certificates, uri)?;
                    spec.cas.insert(role, CaSource::Provided(ca));
                }
                continue;
            }
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
            let names: Vec<CertificateName> = spec.plan().iter().map(|(n, _)| n.clone()).collect();
            for name in names {
                if !external.contains(&name.ca_role()) || spec.supplied.contains_key(&name) {
                    continue;
                }
                let found = match self.load_pair(&name)? {
                    Some(LoadedCertificate {
                        certificate,
                        key: Some(key),
                        ..
                    }) => Some(CertifiedKey::new(certificate, key)?),
                    _ => match self.kubeconfig_path(&name) {
                        Some(path) => match self.load_kubeconfig(&path)? {
                            Some(kc) => match (kc.client_certificate()?, kc.client_key()?) {
                                (Some(certificate), Some(key)) => {
                                    Some(CertifiedKey::new(certificate, key)?)
                                }
                                _ => None,
                            },
                            None => None,
                        },
                        None => None,
                    },
                };
                if let Some(ck) = found {
                    spec.supplied.insert(name, ck);
                }
            }
        }
        if spec.service_account_key.is_none() {
            let (sa_key, _) = self.service_account_paths();
            if let Some(bytes) = read_if_exists(&sa_key)? {
                spec.service_account_key =
                    Some(PrivateKey::load(&Zeroizing::new(bytes), sa_key.as_path())?);
            }
        }
        Ok(())
    }

    fn plan_files(&self, pki: &ClusterPki) -> Result<Vec<Planned>> {
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
                contents: Zeroizing::new(ck.certificate().to_pem().into_bytes()),
                mode: MODE_PUBLIC,
                certificate: Some(ck.certificate().clone()),
                same: Sameness::Certificate(ck.certificate().der().to_vec()),
            });
            files.push(Planned {
                path: key,
                contents: Zeroizing::new(ck.key().to_pem().as_bytes().to_vec()),
                mode: MODE_SECRET,
                certificate: None,
                same: Sameness::PrivateKey(ck.key().public_key().clone()),
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
            files.push(Planned {
                path: self.root.join(file),
                contents: Zeroizing::new(kc.to_yaml()?.as_bytes().to_vec()),
                mode: MODE_SECRET,
                certificate,
                same: Sameness::Bytes,
            });
        }
        Ok(files)
    }

    fn is_same(existing: &[u8], planned: &Planned) -> bool {
        let origin = Origin::File(planned.path.clone());
        match &planned.same {
            Sameness::Bytes => existing == planned.contents.as_slice(),
            Sameness::Certificate(der) => {
                Certificate::load(existing, origin).is_ok_and(|c| c.der() == der.as_slice())
            }
            Sameness::PrivateKey(public) => {
                PrivateKey::load(existing, origin).is_ok_and(|k| k.public_key() == public)
            }
            Sameness::PublicKey(public) => {
                PublicKey::load(existing, origin).is_ok_and(|k| &k == public)
            }
        }
    }

    /// Writes `pki` here, its certificates under its own certificates directory
    /// ([`ClusterPki::certificates_dir`]). Files that already hold the same thing (a
    /// reused CA, `sa.key`) are kept; any other existing file is an
    /// [`Error::AlreadyExists`] unless `overwrite` is set. All checks happen before the
    /// first write, and the write is one journaled commit: every file or none, even if
    /// the process is killed midway (the next call on the directory finishes or drops
    /// what the killed one left).
    pub fn write(&self, pki: &ClusterPki, overwrite: bool) -> Result<WriteReport> {
        self.for_certificates_dir(pki.certificates_dir())
            .write_here(pki, overwrite)
    }

    /// As [`KubeadmLayout::write`], with the certificates under this layout's own
    /// certificates directory whatever the PKI says.
    pub fn write_to_certificates_dir(
        &self,
        pki: &ClusterPki,
        overwrite: bool,
    ) -> Result<WriteReport> {
        self.write_here(pki, overwrite)
    }

    fn write_here(&self, pki: &ClusterPki, overwrite: bool) -> Result<WriteReport> {
        recover(&self.root)?;
        let planned = self.plan_files(pki)?;
        // Preflight: decide every file's fate before touching anything.
        let mut actions = Vec::with_capacity(planned.len());
        for p in &planned {
            let action = match fs::read(&p.path) {
                Ok(existing) if KubeadmLayout::is_same(&existing, p) => FileAction::Kept,
                Ok(_) if overwrite => FileAction::Replaced,
                Ok(_) => {
                    return Err(Error::AlreadyExists {
                        path: p.path.clone(),
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileAction::Created,
                Err(e) => return Err(Error::io(&p.path, "reading", e)),
            };
            actions.push(action);
        }
        let mut created_dirs = Vec::new();
        let writes: Vec<(PathBuf, Zeroizing<Vec<u8>>, u32)> = planned
            .iter()
            .zip(&actions)
            .filter(|(_, action)| **action != FileAction::Kept)
            .map(|(p, _)| (p.path.clone(), p.contents.clone(), p.mode))
            .collect();
        let result = (|| -> Result<()> {
            create_dirs(&self.root, &mut created_dirs)?;
            for (path, _, _) in &writes {
                if let Some(parent) = path.parent() {
                    create_dirs(parent, &mut created_dirs)?;
                }
            }
            commit(&self.root, &writes, &[])
        })();
        if let Err(e) = result {
            // Nothing was written (commit is all or nothing); remove the new dirs.
            for d in created_dirs.iter().rev() {
                let _ = fs::remove_dir(d);
            }
            return Err(e);
        }
        Ok(WriteReport {
            files: planned
                .into_iter()
                .zip(actions)
                .map(|(p, action)| WrittenFile {
                    path: p.path,
                    action,
                    certificate: p.certificate,
                })
                .collect(),
        })
    }

    /// The whole job: adopt what exists here ([`KubeadmLayout::adopt_existing`]),
    /// generate, and write — certificates under the spec's certificates directory.
    pub fn init(
        &self,
        mut spec: ClusterSpec,
        now: SystemTime,
        overwrite: bool,
    ) -> Result<(ClusterPki, WriteReport)> {
        let layout = self.for_certificates_dir(spec.certificates_dir());
        recover(&layout.root)?;
        layout.adopt_existing(&mut spec)?;
        let pki = spec.generate(now)?;
        let report = layout.write_here(&pki, overwrite)?;
        Ok((pki, report))
    }

    /// The CA here that signs for `policy`: the first of its roles
    /// ([`SignerPolicy::ca_roles`]) with files in this directory; it must hold its key.
    pub fn signing_ca(&self, policy: &SignerPolicy) -> Result<CertificateAuthority> {
        for role in policy.ca_roles() {
            if let Some(ca) = self.load_ca(*role)? {
                if !ca.can_issue() {
                    return Err(Error::CaKeyUnavailable {
                        ca: ca.common_name().to_owned(),
                        needed: CaKeyNeeded::Sign {
                            role: *role,
                            key_path: self.ca_paths(*role).1,
                        },
                    });
                }
                return Ok(ca);
            }
        }
        Err(Error::NoCaFound {
            dir: self.root.clone(),
            signer: policy.signer_name.clone(),
            looked_for: policy
                .ca_roles()
                .iter()
                .map(|r| self.ca_paths(*r).0)
                .collect(),
        })
    }

    /// Approves and signs each object under its signer's policy (`given` for the
    /// signer it names, a built-in one otherwise), with this directory's CA for that
    /// policy; one result per object, in order.
    pub fn sign_kube_csrs(
        &self,
        objects: &[KubeCsr],
        given: Option<&SignerPolicy>,
        allowed_privileged_groups: &[String],
        now: SystemTime,
    ) -> Vec<Result<KubeCsr>> {
        objects
            .iter()
            .map(|object| {
                let policy = SignerPolicy::for_signer(
                    &object.signer_name,
                    given,
                    allowed_privileged_groups,
                )?;
                let ca = self.signing_ca(&policy)?;
                object.approve_and_sign(&ca, &policy, now)
            })
            .collect()
    }

    /// A user's credentials for the cluster of this directory: the cluster's name,
    /// server and CA bundle from `admin.conf` (the server replaced by `server` if
    /// given; without `admin.conf`, `server` is needed), the certificate from this
    /// directory's client CA.
    pub fn issue_user(
        &self,
        req: &UserRequest,
        server: Option<&str>,
        now: SystemTime,
    ) -> Result<UserCredentials> {
        let admin_path = self.root.join("admin.conf");
        let from_admin = self
            .load_kubeconfig(&admin_path)?
            .and_then(|k| k.current().map(|(_, c, _)| c.clone()));
        let mut cluster = match (server, from_admin) {
            (Some(server), Some(mut c)) => {
                server.clone_into(&mut c.server);
                c
            }
            (None, Some(c)) => c,
            (Some(server), None) => Cluster::new(None, server, None)?,
            (None, None) => {
                return Err(Error::InvalidSpec {
                    problem: SpecProblem::NoServer {
                        admin_conf: admin_path,
                    },
                });
            }
        };
        if cluster.certificate_authority_data.is_none()
            && cluster.certificate_authority.is_none()
            && let Some(server_ca) = self.load_ca(CaRole::Kubernetes)?
        {
            cluster.certificate_authority_data = Some(server_ca.chain_pem().into_bytes());
        }
        let ca = self.signing_ca(&SignerPolicy::kube_apiserver_client())?;
        ca.issue_user(req, &cluster, now)
    }
}

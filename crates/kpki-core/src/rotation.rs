//! CA rotation without downtime, in phases that follow kubeadm's "Manual Rotation of CA
//! Certificates" procedure, with the state kept in the directory:
//!
//! 1. [`KubeadmLayout::rotate_start`]: a new CA per role (same name, new key) is kept
//!    under `pki/rotation/`; every trust point then holds old and new — the role's
//!    `.crt` (old first, so the old pair still signs), every kubeconfig's
//!    `certificate-authority-data` — and, for the cluster CA, a new `sa.key` signs while
//!    `sa.pub` holds both public keys.
//! 2. [`KubeadmLayout::rotate_reissue`]: every leaf and kubeconfig client certificate of
//!    those roles comes from the new CA (keys kept); the role's `.crt` puts the new CA
//!    first and `ca.key` is the new key, so new certificates come from it.
//! 3. [`KubeadmLayout::rotate_finish`]: the old CA leaves every bundle and `sa.pub`.
//!
//! A new CA's key can be generated in (or taken from) a PKCS#11 token instead: give
//! `rotate_start` a layout with [`KubeadmLayout::with_ca_key`] for the role, naming the
//! *new* key (the old key's URI is refused). No key file is written for it; the URI is
//! kept in the rotation's state, so the later phases sign through the token without
//! being told again, and reissue removes the old CA's key file if there was one. After
//! the rotation, that URI is the role's `--ca-key`.
//!
//! Between phases restart the components (and roll the kubeconfigs out) so each holds
//! the bundle of the phase. Each phase is one [`crate::files::commit`]: all or nothing,
//! even across a crash, and a phase run again after it completed does nothing. No
//! cross-signing: trust bundles with both CAs are what Kubernetes components read
//! (`--client-ca-file`, `--trusted-ca-file`, kubeconfigs), and a cross-signed
//! intermediate would have to be served in every chain during the rotation.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::ca::CertificateAuthority;
use crate::certificate::Certificate;
use crate::certificate_name::CertificateName;
use crate::error::{Error, Result, RotationProblem};
use crate::files::{MODE_PUBLIC, MODE_SECRET, commit, read_if_exists, recover, yaml_options};
use crate::key::PrivateKey;
use crate::kubeconfig::Kubeconfig;
use crate::layout::{KubeadmLayout, LoadedPki};
use crate::names::CaRole;
use crate::pkcs11::Pkcs11Uri;
use crate::renew::KeyChoice;

/// Where a rotation keeps its state and new CAs, under the certificates directory.
const ROTATION_DIR: &str = "rotation";

/// The roles a rotation covers unless told otherwise: kubeadm's three CAs.
pub const ROTATABLE_ROLES: [CaRole; 3] = [CaRole::Kubernetes, CaRole::Etcd, CaRole::FrontProxy];

/// Where a rotation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RotationPhase {
    /// `start` done: trust points hold old and new CAs; leaves still from the old.
    Started,
    /// `reissue` done: leaves from the new CA; bundles still hold the old.
    Reissued,
    /// `finish` done: only the new CA is trusted.
    Finished,
}

impl RotationPhase {
    /// `started`, `reissued`, `finished`.
    pub fn name(self) -> &'static str {
        match self {
            RotationPhase::Started => "started",
            RotationPhase::Reissued => "reissued",
            RotationPhase::Finished => "finished",
        }
    }
}

/// A step of a rotation ([`KubeadmLayout::rotate`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RotationStep {
    /// [`KubeadmLayout::rotate_start`].
    Start,
    /// [`KubeadmLayout::rotate_reissue`].
    Reissue,
    /// [`KubeadmLayout::rotate_finish`].
    Finish,
}

impl std::str::FromStr for RotationStep {
    type Err = Error;

    /// `start`, `reissue`, `finish`.
    fn from_str(s: &str) -> Result<RotationStep> {
        match s {
            "start" => Ok(RotationStep::Start),
            "reissue" => Ok(RotationStep::Reissue),
            "finish" => Ok(RotationStep::Finish),
            _ => Err(Error::UnknownChoice {
                field: crate::error::Choice::RotationStep,
                value: s.to_owned(),
                expected: "start, reissue, finish",
            }),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct State {
    phase: RotationPhase,
    roles: Vec<String>,
    /// The new CAs whose keys are in a PKCS#11 token: role → URI (with its
    /// `pin-source`, never a PIN).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    token_keys: BTreeMap<String, String>,
}

/// A rotation's state as read: phase, roles, new CA keys in a token.
struct Progress {
    phase: RotationPhase,
    roles: Vec<CaRole>,
    token_keys: BTreeMap<CaRole, Pkcs11Uri>,
}

/// What a rotation phase did.
#[derive(Clone, Debug)]
pub struct RotationReport {
    /// The phase the directory is in now.
    pub phase: RotationPhase,
    /// The roles rotating.
    pub roles: Vec<CaRole>,
    /// Files written.
    pub written: Vec<PathBuf>,
    /// Files removed.
    pub removed: Vec<PathBuf>,
    /// Whether the phase had been done already (nothing written).
    pub already_done: bool,
}

/// Where a rotation stands, and what is left ([`KubeadmLayout::rotation_status`]).
#[derive(Clone, Debug)]
pub struct RotationStatus {
    /// The phase (`None`: no rotation was ever started here).
    pub phase: Option<RotationPhase>,
    /// The roles rotating (or last rotated).
    pub roles: Vec<CaRole>,
    /// Leaves (kubeadm's names) not yet issued by the new CA of their role.
    pub from_old_ca: Vec<String>,
    /// Trust points (CA files, kubeconfigs) that still hold an old CA.
    pub trusting_old_ca: Vec<PathBuf>,
}

type Writes = Vec<(PathBuf, Zeroizing<Vec<u8>>, u32)>;

fn pem_of(certs: &[&Certificate]) -> Zeroizing<Vec<u8>> {
    let pem: String = certs.iter().map(|c| c.to_pem()).collect();
    Zeroizing::new(pem.into_bytes())
}

impl KubeadmLayout {
    fn rotation_dir(&self) -> PathBuf {
        self.certificates_dir().join(ROTATION_DIR)
    }

    fn state_path(&self) -> PathBuf {
        self.rotation_dir().join("state.json")
    }

    /// The new CA's `.crt` and `.key` of `role` during a rotation.
    fn next_ca_paths(&self, role: CaRole) -> (PathBuf, PathBuf) {
        let stem = self.rotation_dir().join(role.file_stem());
        (stem.with_extension("crt"), stem.with_extension("key"))
    }

    fn rotation_error(&self, problem: RotationProblem) -> Error {
        Error::Rotation {
            dir: self.root.clone(),
            problem,
        }
    }

    fn read_state(&self) -> Result<Option<(RotationPhase, Vec<CaRole>)>> {
        Ok(self.read_progress()?.map(|p| (p.phase, p.roles)))
    }

    fn read_progress(&self) -> Result<Option<Progress>> {
        let Some(bytes) = read_if_exists(&self.state_path())? else {
            return Ok(None);
        };
        let broken = |reason: String| self.rotation_error(RotationProblem::BrokenState { reason });
        let state: State = serde_json::from_slice(&bytes).map_err(|e| broken(e.to_string()))?;
        let roles = state
            .roles
            .iter()
            .map(|r| r.parse::<CaRole>().map_err(|e| broken(e.to_string())))
            .collect::<Result<Vec<_>>>()?;
        let mut token_keys = BTreeMap::new();
        for (role, uri) in &state.token_keys {
            let role: CaRole = role.parse().map_err(|e: Error| broken(e.to_string()))?;
            let uri: Pkcs11Uri = uri.parse().map_err(|e: Error| broken(e.to_string()))?;
            token_keys.insert(role, uri);
        }
        Ok(Some(Progress {
            phase: state.phase,
            roles,
            token_keys,
        }))
    }

    fn state_file(
        &self,
        phase: RotationPhase,
        roles: &[CaRole],
        token_keys: &BTreeMap<CaRole, Pkcs11Uri>,
    ) -> Result<(PathBuf, Zeroizing<Vec<u8>>, u32)> {
        let state = State {
            phase,
            roles: roles.iter().map(|r| r.name().to_owned()).collect(),
            token_keys: token_keys
                .iter()
                .map(|(r, u)| (r.name().to_owned(), u.to_string()))
                .collect(),
        };
        let bytes = serde_json::to_vec_pretty(&state)
            .map_err(|_| Error::internal("a rotation state serializes to JSON"))?;
        Ok((self.state_path(), Zeroizing::new(bytes), MODE_PUBLIC))
    }

    /// The CA certificates in `role`'s trust file (its `.crt`: one CA, or two during a
    /// rotation), in order.
    pub fn trust_set(&self, role: CaRole) -> Result<Vec<Certificate>> {
        recover(&self.root)?;
        let (crt, _) = self.ca_paths(role);
        let bytes = read_if_exists(&crt)?.ok_or_else(|| Error::NoCa {
            role,
            path: crt.clone(),
        })?;
        Certificate::load_chain(&bytes, crt.as_path())
    }

    /// Runs `step` of a CA rotation; `roles` (kubeadm's three when empty) is read by
    /// [`RotationStep::Start`] only — the other steps take the roles from the state.
    pub fn rotate(
        &self,
        step: RotationStep,
        roles: &[CaRole],
        now: SystemTime,
    ) -> Result<RotationReport> {
        match step {
            RotationStep::Start => self.rotate_start(roles, now),
            RotationStep::Reissue => self.rotate_reissue(now),
            RotationStep::Finish => self.rotate_finish(),
        }
    }

    /// Phase 1 of a CA rotation for `roles` (kubeadm's three when empty): see the
    /// [module documentation](self).
    pub fn rotate_start(&self, roles: &[CaRole], now: SystemTime) -> Result<RotationReport> {
        recover(&self.root)?;
        let roles: Vec<CaRole> = match roles.is_empty() {
            true => ROTATABLE_ROLES.to_vec(),
            false => roles.to_vec(),
        };
        match self.read_state()? {
            Some((RotationPhase::Started, started)) if started == roles => {
                return Ok(self.done(RotationPhase::Started, roles));
            }
            Some((phase, _)) if phase != RotationPhase::Finished => {
                return Err(self.rotation_error(RotationProblem::InProgress {
                    phase: phase.name(),
                }));
            }
            _ => {}
        }
        // The token keys given here are the new CAs'; the old CAs are read as files
        // (one whose key is in a token loads as external: rotating needs its
        // certificate only).
        let loaded = self.on_disk().load()?;
        let mut writes: Writes = Vec::new();
        let mut olds: Vec<Certificate> = Vec::new();
        let mut cluster_pair: Option<(Certificate, Certificate)> = None;
        let mut token_keys = BTreeMap::new();
        for &role in &roles {
            let in_token = self.ca_key(role);
            let old = loaded
                .cas
                .get(&role)
                .filter(|ca| (ca.can_issue() || in_token.is_some()) && ca.chain().is_empty())
                .ok_or_else(|| self.rotation_error(RotationProblem::NoCaToRotate { role }))?;
            let (crt, key) = self.next_ca_paths(role);
            let new = match in_token {
                Some(uri) => {
                    token_keys.insert(role, uri.clone());
                    old.rotate_in_token(uri, None, None, now)?
                }
                None => old.rotate(None, None, now)?,
            };
            writes.push((crt, pem_of(&[new.certificate()]), MODE_PUBLIC));
            if in_token.is_none() {
                let new_key = new.require_private_key()?;
                writes.push((
                    key,
                    Zeroizing::new(new_key.to_pem().as_bytes().to_vec()),
                    MODE_SECRET,
                ));
            }
            writes.push((
                self.ca_paths(role).0,
                pem_of(&[old.certificate(), new.certificate()]),
                MODE_PUBLIC,
            ));
            if role == CaRole::Kubernetes {
                cluster_pair = Some((old.certificate().clone(), new.certificate().clone()));
            }
            olds.push(old.certificate().clone());
        }
        if let Some((old, new)) = &cluster_pair {
            for k in &loaded.kubeconfigs {
                let mut kubeconfig = k.kubeconfig.clone();
                let changed = kubeconfig.edit_trust_bundles(|mut bundle| {
                    if bundle.contains(old) && !bundle.contains(new) {
                        bundle.push(new.clone());
                    }
                    bundle
                })?;
                if changed {
                    writes.push((
                        k.path.clone(),
                        Zeroizing::new(kubeconfig.to_yaml()?.as_bytes().to_vec()),
                        MODE_SECRET,
                    ));
                }
            }
            // A new service-account key signs; sa.pub verifies tokens of both.
            if let Some(old_sa) = &loaded.service_account_key {
                let new_sa = PrivateKey::generate(old_sa.algorithm())?;
                let (sa_key, sa_pub) = self.service_account_paths();
                let pubs = format!(
                    "{}{}",
                    new_sa.public_key().to_pem(),
                    old_sa.public_key().to_pem()
                );
                writes.push((
                    sa_key,
                    Zeroizing::new(new_sa.to_pem().as_bytes().to_vec()),
                    MODE_SECRET,
                ));
                writes.push((sa_pub, Zeroizing::new(pubs.into_bytes()), MODE_SECRET));
            }
        }
        crate::files::create_dirs(&self.rotation_dir().join("etcd"), &mut Vec::new())?;
        writes.push(self.state_file(RotationPhase::Started, &roles, &token_keys)?);
        self.commit_phase(RotationPhase::Started, roles, writes, Vec::new())
    }

    fn commit_phase(
        &self,
        phase: RotationPhase,
        roles: Vec<CaRole>,
        writes: Writes,
        removes: Vec<PathBuf>,
    ) -> Result<RotationReport> {
        commit(&self.root, &writes, &removes)?;
        Ok(RotationReport {
            phase,
            roles,
            written: writes.into_iter().map(|(p, _, _)| p).collect(),
            removed: removes,
            already_done: false,
        })
    }

    fn done(&self, phase: RotationPhase, roles: Vec<CaRole>) -> RotationReport {
        RotationReport {
            phase,
            roles,
            written: Vec::new(),
            removed: Vec::new(),
            already_done: true,
        }
    }

    /// This layout without its token keys: the CAs as the files alone say.
    fn on_disk(&self) -> KubeadmLayout {
        let mut plain = self.clone();
        plain.ca_keys.clear();
        plain
    }

    /// The token key of the new CA of `role`: the one given to this call, else the one
    /// `rotate_start` recorded.
    fn next_token_key<'a>(&'a self, role: CaRole, progress: &'a Progress) -> Option<&'a Pkcs11Uri> {
        self.ca_key(role).or_else(|| progress.token_keys.get(&role))
    }

    /// The new CA of `role` kept by `rotate_start`: its certificate and key file under
    /// `pki/rotation/`, or its certificate and its key in the token.
    fn next_ca(&self, role: CaRole, progress: &Progress) -> Result<CertificateAuthority> {
        let (crt, key) = self.next_ca_paths(role);
        let missing = |path: &PathBuf| Error::MissingFile {
            path: path.clone(),
            reason: format!("the new {role} CA of the rotation in progress"),
        };
        let cert = read_if_exists(&crt)?.ok_or_else(|| missing(&crt))?;
        let cert = Certificate::load(&cert, crt.as_path())?;
        if let Some(uri) = self.next_token_key(role, progress) {
            return CertificateAuthority::from_pkcs11(vec![cert], uri);
        }
        let key_pem = read_if_exists(&key)?.ok_or_else(|| missing(&key))?;
        let key = PrivateKey::load(&Zeroizing::new(key_pem), key.as_path())?;
        CertificateAuthority::from_parts(cert, Vec::new(), key)
    }

    /// Phase 2: see the [module documentation](self).
    pub fn rotate_reissue(&self, now: SystemTime) -> Result<RotationReport> {
        recover(&self.root)?;
        let progress = match self.read_progress()? {
            Some(p) if p.phase == RotationPhase::Started => p,
            Some(p) if p.phase == RotationPhase::Reissued => {
                return Ok(self.done(RotationPhase::Reissued, p.roles));
            }
            _ => return Err(self.rotation_error(RotationProblem::NotStarted)),
        };
        let roles = progress.roles.clone();
        let loaded = self.on_disk().load()?;
        let mut writes: Writes = Vec::new();
        let mut removes = Vec::new();
        let mut news = Vec::new();
        for &role in &roles {
            let new = self.next_ca(role, &progress)?;
            let trust = self.trust_set(role)?;
            let mut order = vec![new.certificate()];
            order.extend(trust.iter().filter(|c| *c != new.certificate()));
            writes.push((self.ca_paths(role).0, pem_of(&order), MODE_PUBLIC));
            match new.private_key() {
                Some(key) => writes.push((
                    self.ca_paths(role).1,
                    Zeroizing::new(key.to_pem().as_bytes().to_vec()),
                    MODE_SECRET,
                )),
                // The new key is in the token: no key file is left to contradict it
                // (the old CA's, if its key was a file).
                None => {
                    let old_key = self.ca_paths(role).1;
                    if old_key.symlink_metadata().is_ok() {
                        removes.push(old_key);
                    }
                }
            }
            news.push((role, new));
        }
        let signer = |name: &CertificateName| {
            let role = signing_role(&loaded, name.ca_role());
            news.iter().find(|(r, _)| *r == role).map(|(_, ca)| ca)
        };
        for c in &loaded.certificates {
            let Some(ca) = signer(&c.name) else { continue };
            let r = ca.renew(&c.certificate, KeyChoice::Keep, None, now)?;
            writes.push((c.path.clone(), pem_of(&[&r.certificate]), MODE_PUBLIC));
        }
        for k in &loaded.kubeconfigs {
            let Some(ca) = signer(&k.name) else { continue };
            let Some(cert) = k.kubeconfig.client_certificate()? else {
                continue;
            };
            let pair = loaded.certificates.iter().find(|c| c.name == k.name);
            let key = match (k.kubeconfig.client_key()?, pair.and_then(|p| p.key.clone())) {
                (Some(key), _) | (None, Some(key)) => key,
                (None, None) => continue,
            };
            let r = ca.renew(&cert, KeyChoice::Keep, None, now)?;
            let mut kubeconfig: Kubeconfig = k.kubeconfig.clone();
            kubeconfig.set_client_credentials(&r.certificate, &key)?;
            writes.push((
                k.path.clone(),
                Zeroizing::new(kubeconfig.to_yaml()?.as_bytes().to_vec()),
                MODE_SECRET,
            ));
        }
        writes.push(self.state_file(RotationPhase::Reissued, &roles, &progress.token_keys)?);
        self.commit_phase(RotationPhase::Reissued, roles, writes, removes)
    }

    /// Phase 3: see the [module documentation](self).
    pub fn rotate_finish(&self) -> Result<RotationReport> {
        recover(&self.root)?;
        let progress = match self.read_progress()? {
            Some(p) if p.phase == RotationPhase::Reissued => p,
            Some(p) if p.phase == RotationPhase::Finished => {
                return Ok(self.done(RotationPhase::Finished, p.roles));
            }
            Some(_) => return Err(self.rotation_error(RotationProblem::NotReissued)),
            None => return Err(self.rotation_error(RotationProblem::NotStarted)),
        };
        let roles = progress.roles.clone();
        let loaded = self.on_disk().load()?;
        let mut writes: Writes = Vec::new();
        let mut removes = Vec::new();
        let mut old_certs: Vec<Certificate> = Vec::new();
        for &role in &roles {
            let trust = self.trust_set(role)?;
            let Some((new, old)) = trust.split_first() else {
                return Err(Error::internal("a trust set holds a certificate"));
            };
            old_certs.extend(old.iter().cloned());
            writes.push((self.ca_paths(role).0, pem_of(&[new]), MODE_PUBLIC));
            let (crt, key) = self.next_ca_paths(role);
            removes.push(crt);
            if !progress.token_keys.contains_key(&role) {
                removes.push(key);
            }
        }
        for k in &loaded.kubeconfigs {
            let mut kubeconfig = k.kubeconfig.clone();
            let changed = kubeconfig.edit_trust_bundles(|bundle| {
                bundle
                    .into_iter()
                    .filter(|c| !old_certs.contains(c))
                    .collect()
            })?;
            if changed {
                writes.push((
                    k.path.clone(),
                    Zeroizing::new(kubeconfig.to_yaml()?.as_bytes().to_vec()),
                    MODE_SECRET,
                ));
            }
        }
        if roles.contains(&CaRole::Kubernetes)
            && let Some(sa) = &loaded.service_account_key
        {
            let pem = sa.public_key().to_pem();
            writes.push((
                self.service_account_paths().1,
                Zeroizing::new(pem.into_bytes()),
                MODE_SECRET,
            ));
        }
        writes.push(self.state_file(RotationPhase::Finished, &roles, &progress.token_keys)?);
        self.commit_phase(RotationPhase::Finished, roles, writes, removes)
    }

    /// Where a rotation stands and what is left.
    pub fn rotation_status(&self, now: SystemTime) -> Result<RotationStatus> {
        recover(&self.root)?;
        let progress = self.read_progress()?;
        let (phase, roles) = match &progress {
            Some(p) => (Some(p.phase), p.roles.clone()),
            None => (None, Vec::new()),
        };
        let mut status = RotationStatus {
            phase,
            roles: roles.clone(),
            from_old_ca: Vec::new(),
            trusting_old_ca: Vec::new(),
        };
        if !matches!(
            phase,
            Some(RotationPhase::Started | RotationPhase::Reissued)
        ) {
            return Ok(status);
        }
        let plain = self.on_disk();
        let loaded = plain.load()?;
        let mut olds: Vec<Certificate> = Vec::new();
        let mut news: Vec<(CaRole, CertificateAuthority)> = Vec::new();
        for &role in &roles {
            // Only verification is needed: the new CA's certificate.
            let new = match phase {
                Some(RotationPhase::Started) => {
                    let (crt, _) = self.next_ca_paths(role);
                    let bytes = read_if_exists(&crt)?.ok_or_else(|| Error::MissingFile {
                        path: crt.clone(),
                        reason: format!("the new {role} CA of the rotation in progress"),
                    })?;
                    CertificateAuthority::external(Certificate::load(&bytes, crt.as_path())?)?
                }
                _ => plain.require_ca(role)?,
            };
            olds.extend(
                self.trust_set(role)?
                    .into_iter()
                    .filter(|c| c != new.certificate()),
            );
            status.trusting_old_ca.push(self.ca_paths(role).0);
            news.push((role, new));
        }
        for k in &loaded.kubeconfigs {
            let mut probe = k.kubeconfig.clone();
            let holds_old = probe
                .edit_trust_bundles(|b| b.into_iter().filter(|c| !olds.contains(c)).collect())?;
            if holds_old {
                status.trusting_old_ca.push(k.path.clone());
            }
        }
        let from_new = |name: &CertificateName, cert: &Certificate| {
            let role = signing_role(&loaded, name.ca_role());
            news.iter()
                .find(|(r, _)| *r == role)
                .is_none_or(|(_, ca)| ca.verify_issued(cert, now).is_ok())
        };
        for c in &loaded.certificates {
            if !from_new(&c.name, &c.certificate) {
                status.from_old_ca.push(c.name.kubeadm_name());
            }
        }
        for k in &loaded.kubeconfigs {
            if let Some(cert) = k.kubeconfig.client_certificate()?
                && !from_new(&k.name, &cert)
                && !status.from_old_ca.contains(&k.name.kubeadm_name())
            {
                status.from_old_ca.push(k.name.kubeadm_name());
            }
        }
        Ok(status)
    }
}

/// The role whose CA signs for `role` in this directory.
fn signing_role(loaded: &LoadedPki, role: CaRole) -> CaRole {
    match role.shares_by_default() {
        Some(shared) if !loaded.cas.contains_key(&role) => shared,
        _ => role,
    }
}

/// `certs` as a `ClusterTrustBundle` (`certificates.k8s.io/v1beta1`) named `name`, with
/// no signer: the object a cluster's workloads read the trust set from.
pub fn cluster_trust_bundle(name: &str, certs: &[Certificate]) -> Result<String> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Object<'a> {
        api_version: &'static str,
        kind: &'static str,
        metadata: Metadata<'a>,
        spec: Spec,
    }
    #[derive(Serialize)]
    struct Metadata<'a> {
        name: &'a str,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Spec {
        trust_bundle: String,
    }
    let object = Object {
        api_version: "certificates.k8s.io/v1beta1",
        kind: "ClusterTrustBundle",
        metadata: Metadata { name },
        spec: Spec {
            trust_bundle: certs.iter().map(Certificate::to_pem).collect(),
        },
    };
    serde_saphyr::to_string_with_options(&object, yaml_options())
        .map_err(|_| Error::internal("a ClusterTrustBundle serializes to YAML"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::ClusterSpec;
    use crate::dns::NodeName;
    use crate::names::KeyAlgorithm;
    use kpki_testkit::TempDir;
    use std::time::Duration;

    fn pems_in(path: &std::path::Path, label: &str) -> usize {
        std::fs::read_to_string(path)
            .unwrap()
            .matches(&format!("-----BEGIN {label}-----"))
            .count()
    }

    #[test]
    fn start_reissue_finish_move_every_trust_point_and_leaf() {
        let dir = TempDir::new("rotate");
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let spec = ClusterSpec::builder(
            NodeName::new("node01").unwrap(),
            "10.0.0.10".parse().unwrap(),
        )
        .key_algorithm(KeyAlgorithm::EcdsaP256)
        .build()
        .unwrap();
        let layout = KubeadmLayout::new(dir.path());
        layout.init(spec, t0, false).unwrap();
        let old = layout.require_ca(CaRole::Kubernetes).unwrap();
        let old_apiserver = layout.load().unwrap().certificates[0].certificate.clone();
        assert!(matches!(
            layout.rotate_reissue(t0),
            Err(Error::Rotation {
                problem: RotationProblem::NotStarted,
                ..
            })
        ));

        let r = layout.rotate_start(&[], t0).unwrap();
        assert_eq!(r.phase, RotationPhase::Started);
        let pki = dir.join("pki");
        for f in ["ca.crt", "etcd/ca.crt", "front-proxy-ca.crt"] {
            assert_eq!(pems_in(&pki.join(f), "CERTIFICATE"), 2, "{f}");
        }
        assert_eq!(pems_in(&pki.join("sa.pub"), "PUBLIC KEY"), 2);
        assert_eq!(
            pems_in(&dir.join("admin.conf"), "CERTIFICATE"),
            0,
            "kubeconfig data is base64"
        );
        // The old pair still signs; the old leaves still verify.
        assert_eq!(
            layout.require_ca(CaRole::Kubernetes).unwrap().certificate(),
            old.certificate()
        );
        old.verify_issued(&old_apiserver, t0).unwrap();
        let status = layout.rotation_status(t0).unwrap();
        assert_eq!(status.phase, Some(RotationPhase::Started));
        assert!(
            status.from_old_ca.contains(&"apiserver".to_owned()),
            "{status:?}"
        );
        assert!(layout.rotate_start(&[], t0).unwrap().already_done);
        assert!(matches!(
            layout.rotate_finish(),
            Err(Error::Rotation {
                problem: RotationProblem::NotReissued,
                ..
            })
        ));

        let r = layout.rotate_reissue(t0).unwrap();
        assert_eq!(r.phase, RotationPhase::Reissued);
        let new = layout.require_ca(CaRole::Kubernetes).unwrap();
        assert_ne!(new.certificate(), old.certificate());
        let loaded = layout.load().unwrap();
        for c in &loaded.certificates {
            let role = signing_role(&loaded, c.name.ca_role());
            let ca = &loaded.cas[&role];
            ca.verify_issued(&c.certificate, t0)
                .unwrap_or_else(|e| panic!("{}: {e}", c.name));
            assert!(old.verify_issued(&c.certificate, t0).is_err() || role != CaRole::Kubernetes);
        }
        for k in &loaded.kubeconfigs {
            let cert = k.kubeconfig.client_certificate().unwrap().unwrap();
            new.verify_issued(&cert, t0)
                .unwrap_or_else(|e| panic!("{}: {e}", k.name));
        }
        let status = layout.rotation_status(t0).unwrap();
        assert!(status.from_old_ca.is_empty(), "{status:?}");
        assert!(!status.trusting_old_ca.is_empty());
        assert!(layout.rotate_reissue(t0).unwrap().already_done);
        assert!(layout.rotate_start(&[], t0).is_err());

        let r = layout.rotate_finish().unwrap();
        assert_eq!(r.phase, RotationPhase::Finished);
        for f in ["ca.crt", "etcd/ca.crt", "front-proxy-ca.crt"] {
            assert_eq!(pems_in(&pki.join(f), "CERTIFICATE"), 1, "{f}");
        }
        assert_eq!(pems_in(&pki.join("sa.pub"), "PUBLIC KEY"), 1);
        assert!(!pki.join("rotation/ca.key").exists());
        let loaded = layout.load().unwrap();
        for k in &loaded.kubeconfigs {
            let data = k.kubeconfig.clusters[0]
                .certificate_authority_data
                .clone()
                .unwrap();
            let certs = Certificate::chain_from_pem(std::str::from_utf8(&data).unwrap()).unwrap();
            assert_eq!(
                certs,
                std::slice::from_ref(new.certificate()),
                "{}",
                k.path.display()
            );
        }
        assert!(layout.rotate_finish().unwrap().already_done);
        assert_eq!(
            layout.rotation_status(t0).unwrap().phase,
            Some(RotationPhase::Finished)
        );
        let bundle = cluster_trust_bundle(
            "kpki-kubernetes-ca",
            &layout.trust_set(CaRole::Kubernetes).unwrap(),
        )
        .unwrap();
        assert!(
            bundle
                .starts_with("apiVersion: certificates.k8s.io/v1beta1\nkind: ClusterTrustBundle\n"),
            "{bundle}"
        );
        // No journal or temporary file is left.
        let mut stray = Vec::new();
        for d in [
            dir.path().to_path_buf(),
            pki.clone(),
            pki.join("etcd"),
            pki.join("rotation"),
        ] {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if n.starts_with(".kpki") || n.contains(".kpki-") {
                    stray.push(n);
                }
            }
        }
        assert!(stray.is_empty(), "{stray:?}");
    }
}

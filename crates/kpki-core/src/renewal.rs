//! Renewing a kubeadm directory in place (`kpki certs renew`): leaves and kubeconfig
//! client certificates re-issued by their CA, only what is due when asked
//! ([`RenewOptions::within`]), the SANs a cluster's configuration asks for applied
//! ([`RenewOptions::cluster`], kubeadm#1447), and a CA renewed with its own key.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use zeroize::Zeroizing;

use crate::ca::{CertificateAuthority, DEFAULT_CA_VALIDITY, LeafRequest};
use crate::certificate::Certificate;
use crate::certificate_name::CertificateName;
use crate::cluster::ClusterSpec;
use crate::error::{
    CaKeyNeeded, Error, KubeconfigProblem, Origin, RenewProblem, Result, SpecProblem,
};
use crate::files::{MODE_PUBLIC, MODE_SECRET, commit};
use crate::kubeconfig::Kubeconfig;
use crate::layout::{KubeadmLayout, LoadedPki};
use crate::names::CaRole;
use crate::renew::{KeyChoice, renewal_request};
use crate::san::SubjectAltName;

/// What to renew: every certificate found, or these.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RenewTargets {
    /// Every leaf certificate and kubeconfig found (`kubeadm certs renew all`; CAs are
    /// renewed only by name).
    All,
    /// These, by the names `check-expiration` prints (`apiserver`, `etcd-server` or
    /// `etcd/server`, `admin.conf`, `nodes/w1`) or a CA's (`ca`, `etcd-ca`,
    /// `front-proxy-ca`); each must be found in the directory.
    Named(Vec<String>),
}

impl RenewTargets {
    /// From the names a person types: `all` alone, or names.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<RenewTargets> {
        if names.iter().any(|n| n.as_ref() == "all") {
            if names.len() > 1 {
                return Err(Error::InvalidSpec {
                    problem: SpecProblem::AllWithNames,
                });
            }
            return Ok(RenewTargets::All);
        }
        Ok(RenewTargets::Named(
            names.iter().map(|n| n.as_ref().to_owned()).collect(),
        ))
    }

    /// These certificates.
    pub fn of(names: &[CertificateName]) -> RenewTargets {
        RenewTargets::Named(names.iter().map(ToString::to_string).collect())
    }
}

/// How [`KubeadmLayout::renew`] renews.
#[derive(Clone, Debug, Default)]
pub struct RenewOptions {
    /// Keep each key pair (kubeadm's way, the default) or replace it.
    pub key: KeyChoice,
    /// Validity of what is renewed; by default the cluster's (`cluster`) or kubeadm's:
    /// 365 days for a leaf, 10 years for a CA.
    pub validity: Option<Duration>,
    /// Renew only what expires within this window of `now` (or has expired), so the
    /// renewal is safe to run daily; the rest is reported as skipped. A certificate
    /// whose SANs differ from `cluster`'s is renewed whatever its expiry.
    pub within: Option<Duration>,
    /// The cluster as its configuration now describes it (a kubeadm file through
    /// [`crate::ClusterSpecBuilder`]): renewed certificates get the SANs it computes —
    /// new `certSANs`, a changed endpoint or service CIDR — instead of their old ones.
    pub cluster: Option<ClusterSpec>,
}

/// Why a certificate was renewed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RenewReason {
    /// It was asked for, with no `within` window.
    Asked,
    /// It expires within the `within` window.
    Due,
    /// Its SANs differ from the cluster configuration's.
    Drift,
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
    /// Why it was renewed.
    pub reason: RenewReason,
    /// SANs the new certificate has and the old one had not (drift from the config).
    pub added_sans: Vec<SubjectAltName>,
    /// SANs the old certificate had and the new one has not.
    pub removed_sans: Vec<SubjectAltName>,
}

/// A CA renewed with its own key by [`KubeadmLayout::renew`].
#[derive(Clone, Debug)]
pub struct RenewedCa {
    /// Its role.
    pub role: CaRole,
    /// The `.crt` rewritten.
    pub path: PathBuf,
    /// The new CA certificate.
    pub certificate: Certificate,
    /// The kubeconfigs whose `certificate-authority-data` now holds it instead.
    pub kubeconfigs: Vec<PathBuf>,
}

/// A certificate [`KubeadmLayout::renew`] left as it was: not due within the window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedCertificate {
    /// kubeadm's name (`apiserver`, `etcd-server`, `ca`).
    pub name: String,
    /// The file.
    pub path: PathBuf,
    /// Its end of validity.
    pub not_after: SystemTime,
}

/// What [`KubeadmLayout::renew`] did.
#[derive(Clone, Debug, Default)]
pub struct RenewReport {
    /// CAs renewed with their own keys.
    pub authorities: Vec<RenewedCa>,
    /// Leaves renewed.
    pub renewed: Vec<RenewedCertificate>,
    /// Left alone: not due.
    pub skipped: Vec<SkippedCertificate>,
}

/// What one renewal target is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    Leaf(CertificateName),
    Ca(CaRole),
}

/// The names `targets` asks for, each once, checked against what `loaded` holds.
fn resolve_targets(
    targets: &RenewTargets,
    loaded: &LoadedPki,
    root: &std::path::Path,
) -> Result<Vec<Target>> {
    let found = loaded.names();
    let names = match targets {
        RenewTargets::All => return Ok(found.into_iter().map(Target::Leaf).collect()),
        RenewTargets::Named(names) => names,
    };
    let mut unique: Vec<Target> = Vec::with_capacity(names.len());
    for text in names {
        let ca = CaRole::ALL
            .into_iter()
            .find(|r| r.kubeadm_name() == text || r.file_stem() == text)
            .filter(|r| loaded.cas.contains_key(r));
        let target = match ca {
            Some(role) => Target::Ca(role),
            None => text
                .parse::<CertificateName>()
                .ok()
                .filter(|n| found.contains(n))
                .map(Target::Leaf)
                .ok_or_else(|| Error::NoSuchCertificate {
                    name: text.clone(),
                    dir: root.to_path_buf(),
                    available: found
                        .iter()
                        .map(ToString::to_string)
                        .chain(loaded.cas.keys().map(|r| r.kubeadm_name().to_owned()))
                        .collect(),
                })?,
        };
        if !unique.contains(&target) {
            unique.push(target);
        }
    }
    Ok(unique)
}

/// Whether `not_after` falls within `within` of `now` (always, without a window).
fn due(not_after: SystemTime, within: Option<Duration>, now: SystemTime) -> bool {
    within.is_none_or(|w| now.checked_add(w).is_none_or(|limit| not_after < limit))
}

/// The SANs of a certificate, as names.
fn sans_of(cert: &Certificate) -> Result<Vec<SubjectAltName>> {
    let info = cert.info()?;
    let mut sans = Vec::new();
    for dns in &info.dns_names {
        sans.push(dns.parse()?);
    }
    sans.extend(info.ip_addresses.iter().copied().map(SubjectAltName::Ip));
    Ok(sans)
}

/// Refuses a cluster configuration that names another node than the directory's
/// certificates do (the node name is what etcd's and the kubelet's certificates carry):
/// its SANs would be another node's.
fn check_same_node(cluster: &ClusterSpec, loaded: &LoadedPki) -> Result<()> {
    let node_bound = [
        CertificateName::EtcdServer,
        CertificateName::EtcdPeer,
        CertificateName::Kubelet,
    ];
    for (name, req) in cluster.plan() {
        if !node_bound.contains(name) {
            continue;
        }
        let existing = match loaded.certificates.iter().find(|c| &c.name == name) {
            Some(c) => Some(c.certificate.clone()),
            None => match loaded.kubeconfigs.iter().find(|k| &k.name == name) {
                Some(k) => k.kubeconfig.client_certificate()?,
                None => None,
            },
        };
        let Some(existing) = existing else { continue };
        let cn = existing.info()?.subject_common_name.unwrap_or_default();
        if cn != req.identity.common_name() {
            return Err(Error::CannotRenew {
                what: name.to_string(),
                problem: RenewProblem::OtherNode {
                    config: req.identity.common_name().to_owned(),
                    certificate: cn,
                },
            });
        }
    }
    Ok(())
}

impl KubeadmLayout {
    /// `name` cannot be renewed here: `ca` (of `role`) has no key in the directory.
    fn no_ca_key(&self, ca: &CertificateAuthority, role: CaRole, name: String) -> Error {
        Error::CaKeyUnavailable {
            ca: ca.common_name().to_owned(),
            needed: CaKeyNeeded::Renew {
                name,
                role,
                key_path: self.ca_paths(role).1,
            },
        }
    }

    /// Renews certificates in place, as `kubeadm certs renew` does, and what kubeadm
    /// does not: each leaf keeps its subject and usages and is re-issued by the CA of
    /// its role found in this directory, with the key kept or rotated as
    /// [`RenewOptions::key`] says; kubeconfigs get their embedded credentials replaced
    /// and keep every other field. With [`RenewOptions::within`] only what is due is
    /// renewed; with [`RenewOptions::cluster`] the SANs follow the configuration. A CA
    /// named in `targets` (`ca`, `etcd-ca`, `front-proxy-ca`) is renewed with its own
    /// key — what it issued still verifies — and every kubeconfig that embedded it
    /// gets the new certificate; leaves renewed in the same call come from it.
    ///
    /// All or nothing: everything is renewed in memory first; then the files change in
    /// one journaled commit (`files::commit`), so even a crash (SIGKILL, power loss)
    /// leaves either every file renewed or none, once the next kpki call has replayed
    /// the journal. A directory with nothing to renew, and a name not found in it, are
    /// errors; nothing due is not.
    pub fn renew(
        &self,
        targets: &RenewTargets,
        options: &RenewOptions,
        now: SystemTime,
    ) -> Result<RenewReport> {
        let loaded = self.load()?;
        let targets = resolve_targets(targets, &loaded, &self.root)?;
        if targets.is_empty() {
            return Err(Error::EmptyDirectory {
                path: self.root.clone(),
            });
        }
        if let Some(cluster) = &options.cluster {
            check_same_node(cluster, &loaded)?;
        }
        let plan: BTreeMap<&CertificateName, &LeafRequest> = options
            .cluster
            .iter()
            .flat_map(|c| c.plan().iter().map(|(n, r)| (n, r)))
            .collect();
        let leaf_validity = options
            .validity
            .or_else(|| options.cluster.as_ref().map(ClusterSpec::leaf_validity));
        let ca_validity = options.validity.or_else(|| {
            Some(
                options
                    .cluster
                    .as_ref()
                    .map_or(DEFAULT_CA_VALIDITY, ClusterSpec::ca_validity),
            )
        });

        let mut report = RenewReport::default();
        let mut cas = loaded.cas.clone();
        let mut kubeconfigs: BTreeMap<PathBuf, Kubeconfig> = loaded
            .kubeconfigs
            .iter()
            .map(|k| (k.path.clone(), k.kubeconfig.clone()))
            .collect();
        let mut edited: Vec<PathBuf> = Vec::new();
        let mut files: Vec<(PathBuf, Zeroizing<Vec<u8>>, u32)> = Vec::new();

        // CAs first: what is renewed after them is issued by the renewed CA.
        for role in targets.iter().filter_map(|t| match t {
            Target::Ca(r) => Some(*r),
            Target::Leaf(_) => None,
        }) {
            let Some(old) = cas.get(&role).cloned() else {
                return Err(Error::internal("a resolved CA target is loaded"));
            };
            let path = self.ca_paths(role).0;
            let not_after = old.certificate().info()?.not_after;
            if !due(not_after, options.within, now) {
                report.skipped.push(SkippedCertificate {
                    name: role.kubeadm_name().to_owned(),
                    path,
                    not_after,
                });
                continue;
            }
            if !old.can_issue() {
                return Err(self.no_ca_key(&old, role, role.kubeadm_name().to_owned()));
            }
            let renewed = old.renew_self(ca_validity, now)?;
            let mut holders = Vec::new();
            for (file, kubeconfig) in &mut kubeconfigs {
                let changed = kubeconfig.edit_trust_bundles(|bundle| {
                    bundle
                        .into_iter()
                        .map(|c| match &c == old.certificate() {
                            true => renewed.certificate().clone(),
                            false => c,
                        })
                        .collect()
                })?;
                if changed {
                    holders.push(file.clone());
                }
            }
            edited.extend(holders.iter().cloned());
            files.push((
                path.clone(),
                Zeroizing::new(renewed.certificate().to_pem().into_bytes()),
                MODE_PUBLIC,
            ));
            report.authorities.push(RenewedCa {
                role,
                path,
                certificate: renewed.certificate().clone(),
                kubeconfigs: holders,
            });
            cas.insert(role, renewed);
        }

        for name in targets.iter().filter_map(|t| match t {
            Target::Leaf(n) => Some(n),
            Target::Ca(_) => None,
        }) {
            let role = name.ca_role();
            // The CA that issued it: its role's own, or — where roles share a CA (the
            // client and kubelet CAs are the cluster CA unless configured apart) — the
            // CA in this directory whose subject is the certificate's issuer.
            let issuer_of = |cert: &Certificate| -> Result<&CertificateAuthority> {
                let issuer = cert.info()?.issuer_der;
                let own = cas.get(&role).map(|c| (role, c)).into_iter();
                let others = cas
                    .iter()
                    .filter(|(r, _)| **r != role)
                    .map(|(r, c)| (*r, c));
                for (r, ca) in own.chain(others) {
                    if ca.certificate().info()?.subject_der == issuer {
                        if !ca.can_issue() {
                            return Err(self.no_ca_key(ca, r, name.kubeadm_name()));
                        }
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
            let pair = loaded.certificates.iter().find(|c| &c.name == name);
            let kc = loaded.kubeconfigs.iter().find(|k| &k.name == name);
            let (old, path) = match (pair, kc) {
                (Some(p), _) => (p.certificate.clone(), p.path.clone()),
                (None, Some(k)) => {
                    let cert = k.kubeconfig.client_certificate()?.ok_or_else(|| {
                        Error::InvalidKubeconfig {
                            what: Origin::File(k.path.clone()),
                            problem: KubeconfigProblem::NoClientCertificate,
                        }
                    })?;
                    (cert, k.path.clone())
                }
                (None, None) => return Err(Error::internal("a found name has a file")),
            };
            let old_sans = sans_of(&old)?;
            let mut req = renewal_request(&old, leaf_validity)?;
            let (mut added, mut removed) = (Vec::new(), Vec::new());
            if let Some(planned) = plan.get(name) {
                let new_sans: Vec<SubjectAltName> = planned.sans.iter().collect();
                added = new_sans
                    .iter()
                    .filter(|s| !old_sans.contains(s))
                    .cloned()
                    .collect();
                removed = old_sans
                    .iter()
                    .filter(|s| !new_sans.contains(s))
                    .cloned()
                    .collect();
                if !added.is_empty() || !removed.is_empty() {
                    req.sans = planned.sans.clone();
                }
            }
            let not_after = old.info()?.not_after;
            let reason = match (added.is_empty() && removed.is_empty(), options.within) {
                (false, _) => RenewReason::Drift,
                (true, None) => RenewReason::Asked,
                (true, Some(_)) if due(not_after, options.within, now) => RenewReason::Due,
                (true, Some(_)) => {
                    report.skipped.push(SkippedCertificate {
                        name: name.kubeadm_name(),
                        path,
                        not_after,
                    });
                    continue;
                }
            };
            let r = issuer_of(&old)?.renew_as(&old, req, options.key, now)?;
            if let Some(p) = pair {
                files.push((
                    p.path.clone(),
                    Zeroizing::new(r.certificate.to_pem().into_bytes()),
                    MODE_PUBLIC,
                ));
                if let (Some(new_key), Some((_, key_path))) =
                    (&r.new_key, self.certificate_paths(name))
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
                            what: Origin::File(k.path.clone()),
                            problem: KubeconfigProblem::NoClientKey,
                        }
                    })?,
                };
                let Some(kubeconfig) = kubeconfigs.get_mut(&k.path) else {
                    return Err(Error::internal("a loaded kubeconfig is in the edit set"));
                };
                kubeconfig.set_client_credentials(&r.certificate, &private)?;
                edited.push(k.path.clone());
            }
            report.renewed.push(RenewedCertificate {
                name: name.clone(),
                path,
                key_rotated: r.new_key.is_some(),
                certificate: r.certificate,
                reason,
                added_sans: added,
                removed_sans: removed,
            });
        }
        edited.sort();
        edited.dedup();
        for path in edited {
            if let Some(kubeconfig) = kubeconfigs.get(&path) {
                let yaml = kubeconfig.to_yaml()?;
                files.push((path, Zeroizing::new(yaml.as_bytes().to_vec()), MODE_SECRET));
            }
        }
        commit(&self.root, &files, &[])?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::NodeName;
    use crate::key::PrivateKey;
    use crate::names::KeyAlgorithm;
    use crate::san::SubjectAltNames;
    use kpki_testkit::TempDir;
    use std::fs;
    use std::os::unix::fs::PermissionsExt as _;
    use std::path::Path;

    fn keys(key: KeyChoice) -> RenewOptions {
        RenewOptions {
            key,
            ..RenewOptions::default()
        }
    }

    const DAY: Duration = Duration::from_secs(86_400);

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

    #[test]
    fn renews_every_certificate_keeping_keys_and_subjects() {
        let dir = TempDir::new("renew-all");
        let dir = dir.path();
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        init(dir, t0);
        let layout = KubeadmLayout::new(dir);
        let before = layout.load().unwrap();
        let key_before = fs::read(dir.join("pki/apiserver.key")).unwrap();
        let t1 = t0 + Duration::from_secs(200 * 24 * 3600);
        let renewed = layout
            .renew(&RenewTargets::All, &RenewOptions::default(), t1)
            .unwrap();
        assert_eq!(renewed.renewed.len(), before.names().len());
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
    }

    #[test]
    fn rotating_replaces_the_key_file_with_mode_0600() {
        let dir = TempDir::new("renew-rotate");
        let dir = dir.path();
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        init(dir, t0);
        let layout = KubeadmLayout::new(dir);
        let key_before = fs::read(dir.join("pki/apiserver.key")).unwrap();
        let r = layout
            .renew(
                &RenewTargets::of(&[CertificateName::ApiServer]),
                &keys(KeyChoice::Rotate),
                t0,
            )
            .unwrap();
        assert_eq!(r.renewed.len(), 1);
        assert!(r.renewed[0].key_rotated);
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
    }

    #[test]
    fn nothing_changes_when_one_name_is_missing_or_its_ca_is_external() {
        let dir = TempDir::new("renew-missing");
        let dir = dir.path();
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        init(dir, t0);
        let layout = KubeadmLayout::new(dir);
        let before = fs::read(dir.join("pki/apiserver.crt")).unwrap();
        let err = layout
            .renew(
                &RenewTargets::of(&[CertificateName::ApiServer, CertificateName::KubeProxy]),
                &keys(KeyChoice::Keep),
                t0,
            )
            .unwrap_err();
        assert!(matches!(err, Error::NoSuchCertificate { .. }), "{err}");
        assert!(err.to_string().contains("etcd/server"), "{err}");
        let err = layout
            .renew(
                &RenewTargets::parse(&["apiserver.crt"]).unwrap(),
                &keys(KeyChoice::Keep),
                t0,
            )
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("no certificate named \"apiserver.crt\""),
            "{err}"
        );
        assert_eq!(fs::read(dir.join("pki/apiserver.crt")).unwrap(), before);

        fs::remove_file(dir.join("pki/etcd/ca.key")).unwrap();
        let err = layout
            .renew(
                &RenewTargets::of(&[CertificateName::EtcdServer]),
                &keys(KeyChoice::Keep),
                t0,
            )
            .unwrap_err();
        assert!(matches!(err, Error::CaKeyUnavailable { .. }), "{err}");
    }

    #[test]
    fn a_missing_or_empty_directory_is_an_error_not_nothing_to_do() {
        let dir = TempDir::new("renew-empty");
        let now = SystemTime::now();
        let err = KubeadmLayout::new(dir.path())
            .renew(&RenewTargets::All, &RenewOptions::default(), now)
            .unwrap_err();
        assert!(matches!(err, Error::EmptyDirectory { .. }), "{err}");
        let missing = dir.path().join("nope");
        let err = KubeadmLayout::new(&missing)
            .renew(&RenewTargets::All, &RenewOptions::default(), now)
            .unwrap_err();
        assert!(matches!(err, Error::MissingFile { .. }), "{err}");
        assert!(err.to_string().contains("does not exist"), "{err}");
        assert!(KubeadmLayout::new(&missing).check_expiration(now).is_err());
    }

    #[test]
    fn renew_targets_parse_all_or_names() {
        assert_eq!(RenewTargets::parse(&["all"]).unwrap(), RenewTargets::All);
        assert_eq!(
            RenewTargets::parse(&["apiserver", "admin.conf"]).unwrap(),
            RenewTargets::of(&[CertificateName::ApiServer, CertificateName::Admin])
        );
        assert!(RenewTargets::parse(&["all", "apiserver"]).is_err());
    }

    #[test]
    fn within_renews_only_what_is_due_and_reports_the_rest() {
        let dir = TempDir::new("renew-within");
        let dir = dir.path();
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        init(dir, t0);
        let layout = KubeadmLayout::new(dir);
        // apiserver renewed on day 200: at day 340, the others are due within 30 days,
        // apiserver is not.
        let first = layout
            .renew(
                &RenewTargets::of(&[CertificateName::ApiServer]),
                &RenewOptions::default(),
                t0 + 200 * DAY,
            )
            .unwrap();
        assert_eq!(first.renewed[0].reason, RenewReason::Asked);
        let before = fs::read(dir.join("pki/apiserver.crt")).unwrap();
        let opts = RenewOptions {
            within: Some(30 * DAY),
            ..RenewOptions::default()
        };
        let r = layout
            .renew(&RenewTargets::All, &opts, t0 + 340 * DAY)
            .unwrap();
        let skipped: Vec<&str> = r.skipped.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(skipped, ["apiserver"]);
        assert!(r.renewed.iter().all(|c| c.reason == RenewReason::Due));
        assert_eq!(r.renewed.len(), layout.load().unwrap().names().len() - 1);
        assert_eq!(fs::read(dir.join("pki/apiserver.crt")).unwrap(), before);
        // Run again the same day: nothing is due, and that is not an error.
        let again = layout
            .renew(&RenewTargets::All, &opts, t0 + 340 * DAY)
            .unwrap();
        assert!(again.renewed.is_empty() && !again.skipped.is_empty());
    }

    #[test]
    fn a_cluster_configuration_adds_sans_and_names_what_changed() {
        let dir = TempDir::new("renew-drift");
        let dir = dir.path();
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        init(dir, t0);
        let layout = KubeadmLayout::new(dir);
        let node = NodeName::new("node01").unwrap();
        let cluster = ClusterSpec::builder(node, "10.0.0.10".parse().unwrap())
            .key_algorithm(KeyAlgorithm::EcdsaP256)
            .apiserver_extra_sans(SubjectAltNames::parse(["api.example.com"]).unwrap())
            .service_subnets(
                crate::san::parse_cidrs(
                    "10.96.0.0/12,fd00:10:96::/112",
                    crate::error::NetworkField::ServiceCidr,
                )
                .unwrap(),
            )
            .build()
            .unwrap();
        let opts = RenewOptions {
            within: Some(DAY),
            cluster: Some(cluster),
            ..RenewOptions::default()
        };
        let r = layout.renew(&RenewTargets::All, &opts, t0 + DAY).unwrap();
        // Nothing is due within a day; only the API server's SANs drifted.
        let renewed: Vec<&CertificateName> = r.renewed.iter().map(|c| &c.name).collect();
        assert_eq!(renewed, [&CertificateName::ApiServer]);
        let c = &r.renewed[0];
        assert_eq!(c.reason, RenewReason::Drift);
        let added: Vec<String> = c.added_sans.iter().map(ToString::to_string).collect();
        assert_eq!(added, ["DNS:api.example.com", "IP:fd00:10:96::1"]);
        assert!(c.removed_sans.is_empty());
        let info = c.certificate.info().unwrap();
        assert!(info.dns_names.contains(&"api.example.com".to_owned()));
        assert!(
            info.ip_addresses
                .contains(&"fd00:10:96::1".parse().unwrap())
        );

        // A configuration for another node is refused, naming both names.
        let other = ClusterSpec::builder(
            NodeName::new("node09").unwrap(),
            "10.0.0.10".parse().unwrap(),
        )
        .build()
        .unwrap();
        let opts = RenewOptions {
            cluster: Some(other),
            ..RenewOptions::default()
        };
        let err = layout.renew(&RenewTargets::All, &opts, t0).unwrap_err();
        assert!(
            err.to_string().contains("\"node09\"") && err.to_string().contains("\"node01\""),
            "{err}"
        );
    }

    #[test]
    fn a_ca_renewed_with_its_key_keeps_old_leaves_valid_and_updates_kubeconfigs() {
        let dir = TempDir::new("renew-ca");
        let dir = dir.path();
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        init(dir, t0);
        let layout = KubeadmLayout::new(dir);
        let old_leaf = layout.load().unwrap().certificates[0].certificate.clone();
        let t1 = t0 + 3000 * DAY;
        let r = layout
            .renew(
                &RenewTargets::parse(&["ca", "apiserver"]).unwrap(),
                &RenewOptions::default(),
                t1,
            )
            .unwrap();
        assert_eq!(r.authorities.len(), 1);
        let ca = &r.authorities[0];
        assert_eq!(ca.role, CaRole::Kubernetes);
        assert!(ca.kubeconfigs.iter().any(|p| p.ends_with("admin.conf")));
        let loaded = layout.load().unwrap();
        let new_ca = &loaded.cas[&CaRole::Kubernetes];
        assert_eq!(new_ca.certificate(), &ca.certificate);
        assert!(ca.certificate.info().unwrap().not_after > t1 + 3000 * DAY);
        // The apiserver certificate issued before still verifies under the renewed CA.
        new_ca.verify_issued(&old_leaf, t0 + DAY).unwrap();
        for k in &loaded.kubeconfigs {
            let bundle = k.kubeconfig.clusters[0]
                .certificate_authority_data
                .clone()
                .unwrap();
            let certs = Certificate::chain_from_pem(std::str::from_utf8(&bundle).unwrap()).unwrap();
            assert_eq!(
                certs,
                std::slice::from_ref(&ca.certificate),
                "{}",
                k.path.display()
            );
        }
        // An external CA (no key) cannot be renewed.
        fs::remove_file(dir.join("pki/front-proxy-ca.key")).unwrap();
        let err = layout
            .renew(
                &RenewTargets::parse(&["front-proxy-ca"]).unwrap(),
                &RenewOptions::default(),
                t1,
            )
            .unwrap_err();
        assert!(matches!(err, Error::CaKeyUnavailable { .. }), "{err}");
    }
}

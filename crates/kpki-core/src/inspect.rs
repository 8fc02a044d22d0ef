//! Inspection: what a directory holds and when it expires (`kubeadm certs
//! check-expiration`).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crate::certificate::Certificate;
use crate::certificate_name::CertificateName;
use crate::duration::{human_duration, human_time};
use crate::error::Result;
use crate::layout::{KubeadmLayout, LoadedPki};
use crate::names::CaRole;

/// One line of an expiry report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpiryEntry {
    /// What it is (`apiserver`, `admin.conf`, `ca`).
    pub name: String,
    /// Where it is.
    pub path: PathBuf,
    /// Subject, as `O=..., CN=...`.
    pub subject: String,
    /// Issuer CN.
    pub issuer: String,
    /// End of validity.
    pub not_after: SystemTime,
    /// Time left (`None` once expired).
    pub residual: Option<Duration>,
    /// The CA role that signs it (for leaves).
    pub ca: Option<CaRole>,
    /// Whether its CA's key is absent (kubeadm's "externally managed").
    pub externally_managed: bool,
}

/// Every leaf (including client certificates embedded in kubeconfigs, except
/// kubelet.conf whose kubelet rotates its own) and every CA, with expiry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExpiryReport {
    /// Leaves.
    pub certificates: Vec<ExpiryEntry>,
    /// CAs.
    pub authorities: Vec<ExpiryEntry>,
}

fn subject_line(c: &Certificate) -> Result<(String, String, SystemTime)> {
    let info = c.info()?;
    Ok((
        info.subject_line(),
        info.issuer_common_name.unwrap_or_default(),
        info.not_after,
    ))
}

impl ExpiryReport {
    /// The report for what [`crate::layout::KubeadmLayout::load`] found, at `now`.
    pub fn from_loaded(loaded: &LoadedPki, now: SystemTime) -> Result<ExpiryReport> {
        let mut report = ExpiryReport::default();
        // The client and kubelet roles share the cluster CA unless a directory has a
        // separate client-ca / kubelet-ca (kubeadm never writes one).
        let external = |role: CaRole| {
            let ca = loaded.cas.get(&role).or_else(|| match role {
                CaRole::Client | CaRole::Kubelet => loaded.cas.get(&CaRole::Kubernetes),
                _ => None,
            });
            ca.is_some_and(|ca| !ca.can_issue())
        };
        let entry = |name: String,
                     path: PathBuf,
                     cert: &Certificate,
                     ca: Option<CaRole>|
         -> Result<ExpiryEntry> {
            let (subject, issuer, not_after) = subject_line(cert)?;
            Ok(ExpiryEntry {
                name,
                path,
                subject,
                issuer,
                not_after,
                residual: not_after.duration_since(now).ok(),
                ca,
                externally_managed: ca.is_some_and(external),
            })
        };
        for c in &loaded.certificates {
            report.certificates.push(entry(
                c.name.to_string(),
                c.path.clone(),
                &c.certificate,
                Some(c.name.ca_role()),
            )?);
        }
        for k in &loaded.kubeconfigs {
            if k.name == CertificateName::Kubelet
                || matches!(k.name, CertificateName::WorkerKubeletClient(_))
            {
                continue;
            }
            if let Some(cert) = k.kubeconfig.client_certificate()? {
                report.certificates.push(entry(
                    k.name.to_string(),
                    k.path.clone(),
                    &cert,
                    Some(k.name.ca_role()),
                )?);
            }
        }
        let mut seen: Vec<&Certificate> = Vec::new();
        for (role, ca) in &loaded.cas {
            if seen.contains(&ca.certificate()) {
                continue;
            }
            seen.push(ca.certificate());
            let mut e = entry(
                role.file_stem().to_owned(),
                PathBuf::new(),
                ca.certificate(),
                None,
            )?;
            e.externally_managed = !ca.can_issue();
            report.authorities.push(e);
        }
        Ok(report)
    }

    /// The report as a table, like `kubeadm certs check-expiration`.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<28} {:<25} {:<10} {:<16} EXTERNALLY MANAGED",
            "CERTIFICATE", "EXPIRES", "RESIDUAL", "CA"
        );
        for e in &self.certificates {
            let _ = writeln!(
                out,
                "{:<28} {:<25} {:<10} {:<16} {}",
                e.name,
                human_time(e.not_after),
                e.residual.map_or_else(|| "expired".into(), human_duration),
                e.issuer,
                if e.externally_managed { "yes" } else { "no" }
            );
        }
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{:<28} {:<25} {:<10} EXTERNALLY MANAGED",
            "CERTIFICATE AUTHORITY", "EXPIRES", "RESIDUAL"
        );
        for e in &self.authorities {
            let _ = writeln!(
                out,
                "{:<28} {:<25} {:<10} {}",
                e.name,
                human_time(e.not_after),
                e.residual.map_or_else(|| "expired".into(), human_duration),
                if e.externally_managed { "yes" } else { "no" }
            );
        }
        out
    }
}
impl KubeadmLayout {
    /// The expiry report of this directory at `now` (`kubeadm certs check-expiration`).
    pub fn check_expiration(&self, now: SystemTime) -> Result<ExpiryReport> {
        ExpiryReport::from_loaded(&self.load()?, now)
    }
}

//! Inspection: what a directory holds and when it expires (`kubeadm certs
//! check-expiration`), as kubeadm's table or as its machine-readable
//! `CertificateExpirationInfo` (`output.kubeadm.k8s.io/v1alpha3`) in JSON or YAML.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::certificate::Certificate;
use crate::certificate_name::CertificateName;
use crate::duration::rfc3339;
use crate::error::{Choice, Error, Result};
use crate::files::yaml_options;
use crate::layout::{KubeadmLayout, LoadedPki};
use crate::names::CaRole;

/// kubeadm's `apiVersion` for `check-expiration` output.
pub const EXPIRATION_INFO_API_VERSION: &str = "output.kubeadm.k8s.io/v1alpha3";

/// kubeadm's `kind` for `check-expiration` output.
pub const EXPIRATION_INFO_KIND: &str = "CertificateExpirationInfo";

/// How an expiry report is printed (`kubeadm certs check-expiration -o`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ExpiryFormat {
    /// kubeadm's table (`text`, or `table`).
    #[default]
    Table,
    /// `CertificateExpirationInfo` as kubeadm's JSON printer writes it.
    Json,
    /// `CertificateExpirationInfo` as kubeadm's YAML printer writes it.
    Yaml,
}

impl FromStr for ExpiryFormat {
    type Err = Error;

    /// `table` (or kubeadm's `text`), `json`, `yaml`.
    fn from_str(s: &str) -> Result<ExpiryFormat> {
        match s {
            "table" | "text" => Ok(ExpiryFormat::Table),
            "json" => Ok(ExpiryFormat::Json),
            "yaml" => Ok(ExpiryFormat::Yaml),
            _ => Err(Error::UnknownChoice {
                field: Choice::OutputFormat,
                value: s.to_owned(),
                expected: "table (or text), json, yaml",
            }),
        }
    }
}

/// One certificate or CA of an expiry report: one element of kubeadm's
/// `certificates[]` or `certificateAuthorities[]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpiryEntry {
    /// kubeadm's name (`apiserver`, `etcd-server`, `admin.conf`, `ca`, `etcd-ca`), or
    /// kpki's for what kubeadm does not issue (`kube-proxy.conf`, `nodes/w1`).
    pub name: String,
    /// Which certificate it is (`None` for a CA).
    pub certificate: Option<CertificateName>,
    /// For a CA, its role; for a leaf, the role of the CA that signs it.
    pub role: CaRole,
    /// Where it is, or would be if missing (the `.crt`, or the kubeconfig embedding it).
    pub path: PathBuf,
    /// Subject, as `O=..., CN=...` (`None` when missing).
    pub subject: Option<String>,
    /// Issuer CN (`None` when missing).
    pub issuer: Option<String>,
    /// End of validity (`None` when missing).
    pub not_after: Option<SystemTime>,
    /// Seconds from the report's time to `not_after`, truncated toward zero: negative
    /// once expired, 0 when missing (kubeadm's `residualTime`).
    pub residual_seconds: i64,
    /// For a leaf, kubeadm's name of the CA that signs it (`ca`, `etcd-ca`,
    /// `front-proxy-ca`); `None` for a CA.
    pub ca_name: Option<String>,
    /// Whether the signing CA's key is absent (for a CA: its own key), as kubeadm's
    /// "externally managed".
    pub externally_managed: bool,
}

impl ExpiryEntry {
    /// Whether the file is absent (kubeadm's `missing`).
    pub fn missing(&self) -> bool {
        self.not_after.is_none()
    }

    /// Whether it is present and expires within `window` of the report's time (or has
    /// expired already).
    pub fn expires_within(&self, window: Duration) -> bool {
        !self.missing() && i128::from(self.residual_seconds) < i128::from(window.as_secs())
    }
}

/// What `kubeadm certs check-expiration` reports: kubeadm's certificates (each listed,
/// `missing` when absent), the client certificates of the kubeconfigs (kubelet.conf's
/// kubelet rotates its own, as in kubeadm), what kpki issues beyond kubeadm when present
/// (`kube-proxy.conf`, workers), and the CAs; each list sorted by name, as kubeadm's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpiryReport {
    /// The time the residual times count from.
    pub now: SystemTime,
    /// Leaves.
    pub certificates: Vec<ExpiryEntry>,
    /// CAs.
    pub authorities: Vec<ExpiryEntry>,
}

/// Whole seconds from `now` to `t`, truncated toward zero (Go's `int64(d / time.Second)`).
fn seconds_until(t: SystemTime, now: SystemTime) -> i64 {
    let clamp = |d: Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
    match t.duration_since(now) {
        Ok(ahead) => clamp(ahead),
        Err(behind) => -clamp(behind.duration()),
    }
}

impl ExpiryReport {
    /// The report for what [`KubeadmLayout::load`] found, at `now`.
    pub fn from_loaded(loaded: &LoadedPki, now: SystemTime) -> Result<ExpiryReport> {
        let layout = &loaded.layout;
        // The role whose CA signs for `role` in this directory: client and kubelet
        // certificates come from the cluster CA unless a client-ca / kubelet-ca exists.
        let signing_role = |role: CaRole| match role.shares_by_default() {
            Some(shared) if !loaded.cas.contains_key(&role) => shared,
            _ => role,
        };
        let external = |role: CaRole| {
            loaded
                .cas
                .get(&signing_role(role))
                .is_some_and(|ca| !ca.can_issue())
        };
        let present = |name: String,
                       certificate: Option<CertificateName>,
                       role: CaRole,
                       path: PathBuf,
                       cert: &Certificate|
         -> Result<ExpiryEntry> {
            let info = cert.info()?;
            Ok(ExpiryEntry {
                name,
                role,
                path,
                subject: Some(info.subject_line()),
                issuer: Some(info.issuer_common_name.clone().unwrap_or_default()),
                not_after: Some(info.not_after),
                residual_seconds: seconds_until(info.not_after, now),
                ca_name: certificate
                    .as_ref()
                    .map(|_| signing_role(role).kubeadm_name().to_owned()),
                externally_managed: external(role),
                certificate,
            })
        };

        let mut certificates = Vec::new();
        for c in &loaded.certificates {
            let role = c.name.ca_role();
            let name = c.name.kubeadm_name();
            let entry = present(
                name,
                Some(c.name.clone()),
                role,
                c.path.clone(),
                &c.certificate,
            );
            certificates.push(entry?);
        }
        for k in &loaded.kubeconfigs {
            if k.name == CertificateName::Kubelet
                || matches!(k.name, CertificateName::WorkerKubeletClient(_))
            {
                continue;
            }
            if let Some(cert) = k.kubeconfig.client_certificate()? {
                let role = k.name.ca_role();
                let name = k.name.kubeadm_name();
                let entry = present(name, Some(k.name.clone()), role, k.path.clone(), &cert);
                certificates.push(entry?);
            }
        }
        for name in CertificateName::KUBEADM_CHECKED {
            if certificates
                .iter()
                .any(|e| e.certificate.as_ref() == Some(&name))
            {
                continue;
            }
            let path = match (
                layout.certificate_paths(&name),
                layout.kubeconfig_path(&name),
            ) {
                (Some((crt, _)), _) => crt,
                (None, Some(conf)) => conf,
                (None, None) => continue,
            };
            let role = name.ca_role();
            certificates.push(ExpiryEntry {
                name: name.kubeadm_name(),
                role,
                path,
                subject: None,
                issuer: None,
                not_after: None,
                residual_seconds: 0,
                ca_name: Some(signing_role(role).kubeadm_name().to_owned()),
                externally_managed: false,
                certificate: Some(name),
            });
        }
        certificates.sort_by(|a, b| a.name.cmp(&b.name));

        let mut authorities = Vec::new();
        for role in CaRole::ALL {
            let path = layout.ca_paths(role).0;
            match loaded.cas.get(&role) {
                Some(ca) => {
                    let mut e = present(
                        role.kubeadm_name().into(),
                        None,
                        role,
                        path,
                        ca.certificate(),
                    )?;
                    e.externally_managed = !ca.can_issue();
                    authorities.push(e);
                }
                // kubeadm's three CAs are always listed; a separate client or kubelet
                // CA only when the directory has one.
                None if role.shares_by_default().is_none() => authorities.push(ExpiryEntry {
                    name: role.kubeadm_name().into(),
                    certificate: None,
                    role,
                    path,
                    subject: None,
                    issuer: None,
                    not_after: None,
                    residual_seconds: 0,
                    ca_name: None,
                    externally_managed: false,
                }),
                None => {}
            }
        }
        authorities.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(ExpiryReport {
            now,
            certificates,
            authorities,
        })
    }

    /// Every entry, certificates first, then CAs.
    pub fn entries(&self) -> impl Iterator<Item = &ExpiryEntry> {
        self.certificates.iter().chain(&self.authorities)
    }

    /// The present certificates and CAs that expire within `window` (or have expired),
    /// soonest first: what `kpki certs check-expiration --fail-within` fails on.
    /// Missing files are not in it (kubeadm lists `super-admin.conf` as missing on every
    /// control plane but the first); they show as `missing` in the report.
    pub fn expiring_within(&self, window: Duration) -> Vec<&ExpiryEntry> {
        let mut due: Vec<&ExpiryEntry> = self
            .entries()
            .filter(|e| e.expires_within(window))
            .collect();
        due.sort_by_key(|e| e.residual_seconds);
        due
    }

    /// The report in `format`.
    pub fn render(&self, format: ExpiryFormat) -> Result<String> {
        match format {
            ExpiryFormat::Table => Ok(self.to_table()),
            ExpiryFormat::Json => self.to_json(),
            ExpiryFormat::Yaml => self.to_yaml(),
        }
    }

    /// The report as kubeadm's `CertificateExpirationInfo` in JSON, as `kubeadm certs
    /// check-expiration -o json` prints it: the Go type's field order, four-space
    /// indent, a final newline, `expirationDate` null for a missing file.
    pub fn to_json(&self) -> Result<String> {
        let info = ExpirationInfo::from(self);
        let mut out = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
        info.serialize(&mut ser)
            .map_err(|_| Error::internal("an expiry report serializes to JSON"))?;
        let mut text =
            String::from_utf8(out).map_err(|_| Error::internal("serde_json writes UTF-8"))?;
        text.push('\n');
        Ok(text)
    }

    /// The report as kubeadm's `CertificateExpirationInfo` in YAML, as `kubeadm certs
    /// check-expiration -o yaml` prints it: keys sorted (kubeadm's YAML goes through
    /// JSON into a sorted map), dates quoted.
    pub fn to_yaml(&self) -> Result<String> {
        let info = ExpirationInfo::from(self);
        // A serde_json::Map without `preserve_order` is sorted by key.
        let sorted = serde_json::to_value(&info)
            .map_err(|_| Error::internal("an expiry report converts to a JSON value"))?;
        serde_saphyr::to_string_with_options(&sorted, yaml_options())
            .map_err(|_| Error::internal("an expiry report serializes to YAML"))
    }

    /// The report as the table `kubeadm certs check-expiration` prints, column for
    /// column (Go's tabwriter with kubeadm's settings).
    pub fn to_table(&self) -> String {
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        let mut certs = vec![vec![
            "CERTIFICATE".to_owned(),
            "EXPIRES".into(),
            "RESIDUAL TIME".into(),
            "CERTIFICATE AUTHORITY".into(),
            "EXTERNALLY MANAGED".into(),
        ]];
        for e in &self.certificates {
            certs.push(match e.not_after {
                None => vec![
                    format!("!MISSING! {}", e.name),
                    "".into(),
                    "".into(),
                    "".into(),
                    "".into(),
                ],
                Some(t) => vec![
                    e.name.clone(),
                    kubeadm_date(t),
                    short_human_duration(e.residual_seconds),
                    e.ca_name.clone().unwrap_or_default(),
                    format!("{:<8}", yes_no(e.externally_managed)),
                ],
            });
        }
        let mut cas = vec![vec![
            "CERTIFICATE AUTHORITY".to_owned(),
            "EXPIRES".into(),
            "RESIDUAL TIME".into(),
            "EXTERNALLY MANAGED".into(),
        ]];
        for e in &self.authorities {
            cas.push(match e.not_after {
                None => vec![
                    format!("!MISSING! {}", e.name),
                    "".into(),
                    "".into(),
                    "".into(),
                ],
                Some(t) => vec![
                    e.name.clone(),
                    kubeadm_date(t),
                    short_human_duration(e.residual_seconds),
                    format!("{:<8}", yes_no(e.externally_managed)),
                ],
            });
        }
        let mut out = tabulate(&certs);
        out.push('\n');
        out.push_str(&tabulate(&cas));
        out
    }
}

/// `kubeadm certs check-expiration`'s date: Go's `Jan 02, 2006 15:04 MST`, in UTC.
fn kubeadm_date(t: SystemTime) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let t = time::OffsetDateTime::from(t);
    let month = MONTHS[usize::from(u8::from(t.month())).saturating_sub(1) % 12];
    format!(
        "{month} {:02}, {:04} {:02}:{:02} UTC",
        t.day(),
        t.year(),
        t.hour(),
        t.minute()
    )
}

/// apimachinery's `duration.ShortHumanDuration`, which kubeadm's table uses: `<invalid>`
/// more than a second in the past, then s, m, h, d, and y from 365 days.
fn short_human_duration(seconds: i64) -> String {
    match seconds {
        s if s < -1 => "<invalid>".into(),
        s if s < 0 => "0s".into(),
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86400 => format!("{}h", s / 3600),
        s if s < 365 * 86400 => format!("{}d", s / 86400),
        s => format!("{}y", s / (365 * 86400)),
    }
}

/// Lines of cells as Go's `tabwriter.NewWriter(w, 10, 4, 3, ' ', 0)` lays them out when
/// every cell but the last ends in a tab: each such column as wide as its widest cell
/// plus 3, at least 10; the last cell as it is.
fn tabulate(rows: &[Vec<String>]) -> String {
    let columns = rows
        .iter()
        .map(|r| r.len().saturating_sub(1))
        .max()
        .unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|j| {
            let widest = rows
                .iter()
                .filter(|r| j + 1 < r.len())
                .filter_map(|r| r.get(j))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0);
            (widest + 3).max(10)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        for (j, cell) in row.iter().enumerate() {
            match widths.get(j) {
                Some(w) if j + 1 < row.len() => {
                    let _ = write!(out, "{cell:<w$}");
                }
                _ => out.push_str(cell),
            }
        }
        out.push('\n');
    }
    out
}

/// kubeadm's `output/v1alpha3.CertificateExpirationInfo`, field for field.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExpirationInfo {
    kind: &'static str,
    api_version: &'static str,
    certificates: Vec<ExpirationCertificate>,
    certificate_authorities: Vec<ExpirationCertificate>,
}

/// kubeadm's `output/v1alpha3.Certificate`, field for field (Go's order).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExpirationCertificate {
    name: String,
    /// metav1.Time: RFC 3339 in UTC, `null` for the zero time.
    expiration_date: Option<String>,
    residual_time: i64,
    externally_managed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    ca_name: Option<String>,
    missing: bool,
}

impl From<&ExpiryEntry> for ExpirationCertificate {
    fn from(e: &ExpiryEntry) -> ExpirationCertificate {
        ExpirationCertificate {
            name: e.name.clone(),
            expiration_date: e.not_after.map(rfc3339),
            residual_time: e.residual_seconds,
            externally_managed: e.externally_managed,
            // kubeadm fills in only the name of a missing file.
            ca_name: e.ca_name.clone().filter(|_| !e.missing()),
            missing: e.missing(),
        }
    }
}

impl From<&ExpiryReport> for ExpirationInfo {
    fn from(r: &ExpiryReport) -> ExpirationInfo {
        ExpirationInfo {
            kind: EXPIRATION_INFO_KIND,
            api_version: EXPIRATION_INFO_API_VERSION,
            certificates: r.certificates.iter().map(Into::into).collect(),
            certificate_authorities: r.authorities.iter().map(Into::into).collect(),
        }
    }
}

impl KubeadmLayout {
    /// The expiry report of this directory at `now` (`kubeadm certs check-expiration`).
    pub fn check_expiration(&self, now: SystemTime) -> Result<ExpiryReport> {
        ExpiryReport::from_loaded(&self.load()?, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residual_time_reads_as_apimachinery_short_human_duration() {
        for (s, want) in [
            (-5, "<invalid>"),
            (-1, "0s"),
            (0, "0s"),
            (59, "59s"),
            (60, "1m"),
            (3599, "59m"),
            (3600, "1h"),
            (86399, "23h"),
            (86400, "1d"),
            (364 * 86400, "364d"),
            (365 * 86400, "1y"),
            (10 * 365 * 86400 - 1, "9y"),
        ] {
            assert_eq!(short_human_duration(s), want, "{s}");
        }
    }

    #[test]
    fn seconds_until_truncates_toward_zero_both_ways() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let ahead = now + Duration::from_millis(1_999);
        let behind = now - Duration::from_millis(1_999);
        assert_eq!(seconds_until(ahead, now), 1);
        assert_eq!(seconds_until(behind, now), -1);
        assert_eq!(seconds_until(now, now), 0);
    }

    #[test]
    fn tabulate_pads_as_go_tabwriter_with_kubeadms_settings() {
        let rows = vec![
            vec!["A".to_owned(), "BB".into(), "last".into()],
            vec!["longer-name".to_owned(), "x".into(), "".into()],
        ];
        assert_eq!(
            tabulate(&rows),
            "A             BB        last\nlonger-name   x         \n"
        );
    }

    #[test]
    fn the_date_is_gos_jan_02_2006_15_04_mst_in_utc() {
        // 2026-08-19T09:03:00Z
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_787_130_180);
        assert_eq!(kubeadm_date(t), "Aug 19, 2026 09:03 UTC");
    }

    #[test]
    fn output_formats_parse_with_kubeadms_text_as_table() {
        assert_eq!("text".parse::<ExpiryFormat>().unwrap(), ExpiryFormat::Table);
        assert_eq!(
            "table".parse::<ExpiryFormat>().unwrap(),
            ExpiryFormat::Table
        );
        assert_eq!("json".parse::<ExpiryFormat>().unwrap(), ExpiryFormat::Json);
        assert_eq!("yaml".parse::<ExpiryFormat>().unwrap(), ExpiryFormat::Yaml);
        let err = "xml".parse::<ExpiryFormat>().unwrap_err();
        assert!(err.to_string().contains("json"), "{err}");
    }
}

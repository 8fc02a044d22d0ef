//! kubeadm's configuration file as input: `InitConfiguration` + `ClusterConfiguration`
//! (`kubeadm.k8s.io/v1beta3` and `v1beta4`), so a kubeadm user switches with the file
//! they already have.
//!
//! Only the fields that shape the PKI are read; unknown fields and other documents
//! (`KubeletConfiguration`, ...) are ignored. A wrong type or value is an
//! [`Error::KubeadmConfig`] naming the field.

use std::net::IpAddr;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::dns::{DnsName, NodeName};
use crate::duration::GoDuration;
use crate::error::{
    ADVERTISE_ADDRESS_FIELD, Choice, ConfigProblem, Error, NODE_NAME_FIELD, NetworkField,
    NetworkProblem, Result,
};
use crate::kubeconfig::ClusterName;
use crate::names::KeyAlgorithm;
use crate::san::{Endpoint, IpCidr, SubjectAltNames, parse_cidrs, parse_ip};

/// kubeadm's root directory: where a kubeadm configuration's absolute paths live.
pub const KUBEADM_ROOT: &str = "/etc/kubernetes";

/// Where the certificates go under the kubeadm root (kubeadm's `certificatesDir`), as
/// a relative path: `pki` by default.
///
/// The rule, the same for every door: kpki writes everything under the directory it is
/// given, which stands for kubeadm's `/etc/kubernetes`. So `certificatesDir:
/// /etc/kubernetes/pki` (kubeadm's default) is `<dir>/pki`, `/etc/kubernetes/certs` is
/// `<dir>/certs`, a relative `certs` is `<dir>/certs` too, and any other path — absolute
/// outside `/etc/kubernetes`, or one that climbs out with `..` — is refused rather than
/// written somewhere the caller did not name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CertificatesDir(PathBuf);

impl CertificatesDir {
    /// Applies the rule above to a `certificatesDir` value.
    pub fn from_kubeadm(value: &str) -> Result<CertificatesDir> {
        let refuse = || Error::KubeadmConfig {
            file: None,
            field: "certificatesDir".into(),
            problem: ConfigProblem::CertificatesDir {
                value: value.to_owned(),
            },
        };
        let path = Path::new(value.trim());
        let relative = if path.is_absolute() {
            path.strip_prefix(KUBEADM_ROOT).map_err(|_| refuse())?
        } else {
            path
        };
        let mut out = PathBuf::new();
        for c in relative.components() {
            match c {
                Component::Normal(part) => out.push(part),
                Component::CurDir => {}
                _ => return Err(refuse()),
            }
        }
        if out.as_os_str().is_empty() {
            return Err(refuse());
        }
        Ok(CertificatesDir(out))
    }

    /// The path, relative to the kubeadm root.
    pub fn as_path(&self) -> &Path {
        &self.0
    }
}

impl Default for CertificatesDir {
    /// `pki`.
    fn default() -> Self {
        CertificatesDir(PathBuf::from("pki"))
    }
}

/// The PKI-relevant settings of a kubeadm configuration file, validated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct KubeadmConfig {
    /// `nodeRegistration.name`.
    pub node_name: Option<NodeName>,
    /// `localAPIEndpoint.advertiseAddress`.
    pub advertise_address: Option<IpAddr>,
    /// `localAPIEndpoint.bindPort`.
    pub bind_port: Option<u16>,
    /// `controlPlaneEndpoint`.
    pub control_plane_endpoint: Option<Endpoint>,
    /// `networking.serviceSubnet` (comma-separated for dual-stack).
    pub service_subnets: Option<Vec<IpCidr>>,
    /// `networking.dnsDomain`.
    pub dns_domain: Option<DnsName>,
    /// `apiServer.certSANs`.
    pub apiserver_cert_sans: SubjectAltNames,
    /// `etcd.local.serverCertSANs`.
    pub etcd_server_cert_sans: SubjectAltNames,
    /// `etcd.local.peerCertSANs`.
    pub etcd_peer_cert_sans: SubjectAltNames,
    /// `clusterName`.
    pub cluster_name: Option<ClusterName>,
    /// `certificatesDir`, under the kubeadm root ([`CertificatesDir`]).
    pub certificates_dir: Option<CertificatesDir>,
    /// `encryptionAlgorithm`.
    pub key_algorithm: Option<KeyAlgorithm>,
    /// `certificateValidityPeriod` (v1beta4).
    pub leaf_validity: Option<Duration>,
    /// `caCertificateValidityPeriod` (v1beta4).
    pub ca_validity: Option<Duration>,
    /// The file it was read from ([`KubeadmConfig::load`]), named in errors about it.
    pub file: Option<PathBuf>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Doc {
    api_version: Option<String>,
    kind: Option<String>,
    node_registration: Option<NodeRegistration>,
    #[serde(rename = "localAPIEndpoint")]
    local_api_endpoint: Option<LocalApiEndpoint>,
    control_plane_endpoint: Option<String>,
    networking: Option<Networking>,
    api_server: Option<ApiServer>,
    etcd: Option<Etcd>,
    cluster_name: Option<String>,
    certificates_dir: Option<String>,
    encryption_algorithm: Option<String>,
    feature_gates: Option<FeatureGates>,
    certificate_validity_period: Option<String>,
    ca_certificate_validity_period: Option<String>,
}

/// `featureGates`: kubeadm ≤ 1.30 chose ECDSA keys with `PublicKeysECDSA: true`
/// (v1beta3 has no `encryptionAlgorithm`).
#[derive(Deserialize, Default)]
#[serde(default)]
struct FeatureGates {
    #[serde(rename = "PublicKeysECDSA")]
    public_keys_ecdsa: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct NodeRegistration {
    name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct LocalApiEndpoint {
    advertise_address: Option<String>,
    bind_port: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Networking {
    service_subnet: Option<String>,
    dns_domain: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ApiServer {
    #[serde(rename = "certSANs")]
    cert_sans: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Etcd {
    local: Option<EtcdLocal>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct EtcdLocal {
    #[serde(rename = "serverCertSANs")]
    server_cert_sans: Option<Vec<String>>,
    #[serde(rename = "peerCertSANs")]
    peer_cert_sans: Option<Vec<String>>,
}

fn field_err(field: &str, problem: ConfigProblem) -> Error {
    Error::KubeadmConfig {
        file: None,
        field: field.to_owned(),
        problem,
    }
}

/// The error of a field whose value the core's own parser refused.
fn invalid(field: &str) -> impl FnOnce(Error) -> Error + '_ {
    move |e| field_err(field, ConfigProblem::Invalid(Box::new(e)))
}

/// The key path (`localAPIEndpoint.bindPort`) of the value at 1-based `line`:`column`
/// of block-style YAML, read from indentation: the key on that line under its parents
/// (unless the position is the key itself, which then starts the faulty value, a
/// mapping, and belongs to it), or the enclosing key for a sequence item. `None` where
/// no key encloses the position (flow style at the top, a document marker).
fn key_path_at(yaml: &str, line: usize, column: usize) -> Option<String> {
    let is_key = |k: &str| {
        !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    };
    let mut stack: Vec<(usize, &str)> = Vec::new();
    for (i, text) in yaml.lines().take(line).enumerate() {
        let trimmed = text.trim_start();
        if trimmed.starts_with("---") {
            stack.clear();
            continue;
        }
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut indent = text.len() - trimmed.len();
        let mut rest = trimmed;
        // `- key: value` opens a mapping inside a sequence item, two columns in.
        while let Some(r) = rest.strip_prefix("- ") {
            indent += 2 + (r.len() - r.trim_start().len());
            rest = r.trim_start();
        }
        while stack.last().is_some_and(|(d, _)| *d >= indent) {
            stack.pop();
        }
        if let Some((key, value)) = rest.split_once(':')
            && is_key(key)
            && (value.is_empty() || value.starts_with(' '))
            && (i + 1 < line || column > indent + 1)
        {
            stack.push((indent, key));
        }
    }
    let path: Vec<&str> = stack.iter().map(|(_, k)| *k).collect();
    (!path.is_empty()).then(|| path.join("."))
}

impl KubeadmConfig {
    /// Reads a kubeadm configuration file's contents, naming `file` in errors.
    pub fn load(bytes: &[u8], file: &Path) -> Result<KubeadmConfig> {
        let in_file = |e: Error| match e {
            Error::KubeadmConfig { field, problem, .. } => Error::KubeadmConfig {
                file: Some(file.to_path_buf()),
                field,
                problem,
            },
            other => other,
        };
        let text = crate::pem::text(bytes, &crate::error::Origin::File(file.to_path_buf()))?;
        let mut config = KubeadmConfig::from_yaml(text).map_err(in_file)?;
        config.file = Some(file.to_path_buf());
        Ok(config)
    }

    /// Reads the kubeadm configuration file at `path` ([`KubeadmConfig::load`] of its
    /// contents; a file that cannot be read is an [`Error::Io`] naming it).
    pub fn read(path: &Path) -> Result<KubeadmConfig> {
        KubeadmConfig::load(&crate::files::read_file(path)?, path)
    }

    /// Reads a kubeadm configuration file (one or more YAML documents).
    pub fn from_yaml(yaml: &str) -> Result<KubeadmConfig> {
        let docs: Vec<Doc> = serde_saphyr::from_multiple(yaml).map_err(|e| {
            // serde reports a wrong type by position; name the field at that position.
            let field = e.location().and_then(|l| {
                key_path_at(
                    yaml,
                    usize::try_from(l.line()).ok()?,
                    usize::try_from(l.column()).ok()?,
                )
            });
            field_err(
                field.as_deref().unwrap_or("document"),
                ConfigProblem::Syntax {
                    detail: e.to_string(),
                },
            )
        })?;
        let mut cfg = KubeadmConfig::default();
        let mut saw_kubeadm = false;
        for doc in docs {
            let api = doc.api_version.as_deref().unwrap_or("");
            let Some(version) = api.strip_prefix("kubeadm.k8s.io/") else {
                continue;
            };
            if version != "v1beta3" && version != "v1beta4" {
                return Err(field_err(
                    "apiVersion",
                    ConfigProblem::ApiVersion {
                        value: api.to_owned(),
                    },
                ));
            }
            saw_kubeadm = true;
            match doc.kind.as_deref() {
                Some("InitConfiguration") => cfg.read_init(&doc)?,
                Some("ClusterConfiguration") => cfg.read_cluster(&doc)?,
                _ => {}
            }
        }
        if !saw_kubeadm {
            return Err(field_err("apiVersion", ConfigProblem::NoKubeadmDocument));
        }
        Ok(cfg)
    }

    fn read_init(&mut self, doc: &Doc) -> Result<()> {
        if let Some(name) = doc
            .node_registration
            .as_ref()
            .and_then(|n| n.name.as_deref())
        {
            self.node_name = Some(NodeName::new(name).map_err(invalid(NODE_NAME_FIELD))?);
        }
        if let Some(ep) = &doc.local_api_endpoint {
            if let Some(a) = ep.advertise_address.as_deref() {
                self.advertise_address = Some(
                    parse_ip(a, NetworkField::AdvertiseAddress)
                        .map_err(invalid(ADVERTISE_ADDRESS_FIELD))?,
                );
            }
            if let Some(p) = ep.bind_port {
                let port = u16::try_from(p).ok().filter(|p| *p != 0).ok_or_else(|| {
                    invalid("localAPIEndpoint.bindPort")(Error::InvalidNetwork {
                        field: NetworkField::BindPort,
                        value: p.to_string(),
                        problem: NetworkProblem::Port {
                            port: p.to_string(),
                        },
                    })
                })?;
                self.bind_port = Some(port);
            }
        }
        Ok(())
    }

    fn read_cluster(&mut self, doc: &Doc) -> Result<()> {
        if let Some(ep) = doc
            .control_plane_endpoint
            .as_deref()
            .filter(|s| !s.is_empty())
        {
            self.control_plane_endpoint =
                Some(ep.parse().map_err(invalid("controlPlaneEndpoint"))?);
        }
        if let Some(n) = &doc.networking {
            if let Some(s) = n.service_subnet.as_deref() {
                self.service_subnets = Some(
                    parse_cidrs(s, NetworkField::ServiceCidr)
                        .map_err(invalid("networking.serviceSubnet"))?,
                );
            }
            if let Some(d) = n.dns_domain.as_deref() {
                self.dns_domain = Some(DnsName::new(d).map_err(invalid("networking.dnsDomain"))?);
            }
        }
        if let Some(sans) = doc.api_server.as_ref().and_then(|a| a.cert_sans.as_ref()) {
            self.apiserver_cert_sans =
                SubjectAltNames::parse(sans).map_err(invalid("apiServer.certSANs"))?;
        }
        if let Some(local) = doc.etcd.as_ref().and_then(|e| e.local.as_ref()) {
            if let Some(s) = &local.server_cert_sans {
                self.etcd_server_cert_sans =
                    SubjectAltNames::parse(s).map_err(invalid("etcd.local.serverCertSANs"))?;
            }
            if let Some(s) = &local.peer_cert_sans {
                self.etcd_peer_cert_sans =
                    SubjectAltNames::parse(s).map_err(invalid("etcd.local.peerCertSANs"))?;
            }
        }
        if let Some(name) = &doc.cluster_name {
            self.cluster_name = Some(name.parse().map_err(invalid("clusterName"))?);
        }
        if let Some(dir) = &doc.certificates_dir {
            self.certificates_dir = Some(CertificatesDir::from_kubeadm(dir)?);
        }
        if let Some(alg) = doc.encryption_algorithm.as_deref() {
            self.key_algorithm = Some(KeyAlgorithm::from_kubeadm_name(alg).ok_or_else(|| {
                invalid("encryptionAlgorithm")(Error::UnknownChoice {
                    field: Choice::KeyAlgorithm,
                    value: alg.to_owned(),
                    expected: "RSA-2048, RSA-3072, RSA-4096, ECDSA-P256, ECDSA-P384",
                })
            })?);
        }
        if self.key_algorithm.is_none()
            && doc
                .feature_gates
                .as_ref()
                .and_then(|g| g.public_keys_ecdsa)
                .unwrap_or(false)
        {
            self.key_algorithm = Some(KeyAlgorithm::EcdsaP256);
        }
        for (field, value, slot) in [
            (
                "certificateValidityPeriod",
                &doc.certificate_validity_period,
                &mut self.leaf_validity,
            ),
            (
                "caCertificateValidityPeriod",
                &doc.ca_certificate_validity_period,
                &mut self.ca_validity,
            ),
        ] {
            if let Some(v) = value.as_deref() {
                *slot = Some(v.parse::<GoDuration>().map_err(invalid(field))?.get());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1BETA4: &str = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nlocalAPIEndpoint:\n  advertiseAddress: 10.0.0.10\n  bindPort: 6443\nnodeRegistration:\n  name: node01\n---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\ncontrolPlaneEndpoint: cp.example.internal:6443\nnetworking:\n  serviceSubnet: 10.96.0.0/12,fd00:10:96::/112\n  dnsDomain: cluster.local\napiServer:\n  certSANs: [extra.example.com, 192.0.2.7]\netcd:\n  local:\n    serverCertSANs: [etcd.example]\nencryptionAlgorithm: ECDSA-P256\ncertificateValidityPeriod: 8760h0m0s\ncaCertificateValidityPeriod: 87600h0m0s\nunknownField: ignored\n---\napiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDriver: systemd\n";

    #[test]
    fn reads_every_pki_field_of_v1beta4() {
        let cfg = KubeadmConfig::from_yaml(V1BETA4).unwrap();
        assert_eq!(cfg.node_name.as_ref().unwrap().as_str(), "node01");
        assert_eq!(cfg.service_subnets.as_ref().unwrap().len(), 2);
        assert_eq!(cfg.key_algorithm, Some(KeyAlgorithm::EcdsaP256));
        assert_eq!(cfg.leaf_validity, Some(Duration::from_secs(365 * 86400)));
        assert_eq!(cfg.ca_validity, Some(Duration::from_secs(3650 * 86400)));
        assert_eq!(cfg.etcd_server_cert_sans.len(), 1);
        assert_eq!(cfg.bind_port, Some(6443));
        assert_eq!(cfg.certificates_dir, None);
    }

    #[test]
    fn public_keys_ecdsa_feature_gate_chooses_p256_as_kubeadm_128_did() {
        let v1beta3 = "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nfeatureGates:\n  PublicKeysECDSA: true\n";
        let cfg = KubeadmConfig::from_yaml(v1beta3).unwrap();
        assert_eq!(cfg.key_algorithm, Some(KeyAlgorithm::EcdsaP256));
        let off = v1beta3.replace("true", "false");
        assert_eq!(KubeadmConfig::from_yaml(&off).unwrap().key_algorithm, None);
        // An explicit encryptionAlgorithm wins.
        let both = format!("{v1beta3}encryptionAlgorithm: RSA-3072\n");
        assert_eq!(
            KubeadmConfig::from_yaml(&both).unwrap().key_algorithm,
            Some(KeyAlgorithm::Rsa3072)
        );
    }

    #[test]
    fn wrong_value_names_the_field() {
        let bad = V1BETA4.replace("10.96.0.0/12,", "10.96.0.0/40,");
        let err = KubeadmConfig::from_yaml(&bad).unwrap_err();
        assert!(
            err.to_string().contains("networking.serviceSubnet"),
            "{err}"
        );
        let bad = V1BETA4.replace("bindPort: 6443", "bindPort: 70000");
        assert!(
            KubeadmConfig::from_yaml(&bad)
                .unwrap_err()
                .to_string()
                .contains("bindPort")
        );
        let bad = V1BETA4.replace("[extra.example.com,", "[bad_san!,");
        assert!(
            KubeadmConfig::from_yaml(&bad)
                .unwrap_err()
                .to_string()
                .contains("apiServer.certSANs")
        );
    }

    #[test]
    fn wrong_type_is_an_error_naming_the_field() {
        for (from, to, field) in [
            (
                "bindPort: 6443",
                "bindPort: [1, 2]",
                "localAPIEndpoint.bindPort",
            ),
            (
                "bindPort: 6443",
                "bindPort: not-a-port",
                "localAPIEndpoint.bindPort",
            ),
            ("name: node01", "name: {a: b}", "nodeRegistration.name"),
            ("name: node01", "name:\n    a: b", "nodeRegistration.name"),
            (
                "certSANs: [extra.example.com, 192.0.2.7]",
                "certSANs: one-string",
                "apiServer.certSANs",
            ),
        ] {
            assert!(V1BETA4.contains(from), "{from}");
            let err = KubeadmConfig::from_yaml(&V1BETA4.replace(from, to)).unwrap_err();
            assert!(
                matches!(&err, Error::KubeadmConfig { field: f, .. } if f == field),
                "{to}: {err}"
            );
        }
    }

    #[test]
    fn key_paths_follow_indentation_sequences_and_documents() {
        let y = "a: 1\n---\nb:\n  c:\n  - x\n  - d: 1\n    e: [1]\n  f: 2\n";
        assert_eq!(key_path_at(y, 1, 4).as_deref(), Some("a"));
        assert_eq!(key_path_at(y, 2, 1), None);
        assert_eq!(key_path_at(y, 5, 5).as_deref(), Some("b.c"));
        assert_eq!(key_path_at(y, 7, 8).as_deref(), Some("b.c.e"));
        assert_eq!(key_path_at(y, 8, 6).as_deref(), Some("b.f"));
        // A position on a key is the start of a mapping value: the enclosing key.
        assert_eq!(key_path_at(y, 6, 5).as_deref(), Some("b.c"));
        assert_eq!(key_path_at(y, 8, 3).as_deref(), Some("b"));
    }

    #[test]
    fn certificates_dir_is_placed_under_the_root_by_one_rule() {
        for (value, under_root) in [
            ("/etc/kubernetes/pki", "pki"),
            ("/etc/kubernetes/certs/", "certs"),
            ("pki", "pki"),
            ("./secrets/pki", "secrets/pki"),
        ] {
            let dir = CertificatesDir::from_kubeadm(value).unwrap();
            assert_eq!(dir.as_path(), Path::new(under_root), "{value}");
        }
        for bad in [
            "/srv/pki",
            "/etc/kubernetes",
            "../pki",
            "/etc/kubernetes/../x",
            "",
        ] {
            let err = CertificatesDir::from_kubeadm(bad).unwrap_err();
            assert!(
                matches!(&err, Error::KubeadmConfig { field, problem: ConfigProblem::CertificatesDir { .. }, .. } if field == "certificatesDir"),
                "{bad:?}: {err}"
            );
        }
        let cfg = KubeadmConfig::from_yaml(&V1BETA4.replace(
            "encryptionAlgorithm",
            "certificatesDir: /etc/kubernetes/pki\nencryptionAlgorithm",
        ))
        .unwrap();
        assert_eq!(cfg.certificates_dir, Some(CertificatesDir::default()));
    }

    #[test]
    fn a_wrong_value_keeps_the_core_error_as_its_cause() {
        let bad = V1BETA4.replace("10.96.0.0/12,", "10.96.0.0/40,");
        match KubeadmConfig::from_yaml(&bad).unwrap_err() {
            Error::KubeadmConfig {
                field,
                problem: ConfigProblem::Invalid(inner),
                ..
            } => {
                assert_eq!(field, "networking.serviceSubnet");
                assert!(matches!(
                    *inner,
                    Error::InvalidNetwork {
                        field: NetworkField::ServiceCidr,
                        problem: NetworkProblem::PrefixTooLong { max: 32 },
                        ..
                    }
                ));
            }
            other => panic!("{other}"),
        }
    }
}

//! kubeconfig files: the model, YAML out (as kubeadm writes it) and in.
//!
//! Credentials are embedded (`*-data`, base64 of PEM) or referenced by path. Client key
//! data is zeroized on drop and never shown by `Debug`.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::certificate::Certificate;
use crate::error::{Error, KubeconfigProblem, NameField, NameProblem, Origin, Result};
use crate::key::PrivateKey;

/// kubeadm's cluster name in kubeconfigs.
pub const DEFAULT_CLUSTER_NAME: &str = "kubernetes";

/// The name of a cluster in kubeconfigs (`clusterName`): non-empty, no control
/// characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClusterName(String);

impl ClusterName {
    /// Validates a cluster name.
    pub fn new(name: impl Into<String>) -> Result<ClusterName> {
        let name = name.into();
        let problem = if name.is_empty() {
            NameProblem::Empty
        } else if let Some(character) = name.chars().find(|c| c.is_control()) {
            NameProblem::ControlCharacter { character }
        } else {
            return Ok(ClusterName(name));
        };
        Err(Error::InvalidName {
            field: NameField::ClusterName,
            value: name,
            problem,
        })
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for ClusterName {
    /// kubeadm's `kubernetes`.
    fn default() -> Self {
        ClusterName(DEFAULT_CLUSTER_NAME.to_owned())
    }
}

impl fmt::Display for ClusterName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for ClusterName {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        ClusterName::new(s)
    }
}

/// A cluster entry.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Cluster {
    /// The entry's name (kubeadm: the cluster name, `kubernetes`).
    pub name: String,
    /// The API server URL.
    pub server: String,
    /// Embedded CA bundle (PEM bytes).
    pub certificate_authority_data: Option<Vec<u8>>,
    /// CA bundle by path.
    pub certificate_authority: Option<String>,
    /// TLS server name override.
    pub tls_server_name: Option<String>,
}

/// A user entry.
#[derive(Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct User {
    /// The entry's name (kubeadm: the certificate's CN).
    pub name: String,
    /// Embedded client certificate (PEM bytes).
    pub client_certificate_data: Option<Vec<u8>>,
    /// Embedded client key (PEM bytes; zeroized on drop).
    pub client_key_data: Option<Zeroizing<Vec<u8>>>,
    /// Client certificate by path.
    pub client_certificate: Option<String>,
    /// Client key by path.
    pub client_key: Option<String>,
    /// A bearer token (zeroized on drop).
    pub token: Option<Zeroizing<String>>,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("name", &self.name)
            .field(
                "client_certificate_data",
                &self.client_certificate_data.as_ref().map(|d| d.len()),
            )
            .field(
                "client_key_data",
                &self.client_key_data.as_ref().map(|_| "[secret]"),
            )
            .field("client_certificate", &self.client_certificate)
            .field("client_key", &self.client_key)
            .field("token", &self.token.as_ref().map(|_| "[secret]"))
            .finish()
    }
}

/// A context entry.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Context {
    /// The entry's name (kubeadm: `<user>@<cluster>`).
    pub name: String,
    /// The cluster entry it uses.
    pub cluster: String,
    /// The user entry it uses.
    pub user: String,
    /// Default namespace.
    pub namespace: Option<String>,
}

/// A kubeconfig (`apiVersion: v1`, `kind: Config`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Kubeconfig {
    /// Clusters.
    pub clusters: Vec<Cluster>,
    /// Users.
    pub users: Vec<User>,
    /// Contexts.
    pub contexts: Vec<Context>,
    /// The current context's name.
    pub current_context: String,
}

impl Cluster {
    /// A cluster entry for the API server at `server`: named `name` (kubeadm's
    /// `kubernetes` when `None`), trusting `ca_bundle` (PEM; checked to hold
    /// certificates) when given.
    pub fn new(name: Option<&str>, server: &str, ca_bundle: Option<&str>) -> Result<Cluster> {
        if let Some(pem) = ca_bundle {
            Certificate::chain_from_pem_in(pem, &Origin::input("CA bundle"))?;
        }
        Ok(Cluster {
            name: name.unwrap_or(DEFAULT_CLUSTER_NAME).to_owned(),
            server: server.to_owned(),
            certificate_authority_data: ca_bundle.map(|p| p.as_bytes().to_vec()),
            ..Cluster::default()
        })
    }
}

impl Kubeconfig {
    /// kubeadm's shape for a client certificate, checked: the key must be the
    /// certificate's, and the user is named after the certificate's CN unless
    /// `user_name` says otherwise.
    pub fn for_client(
        cluster: &Cluster,
        certificate: &Certificate,
        key: &PrivateKey,
        user_name: Option<&str>,
    ) -> Result<Kubeconfig> {
        let info = certificate.info()?;
        if !key.matches(&info.public_key) {
            return Err(Error::KeyMismatch {
                what: "kubeconfig client certificate".into(),
            });
        }
        let user = user_name.map_or_else(
            || info.subject_common_name.clone().unwrap_or_default(),
            str::to_owned,
        );
        let ca_pem = cluster
            .certificate_authority_data
            .as_deref()
            .map(String::from_utf8_lossy)
            .unwrap_or_default();
        let mut kc = Kubeconfig::with_client_certificate(
            &cluster.name,
            &cluster.server,
            &ca_pem,
            &user,
            certificate,
            key,
        );
        if let Some(c) = kc.clusters.first_mut() {
            c.certificate_authority_data = cluster.certificate_authority_data.clone();
            c.certificate_authority = cluster.certificate_authority.clone();
            c.tls_server_name = cluster.tls_server_name.clone();
        }
        Ok(kc)
    }

    /// kubeadm's shape: one cluster `cluster_name` at `server` trusting `ca_pem`, one
    /// user named after the certificate's CN with embedded certificate and key, and the
    /// context `<user>@<cluster>` selected.
    pub fn with_client_certificate(
        cluster_name: &str,
        server: &str,
        ca_pem: &str,
        user_name: &str,
        certificate: &Certificate,
        key: &PrivateKey,
    ) -> Kubeconfig {
        let context = format!("{user_name}@{cluster_name}");
        Kubeconfig {
            clusters: vec![Cluster {
                name: cluster_name.to_owned(),
                server: server.to_owned(),
                certificate_authority_data: Some(ca_pem.as_bytes().to_vec()),
                ..Cluster::default()
            }],
            users: vec![User {
                name: user_name.to_owned(),
                client_certificate_data: Some(certificate.to_pem().into_bytes()),
                client_key_data: Some(Zeroizing::new(key.to_pem().as_bytes().to_vec())),
                ..User::default()
            }],
            contexts: vec![Context {
                name: context.clone(),
                cluster: cluster_name.to_owned(),
                user: user_name.to_owned(),
                namespace: None,
            }],
            current_context: context,
        }
    }

    /// The current context's entries, if they all exist.
    pub fn current(&self) -> Option<(&Context, &Cluster, &User)> {
        let ctx = self
            .contexts
            .iter()
            .find(|c| c.name == self.current_context)?;
        let cluster = self.clusters.iter().find(|c| c.name == ctx.cluster)?;
        let user = self.users.iter().find(|u| u.name == ctx.user)?;
        Some((ctx, cluster, user))
    }

    /// The current user's embedded client certificate, if any.
    pub fn client_certificate(&self) -> Result<Option<Certificate>> {
        match self
            .current()
            .and_then(|(_, _, u)| u.client_certificate_data.as_ref())
        {
            Some(pem) => {
                let field = "client-certificate-data";
                let text = std::str::from_utf8(pem).map_err(|_| Error::InvalidKubeconfig {
                    what: Origin::input("kubeconfig"),
                    problem: KubeconfigProblem::NotPemText { field },
                })?;
                Certificate::load(
                    text.as_bytes(),
                    Origin::input(format!("kubeconfig {field}")),
                )
                .map(Some)
            }
            None => Ok(None),
        }
    }

    /// The current user's embedded client key, if any.
    pub fn client_key(&self) -> Result<Option<PrivateKey>> {
        match self
            .current()
            .and_then(|(_, _, u)| u.client_key_data.as_ref())
        {
            Some(pem) => {
                let field = "client-key-data";
                let text = std::str::from_utf8(pem).map_err(|_| Error::InvalidKubeconfig {
                    what: Origin::input("kubeconfig"),
                    problem: KubeconfigProblem::NotPemText { field },
                })?;
                PrivateKey::from_pem_in(text, &Origin::input(format!("kubeconfig {field}")))
                    .map(Some)
            }
            None => Ok(None),
        }
    }

    /// Edits the trust bundle (`certificate-authority-data`) of every cluster entry
    /// with `edit`, which gets the bundle's certificates and returns the new list;
    /// returns whether any bundle changed. Entries without embedded CA data are left
    /// alone.
    pub fn edit_trust_bundles(
        &mut self,
        mut edit: impl FnMut(Vec<Certificate>) -> Vec<Certificate>,
    ) -> Result<bool> {
        let mut changed = false;
        for cluster in &mut self.clusters {
            let Some(data) = &cluster.certificate_authority_data else {
                continue;
            };
            let field = "certificate-authority-data";
            let text = std::str::from_utf8(data).map_err(|_| Error::InvalidKubeconfig {
                what: Origin::input("kubeconfig"),
                problem: KubeconfigProblem::NotPemText { field },
            })?;
            let old = Certificate::chain_from_pem_in(
                text,
                &Origin::input(format!("kubeconfig {field}")),
            )?;
            let new = edit(old.clone());
            if new != old {
                let pem: String = new.iter().map(Certificate::to_pem).collect();
                cluster.certificate_authority_data = Some(pem.into_bytes());
                changed = true;
            }
        }
        Ok(changed)
    }

    /// Replaces the current user's embedded certificate and key (renewal).
    pub fn set_client_credentials(
        &mut self,
        certificate: &Certificate,
        key: &PrivateKey,
    ) -> Result<()> {
        let user_name = self
            .current()
            .map(|(_, _, u)| u.name.clone())
            .ok_or_else(|| Error::InvalidKubeconfig {
                what: Origin::input("kubeconfig"),
                problem: KubeconfigProblem::NoCurrentContext,
            })?;
        if let Some(u) = self.users.iter_mut().find(|u| u.name == user_name) {
            u.client_certificate_data = Some(certificate.to_pem().into_bytes());
            u.client_key_data = Some(Zeroizing::new(key.to_pem().as_bytes().to_vec()));
        }
        Ok(())
    }

    /// The YAML kubectl, client-go and the Python `kubernetes` client read.
    pub fn to_yaml(&self) -> Result<Zeroizing<String>> {
        let wire = Wire {
            api_version: "v1".into(),
            kind: "Config".into(),
            clusters: self
                .clusters
                .iter()
                .map(|c| WireNamedCluster {
                    name: c.name.clone(),
                    cluster: WireCluster {
                        server: c.server.clone(),
                        certificate_authority_data: c
                            .certificate_authority_data
                            .as_ref()
                            .map(|d| B64.encode(d)),
                        certificate_authority: c.certificate_authority.clone(),
                        tls_server_name: c.tls_server_name.clone(),
                    },
                })
                .collect(),
            contexts: self
                .contexts
                .iter()
                .map(|c| WireNamedContext {
                    name: c.name.clone(),
                    context: WireContext {
                        cluster: c.cluster.clone(),
                        user: c.user.clone(),
                        namespace: c.namespace.clone(),
                    },
                })
                .collect(),
            current_context: self.current_context.clone(),
            preferences: Some(WirePreferences {}),
            users: self
                .users
                .iter()
                .map(|u| WireNamedUser {
                    name: u.name.clone(),
                    user: WireUser {
                        client_certificate_data: u
                            .client_certificate_data
                            .as_ref()
                            .map(|d| B64.encode(d)),
                        client_key_data: u
                            .client_key_data
                            .as_ref()
                            .map(|d| Zeroizing::new(B64.encode(d.as_slice()))),
                        client_certificate: u.client_certificate.clone(),
                        client_key: u.client_key.clone(),
                        token: u.token.clone(),
                    },
                })
                .collect(),
        };
        serde_saphyr::to_string_with_options(&wire, crate::files::yaml_options())
            .map(Zeroizing::new)
            .map_err(|e| Error::InvalidKubeconfig {
                what: Origin::input("kubeconfig"),
                problem: KubeconfigProblem::Render {
                    detail: e.to_string(),
                },
            })
    }

    /// Reads kubeconfig YAML (as written by kubeadm, kubectl or kpki). `what` names the
    /// source in errors.
    pub fn from_yaml(yaml: &str, what: impl Into<Origin>) -> Result<Kubeconfig> {
        let what = what.into();
        let bad = |problem| Error::InvalidKubeconfig {
            what: what.clone(),
            problem,
        };
        let wire: Wire = serde_saphyr::from_str(yaml).map_err(|e| {
            bad(KubeconfigProblem::Syntax {
                detail: e.to_string(),
            })
        })?;
        if wire.kind != "Config" && !wire.kind.is_empty() {
            return Err(bad(KubeconfigProblem::Kind { kind: wire.kind }));
        }
        let decode = |field: &'static str, s: &str| {
            B64.decode(s.trim())
                .map_err(|_| bad(KubeconfigProblem::NotBase64 { field }))
        };
        let mut out = Kubeconfig {
            current_context: wire.current_context,
            ..Kubeconfig::default()
        };
        for c in wire.clusters {
            out.clusters.push(Cluster {
                name: c.name,
                server: c.cluster.server,
                certificate_authority_data: c
                    .cluster
                    .certificate_authority_data
                    .as_deref()
                    .map(|d| decode("certificate-authority-data", d))
                    .transpose()?,
                certificate_authority: c.cluster.certificate_authority,
                tls_server_name: c.cluster.tls_server_name,
            });
        }
        for u in wire.users {
            out.users.push(User {
                name: u.name,
                client_certificate_data: u
                    .user
                    .client_certificate_data
                    .as_deref()
                    .map(|d| decode("client-certificate-data", d))
                    .transpose()?,
                client_key_data: u
                    .user
                    .client_key_data
                    .as_deref()
                    .map(|d| decode("client-key-data", d).map(Zeroizing::new))
                    .transpose()?,
                client_certificate: u.user.client_certificate,
                client_key: u.user.client_key,
                token: u.user.token,
            });
        }
        for c in wire.contexts {
            out.contexts.push(Context {
                name: c.name,
                cluster: c.context.cluster,
                user: c.context.user,
                namespace: c.context.namespace,
            });
        }
        Ok(out)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    #[serde(default)]
    api_version: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    clusters: Vec<WireNamedCluster>,
    #[serde(default)]
    contexts: Vec<WireNamedContext>,
    #[serde(rename = "current-context", default)]
    current_context: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    preferences: Option<WirePreferences>,
    #[serde(default)]
    users: Vec<WireNamedUser>,
}

#[derive(Serialize, Deserialize)]
struct WirePreferences {}

#[derive(Serialize, Deserialize)]
struct WireNamedCluster {
    cluster: WireCluster,
    name: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct WireCluster {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    certificate_authority_data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    certificate_authority: Option<String>,
    #[serde(default)]
    server: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    tls_server_name: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct WireNamedContext {
    context: WireContext,
    name: String,
}

#[derive(Serialize, Deserialize)]
struct WireContext {
    cluster: String,
    user: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    namespace: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct WireNamedUser {
    name: String,
    user: WireUser,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct WireUser {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    client_certificate_data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    client_key_data: Option<Zeroizing<String>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    client_certificate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    client_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    token: Option<Zeroizing<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kubeadm_written_kubeconfig() {
        let yaml = "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: aGVsbG8=\n    server: https://192.168.50.11:6443\n  name: kubernetes\ncontexts:\n- context:\n    cluster: kubernetes\n    user: kubernetes-admin\n  name: kubernetes-admin@kubernetes\ncurrent-context: kubernetes-admin@kubernetes\nkind: Config\npreferences: {}\nusers:\n- name: kubernetes-admin\n  user:\n    client-certificate-data: aGVsbG8=\n    client-key-data: aGVsbG8=\n";
        let k = Kubeconfig::from_yaml(yaml, "admin.conf").unwrap();
        let (_, cluster, user) = k.current().unwrap();
        assert_eq!(cluster.server, "https://192.168.50.11:6443");
        assert_eq!(
            cluster.certificate_authority_data.as_deref(),
            Some(&b"hello"[..])
        );
        assert_eq!(user.name, "kubernetes-admin");
        let again = Kubeconfig::from_yaml(&k.to_yaml().unwrap(), "again").unwrap();
        assert_eq!(again, k);
    }

    #[test]
    fn user_names_that_look_like_yaml_keywords_stay_strings() {
        let mut k = Kubeconfig::default();
        k.users.push(User {
            name: "yes".into(),
            ..User::default()
        });
        k.current_context = "null".into();
        let yaml = k.to_yaml().unwrap();
        let back = Kubeconfig::from_yaml(&yaml, "t").unwrap();
        assert_eq!(back.users[0].name, "yes");
        assert_eq!(back.current_context, "null");
    }

    #[test]
    fn debug_hides_the_key() {
        let u = User {
            client_key_data: Some(Zeroizing::new(b"SECRET".to_vec())),
            ..User::default()
        };
        assert!(!format!("{u:?}").contains("SECRET"));
    }

    #[test]
    fn bad_base64_names_the_field() {
        let yaml = "kind: Config\nusers:\n- name: a\n  user:\n    client-key-data: '!!notbase64'\n";
        let err = Kubeconfig::from_yaml(yaml, "x.conf").unwrap_err();
        assert!(err.to_string().contains("client-key-data"), "{err}");
        assert!(err.to_string().contains("x.conf"), "{err}");
    }
}

//! `certificates.k8s.io/v1` CertificateSigningRequest objects: build one from a CSR
//! (what `kubectl apply -f` takes), read one (YAML or JSON, a single object or a
//! `List`), and approve and sign it — or deny it — under a [`SignerPolicy`], filling
//! `status.conditions` and `status.certificate` as the API and kube-controller-manager
//! do.
//!
//! Reading applies the API server's validation of a new object: `spec.request` must be
//! a PEM `CERTIFICATE REQUEST` whose self-signature verifies, `spec.signerName` must be
//! `domain/path`, `spec.usages` must be present, known and unique, and
//! `spec.expirationSeconds` at least 600. Fields kpki does not model (labels,
//! annotations, `spec.username`, ...) are kept as they are.
//!
//! ```
//! use std::time::SystemTime;
//! use kpki_core::{
//!     CaRequest, CertificateAuthority, Csr, Identity, KeyAlgorithm, KubeCsr, PrivateKey,
//!     SignerPolicy, SubjectAltNames, Usage,
//! };
//!
//! # fn main() -> Result<(), kpki_core::Error> {
//! let now = SystemTime::now();
//! let ca = CertificateAuthority::new_root(&CaRequest::new("kubernetes"),
//!     PrivateKey::generate(KeyAlgorithm::EcdsaP256)?, now)?;
//! let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256)?;
//! let csr = Csr::generate(&Identity::user("alice", ["dev"])?, &SubjectAltNames::new(), &key)?;
//! let object = KubeCsr::new("alice", "kubernetes.io/kube-apiserver-client", csr,
//!     vec![Usage::DigitalSignature, Usage::ClientAuth], Some(86400))?;
//! let yaml = object.to_yaml()?; // kubectl apply -f -
//!
//! let signed = KubeCsr::from_yaml(&yaml)?
//!     .approve_and_sign(&ca, &SignerPolicy::kube_apiserver_client(), now)?;
//! assert!(signed.is_approved());
//! let cn = signed.certificate().map(|c| c.info()).transpose()?.and_then(|i| i.subject_common_name);
//! assert_eq!(cn.as_deref(), Some("alice"));
//! # Ok(())
//! # }
//! ```

use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ca::CertificateAuthority;
use crate::certificate::Certificate;
use crate::csr::Csr;
use crate::duration::rfc3339;
use crate::error::{Error, Origin, PolicyRule, RequestProblem, Result};
use crate::policy::{SignerPolicy, SigningRequest, check_signer_name};
use crate::profile::{Usage, check_usage_list};

/// The API group and version of the objects.
pub const API_VERSION: &str = "certificates.k8s.io/v1";
/// The kind.
pub const KIND: &str = "CertificateSigningRequest";

/// The condition reason kpki writes when its policy approves.
pub const APPROVE_REASON: &str = "KpkiApprove";
/// The condition reason kpki writes when its policy denies.
pub const DENY_REASON: &str = "KpkiDeny";

/// One entry of `status.conditions`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    /// `Approved`, `Denied` or `Failed` (or anything else the object carries).
    pub condition_type: String,
    /// `True` for the three above.
    pub status: String,
    /// A machine-readable reason.
    pub reason: Option<String>,
    /// A human-readable message.
    pub message: Option<String>,
    /// RFC 3339 time of the last update.
    pub last_update_time: Option<String>,
    /// RFC 3339 time of the last transition.
    pub last_transition_time: Option<String>,
}

/// What a file of CertificateSigningRequest objects held.
#[derive(Clone, Debug)]
pub struct KubeCsrDocument {
    /// The objects, in order.
    pub items: Vec<KubeCsr>,
    /// Whether they came as a `List` / `CertificateSigningRequestList`.
    pub is_list: bool,
}

/// A `certificates.k8s.io/v1` CertificateSigningRequest.
#[derive(Clone, Debug)]
pub struct KubeCsr {
    /// `metadata.name`.
    pub name: String,
    /// `spec.signerName`.
    pub signer_name: String,
    /// `spec.request`, verified.
    pub request: Csr,
    /// `spec.usages`.
    pub usages: Vec<Usage>,
    /// `spec.expirationSeconds`.
    pub expiration_seconds: Option<i64>,
    /// `status.conditions`.
    pub conditions: Vec<Condition>,
    certificate: Option<Certificate>,
    extra_metadata: Map<String, Value>,
    extra_spec: Map<String, Value>,
}

fn object_error(what: &str, reason: impl Into<String>) -> Error {
    Error::InvalidCsrObject {
        what: what.to_owned(),
        reason: reason.into(),
    }
}

/// The checks the API server makes on `metadata.name` of a CSR (any name that is a
/// valid path segment).
fn check_name(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() {
        return Err("metadata.name: Required value: name or generateName is required".into());
    }
    if name == "." || name == ".." || name.contains('/') || name.contains('%') {
        return Err(format!(
            "metadata.name: Invalid value: {name:?}: may not be '.' or '..' and may not contain '/' or '%'"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(format!(
            "metadata.name: Invalid value: {name:?}: may not contain control characters"
        ));
    }
    Ok(())
}

fn check_expiration(seconds: Option<i64>) -> Result<()> {
    if let Some(s) = seconds {
        if s < crate::policy::MIN_EXPIRATION_SECONDS {
            return Err(Error::InvalidSigningRequest {
                field: "spec.expirationSeconds".into(),
                value: s.to_string(),
                problem: RequestProblem::TooShort,
            });
        }
        if s > i64::from(i32::MAX) {
            return Err(Error::InvalidSigningRequest {
                field: "spec.expirationSeconds".into(),
                value: s.to_string(),
                problem: RequestProblem::TooLong,
            });
        }
    }
    Ok(())
}

impl KubeCsr {
    /// A new object (no status) asking `signer_name` to sign `request` for `usages`,
    /// valid for `expiration_seconds` if given. Checked as the API server checks a
    /// create.
    pub fn new(
        name: impl Into<String>,
        signer_name: impl Into<String>,
        request: Csr,
        usages: Vec<Usage>,
        expiration_seconds: Option<i64>,
    ) -> Result<KubeCsr> {
        let name = name.into();
        let signer_name = signer_name.into();
        check_name(&name).map_err(|r| object_error("CertificateSigningRequest", r))?;
        check_signer_name(&signer_name).map_err(|r| {
            object_error(
                &name,
                format!("spec.signerName: Invalid value: {signer_name:?}: {r}"),
            )
        })?;
        check_usage_list(&usages)?;
        check_expiration(expiration_seconds)?;
        Ok(KubeCsr {
            name,
            signer_name,
            request,
            usages,
            expiration_seconds,
            conditions: Vec::new(),
            certificate: None,
            extra_metadata: Map::new(),
            extra_spec: Map::new(),
        })
    }

    /// As [`KubeCsr::new`], with the built-in signer's default usages for the request's
    /// key when `usages` is empty ([`SignerPolicy::usages_for`]; a signer of your own
    /// needs them given).
    pub fn for_csr(
        name: impl Into<String>,
        signer_name: impl Into<String>,
        request: Csr,
        usages: Vec<Usage>,
        expiration_seconds: Option<i64>,
    ) -> Result<KubeCsr> {
        let signer_name = signer_name.into();
        let usages = if usages.is_empty() {
            SignerPolicy::usages_for(&signer_name, request.public_key().algorithm())?
        } else {
            usages
        };
        KubeCsr::new(name, signer_name, request, usages, expiration_seconds)
    }

    /// Reads exactly one object from YAML (or JSON, which is YAML).
    pub fn from_yaml(text: &str) -> Result<KubeCsr> {
        KubeCsr::single(KubeCsr::read_all(text, "CertificateSigningRequest")?)
    }

    /// Reads exactly one object from JSON.
    pub fn from_json(text: &str) -> Result<KubeCsr> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| object_error("CertificateSigningRequest", format!("not JSON: {e}")))?;
        KubeCsr::single(KubeCsr::from_value_all(value, "CertificateSigningRequest")?)
    }

    fn single(mut all: Vec<KubeCsr>) -> Result<KubeCsr> {
        match all.len() {
            1 => Ok(all.remove(0)),
            n => Err(object_error(
                "CertificateSigningRequest",
                format!("expected one object, found a List of {n}"),
            )),
        }
    }

    /// Reads a single object or a `List`/`CertificateSigningRequestList` of them, from
    /// YAML or JSON. `what` names the source in errors.
    pub fn read_all(text: &str, what: &str) -> Result<Vec<KubeCsr>> {
        KubeCsr::read_document(text, what).map(|d| d.items)
    }

    /// As [`KubeCsr::read_document`], from the bytes of a file (or any input) named
    /// `what`.
    pub fn load_document(bytes: &[u8], what: &str) -> Result<KubeCsrDocument> {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| object_error(what, "not UTF-8 text (YAML or JSON)"))?;
        KubeCsr::read_document(text, what)
    }

    /// As [`KubeCsr::read_all`], also telling whether the text held a list (so that
    /// what is printed back has the shape that was read).
    pub fn read_document(text: &str, what: &str) -> Result<KubeCsrDocument> {
        let value: Value = if text.trim_start().starts_with('{') {
            serde_json::from_str(text).map_err(|e| object_error(what, format!("not JSON: {e}")))?
        } else {
            serde_saphyr::from_str(text)
                .map_err(|e| object_error(what, format!("not YAML: {e}")))?
        };
        let is_list = value.get("kind").and_then(Value::as_str) != Some(KIND);
        let items = KubeCsr::from_value_all(value, what)?;
        Ok(KubeCsrDocument { items, is_list })
    }

    fn from_value_all(value: Value, what: &str) -> Result<Vec<KubeCsr>> {
        let kind = value
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        match kind.as_str() {
            KIND => Ok(vec![KubeCsr::from_value(value, what)?]),
            "List" | "CertificateSigningRequestList" => {
                let Some(Value::Array(items)) = value.get("items").cloned() else {
                    return Err(object_error(what, format!("{kind} without an items array")));
                };
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| KubeCsr::from_value(item, &format!("{what}: items[{i}]")))
                    .collect()
            }
            "" => Err(object_error(what, "kind: Required value")),
            other => Err(object_error(
                what,
                format!(
                    "kind is {other:?}, expected {KIND:?}, \"List\" or \"CertificateSigningRequestList\""
                ),
            )),
        }
    }

    fn from_value(value: Value, what: &str) -> Result<KubeCsr> {
        let wire: Wire =
            serde_json::from_value(value).map_err(|e| object_error(what, e.to_string()))?;
        if wire.api_version != API_VERSION || wire.kind != KIND {
            return Err(object_error(
                what,
                format!(
                    "apiVersion/kind is {}/{}, expected {API_VERSION}/{KIND}",
                    wire.api_version, wire.kind
                ),
            ));
        }
        let name = wire.metadata.name.unwrap_or_default();
        check_name(&name).map_err(|r| object_error(what, r))?;
        let what = format!("{what} {name:?}");
        let pem_bytes = B64
            .decode(wire.spec.request.trim())
            .map_err(|e| object_error(&what, format!("spec.request is not base64: {e}")))?;
        let pem_text = String::from_utf8(pem_bytes)
            .map_err(|_| object_error(&what, "spec.request is not PEM text"))?;
        let request = Csr::from_pem_in(&pem_text, &Origin::input(format!("{what}: spec.request")))?;
        let usages = Usage::parse_list(&wire.spec.usages)?;
        let mut obj = KubeCsr::new(
            name,
            wire.spec.signer_name,
            request,
            usages,
            wire.spec.expiration_seconds,
        )
        .map_err(|e| match e {
            Error::InvalidCsrObject { reason, .. } => object_error(&what, reason),
            other => other,
        })?;
        obj.extra_metadata = wire.metadata.rest;
        obj.extra_spec = wire.spec.rest;
        if let Some(status) = wire.status {
            obj.conditions = status
                .conditions
                .into_iter()
                .map(|c| Condition {
                    condition_type: c.condition_type,
                    status: c.status,
                    reason: c.reason,
                    message: c.message,
                    last_update_time: c.last_update_time,
                    last_transition_time: c.last_transition_time,
                })
                .collect();
            if let Some(b64) = status.certificate {
                let pem = B64.decode(b64.trim()).map_err(|e| {
                    object_error(&what, format!("status.certificate is not base64: {e}"))
                })?;
                let text = String::from_utf8(pem)
                    .map_err(|_| object_error(&what, "status.certificate is not PEM text"))?;
                let chain = Certificate::chain_from_pem_in(
                    &text,
                    &Origin::input(format!("{what}: status.certificate")),
                )?;
                obj.certificate = chain.into_iter().next();
            }
        }
        Ok(obj)
    }

    fn to_wire(&self) -> Wire {
        let status = if self.conditions.is_empty() && self.certificate.is_none() {
            None
        } else {
            Some(WireStatus {
                conditions: self
                    .conditions
                    .iter()
                    .map(|c| WireCondition {
                        condition_type: c.condition_type.clone(),
                        status: c.status.clone(),
                        reason: c.reason.clone(),
                        message: c.message.clone(),
                        last_update_time: c.last_update_time.clone(),
                        last_transition_time: c.last_transition_time.clone(),
                    })
                    .collect(),
                certificate: self
                    .certificate
                    .as_ref()
                    .map(|c| B64.encode(c.to_pem().as_bytes())),
            })
        };
        Wire {
            api_version: API_VERSION.into(),
            kind: KIND.into(),
            metadata: WireMeta {
                name: Some(self.name.clone()),
                rest: self.extra_metadata.clone(),
            },
            spec: WireSpec {
                request: B64.encode(self.request.to_pem().as_bytes()),
                signer_name: self.signer_name.clone(),
                usages: self.usages.iter().map(|u| u.name().to_owned()).collect(),
                expiration_seconds: self.expiration_seconds,
                rest: self.extra_spec.clone(),
            },
            status,
        }
    }

    fn to_value(&self) -> Result<Value> {
        serde_json::to_value(self.to_wire()).map_err(|e| object_error(&self.name, e.to_string()))
    }

    /// The object as YAML (`kubectl apply -f` reads it).
    pub fn to_yaml(&self) -> Result<String> {
        let value = self.to_value()?;
        serde_saphyr::to_string_with_options(&value, crate::files::yaml_options())
            .map_err(|e| object_error(&self.name, e.to_string()))
    }

    /// The object as JSON.
    pub fn to_json(&self) -> Result<String> {
        let value = self.to_value()?;
        serde_json::to_string_pretty(&value).map_err(|e| object_error(&self.name, e.to_string()))
    }

    /// Several objects as one `List` (YAML), the shape `kubectl get csr -o yaml` prints.
    pub fn list_to_yaml(items: &[KubeCsr]) -> Result<String> {
        let items = items
            .iter()
            .map(KubeCsr::to_value)
            .collect::<Result<Vec<_>>>()?;
        let mut list = Map::new();
        list.insert("apiVersion".into(), Value::String("v1".into()));
        list.insert("items".into(), Value::Array(items));
        list.insert("kind".into(), Value::String("List".into()));
        serde_saphyr::to_string_with_options(&Value::Object(list), crate::files::yaml_options())
            .map_err(|e| object_error("List", e.to_string()))
    }

    fn has_condition(&self, kind: &str) -> bool {
        self.conditions
            .iter()
            .any(|c| c.condition_type == kind && c.status == "True")
    }

    /// Whether an `Approved` condition is set.
    pub fn is_approved(&self) -> bool {
        self.has_condition("Approved")
    }

    /// Whether a `Denied` condition is set.
    pub fn is_denied(&self) -> bool {
        self.has_condition("Denied")
    }

    /// The issued certificate (`status.certificate`), if any.
    pub fn certificate(&self) -> Option<&Certificate> {
        self.certificate.as_ref()
    }

    /// What this object asks a signer for.
    pub fn signing_request(&self) -> SigningRequest {
        SigningRequest::new(self.usages.clone(), self.expiration_seconds)
    }

    /// Approves and signs under `policy` with `ca`: adds an `Approved` condition and
    /// sets `status.certificate`. Refuses (returning the policy's error, nothing
    /// changed) a request the policy refuses, one for another signer, and one that is
    /// already denied, failed or issued.
    pub fn approve_and_sign(
        &self,
        ca: &CertificateAuthority,
        policy: &SignerPolicy,
        now: SystemTime,
    ) -> Result<KubeCsr> {
        let refuse = |rule| Error::PolicyRefused {
            signer: policy.signer_name.clone(),
            rule,
        };
        if self.signer_name != policy.signer_name {
            return Err(refuse(PolicyRule::WrongSigner {
                object: self.name.clone(),
                requested: self.signer_name.clone(),
            }));
        }
        if self.is_denied() || self.has_condition("Failed") {
            return Err(refuse(PolicyRule::AlreadyDenied {
                object: self.name.clone(),
            }));
        }
        if self.certificate.is_some() {
            return Err(refuse(PolicyRule::AlreadyIssued {
                object: self.name.clone(),
            }));
        }
        let certificate = ca.sign_csr(&self.request, policy, &self.signing_request(), now)?;
        let mut out = self.clone();
        if !out.is_approved() {
            let t = rfc3339(now);
            out.conditions.push(Condition {
                condition_type: "Approved".into(),
                status: "True".into(),
                reason: Some(APPROVE_REASON.into()),
                message: Some(format!(
                    "This CSR was approved by kpki under the policy of signer {}.",
                    policy.signer_name
                )),
                last_update_time: Some(t.clone()),
                last_transition_time: Some(t),
            });
        }
        out.certificate = Some(certificate);
        Ok(out)
    }

    /// A copy with a `Denied` condition carrying `message` (for a refusal worth
    /// recording on the object: `kubectl certificate deny` does the same).
    pub fn deny(&self, message: &str, now: SystemTime) -> KubeCsr {
        let mut out = self.clone();
        let t = rfc3339(now);
        out.conditions.push(Condition {
            condition_type: "Denied".into(),
            status: "True".into(),
            reason: Some(DENY_REASON.into()),
            message: Some(message.to_owned()),
            last_update_time: Some(t.clone()),
            last_transition_time: Some(t),
        });
        out
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    api_version: String,
    kind: String,
    metadata: WireMeta,
    spec: WireSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<WireStatus>,
}

#[derive(Serialize, Deserialize)]
struct WireMeta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(flatten)]
    rest: Map<String, Value>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireSpec {
    request: String,
    signer_name: String,
    #[serde(default)]
    usages: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expiration_seconds: Option<i64>,
    #[serde(flatten)]
    rest: Map<String, Value>,
}

#[derive(Serialize, Deserialize)]
struct WireStatus {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    conditions: Vec<WireCondition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    certificate: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireCondition {
    #[serde(rename = "type")]
    condition_type: String,
    status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_update_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_transition_time: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Identity;
    use crate::key::PrivateKey;
    use crate::names::KeyAlgorithm;
    use crate::san::SubjectAltNames;

    fn csr() -> Csr {
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        Csr::generate(
            &Identity::user("alice", ["dev"]).unwrap(),
            &SubjectAltNames::new(),
            &key,
        )
        .unwrap()
    }

    #[test]
    fn object_round_trips_through_yaml_and_json_keeping_unknown_fields() {
        let o = KubeCsr::new(
            "alice",
            "kubernetes.io/kube-apiserver-client",
            csr(),
            vec![Usage::DigitalSignature, Usage::ClientAuth],
            Some(3600),
        )
        .unwrap();
        let yaml = o.to_yaml().unwrap();
        assert!(
            yaml.contains("signerName: kubernetes.io/kube-apiserver-client"),
            "{yaml}"
        );
        let back = KubeCsr::from_yaml(&yaml).unwrap();
        assert_eq!(back.request, o.request);
        assert_eq!(back.usages, o.usages);
        assert_eq!(back.expiration_seconds, Some(3600));
        let json = o.to_json().unwrap();
        let mut v: Value = serde_json::from_str(&json).unwrap();
        v["metadata"]["labels"] = serde_json::json!({"team": "dev"});
        v["spec"]["username"] = Value::String("kubernetes-admin".into());
        let back = KubeCsr::from_json(&v.to_string()).unwrap();
        let again: Value = serde_json::from_str(&back.to_json().unwrap()).unwrap();
        assert_eq!(again["metadata"]["labels"]["team"], "dev");
        assert_eq!(again["spec"]["username"], "kubernetes-admin");
    }

    #[test]
    fn api_validation_errors_read_like_the_api_servers() {
        let err = KubeCsr::new(
            "a",
            "kubernetes.io/kube-apiserver-client",
            csr(),
            vec![Usage::ClientAuth],
            Some(599),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 600 seconds (10 minutes)"
        );
        let err = KubeCsr::new("a", "no-slash", csr(), vec![Usage::ClientAuth], None).unwrap_err();
        assert!(err.to_string().contains("spec.signerName"), "{err}");
        let err =
            KubeCsr::new("", "example.com/x", csr(), vec![Usage::ClientAuth], None).unwrap_err();
        assert!(err.to_string().contains("metadata.name"), "{err}");
        let err = KubeCsr::new("a", "example.com/x", csr(), vec![], None).unwrap_err();
        assert!(err.to_string().contains("usages must be provided"), "{err}");
        let err = KubeCsr::new(
            "a",
            "example.com/x",
            csr(),
            vec![Usage::ClientAuth],
            Some(1 << 40),
        )
        .unwrap_err();
        assert!(err.to_string().contains("32-bit"), "{err}");
    }

    #[test]
    fn status_and_list_errors_name_the_object() {
        let o = KubeCsr::new(
            "alice",
            "kubernetes.io/kube-apiserver-client",
            csr(),
            vec![Usage::ClientAuth],
            None,
        )
        .unwrap();
        let mut v: Value = serde_json::from_str(&o.to_json().unwrap()).unwrap();
        for (cert, needle) in [
            ("!!", "status.certificate is not base64"),
            ("/w==", "status.certificate is not PEM text"),
            ("aGVsbG8=", "no PEM block found"),
        ] {
            v["status"] = serde_json::json!({ "certificate": cert });
            let err = KubeCsr::from_json(&v.to_string()).unwrap_err();
            assert!(err.to_string().contains(needle), "{cert}: {err}");
            assert!(err.to_string().contains("\"alice\""), "{err}");
        }
        v["status"] = Value::Null;
        let item = v.clone();
        let list =
            serde_json::json!({"apiVersion": "v1", "kind": "List", "items": [item.clone(), item]});
        let err = KubeCsr::from_json(&list.to_string()).unwrap_err();
        assert!(
            err.to_string()
                .contains("expected one object, found a List of 2"),
            "{err}"
        );
        let mut bad = v.clone();
        bad["spec"]["usages"] = serde_json::json!(["client auth", "nope"]);
        let list =
            serde_json::json!({"kind": "CertificateSigningRequestList", "items": [v.clone(), bad]});
        let err = KubeCsr::read_all(&list.to_string(), "l.json").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("spec.usages[1]: Invalid value: \"nope\""),
            "{err}"
        );
        for (name, needle) in [
            ("a/b", "may not contain '/'"),
            ("..", "may not be"),
            ("a\u{7}", "control characters"),
        ] {
            let mut n = v.clone();
            n["metadata"]["name"] = Value::String(name.into());
            let err = KubeCsr::from_json(&n.to_string()).unwrap_err();
            assert!(err.to_string().contains(needle), "{name}: {err}");
        }
        let mut bad_signer = v.clone();
        bad_signer["spec"]["signerName"] = Value::String("Example.com/x".into());
        let err = KubeCsr::from_json(&bad_signer.to_string()).unwrap_err();
        assert!(
            err.to_string().contains("spec.signerName: Invalid value"),
            "{err}"
        );
    }

    #[test]
    fn malformed_objects_name_the_field() {
        for (text, needle) in [
            ("kind: Pod\napiVersion: v1\n", "kind is \"Pod\""),
            ("apiVersion: v1\n", "kind: Required value"),
            ("kind: List\napiVersion: v1\n", "without an items array"),
            (
                "apiVersion: certificates.k8s.io/v1beta1\nkind: CertificateSigningRequest\nmetadata: {name: a}\nspec: {request: '', signerName: a.b/c}\n",
                "expected certificates.k8s.io/v1",
            ),
            (
                "apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata: {name: a}\nspec: {request: '!!', signerName: a.b/c}\n",
                "spec.request is not base64",
            ),
            (
                "apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata: {name: a}\nspec: {request: '/w==', signerName: a.b/c}\n",
                "spec.request is not PEM text",
            ),
            (
                "apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata: {name: a}\n",
                "missing field `spec`",
            ),
            ("{not json", "not JSON"),
            ("a: [", "not YAML"),
        ] {
            let err = KubeCsr::read_all(text, "t.yaml").unwrap_err();
            assert!(err.to_string().contains(needle), "{text}: {err}");
        }
    }
}

//! Renewal and CA rotation.
//!
//! Renewing keeps what a certificate *says* — subject (CN and every O), SANs, key usages
//! and extended key usages — and gives it a new validity and serial under a CA. Whether
//! the key pair is kept or replaced is an explicit [`KeyChoice`]: kubeadm's
//! `certs renew` keeps keys; rotating them is the safer habit when a key may have
//! leaked.
//!
//! Rotating a CA means a new CA certificate (and key) with the same name, and a
//! transition period in which clients trust both: [`trust_bundle`] builds the bundle to
//! distribute first; leaves are then renewed under the new CA with
//! [`CertificateAuthority::renew`].

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::ca::{CaRequest, CertificateAuthority, DEFAULT_LEAF_VALIDITY, LeafRequest};
use crate::certificate::Certificate;
use crate::dns::DnsName;
use crate::error::{Choice, Error, Pkcs11Problem, RenewProblem, Result};
use crate::identity::Identity;
use crate::key::PrivateKey;
use crate::names::{Compatibility, KeyAlgorithm};
use crate::pkcs11::{Pkcs11Key, Pkcs11Uri};
use crate::profile::{CertificateProfile, ExtendedKeyUsage, KeyUsage};
use crate::san::SubjectAltNames;
use crate::signer::Signer;

/// What happens to the key pair when a certificate is renewed (by default it is kept,
/// as kubeadm's `certs renew` does).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KeyChoice {
    /// Keep the certificate's existing key pair (kubeadm's `certs renew`).
    #[default]
    Keep,
    /// Generate a new key pair of the same algorithm.
    Rotate,
    /// Generate a new key pair of this algorithm.
    RotateTo(KeyAlgorithm),
}

impl FromStr for KeyChoice {
    type Err = Error;

    /// `keep`, `rotate`, or the algorithm to rotate to (`ecdsa-p256`, ...).
    fn from_str(s: &str) -> Result<KeyChoice> {
        match s {
            "keep" => Ok(KeyChoice::Keep),
            "rotate" => Ok(KeyChoice::Rotate),
            other => other
                .parse::<KeyAlgorithm>()
                .map(KeyChoice::RotateTo)
                .map_err(|_| Error::UnknownChoice {
                    field: Choice::KeyChoice,
                    value: s.to_owned(),
                    expected: "keep, rotate, or a key algorithm (rsa-2048, ..., ed25519)",
                }),
        }
    }
}

impl KeyChoice {
    /// Keep the key, or rotate it (to `algorithm` if given).
    pub fn from_options(rotate: bool, algorithm: Option<KeyAlgorithm>) -> KeyChoice {
        match (rotate, algorithm) {
            (false, _) => KeyChoice::Keep,
            (true, None) => KeyChoice::Rotate,
            (true, Some(a)) => KeyChoice::RotateTo(a),
        }
    }
}

/// A renewed certificate, with the new private key when the key was rotated.
#[derive(Clone, Debug)]
pub struct Renewal {
    /// The new certificate.
    pub certificate: Certificate,
    /// The new private key ([`KeyChoice::Rotate`]/[`KeyChoice::RotateTo`]); `None` when
    /// the key was kept.
    pub new_key: Option<PrivateKey>,
}

/// The request that re-issues `old` as it is: its subject, SANs, key usages and
/// extended key usages, `validity` long (kubeadm's default, 365 days, when `None`),
/// backdated 5 minutes.
///
/// A certificate kpki cannot reproduce faithfully is refused rather than renewed with
/// something missing: a CA certificate, a subject with attributes other than CN and O,
/// email or URI SANs.
pub fn renewal_request(old: &Certificate, validity: Option<Duration>) -> Result<LeafRequest> {
    let info = old.info()?;
    let refuse = |problem| Error::CannotRenew {
        what: describe(info.subject_common_name.as_deref()),
        problem,
    };
    if info.is_ca {
        return Err(refuse(RenewProblem::IsCa));
    }
    if info.subject_has_other_attributes {
        return Err(refuse(RenewProblem::OtherSubjectAttributes));
    }
    if !info.email_addresses.is_empty() || !info.uris.is_empty() {
        return Err(refuse(RenewProblem::EmailOrUriSans));
    }
    let cn = info
        .subject_common_name
        .clone()
        .ok_or_else(|| refuse(RenewProblem::NoCommonName))?;
    let identity = Identity::new(cn, info.organizations.iter().map(String::as_str))?;
    let mut sans = SubjectAltNames::new();
    for dns in &info.dns_names {
        sans.push_dns(DnsName::new(dns.clone())?);
    }
    for ip in &info.ip_addresses {
        sans.push_ip(*ip);
    }
    let ekus = info.extended_key_usages.clone();
    let profile = match (
        ekus.contains(&ExtendedKeyUsage::ServerAuth),
        ekus.contains(&ExtendedKeyUsage::ClientAuth),
    ) {
        (true, true) => CertificateProfile::ServerAndClient,
        (true, false) => CertificateProfile::Server,
        _ => CertificateProfile::Client,
    };
    let key_usages = info
        .key_usages
        .clone()
        .unwrap_or_else(|| vec![KeyUsage::DigitalSignature]);
    Ok(LeafRequest::new(identity, profile)
        .with_sans(sans)
        .with_validity(validity.unwrap_or(DEFAULT_LEAF_VALIDITY))
        .with_usages(key_usages, ekus))
}

fn describe(cn: Option<&str>) -> String {
    match cn {
        Some(cn) => format!("certificate {cn:?}"),
        None => "certificate without a common name".to_string(),
    }
}

impl CertificateAuthority {
    /// Renews `old` under this CA: same subject, SANs and usages, a new serial and
    /// validity (`validity`, or 365 days), the key kept or rotated as `key` says.
    ///
    /// `old` must have been issued under this CA's name (the CA itself or, after a
    /// rotation, its successor with the same subject); renewing someone else's
    /// certificate is refused.
    pub fn renew(
        &self,
        old: &Certificate,
        key: KeyChoice,
        validity: Option<Duration>,
        now: SystemTime,
    ) -> Result<Renewal> {
        let info = old.info()?;
        let ca_info = self.certificate().info()?;
        if info.issuer_der != ca_info.subject_der {
            return Err(Error::CannotRenew {
                what: describe(info.subject_common_name.as_deref()),
                problem: RenewProblem::IssuedByOther {
                    issuer: info.issuer_common_name.unwrap_or_else(|| "?".into()),
                    ca: self.common_name().to_owned(),
                },
            });
        }
        let req = renewal_request(old, validity)?;
        self.renew_as(old, req, key, now)
    }

    /// Renews `old` under this CA as `req` says (its subject and usages, with the SANs
    /// or validity a cluster's configuration asks for), with `old`'s key kept or
    /// rotated as `key` says. [`CertificateAuthority::renew`] is this with
    /// [`renewal_request`]`(old, ..)`.
    pub fn renew_as(
        &self,
        old: &Certificate,
        mut req: LeafRequest,
        key: KeyChoice,
        now: SystemTime,
    ) -> Result<Renewal> {
        let info = old.info()?;
        let old_algorithm = info.public_key.algorithm();
        let new_key = match key {
            KeyChoice::Keep => None,
            KeyChoice::Rotate => Some(PrivateKey::generate(old_algorithm)?),
            KeyChoice::RotateTo(algorithm) => Some(PrivateKey::generate(algorithm)?),
        };
        let public_key = new_key
            .as_ref()
            .map_or(&info.public_key, |k| k.public_key());
        let new_algorithm = public_key.algorithm();
        if new_algorithm.is_rsa() != old_algorithm.is_rsa() {
            // keyEncipherment follows the key type (RSA only) when the type changes.
            if let Some(ku) = req.key_usages.as_mut() {
                ku.retain(|k| *k != KeyUsage::KeyEncipherment);
                if new_algorithm.is_rsa() {
                    ku.push(KeyUsage::KeyEncipherment);
                    ku.sort();
                }
            }
        }
        let certificate = self.issue(&req, public_key, now)?;
        Ok(Renewal {
            certificate,
            new_key,
        })
    }

    /// Renews this root CA with its own key (`kpki certs renew ca`): the same subject
    /// and key — so the same subjectKeyIdentifier, and every certificate it issued
    /// still verifies — with a new serial and `validity` (kubeadm's 10 years when
    /// `None`), signed by the key in memory or through the CA's signer (a token key).
    /// Refused for an intermediate (its parent renews it), for an external CA, and for
    /// a subject kpki would not reproduce exactly.
    pub fn renew_self(
        &self,
        validity: Option<Duration>,
        now: SystemTime,
    ) -> Result<CertificateAuthority> {
        let req = self.successor_request(validity)?;
        let renewed = match self.private_key() {
            Some(key) => CertificateAuthority::new_root(&req, key.clone(), now)?,
            None => CertificateAuthority::new_root_with_signer(&req, self.signer()?.clone(), now)?,
        };
        if renewed.certificate().info()?.subject_der != self.certificate().info()?.subject_der {
            return Err(Error::CannotRenew {
                what: format!("CA {:?}", self.common_name()),
                problem: RenewProblem::OtherSubjectAttributes,
            });
        }
        Ok(renewed)
    }

    /// Creates the successor of this root CA for a rotation: a new key of `algorithm`
    /// (this CA's own when `None`), the same common name, `validity` long (kubeadm's 10
    /// years when `None`).
    ///
    /// Distribute [`trust_bundle`]`(&[old, new])` to every client first, renew the leaves
    /// under the new CA, and drop the old CA from the bundle once nothing uses it.
    pub fn rotate(
        &self,
        algorithm: Option<KeyAlgorithm>,
        validity: Option<Duration>,
        now: SystemTime,
    ) -> Result<CertificateAuthority> {
        let algorithm = algorithm.unwrap_or_else(|| self.public_key().algorithm());
        let req = self.successor_request(validity)?;
        CertificateAuthority::new_root(&req, PrivateKey::generate(algorithm)?, now)
    }

    /// As [`CertificateAuthority::rotate`], the new key in a PKCS#11 token: the key
    /// `uri` names if it exists, else one generated there (this CA's algorithm, or
    /// `algorithm`). A URI that names this CA's own key is refused
    /// ([`crate::Pkcs11Problem::SameKey`]): that would be a renewal, not a rotation.
    pub fn rotate_in_token(
        &self,
        uri: &Pkcs11Uri,
        algorithm: Option<KeyAlgorithm>,
        validity: Option<Duration>,
        now: SystemTime,
    ) -> Result<CertificateAuthority> {
        let algorithm = algorithm.unwrap_or_else(|| self.public_key().algorithm());
        let req = self.successor_request(validity)?;
        let (key, _) = Pkcs11Key::open_or_generate(uri, algorithm)?;
        if key.public_key() == self.public_key() {
            return Err(Error::Pkcs11 {
                uri: uri.to_string(),
                problem: Pkcs11Problem::SameKey,
            });
        }
        CertificateAuthority::new_root_with_signer(&req, Arc::new(key), now)
    }

    /// The request for this root CA's successor or renewal (same name); refused for an
    /// intermediate.
    fn successor_request(&self, validity: Option<Duration>) -> Result<CaRequest> {
        if !self.chain().is_empty() {
            return Err(Error::CannotRenew {
                what: format!("CA {:?}", self.common_name()),
                problem: RenewProblem::Intermediate,
            });
        }
        let mut req = CaRequest::new(self.common_name());
        if let Some(v) = validity {
            req.validity = v;
        }
        req.compatibility = Compatibility::Current;
        Ok(req)
    }
}

/// A PEM trust bundle of `cas`, in order, each certificate once (the file to put in
/// `ca.crt` / a kubeconfig's `certificate-authority-data` during a CA rotation).
pub fn trust_bundle(cas: &[&Certificate]) -> String {
    let mut seen: Vec<&[u8]> = Vec::with_capacity(cas.len());
    let mut out = String::new();
    for ca in cas {
        if !seen.contains(&ca.der()) {
            seen.push(ca.der());
            out.push_str(&ca.to_pem());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::NodeName;

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
    }

    fn ca(alg: KeyAlgorithm) -> CertificateAuthority {
        CertificateAuthority::new_root(
            &CaRequest::new("kubernetes"),
            PrivateKey::generate(alg).unwrap(),
            now(),
        )
        .unwrap()
    }

    fn serving(ca: &CertificateAuthority) -> (Certificate, PrivateKey) {
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let req = LeafRequest::new(
            Identity::user("alice", ["dev", "ops"]).unwrap(),
            CertificateProfile::ServerAndClient,
        )
        .with_sans(SubjectAltNames::parse(["a.example", "10.0.0.1"]).unwrap())
        .with_validity(Duration::from_secs(3600));
        (ca.issue(&req, key.public_key(), now()).unwrap(), key)
    }

    #[test]
    fn renewal_keeps_subject_sans_usages_and_key_when_asked() {
        let ca = ca(KeyAlgorithm::EcdsaP256);
        let (old, key) = serving(&ca);
        let later = now() + Duration::from_secs(1800);
        let r = ca.renew(&old, KeyChoice::Keep, None, later).unwrap();
        assert!(r.new_key.is_none());
        let (a, b) = (old.info().unwrap(), r.certificate.info().unwrap());
        assert_eq!(a.subject_der, b.subject_der);
        assert_eq!(a.dns_names, b.dns_names);
        assert_eq!(a.ip_addresses, b.ip_addresses);
        assert_eq!(a.key_usages, b.key_usages);
        assert_eq!(a.extended_key_usages, b.extended_key_usages);
        assert_eq!(b.public_key, *key.public_key());
        assert_ne!(a.serial, b.serial);
        assert!(b.not_after > a.not_after);
        ca.verify_issued(&r.certificate, later).unwrap();
    }

    #[test]
    fn rotation_replaces_the_key_and_can_change_algorithm() {
        let ca = ca(KeyAlgorithm::EcdsaP256);
        let (old, key) = serving(&ca);
        let r = ca.renew(&old, KeyChoice::Rotate, None, now()).unwrap();
        let new_key = r.new_key.unwrap();
        assert_eq!(new_key.algorithm(), KeyAlgorithm::EcdsaP256);
        assert!(!key.matches(&r.certificate.info().unwrap().public_key));
        assert!(new_key.matches(&r.certificate.info().unwrap().public_key));

        let r = ca
            .renew(
                &old,
                KeyChoice::RotateTo(KeyAlgorithm::Ed25519),
                None,
                now(),
            )
            .unwrap();
        assert_eq!(r.new_key.unwrap().algorithm(), KeyAlgorithm::Ed25519);
    }

    #[test]
    fn keyencipherment_follows_a_key_type_change() {
        let ca = ca(KeyAlgorithm::EcdsaP256);
        let node = NodeName::new("node01").unwrap();
        let rsa = PrivateKey::generate(KeyAlgorithm::Rsa2048).unwrap();
        let old = ca
            .issue(
                &LeafRequest::new(Identity::node(&node), CertificateProfile::Client),
                rsa.public_key(),
                now(),
            )
            .unwrap();
        let ku = old.info().unwrap().key_usages.unwrap();
        assert!(ku.contains(&KeyUsage::KeyEncipherment));
        let r = ca
            .renew(
                &old,
                KeyChoice::RotateTo(KeyAlgorithm::EcdsaP256),
                None,
                now(),
            )
            .unwrap();
        let ku = r.certificate.info().unwrap().key_usages.unwrap();
        assert_eq!(ku, vec![KeyUsage::DigitalSignature]);
    }

    #[test]
    fn renewing_a_certificate_of_another_ca_is_refused() {
        let a = ca(KeyAlgorithm::EcdsaP256);
        let b = CertificateAuthority::new_root(
            &CaRequest::new("etcd-ca"),
            PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap(),
            now(),
        )
        .unwrap();
        let (old, _) = serving(&a);
        let err = b.renew(&old, KeyChoice::Keep, None, now()).unwrap_err();
        assert!(matches!(err, Error::CannotRenew { .. }), "{err}");
        assert!(
            err.to_string().contains("issued by \"kubernetes\""),
            "{err}"
        );
        let err = renewal_request(a.certificate(), None).unwrap_err();
        assert!(err.to_string().contains("CA certificate"), "{err}");
    }

    #[test]
    fn a_ca_renewed_with_its_own_key_still_verifies_what_it_issued() {
        let old_ca = ca(KeyAlgorithm::EcdsaP256);
        let (leaf, _) = serving(&old_ca);
        let later = now() + Duration::from_secs(1800);
        let renewed = old_ca.renew_self(None, later).unwrap();
        let (a, b) = (
            old_ca.certificate().info().unwrap(),
            renewed.certificate().info().unwrap(),
        );
        assert_eq!(a.subject_der, b.subject_der);
        assert_eq!(a.public_key, b.public_key);
        assert_ne!(a.serial, b.serial);
        assert!(b.not_after > a.not_after);
        renewed.verify_issued(&leaf, later).unwrap();
        let ext = CertificateAuthority::external(old_ca.certificate().clone()).unwrap();
        let err = ext.renew_self(None, later).unwrap_err();
        assert!(matches!(err, Error::CaKeyUnavailable { .. }), "{err}");
    }

    #[test]
    fn ca_rotation_and_trust_bundle() {
        let old_ca = ca(KeyAlgorithm::EcdsaP256);
        let (leaf, _) = serving(&old_ca);
        let new_ca = old_ca
            .rotate(Some(KeyAlgorithm::EcdsaP384), None, now())
            .unwrap();
        assert_eq!(new_ca.common_name(), "kubernetes");
        assert_ne!(new_ca.public_key(), old_ca.public_key());
        let bundle = trust_bundle(&[
            old_ca.certificate(),
            new_ca.certificate(),
            old_ca.certificate(),
        ]);
        let certs = Certificate::chain_from_pem(&bundle).unwrap();
        assert_eq!(certs.len(), 2);
        // The leaf renewed under the successor verifies against it, not against the old CA.
        let r = new_ca.renew(&leaf, KeyChoice::Keep, None, now()).unwrap();
        new_ca.verify_issued(&r.certificate, now()).unwrap();
        assert!(old_ca.verify_issued(&r.certificate, now()).is_err());
    }
}

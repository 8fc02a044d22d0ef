//! Writing a subject with several O values (a user in groups `dev` and `ops`).
//!
//! rcgen keeps one value per attribute type in a `DistinguishedName` (a second O
//! replaces the first), so kpki hands it the second and later O values under
//! placeholder attribute types whose encoding has the same length as
//! `id-at-organizationName` (`2.5.4.120` … `2.5.4.127`, unassigned), and rewrites them
//! to `2.5.4.10` inside the subject before the bytes are signed — the signer sees
//! the real subject, and the same same-length rewrite is applied to the encoded
//! request afterwards. The result is checked by parsing it back. (Leaf certificates
//! do not need this: `crate::tbs` writes one RDN per O itself.)

use rcgen::{DnType, SigningKey};

use crate::error::{Error, Result};
use crate::identity::Identity;

/// `2.5.4.120` …: placeholder arcs (single-byte, like `10`).
const FIRST_PLACEHOLDER: u8 = 120;
const MAX_EXTRA_ORGANIZATIONS: usize = 8;
const ORGANIZATION_ARC: u8 = 10;

/// What the signed structure is (to find its subject).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Structure {
    /// A CertificationRequestInfo (or a whole CertificationRequest).
    Request,
}

/// The subject as rcgen takes it, and the rewrite it needs (if any).
pub(crate) struct EncodedSubject {
    pub(crate) dn: rcgen::DistinguishedName,
    pub(crate) fix: Option<SubjectFix>,
}

/// The placeholder arcs to turn back into organizationName.
#[derive(Clone, Debug)]
pub(crate) struct SubjectFix {
    placeholders: Vec<u8>,
}

/// The subject of `identity` for rcgen: O values first (in order), then CN, encoded as
/// Go's `pkix.Name` does (PrintableString where allowed, UTF8String otherwise).
pub(crate) fn encode(identity: &Identity) -> Result<EncodedSubject> {
    let orgs = identity.organizations();
    if orgs.len() > 1 + MAX_EXTRA_ORGANIZATIONS {
        return Err(Error::InvalidName {
            field: "organization",
            value: orgs.join(","),
            reason: format!(
                "{} groups; kpki writes at most {}",
                orgs.len(),
                1 + MAX_EXTRA_ORGANIZATIONS
            ),
        });
    }
    let mut dn = rcgen::DistinguishedName::new();
    let mut placeholders = Vec::new();
    for (i, o) in orgs.iter().enumerate() {
        if i == 0 {
            dn.push(DnType::OrganizationName, dn_value(o));
        } else {
            // i ≤ 8, so the arc stays below 128 (one byte).
            let arc = FIRST_PLACEHOLDER + u8::try_from(i - 1).unwrap_or(0);
            placeholders.push(arc);
            dn.push(
                DnType::CustomDnType(vec![2, 5, 4, u64::from(arc)]),
                dn_value(o),
            );
        }
    }
    dn.push(DnType::CommonName, dn_value(identity.common_name()));
    Ok(EncodedSubject {
        dn,
        fix: (!placeholders.is_empty()).then_some(SubjectFix { placeholders }),
    })
}

fn dn_value(s: &str) -> rcgen::DnValue {
    // rcgen accepts '?' in a PrintableString (as X.680 does), but yasna, which writes
    // rcgen's DER, panics on it: such names go out as UTF8String (found by fuzzing).
    match rcgen::string::PrintableString::try_from(s) {
        Ok(p) if !s.contains('?') => rcgen::DnValue::PrintableString(p),
        _ => rcgen::DnValue::Utf8String(s.to_owned()),
    }
}

impl SubjectFix {
    /// Rewrites the placeholder OIDs inside the subject of `der` (a certificate, TBS,
    /// request or request info). Returns false if the subject could not be located.
    pub(crate) fn apply(&self, der: &[u8], structure: Structure) -> Option<Vec<u8>> {
        let (start, len) = subject_range(der, structure)?;
        let mut out = der.to_vec();
        let region = out.get_mut(start..start + len)?;
        let mut i = 0;
        while i + 5 <= region.len() {
            if region[i..i + 4] == [0x06, 0x03, 0x55, 0x04]
                && self.placeholders.contains(&region[i + 4])
            {
                region[i + 4] = ORGANIZATION_ARC;
                i += 5;
            } else {
                i += 1;
            }
        }
        Some(out)
    }
}

fn subject_range(der: &[u8], structure: Structure) -> Option<(usize, usize)> {
    use x509_parser::prelude::FromDer;
    let subject: &[u8] = match structure {
        Structure::Request => {
            use x509_parser::certification_request::{
                X509CertificationRequest, X509CertificationRequestInfo,
            };
            if let Ok((_, r)) = X509CertificationRequest::from_der(der) {
                r.certification_request_info.subject.as_raw()
            } else {
                let (_, info) = X509CertificationRequestInfo::from_der(der).ok()?;
                info.subject.as_raw()
            }
        }
    };
    let start = (subject.as_ptr() as usize).checked_sub(der.as_ptr() as usize)?;
    (start + subject.len() <= der.len()).then_some((start, subject.len()))
}

/// A signing key that signs the fixed bytes of what rcgen hands it.
pub(crate) struct FixingKey<'a, K> {
    pub(crate) inner: &'a K,
    pub(crate) fix: &'a SubjectFix,
    pub(crate) structure: Structure,
}

impl<K: rcgen::PublicKeyData> rcgen::PublicKeyData for FixingKey<'_, K> {
    fn der_bytes(&self) -> &[u8] {
        self.inner.der_bytes()
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        self.inner.algorithm()
    }
}

impl<K: SigningKey> SigningKey for FixingKey<'_, K> {
    fn sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, rcgen::Error> {
        let fixed = self
            .fix
            .apply(msg, self.structure)
            .ok_or(rcgen::Error::RemoteKeyError)?;
        self.inner.sign(&fixed)
    }
}

/// Serializes and signs a CSR for `params` with `key`, applying the rewrite.
pub(crate) fn sign_request(
    params: &rcgen::CertificateParams,
    key: &crate::key::PrivateKey,
    fix: &SubjectFix,
) -> Result<Vec<u8>> {
    let fixing = FixingKey {
        inner: key,
        fix,
        structure: Structure::Request,
    };
    let request = params
        .serialize_request(&fixing)
        .map_err(|e| Error::crypto("CSR signing", e))?;
    fix.apply(request.der(), Structure::Request)
        .ok_or_else(|| Error::crypto("CSR signing", "cannot locate the subject to rewrite"))
}

//! Key pairs: generation, loading kubeadm's (and everybody else's) PEM forms, saving
//! them the way kubeadm does.
//!
//! A [`PrivateKey`] holds its secret as PKCS#8 DER internally, zeroized on drop, and
//! never shows it in `Debug`. It loads PKCS#1 (`RSA PRIVATE KEY`), SEC1
//! (`EC PRIVATE KEY`) and PKCS#8 (`PRIVATE KEY`), and writes the form kubeadm writes:
//! PKCS#1 for RSA, SEC1 for ECDSA, PKCS#8 for Ed25519 (which kubeadm does not offer).

use std::fmt;
use std::str::FromStr;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{self as lc_sig, EcdsaKeyPair};
use pkcs8::ObjectIdentifier;
use pkcs8::der::Decode;
use rcgen::{PublicKeyData, SigningKey};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::pem_util;

/// The key algorithms kpki generates and loads (kubeadm's `encryptionAlgorithm`,
/// plus Ed25519).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum KeyAlgorithm {
    /// RSA with a 2048-bit modulus, signing with PKCS#1 v1.5 SHA-256 (kubeadm's default).
    #[default]
    Rsa2048,
    /// RSA with a 3072-bit modulus.
    Rsa3072,
    /// RSA with a 4096-bit modulus.
    Rsa4096,
    /// ECDSA on P-256, signing with SHA-256.
    EcdsaP256,
    /// ECDSA on P-384, signing with SHA-384.
    EcdsaP384,
    /// Ed25519 (not offered by kubeadm; Kubernetes accepts it for X.509 but not for
    /// service-account tokens).
    Ed25519,
}

impl KeyAlgorithm {
    /// Every algorithm, in the order of the CLI's choices.
    pub const ALL: [KeyAlgorithm; 6] = [
        KeyAlgorithm::Rsa2048,
        KeyAlgorithm::Rsa3072,
        KeyAlgorithm::Rsa4096,
        KeyAlgorithm::EcdsaP256,
        KeyAlgorithm::EcdsaP384,
        KeyAlgorithm::Ed25519,
    ];

    /// The name used on the command line and in the bindings (`rsa-2048`, `ecdsa-p256`, ...).
    pub fn name(self) -> &'static str {
        match self {
            KeyAlgorithm::Rsa2048 => "rsa-2048",
            KeyAlgorithm::Rsa3072 => "rsa-3072",
            KeyAlgorithm::Rsa4096 => "rsa-4096",
            KeyAlgorithm::EcdsaP256 => "ecdsa-p256",
            KeyAlgorithm::EcdsaP384 => "ecdsa-p384",
            KeyAlgorithm::Ed25519 => "ed25519",
        }
    }

    /// Whether this is an RSA algorithm (keyEncipherment only makes sense for those).
    pub fn is_rsa(self) -> bool {
        matches!(
            self,
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096
        )
    }

    /// kubeadm's `encryptionAlgorithm` value for this algorithm, if kubeadm has one.
    pub fn kubeadm_name(self) -> Option<&'static str> {
        match self {
            KeyAlgorithm::Rsa2048 => Some("RSA-2048"),
            KeyAlgorithm::Rsa3072 => Some("RSA-3072"),
            KeyAlgorithm::Rsa4096 => Some("RSA-4096"),
            KeyAlgorithm::EcdsaP256 => Some("ECDSA-P256"),
            KeyAlgorithm::EcdsaP384 => Some("ECDSA-P384"),
            KeyAlgorithm::Ed25519 => None,
        }
    }

    /// Parses kubeadm's `encryptionAlgorithm` spelling (`RSA-2048`, `ECDSA-P256`, ...,
    /// and `ECDSA` which kubeadm treats as P-256).
    pub fn from_kubeadm_name(value: &str) -> Option<KeyAlgorithm> {
        match value {
            "RSA-2048" => Some(KeyAlgorithm::Rsa2048),
            "RSA-3072" => Some(KeyAlgorithm::Rsa3072),
            "RSA-4096" => Some(KeyAlgorithm::Rsa4096),
            "ECDSA-P256" | "ECDSA" => Some(KeyAlgorithm::EcdsaP256),
            "ECDSA-P384" => Some(KeyAlgorithm::EcdsaP384),
            _ => None,
        }
    }

    pub(crate) fn rcgen_algorithm(self) -> &'static rcgen::SignatureAlgorithm {
        match self {
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => {
                &rcgen::PKCS_RSA_SHA256
            }
            KeyAlgorithm::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            KeyAlgorithm::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            KeyAlgorithm::Ed25519 => &rcgen::PKCS_ED25519,
        }
    }

    /// The X.509 signature algorithm a key of this kind signs with, as its usual name
    /// (`sha256WithRSAEncryption`, `ecdsa-with-SHA256`, `ecdsa-with-SHA384`, `ED25519`).
    pub fn signature_algorithm_name(self) -> &'static str {
        match self {
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => {
                "sha256WithRSAEncryption"
            }
            KeyAlgorithm::EcdsaP256 => "ecdsa-with-SHA256",
            KeyAlgorithm::EcdsaP384 => "ecdsa-with-SHA384",
            KeyAlgorithm::Ed25519 => "ED25519",
        }
    }

    fn from_rsa_bits(bits: usize, what: &str) -> Result<KeyAlgorithm> {
        match bits {
            2048 => Ok(KeyAlgorithm::Rsa2048),
            3072 => Ok(KeyAlgorithm::Rsa3072),
            4096 => Ok(KeyAlgorithm::Rsa4096),
            other => Err(Error::InvalidKey {
                what: what.to_owned(),
                reason: format!("RSA-{other} is not supported (use 2048, 3072 or 4096 bits)"),
            }),
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for KeyAlgorithm {
    type Err = Error;

    /// Accepts the CLI names (`rsa-2048`, `ecdsa-p256`, ...) and kubeadm's (`RSA-2048`, `ECDSA-P256`).
    fn from_str(s: &str) -> Result<Self> {
        KeyAlgorithm::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .or_else(|| KeyAlgorithm::from_kubeadm_name(s))
            .ok_or_else(|| Error::UnknownChoice {
                field: "key algorithm",
                value: s.to_owned(),
                expected: "rsa-2048, rsa-3072, rsa-4096, ecdsa-p256, ecdsa-p384, ed25519",
            })
    }
}

const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// A public key: its algorithm and its DER `SubjectPublicKeyInfo`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PublicKey {
    algorithm: KeyAlgorithm,
    spki: Vec<u8>,
    /// The `subjectPublicKey` BIT STRING contents (what rcgen calls `der_bytes`).
    raw: Vec<u8>,
}

impl PublicKey {
    /// Parses a DER `SubjectPublicKeyInfo`.
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey> {
        use x509_parser::prelude::FromDer;
        use x509_parser::public_key::PublicKey as XPk;
        let what = "public key";
        let bad = |reason: String| Error::InvalidKey {
            what: what.to_owned(),
            reason,
        };
        let (rest, spki) = x509_parser::x509::SubjectPublicKeyInfo::from_der(der)
            .map_err(|e| bad(format!("not a SubjectPublicKeyInfo: {e}")))?;
        if !rest.is_empty() {
            return Err(bad("trailing data after SubjectPublicKeyInfo".into()));
        }
        let oid = spki.algorithm.algorithm.to_id_string();
        let algorithm = match oid.as_str() {
            "1.2.840.113549.1.1.1" => match spki.parsed() {
                Ok(XPk::RSA(rsa)) => KeyAlgorithm::from_rsa_bits(rsa.key_size(), what)?,
                _ => return Err(bad("malformed RSA public key".into())),
            },
            "1.2.840.10045.2.1" => {
                let curve = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.as_oid().ok())
                    .map(|o| o.to_id_string());
                match curve.as_deref() {
                    Some("1.2.840.10045.3.1.7") => KeyAlgorithm::EcdsaP256,
                    Some("1.3.132.0.34") => KeyAlgorithm::EcdsaP384,
                    other => {
                        return Err(bad(format!(
                            "unsupported elliptic curve {}",
                            other.unwrap_or("(none)")
                        )));
                    }
                }
            }
            "1.3.101.112" => KeyAlgorithm::Ed25519,
            other => return Err(bad(format!("unsupported public key algorithm {other}"))),
        };
        let raw = spki.subject_public_key.data.to_vec();
        match algorithm {
            // Only the uncompressed point form (0x04 ‖ X ‖ Y) that every X.509 stack reads;
            // a compressed or "hybrid" point would be copied into issued certificates.
            KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384 => {
                let len = if algorithm == KeyAlgorithm::EcdsaP256 {
                    65
                } else {
                    97
                };
                if raw.len() != len || raw.first() != Some(&0x04) {
                    return Err(bad(format!(
                        "{algorithm} public key is not an uncompressed point of {len} bytes"
                    )));
                }
            }
            KeyAlgorithm::Ed25519 if raw.len() != 32 => {
                return Err(bad(format!(
                    "Ed25519 public key has {} bytes, not 32",
                    raw.len()
                )));
            }
            _ => {}
        }
        // The SPKI is copied verbatim into certificates: accept only its one DER encoding
        // (x509-parser tolerates wrong tags, unused bits and BER lengths).
        let canonical = canonical_spki(algorithm, &raw);
        if canonical != der {
            return Err(bad(
                "SubjectPublicKeyInfo is not in canonical DER (algorithm identifier or bit string encoded unusually)"
                    .into(),
            ));
        }
        Ok(PublicKey {
            algorithm,
            spki: canonical,
            raw,
        })
    }

    /// Parses a `PUBLIC KEY` PEM block.
    pub fn from_pem(pem: &str) -> Result<PublicKey> {
        let der = pem_util::decode_one(pem, &["PUBLIC KEY"], "public key")?;
        PublicKey::from_spki_der(&der)
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// The DER `SubjectPublicKeyInfo`.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// The key as a `PUBLIC KEY` PEM block (what kubeadm writes to `sa.pub`).
    pub fn to_pem(&self) -> String {
        pem_util::encode("PUBLIC KEY", &self.spki)
    }

    /// Verifies `signature` over `message` made by the private half of this key with
    /// the algorithm's X.509 signature scheme (PKCS#1 v1.5 SHA-256 for RSA, ECDSA
    /// ASN.1 with SHA-256/384, Ed25519).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let alg: &dyn lc_sig::VerificationAlgorithm = match self.algorithm {
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => {
                &lc_sig::RSA_PKCS1_2048_8192_SHA256
            }
            KeyAlgorithm::EcdsaP256 => &lc_sig::ECDSA_P256_SHA256_ASN1,
            KeyAlgorithm::EcdsaP384 => &lc_sig::ECDSA_P384_SHA384_ASN1,
            KeyAlgorithm::Ed25519 => &lc_sig::ED25519,
        };
        lc_sig::UnparsedPublicKey::new(alg, &self.raw)
            .verify(message, signature)
            .is_ok()
    }

    pub(crate) fn raw(&self) -> &[u8] {
        &self.raw
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl PublicKeyData for PublicKey {
    fn der_bytes(&self) -> &[u8] {
        &self.raw
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        self.algorithm.rcgen_algorithm()
    }
}

/// A private key (with its public half).
///
/// The secret is zeroized when the value is dropped and never appears in `Debug`
/// output. Cloning copies the secret (zeroized on drop as well).
pub struct PrivateKey {
    algorithm: KeyAlgorithm,
    pair: rcgen::KeyPair,
    public: PublicKey,
}

impl PrivateKey {
    /// Generates a fresh key pair from the system RNG.
    ///
    /// RSA generation costs ~0.1 s (2048 bits) to seconds (4096 bits) in a release build;
    /// ECDSA and Ed25519 take microseconds.
    pub fn generate(algorithm: KeyAlgorithm) -> Result<PrivateKey> {
        let alg = algorithm.rcgen_algorithm();
        let pair = match algorithm {
            KeyAlgorithm::Rsa2048 => {
                rcgen::KeyPair::generate_rsa_for(alg, rcgen::RsaKeySize::_2048)
            }
            KeyAlgorithm::Rsa3072 => {
                rcgen::KeyPair::generate_rsa_for(alg, rcgen::RsaKeySize::_3072)
            }
            KeyAlgorithm::Rsa4096 => {
                rcgen::KeyPair::generate_rsa_for(alg, rcgen::RsaKeySize::_4096)
            }
            _ => rcgen::KeyPair::generate_for(alg),
        }
        .map_err(|e| Error::crypto("key generation", e))?;
        PrivateKey::from_pair(algorithm, pair)
    }

    fn from_pair(algorithm: KeyAlgorithm, pair: rcgen::KeyPair) -> Result<PrivateKey> {
        let spki = pair.subject_public_key_info();
        let public = PublicKey {
            algorithm,
            spki,
            raw: pair.public_key_raw().to_vec(),
        };
        Ok(PrivateKey {
            algorithm,
            pair,
            public,
        })
    }

    /// Loads a key from PEM: `RSA PRIVATE KEY` (PKCS#1), `EC PRIVATE KEY` (SEC1, P-256
    /// or P-384) or `PRIVATE KEY` (PKCS#8: RSA, ECDSA or Ed25519). Encrypted keys are
    /// refused. `what` names the source in errors (a path, "CA key", ...).
    pub fn from_pem_named(pem: &str, what: &str) -> Result<PrivateKey> {
        let block = pem_util::decode_first(
            pem,
            &[
                "RSA PRIVATE KEY",
                "EC PRIVATE KEY",
                "PRIVATE KEY",
                "ENCRYPTED PRIVATE KEY",
            ],
            what,
        )?;
        let der = Zeroizing::new(block.1);
        match block.0.as_str() {
            "RSA PRIVATE KEY" => PrivateKey::from_pkcs1_der(&der, what),
            "EC PRIVATE KEY" => PrivateKey::from_sec1_der(&der, what),
            "PRIVATE KEY" => PrivateKey::from_pkcs8_der_named(&der, what),
            _ => Err(Error::InvalidKey {
                what: what.to_owned(),
                reason: "encrypted private keys are not supported; decrypt it first".into(),
            }),
        }
    }

    /// Loads a key from PEM (see [`PrivateKey::from_pem_named`]).
    pub fn from_pem(pem: &str) -> Result<PrivateKey> {
        PrivateKey::from_pem_named(pem, "private key")
    }

    /// Loads a DER key of unknown form (PKCS#8, PKCS#1 or SEC1).
    pub fn from_der(der: &[u8]) -> Result<PrivateKey> {
        let what = "private key";
        PrivateKey::from_pkcs8_der_named(der, what)
            .or_else(|_| PrivateKey::from_pkcs1_der(der, what))
            .or_else(|_| PrivateKey::from_sec1_der(der, what))
            .map_err(|_| Error::InvalidKey {
                what: what.to_owned(),
                reason: "not a PKCS#8, PKCS#1 or SEC1 private key".into(),
            })
    }

    fn from_pkcs1_der(der: &[u8], what: &str) -> Result<PrivateKey> {
        let rsa = aws_lc_rs::rsa::KeyPair::from_der(der).map_err(|e| Error::InvalidKey {
            what: what.to_owned(),
            reason: format!("not a PKCS#1 RSA private key: {e}"),
        })?;
        let algorithm = KeyAlgorithm::from_rsa_bits(rsa.public_modulus_len() * 8, what)?;
        let pkcs8 = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&rsa)
            .map_err(|e| Error::crypto("PKCS#8 encoding", e))?;
        PrivateKey::from_pkcs8_known(pkcs8.as_ref(), algorithm, what)
    }

    fn from_sec1_der(der: &[u8], what: &str) -> Result<PrivateKey> {
        for (algorithm, lc) in [
            (
                KeyAlgorithm::EcdsaP256,
                &lc_sig::ECDSA_P256_SHA256_ASN1_SIGNING,
            ),
            (
                KeyAlgorithm::EcdsaP384,
                &lc_sig::ECDSA_P384_SHA384_ASN1_SIGNING,
            ),
        ] {
            if let Ok(pair) = EcdsaKeyPair::from_private_key_der(lc, der) {
                let pkcs8 = pair
                    .to_pkcs8v1()
                    .map_err(|e| Error::crypto("PKCS#8 encoding", e))?;
                return PrivateKey::from_pkcs8_known(pkcs8.as_ref(), algorithm, what);
            }
        }
        Err(Error::InvalidKey {
            what: what.to_owned(),
            reason: "not a SEC1 EC private key on P-256 or P-384".into(),
        })
    }

    fn from_pkcs8_der_named(der: &[u8], what: &str) -> Result<PrivateKey> {
        let bad = |reason: String| Error::InvalidKey {
            what: what.to_owned(),
            reason,
        };
        let info = pkcs8::PrivateKeyInfo::from_der(der)
            .map_err(|e| bad(format!("not a PKCS#8 private key: {e}")))?;
        let algorithm = match info.algorithm.oid {
            OID_RSA => {
                let rsa = aws_lc_rs::rsa::KeyPair::from_pkcs8(der)
                    .map_err(|e| bad(format!("bad RSA key: {e}")))?;
                KeyAlgorithm::from_rsa_bits(rsa.public_modulus_len() * 8, what)?
            }
            OID_EC => match info.algorithm.parameters_oid() {
                Ok(OID_P256) => KeyAlgorithm::EcdsaP256,
                Ok(OID_P384) => KeyAlgorithm::EcdsaP384,
                Ok(other) => return Err(bad(format!("unsupported elliptic curve {other}"))),
                Err(_) => return Err(bad("EC key without a named curve".into())),
            },
            OID_ED25519 => KeyAlgorithm::Ed25519,
            other => return Err(bad(format!("unsupported key algorithm {other}"))),
        };
        PrivateKey::from_pkcs8_known(der, algorithm, what)
    }

    fn from_pkcs8_known(der: &[u8], algorithm: KeyAlgorithm, what: &str) -> Result<PrivateKey> {
        let key = rustls_pki_types::PrivatePkcs8KeyDer::from(der.to_vec());
        let pair = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&key, algorithm.rcgen_algorithm())
            .map_err(|e| Error::InvalidKey {
                what: what.to_owned(),
                reason: e.to_string(),
            })?;
        PrivateKey::from_pair(algorithm, pair)
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// The public half.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The secret as PKCS#8 DER. An Ed25519 key comes out as PKCS#8 v1 (RFC 8410 §7,
    /// without the optional public key), the form `openssl genpkey` writes: OpenSSL 3.0
    /// refuses the v2 form the crypto backend produces.
    pub fn to_pkcs8_der(&self) -> Zeroizing<Vec<u8>> {
        let der = self.pair.serialized_der();
        if self.algorithm == KeyAlgorithm::Ed25519 {
            let v1 = pkcs8::PrivateKeyInfo::from_der(der).and_then(|mut info| {
                info.public_key = None;
                pkcs8::der::Encode::to_der(&info)
            });
            if let Ok(v1) = v1 {
                return Zeroizing::new(v1);
            }
        }
        Zeroizing::new(der.to_vec())
    }

    /// The key as a `PRIVATE KEY` (PKCS#8) PEM block (v1 for Ed25519, see
    /// [`PrivateKey::to_pkcs8_der`]).
    pub fn to_pkcs8_pem(&self) -> Zeroizing<String> {
        Zeroizing::new(pem_util::encode("PRIVATE KEY", &self.to_pkcs8_der()))
    }

    /// The key in the PEM form kubeadm writes: `RSA PRIVATE KEY` (PKCS#1) for RSA,
    /// `EC PRIVATE KEY` (SEC1) for ECDSA; Ed25519 (which kubeadm lacks) as PKCS#8.
    pub fn to_pem(&self) -> Zeroizing<String> {
        let pkcs8 = self.pair.serialized_der();
        let converted: Result<(&str, Zeroizing<Vec<u8>>)> = match self.algorithm {
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => {
                pkcs8::PrivateKeyInfo::from_der(pkcs8)
                    .map(|info| ("RSA PRIVATE KEY", Zeroizing::new(info.private_key.to_vec())))
                    .map_err(|e| Error::crypto("PKCS#1 encoding", e))
            }
            KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384 => {
                let lc = if self.algorithm == KeyAlgorithm::EcdsaP256 {
                    &lc_sig::ECDSA_P256_SHA256_ASN1_SIGNING
                } else {
                    &lc_sig::ECDSA_P384_SHA384_ASN1_SIGNING
                };
                EcdsaKeyPair::from_pkcs8(lc, pkcs8)
                    .map_err(|e| Error::crypto("SEC1 encoding", e))
                    .and_then(|pair| {
                        pair.private_key()
                            .as_der()
                            .map(|d| ("EC PRIVATE KEY", Zeroizing::new(d.as_ref().to_vec())))
                            .map_err(|e| Error::crypto("SEC1 encoding", e))
                    })
            }
            KeyAlgorithm::Ed25519 => return self.to_pkcs8_pem(),
        };
        match converted {
            Ok((label, der)) => Zeroizing::new(pem_util::encode(label, &der)),
            // The PKCS#8 document was produced or validated by aws-lc itself, so the
            // conversions cannot fail in practice; PKCS#8 is still a correct encoding.
            Err(_) => self.to_pkcs8_pem(),
        }
    }

    /// Signs `message` with the algorithm's X.509 signature scheme.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        self.pair
            .sign(message)
            .map_err(|e| Error::crypto("signing", e))
    }

    /// Whether `public` is this key's public half.
    pub fn matches(&self, public: &PublicKey) -> bool {
        self.public.spki == public.spki
    }
}

impl Clone for PrivateKey {
    fn clone(&self) -> Self {
        let der = self.to_pkcs8_der();
        // A PKCS#8 document this key produced always loads again.
        match PrivateKey::from_pkcs8_known(&der, self.algorithm, "private key") {
            Ok(key) => key,
            Err(_) => unreachable!("a key's own PKCS#8 encoding must load"), // ok: own encoding
        }
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl PublicKeyData for PrivateKey {
    fn der_bytes(&self) -> &[u8] {
        self.pair.der_bytes()
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        self.pair.algorithm()
    }
}

impl SigningKey for PrivateKey {
    fn sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, rcgen::Error> {
        self.pair.sign(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ed25519_pkcs8_is_v1_and_loads_back() {
        let key = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
        let der = key.to_pkcs8_der();
        // RFC 8410 §7: SEQUENCE { INTEGER 0, SEQUENCE { 1.3.101.112 }, OCTET STRING }.
        assert_eq!(der.len(), 48);
        assert_eq!(&der[..5], &[0x30, 0x2e, 0x02, 0x01, 0x00]);
        let again = PrivateKey::from_der(&der).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        assert!(key.to_pem().starts_with("-----BEGIN PRIVATE KEY-----"));
    }

    #[test]
    fn ecdsa_key_round_trips_through_kubeadm_pem() {
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let pem = key.to_pem();
        assert!(pem.starts_with("-----BEGIN EC PRIVATE KEY-----"));
        let back = PrivateKey::from_pem(&pem).unwrap();
        assert_eq!(back.public_key(), key.public_key());
        let p8 = PrivateKey::from_pem(&key.to_pkcs8_pem()).unwrap();
        assert_eq!(p8.algorithm(), KeyAlgorithm::EcdsaP256);
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let key = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
        let dbg = format!("{key:?}");
        assert_eq!(dbg, "PrivateKey { algorithm: Ed25519, .. }");
    }

    #[test]
    fn signature_verifies_with_public_key() {
        for alg in [
            KeyAlgorithm::EcdsaP256,
            KeyAlgorithm::EcdsaP384,
            KeyAlgorithm::Ed25519,
        ] {
            let key = PrivateKey::generate(alg).unwrap();
            let sig = key.sign(b"hello").unwrap();
            assert!(key.public_key().verify(b"hello", &sig), "{alg}");
            assert!(!key.public_key().verify(b"hellO", &sig), "{alg}");
        }
    }

    #[test]
    fn garbage_is_a_clear_error() {
        let err = PrivateKey::from_pem("not pem").unwrap_err();
        assert!(err.to_string().contains("private key"), "{err}");
        let err = PrivateKey::from_pem(
            "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
        )
        .unwrap_err();
        assert!(matches!(err, Error::InvalidKey { .. }), "{err}");
    }

    #[test]
    fn algorithm_names_parse_both_spellings() {
        assert_eq!(
            "ecdsa-p384".parse::<KeyAlgorithm>().unwrap(),
            KeyAlgorithm::EcdsaP384
        );
        assert_eq!(
            "RSA-4096".parse::<KeyAlgorithm>().unwrap(),
            KeyAlgorithm::Rsa4096
        );
        assert!("dsa".parse::<KeyAlgorithm>().is_err());
    }
}

/// DER of a TLV with definite, minimal length.
fn der_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 4);
    out.push(tag);
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes = n.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// The DER `SubjectPublicKeyInfo` of a public key of `algorithm` with `raw` as its
/// subjectPublicKey bits (RFC 5280, RFC 3279, RFC 5480, RFC 8410).
fn canonical_spki(algorithm: KeyAlgorithm, raw: &[u8]) -> Vec<u8> {
    const RSA: &[u8] = &[
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    const P256: &[u8] = &[
        0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86,
        0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
    ];
    const P384: &[u8] = &[
        0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b, 0x81,
        0x04, 0x00, 0x22,
    ];
    const ED25519: &[u8] = &[0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70];
    let alg = match algorithm {
        KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => RSA,
        KeyAlgorithm::EcdsaP256 => P256,
        KeyAlgorithm::EcdsaP384 => P384,
        KeyAlgorithm::Ed25519 => ED25519,
    };
    let mut bits = Vec::with_capacity(raw.len() + 1);
    bits.push(0);
    bits.extend_from_slice(raw);
    let mut content = alg.to_vec();
    content.extend(der_tlv(0x03, &bits));
    der_tlv(0x30, &content)
}

#[cfg(test)]
mod spki_tests {
    use super::*;

    #[test]
    fn every_generated_key_has_a_canonical_spki() {
        for alg in [
            KeyAlgorithm::Rsa2048,
            KeyAlgorithm::EcdsaP256,
            KeyAlgorithm::EcdsaP384,
            KeyAlgorithm::Ed25519,
        ] {
            let k = PrivateKey::generate(alg).unwrap();
            let spki = k.public_key().spki_der();
            assert_eq!(
                PublicKey::from_spki_der(spki).unwrap().spki_der(),
                spki,
                "{alg}"
            );
        }
    }

    #[test]
    fn hybrid_or_compressed_points_and_lax_encodings_are_refused() {
        let k = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let spki = k.public_key().spki_der().to_vec();
        // The point starts after the 0x00 unused-bits byte: 0x04 → 0x06 (hybrid).
        let at = spki.len() - 65;
        assert_eq!(spki[at], 0x04);
        let mut hybrid = spki.clone();
        hybrid[at] = 0x06;
        let err = PublicKey::from_spki_der(&hybrid).unwrap_err();
        assert!(err.to_string().contains("uncompressed point"), "{err}");
        // A non-zero unused-bits count in the BIT STRING.
        let mut unused = spki.clone();
        unused[at - 1] = 0x01;
        assert!(PublicKey::from_spki_der(&unused).is_err());
        // A long-form length where the short form is required (BER, not DER).
        let mut ber = vec![0x30, 0x81, spki[1]];
        ber.extend_from_slice(&spki[2..]);
        assert!(PublicKey::from_spki_der(&ber).is_err());
    }
}

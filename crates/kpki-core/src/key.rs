//! Key pairs: generation, loading kubeadm's (and everybody else's) PEM forms, saving
//! them the way kubeadm does.
//!
//! A [`PrivateKey`] holds its secret as PKCS#8 DER internally, zeroized on drop, and
//! never shows it in `Debug`. It loads PKCS#1 (`RSA PRIVATE KEY`), SEC1
//! (`EC PRIVATE KEY`) and PKCS#8 (`PRIVATE KEY`), and writes the form kubeadm writes:
//! PKCS#1 for RSA, SEC1 for ECDSA, PKCS#8 for Ed25519 (which kubeadm does not offer).

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{self as lc_sig, EcdsaKeyPair};
use pkcs8::ObjectIdentifier;
use pkcs8::der::Decode;
use rcgen::{PublicKeyData, SigningKey};
use zeroize::Zeroizing;

use crate::error::{Error, KeyProblem, Origin, Result};
use crate::names::KeyAlgorithm;
use crate::pem::{self, Encoded};

/// rcgen's signature algorithm for a key of `algorithm` (rcgen holds the key pairs).
fn rcgen_algorithm(algorithm: KeyAlgorithm) -> &'static rcgen::SignatureAlgorithm {
    match algorithm {
        KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => {
            &rcgen::PKCS_RSA_SHA256
        }
        KeyAlgorithm::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
        KeyAlgorithm::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
        KeyAlgorithm::Ed25519 => &rcgen::PKCS_ED25519,
    }
}

fn rsa_algorithm(bits: usize, what: &Origin) -> Result<KeyAlgorithm> {
    KeyAlgorithm::from_rsa_bits(bits).ok_or_else(|| Error::InvalidKey {
        what: what.clone(),
        problem: KeyProblem::RsaSize { bits },
    })
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
    /// The `subjectPublicKey` BIT STRING contents.
    raw: Vec<u8>,
}

impl PublicKey {
    /// Parses a DER `SubjectPublicKeyInfo`.
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey> {
        PublicKey::from_spki_der_in(der, &Origin::input("public key"))
    }

    pub(crate) fn from_spki_der_in(der: &[u8], what: &Origin) -> Result<PublicKey> {
        use x509_parser::prelude::FromDer;
        use x509_parser::public_key::PublicKey as XPk;
        let bad = |problem: KeyProblem| Error::InvalidKey {
            what: what.clone(),
            problem,
        };
        let (rest, spki) =
            x509_parser::x509::SubjectPublicKeyInfo::from_der(der).map_err(|_| {
                bad(KeyProblem::Malformed {
                    form: "SubjectPublicKeyInfo",
                })
            })?;
        if !rest.is_empty() {
            return Err(bad(KeyProblem::TrailingData));
        }
        let oid = spki.algorithm.algorithm.to_id_string();
        let algorithm = match oid.as_str() {
            "1.2.840.113549.1.1.1" => match spki.parsed() {
                Ok(XPk::RSA(rsa)) => rsa_algorithm(rsa.key_size(), what)?,
                _ => {
                    return Err(bad(KeyProblem::Malformed {
                        form: "RSA public key",
                    }));
                }
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
                        return Err(bad(KeyProblem::Curve {
                            oid: other.unwrap_or("(none)").to_owned(),
                        }));
                    }
                }
            }
            "1.3.101.112" => KeyAlgorithm::Ed25519,
            _ => return Err(bad(KeyProblem::Algorithm { oid })),
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
                    return Err(bad(KeyProblem::NotUncompressedPoint { len }));
                }
            }
            KeyAlgorithm::Ed25519 if raw.len() != 32 => {
                return Err(bad(KeyProblem::Ed25519Length { len: raw.len() }));
            }
            _ => {}
        }
        // The SPKI is copied verbatim into certificates: accept only its one DER encoding
        // (x509-parser tolerates wrong tags, unused bits and BER lengths).
        let canonical = canonical_spki(algorithm, &raw);
        if canonical != der {
            return Err(bad(KeyProblem::NotCanonical));
        }
        Ok(PublicKey {
            algorithm,
            spki: canonical,
            raw,
        })
    }

    /// Parses a `PUBLIC KEY` PEM block.
    pub fn from_pem(pem: &str) -> Result<PublicKey> {
        let what = Origin::input("public key");
        let der = pem::decode_one(pem, &["PUBLIC KEY"], &what)?;
        PublicKey::from_spki_der_in(&der, &what)
    }

    /// Reads a public key as PEM (`PUBLIC KEY`) or DER (`SubjectPublicKeyInfo`),
    /// naming `what` in errors.
    pub fn load(bytes: &[u8], what: impl Into<Origin>) -> Result<PublicKey> {
        let what = what.into();
        match pem::detect(bytes, &what, "PUBLIC KEY")? {
            Encoded::Pem(text) => {
                let der = pem::decode_one(text, &["PUBLIC KEY"], &what)?;
                PublicKey::from_spki_der_in(&der, &what)
            }
            Encoded::Der(der) => PublicKey::from_spki_der_in(der, &what),
        }
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
        pem::encode("PUBLIC KEY", &self.spki)
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

    /// The `subjectPublicKey` BIT STRING contents (what a key identifier hashes).
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

/// A private key (with its public half).
///
/// The secret is zeroized when the last handle to it is dropped and never appears in
/// `Debug` output. Cloning shares the key (no copy of the secret, no re-parse).
#[derive(Clone)]
pub struct PrivateKey(Arc<KeyInner>);

struct KeyInner {
    algorithm: KeyAlgorithm,
    /// rcgen's key pair over aws-lc-rs; its PKCS#8 copy is zeroized on drop.
    pair: rcgen::KeyPair,
    public: PublicKey,
}

impl PrivateKey {
    /// Generates a fresh key pair from the system RNG.
    ///
    /// RSA generation costs ~0.1 s (2048 bits) to seconds (4096 bits) in a release build;
    /// ECDSA and Ed25519 take microseconds.
    pub fn generate(algorithm: KeyAlgorithm) -> Result<PrivateKey> {
        let alg = rcgen_algorithm(algorithm);
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
        Ok(PrivateKey::from_pair(algorithm, pair))
    }

    /// The key given, or a new one of `algorithm` (kubeadm's RSA-2048 when neither);
    /// both at once is refused, since the key has an algorithm of its own.
    pub fn given_or_generated(
        key: Option<PrivateKey>,
        algorithm: Option<KeyAlgorithm>,
    ) -> Result<PrivateKey> {
        match (key, algorithm) {
            (Some(_), Some(_)) => Err(Error::InvalidSpec {
                problem: crate::error::SpecProblem::KeyAndAlgorithm,
            }),
            (Some(key), None) => Ok(key),
            (None, algorithm) => PrivateKey::generate(algorithm.unwrap_or_default()),
        }
    }

    fn from_pair(algorithm: KeyAlgorithm, pair: rcgen::KeyPair) -> PrivateKey {
        let public = PublicKey {
            algorithm,
            spki: pair.subject_public_key_info(),
            raw: pair.public_key_raw().to_vec(),
        };
        PrivateKey(Arc::new(KeyInner {
            algorithm,
            pair,
            public,
        }))
    }

    /// Loads a key from PEM: `RSA PRIVATE KEY` (PKCS#1), `EC PRIVATE KEY` (SEC1, P-256
    /// or P-384) or `PRIVATE KEY` (PKCS#8: RSA, ECDSA or Ed25519). Encrypted keys are
    /// refused.
    pub fn from_pem(pem: &str) -> Result<PrivateKey> {
        PrivateKey::from_pem_in(pem, &Origin::input("private key"))
    }

    /// Loads a DER key of unknown form (PKCS#8, PKCS#1 or SEC1).
    pub fn from_der(der: &[u8]) -> Result<PrivateKey> {
        PrivateKey::from_der_in(der, &Origin::input("private key"))
    }

    /// Reads a private key as PEM or DER (any form [`PrivateKey::from_pem`] and
    /// [`PrivateKey::from_der`] read), naming `what` in errors.
    pub fn load(bytes: &[u8], what: impl Into<Origin>) -> Result<PrivateKey> {
        let what = what.into();
        match pem::detect(bytes, &what, "PRIVATE KEY")? {
            Encoded::Pem(text) => PrivateKey::from_pem_in(text, &what),
            Encoded::Der(der) => PrivateKey::from_der_in(der, &what),
        }
    }

    pub(crate) fn from_pem_in(pem: &str, what: &Origin) -> Result<PrivateKey> {
        let (label, der) = pem::decode_first(
            pem,
            &[
                "RSA PRIVATE KEY",
                "EC PRIVATE KEY",
                "PRIVATE KEY",
                "ENCRYPTED PRIVATE KEY",
            ],
            what,
        )?;
        let der = Zeroizing::new(der);
        match label.as_str() {
            "RSA PRIVATE KEY" => PrivateKey::from_pkcs1_der(&der, what),
            "EC PRIVATE KEY" => PrivateKey::from_sec1_der(&der, what),
            "PRIVATE KEY" => PrivateKey::from_pkcs8_der(&der, what),
            _ => Err(Error::InvalidKey {
                what: what.clone(),
                problem: KeyProblem::Encrypted,
            }),
        }
    }

    fn from_der_in(der: &[u8], what: &Origin) -> Result<PrivateKey> {
        PrivateKey::from_pkcs8_der(der, what)
            .or_else(|_| PrivateKey::from_pkcs1_der(der, what))
            .or_else(|_| PrivateKey::from_sec1_der(der, what))
            .map_err(|_| Error::InvalidKey {
                what: what.clone(),
                problem: KeyProblem::UnknownForm,
            })
    }

    fn from_pkcs1_der(der: &[u8], what: &Origin) -> Result<PrivateKey> {
        let rsa = aws_lc_rs::rsa::KeyPair::from_der(der).map_err(|_| Error::InvalidKey {
            what: what.clone(),
            problem: KeyProblem::Malformed {
                form: "PKCS#1 RSA private key",
            },
        })?;
        let algorithm = rsa_algorithm(rsa.public_modulus_len() * 8, what)?;
        let pkcs8 = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&rsa)
            .map_err(|e| Error::crypto("PKCS#8 encoding", e))?;
        PrivateKey::from_pkcs8_known(pkcs8.as_ref(), algorithm, what)
    }

    fn from_sec1_der(der: &[u8], what: &Origin) -> Result<PrivateKey> {
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
            what: what.clone(),
            problem: KeyProblem::Malformed {
                form: "SEC1 EC private key on P-256 or P-384",
            },
        })
    }

    fn from_pkcs8_der(der: &[u8], what: &Origin) -> Result<PrivateKey> {
        let bad = |problem: KeyProblem| Error::InvalidKey {
            what: what.clone(),
            problem,
        };
        let info = pkcs8::PrivateKeyInfo::from_der(der).map_err(|_| {
            bad(KeyProblem::Malformed {
                form: "PKCS#8 private key",
            })
        })?;
        let algorithm = match info.algorithm.oid {
            OID_RSA => {
                let rsa = aws_lc_rs::rsa::KeyPair::from_pkcs8(der).map_err(|_| {
                    bad(KeyProblem::Malformed {
                        form: "PKCS#8 RSA private key",
                    })
                })?;
                rsa_algorithm(rsa.public_modulus_len() * 8, what)?
            }
            OID_EC => match info.algorithm.parameters_oid() {
                Ok(OID_P256) => KeyAlgorithm::EcdsaP256,
                Ok(OID_P384) => KeyAlgorithm::EcdsaP384,
                Ok(other) => {
                    return Err(bad(KeyProblem::Curve {
                        oid: other.to_string(),
                    }));
                }
                Err(_) => return Err(bad(KeyProblem::NoNamedCurve)),
            },
            OID_ED25519 => KeyAlgorithm::Ed25519,
            other => {
                return Err(bad(KeyProblem::Algorithm {
                    oid: other.to_string(),
                }));
            }
        };
        PrivateKey::from_pkcs8_known(der, algorithm, what)
    }

    fn from_pkcs8_known(der: &[u8], algorithm: KeyAlgorithm, what: &Origin) -> Result<PrivateKey> {
        let key = rustls_pki_types::PrivatePkcs8KeyDer::from(der.to_vec());
        let pair = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&key, rcgen_algorithm(algorithm))
            .map_err(|e| Error::InvalidKey {
            what: what.clone(),
            problem: KeyProblem::Backend {
                detail: e.to_string(),
            },
        })?;
        Ok(PrivateKey::from_pair(algorithm, pair))
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.0.algorithm
    }

    /// The public half.
    pub fn public_key(&self) -> &PublicKey {
        &self.0.public
    }

    /// The secret as PKCS#8 DER. An Ed25519 key comes out as PKCS#8 v1 (RFC 8410 §7,
    /// without the optional public key), the form `openssl genpkey` writes: OpenSSL 3.0
    /// refuses the v2 form the crypto backend produces.
    pub fn to_pkcs8_der(&self) -> Zeroizing<Vec<u8>> {
        let der = self.0.pair.serialized_der();
        if self.0.algorithm == KeyAlgorithm::Ed25519 {
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
        Zeroizing::new(pem::encode("PRIVATE KEY", &self.to_pkcs8_der()))
    }

    /// The key in the PEM form kubeadm writes: `RSA PRIVATE KEY` (PKCS#1) for RSA,
    /// `EC PRIVATE KEY` (SEC1) for ECDSA; Ed25519 (which kubeadm lacks) as PKCS#8.
    pub fn to_pem(&self) -> Zeroizing<String> {
        let pkcs8 = self.0.pair.serialized_der();
        let converted: Result<(&str, Zeroizing<Vec<u8>>)> = match self.0.algorithm {
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => {
                pkcs8::PrivateKeyInfo::from_der(pkcs8)
                    .map(|info| ("RSA PRIVATE KEY", Zeroizing::new(info.private_key.to_vec())))
                    .map_err(|e| Error::crypto("PKCS#1 encoding", e))
            }
            KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384 => {
                let lc = if self.0.algorithm == KeyAlgorithm::EcdsaP256 {
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
            Ok((label, der)) => Zeroizing::new(pem::encode(label, &der)),
            // The PKCS#8 document was produced or validated by aws-lc itself, so the
            // conversions cannot fail in practice; PKCS#8 is still a correct encoding.
            Err(_) => self.to_pkcs8_pem(),
        }
    }

    /// Signs `message` with the algorithm's X.509 signature scheme.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        self.0
            .pair
            .sign(message)
            .map_err(|e| Error::crypto("signing", e))
    }

    /// Whether `public` is this key's public half.
    pub fn matches(&self, public: &PublicKey) -> bool {
        self.0.public.spki == public.spki
    }
}

impl PartialEq for PrivateKey {
    /// Two keys are equal when they are the same key (their public halves are).
    fn eq(&self, other: &PrivateKey) -> bool {
        self.0.public == other.0.public
    }
}

impl Eq for PrivateKey {}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("algorithm", &self.0.algorithm)
            .finish_non_exhaustive()
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
    fn one_loader_takes_pem_or_der() {
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let from_pem = PrivateKey::load(key.to_pem().as_bytes(), "key.pem").unwrap();
        let from_der = PrivateKey::load(&key.to_pkcs8_der(), "key.der").unwrap();
        assert_eq!(from_pem, key);
        assert_eq!(from_der, key);
        let public = PublicKey::load(key.public_key().spki_der(), "pub.der").unwrap();
        assert_eq!(&public, key.public_key());
        let err = PrivateKey::load(b"\x30\x03\x02\x01\x00", "junk.der").unwrap_err();
        assert!(
            err.to_string().starts_with("junk.der: invalid key"),
            "{err}"
        );
        assert!(matches!(
            err,
            Error::InvalidKey {
                problem: KeyProblem::UnknownForm,
                ..
            }
        ));
    }

    #[test]
    fn cloning_shares_the_key_and_two_loads_are_equal() {
        let key = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
        let clone = key.clone();
        assert!(Arc::ptr_eq(&key.0, &clone.0));
        assert_eq!(PrivateKey::from_pem(&key.to_pem()).unwrap(), key);
        assert_ne!(PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap(), key);
        assert!(PrivateKey::given_or_generated(Some(key), Some(KeyAlgorithm::Ed25519)).is_err());
    }
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
    let mut out = Vec::with_capacity(alg.len() + raw.len() + 8);
    crate::der::tlv(&mut out, crate::der::SEQUENCE, |o| {
        o.extend_from_slice(alg);
        crate::der::bit_string(o, raw);
    });
    out
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

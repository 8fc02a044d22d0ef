//! The seam between a CA and its private key.
//!
//! A [`CertificateAuthority`](crate::CertificateAuthority) signs through a [`Signer`]:
//! an in-memory [`PrivateKey`] is one, and a key held elsewhere (PKCS#11 token, cloud
//! KMS, an HSM behind a socket) is another — implement the trait and pass it to
//! [`CertificateAuthority::with_signer`](crate::CertificateAuthority::with_signer).
//! kpki calls `sign` with the bytes to sign and passes its error on unchanged: a signer
//! of your own reports its failure with [`Error::signer`](crate::Error::signer), which
//! keeps your error as the source.

use crate::error::Result;
use crate::key::{PrivateKey, PublicKey};

/// Something that signs with a private key kpki may never see.
///
/// `sign` must produce the X.509 signature scheme of the key's algorithm:
/// RSASSA-PKCS1-v1_5 with SHA-256 for RSA, ECDSA (ASN.1 DER) with SHA-256 for P-256 and
/// SHA-384 for P-384, pure Ed25519.
pub trait Signer: Send + Sync {
    /// The public half of the signing key.
    fn public_key(&self) -> &PublicKey;

    /// Signs `message` (the DER of a TBSCertificate or CertificationRequestInfo).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>>;
}

impl Signer for PrivateKey {
    fn public_key(&self) -> &PublicKey {
        PrivateKey::public_key(self)
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        PrivateKey::sign(self, message)
    }
}

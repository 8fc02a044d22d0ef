//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong in kpki-core.
///
/// Each variant names what is at fault and carries the value, so a caller can
/// both match on the kind and show a message that points at the culprit.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A subject common name or organization is unusable (empty, too long,
    /// control characters).
    #[error("invalid {field} {value:?}: {reason}")]
    InvalidName {
        /// Which name: "common name", "organization", "node name", "user name", "cluster name".
        field: &'static str,
        /// The value at fault.
        value: String,
        /// Why it was refused.
        reason: String,
    },

    /// A subject alternative name (DNS name or IP address) is invalid.
    #[error("invalid subject alternative name {value:?}: {reason}")]
    InvalidSan {
        /// The value at fault.
        value: String,
        /// Why it was refused.
        reason: String,
    },

    /// A network setting (CIDR, IP address, endpoint, port) is invalid.
    #[error("invalid {field} {value:?}: {reason}")]
    InvalidNetwork {
        /// Which setting: "service CIDR", "advertise address", "control-plane endpoint", ...
        field: &'static str,
        /// The value at fault.
        value: String,
        /// Why it was refused.
        reason: String,
    },

    /// A value that names a choice (key algorithm, profile, ...) is not one of the choices.
    #[error("unknown {field} {value:?} (expected one of: {expected})")]
    UnknownChoice {
        /// Which setting.
        field: &'static str,
        /// The value at fault.
        value: String,
        /// The accepted values.
        expected: &'static str,
    },

    /// PEM text could not be read.
    #[error("{what}: invalid PEM: {reason}")]
    InvalidPem {
        /// What was being read (a file path or a description).
        what: String,
        /// Why it was refused.
        reason: String,
    },

    /// A private or public key could not be parsed or is of an unsupported kind.
    #[error("{what}: invalid key: {reason}")]
    InvalidKey {
        /// What was being read.
        what: String,
        /// Why it was refused.
        reason: String,
    },

    /// A certificate could not be parsed.
    #[error("{what}: invalid certificate: {reason}")]
    InvalidCertificate {
        /// What was being read.
        what: String,
        /// Why it was refused.
        reason: String,
    },

    /// A certificate and the private key offered with it do not belong together.
    #[error("{what}: the certificate's public key does not match the private key")]
    KeyMismatch {
        /// Which certificate/key pair.
        what: String,
    },

    /// A certificate offered as a CA cannot sign certificates.
    #[error("{what}: not a certificate authority: {reason}")]
    NotACertificateAuthority {
        /// Which certificate.
        what: String,
        /// Why (no basicConstraints CA:TRUE, no keyCertSign, ...).
        reason: String,
    },

    /// The CA's private key is not available (an external CA), so it cannot issue.
    #[error("CA {ca:?} is external (no private key): {reason}")]
    CaKeyUnavailable {
        /// The CA's common name or role.
        ca: String,
        /// What was asked of it.
        reason: String,
    },

    /// A certificate supplied for an external CA does not fit it.
    #[error("{what}: {reason}")]
    InvalidSuppliedCertificate {
        /// Which certificate.
        what: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A validity period cannot be honoured.
    #[error("invalid validity: {reason}")]
    InvalidValidity {
        /// Why.
        reason: String,
    },

    /// A cryptographic operation failed (key generation, signing).
    #[error("cryptographic operation failed: {operation}: {reason}")]
    Crypto {
        /// What was being done.
        operation: &'static str,
        /// The backend's explanation.
        reason: String,
    },

    /// A kubeadm configuration file could not be used.
    #[error("kubeadm configuration: field {field}: {reason}")]
    KubeadmConfig {
        /// The field path at fault (e.g. `networking.serviceSubnet`), or `document`.
        field: String,
        /// Why.
        reason: String,
    },

    /// A kubeconfig could not be read.
    #[error("{what}: invalid kubeconfig: {reason}")]
    InvalidKubeconfig {
        /// What was being read.
        what: String,
        /// Why.
        reason: String,
    },

    /// A certificate cannot be renewed (or a CA rotated) as asked.
    #[error("{what}: cannot renew: {reason}")]
    CannotRenew {
        /// Which certificate or CA.
        what: String,
        /// Why.
        reason: String,
    },

    /// The cluster specification is inconsistent.
    #[error("invalid cluster specification: {reason}")]
    InvalidSpec {
        /// Why.
        reason: String,
    },

    /// A file kpki would write already exists and the caller did not allow overwriting.
    #[error("{path}: already exists (refusing to overwrite; pass force/overwrite to replace it)")]
    AlreadyExists {
        /// The file.
        path: PathBuf,
    },

    /// A file kpki needs is missing.
    #[error("{path}: missing: {reason}")]
    MissingFile {
        /// The file.
        path: PathBuf,
        /// Why it is needed.
        reason: String,
    },

    /// A PKCS#10 certificate signing request could not be read, or its self-signature
    /// (the requester's proof that it holds the private key) does not verify.
    #[error("{what}: invalid certificate signing request: {reason}")]
    InvalidCsr {
        /// What was being read (a file path, `spec.request`, ...).
        what: String,
        /// Why it was refused.
        reason: String,
    },

    /// A signer's policy refuses to sign a CSR. `reason` is, where Kubernetes has one,
    /// kube-controller-manager's own message (`subject organization is not system:nodes`).
    #[error("signer {signer:?} refuses the request: {reason}")]
    PolicyRefused {
        /// The signer name (`kubernetes.io/kubelet-serving`, `example.com/ci`, ...).
        signer: String,
        /// Why.
        reason: String,
    },

    /// A field of a signing request is invalid, worded as the Kubernetes API server
    /// words it (`spec.expirationSeconds: Invalid value: 599: may not specify ...`).
    #[error("{field}: Invalid value: {value}: {reason}")]
    InvalidSigningRequest {
        /// The field path (`spec.expirationSeconds`, `spec.usages[1]`, ...).
        field: String,
        /// The value at fault.
        value: String,
        /// Why.
        reason: String,
    },

    /// A `certificates.k8s.io/v1` CertificateSigningRequest object could not be read.
    #[error("{what}: invalid CertificateSigningRequest object: {reason}")]
    InvalidCsrObject {
        /// What was being read (a file path, an object name, ...).
        what: String,
        /// Why (naming the field at fault).
        reason: String,
    },

    /// A signer policy file could not be used.
    #[error("{what}: invalid signer policy: {reason}")]
    InvalidPolicy {
        /// What was being read (a file path or a description).
        what: String,
        /// Why (naming the field at fault).
        reason: String,
    },

    /// An I/O operation failed.
    #[error("{path}: {operation}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done ("create directory", "write", "read", ...).
        operation: &'static str,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(
        path: impl Into<PathBuf>,
        operation: &'static str,
        source: std::io::Error,
    ) -> Self {
        Error::Io {
            path: path.into(),
            operation,
            source,
        }
    }

    pub(crate) fn crypto(operation: &'static str, reason: impl std::fmt::Display) -> Self {
        Error::Crypto {
            operation,
            reason: reason.to_string(),
        }
    }
}

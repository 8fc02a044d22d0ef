//! The crate's one error type, and the sub-causes a caller branches on.
//!
//! Every [`Error`] variant says what kind of thing is wrong and carries the value at
//! fault; where a caller would act differently depending on *why* (which policy rule
//! refused, which field of a configuration file, which file), the reason is an enum of
//! its own ([`PolicyRule`], [`ConfigProblem`], [`Origin`], ...) rather than text.
//! Messages are written by the `Display` of those types, so they read the same from
//! every door. Where a setting of the caller's would change the outcome (`--force`,
//! `--allow-privileged-group`), [`Error::setting`] names it, and each door spells it its
//! own way.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::names::{CaRole, KeyAlgorithm};

/// The field of the node name, as errors name it.
pub(crate) const NODE_NAME_FIELD: &str = "nodeRegistration.name";
/// The field of the advertise address, as errors name it.
pub(crate) const ADVERTISE_ADDRESS_FIELD: &str = "localAPIEndpoint.advertiseAddress";

/// Every usage name the API accepts, quoted, for messages.
pub(crate) const USAGE_NAMES: &str = "\"any\", \"cert sign\", \"client auth\", \"code signing\", \"content commitment\", \"crl sign\", \"data encipherment\", \"decipher only\", \"digital signature\", \"email protection\", \"encipher only\", \"ipsec end system\", \"ipsec tunnel\", \"ipsec user\", \"key agreement\", \"key encipherment\", \"microsoft sgc\", \"netscape sgc\", \"ocsp signing\", \"s/mime\", \"server auth\", \"signing\", \"timestamping\"";

/// Everything that can go wrong in kpki-core.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A subject common name or organization, a node, user or cluster name is unusable.
    #[error("invalid {field} {value:?}: {problem}")]
    InvalidName {
        /// Which name.
        field: NameField,
        /// The value at fault.
        value: String,
        /// Why it was refused.
        problem: NameProblem,
    },

    /// A DNS name for a subject alternative name is invalid.
    #[error("invalid subject alternative name {value:?}: {problem}")]
    InvalidSan {
        /// The value at fault.
        value: String,
        /// Why it was refused.
        problem: DnsProblem,
    },

    /// A network setting (CIDR, IP address, endpoint, port) is invalid.
    #[error("invalid {field} {value:?}: {problem}")]
    InvalidNetwork {
        /// Which setting.
        field: NetworkField,
        /// The value at fault.
        value: String,
        /// Why it was refused.
        problem: NetworkProblem,
    },

    /// A value that names a choice (key algorithm, profile, ...) is not one of the choices.
    #[error("unknown {field} {value:?} (expected one of: {expected})")]
    UnknownChoice {
        /// Which setting.
        field: Choice,
        /// The value at fault.
        value: String,
        /// The accepted values.
        expected: &'static str,
    },

    /// A duration (`8760h`, `90m`) could not be read.
    #[error("invalid duration {value:?}: expected a Go duration such as 8760h0m0s, 24h or 90m")]
    InvalidDuration {
        /// The value at fault.
        value: String,
    },

    /// PEM text could not be read.
    #[error("{what}: invalid PEM: {problem}")]
    InvalidPem {
        /// What was being read.
        what: Origin,
        /// Why it was refused.
        problem: PemProblem,
    },

    /// A private or public key could not be parsed or is of an unsupported kind.
    #[error("{what}: invalid key: {problem}")]
    InvalidKey {
        /// What was being read.
        what: Origin,
        /// Why it was refused.
        problem: KeyProblem,
    },

    /// A certificate could not be parsed or used.
    #[error("{what}: invalid certificate: {problem}")]
    InvalidCertificate {
        /// What was being read.
        what: Origin,
        /// Why it was refused.
        problem: CertificateProblem,
    },

    /// A certificate and the private key offered with it do not belong together.
    #[error("{what}: the certificate's public key does not match the private key")]
    KeyMismatch {
        /// Which certificate/key pair.
        what: String,
    },

    /// A certificate offered as a CA cannot sign certificates.
    #[error("{what}: not a certificate authority: {problem}")]
    NotACertificateAuthority {
        /// Which certificate.
        what: String,
        /// Why.
        problem: NotCaProblem,
    },

    /// The CA's private key is not available (an external CA), so it cannot issue.
    #[error("CA {ca:?} has no private key: {needed}")]
    CaKeyUnavailable {
        /// The CA's common name.
        ca: String,
        /// What was asked of it.
        needed: CaKeyNeeded,
    },

    /// A certificate supplied for an external CA does not fit it.
    #[error("{what}: {problem}")]
    InvalidSuppliedCertificate {
        /// Which certificate.
        what: String,
        /// What is wrong with it.
        problem: SuppliedProblem,
    },

    /// A validity period cannot be honoured.
    #[error("invalid validity: {problem}")]
    InvalidValidity {
        /// Why.
        problem: ValidityProblem,
    },

    /// A cryptographic operation of the crypto backend failed (key generation, signing).
    #[error("cryptographic operation failed: {operation}: {reason}")]
    Crypto {
        /// What was being done.
        operation: &'static str,
        /// The backend's explanation (the backend has no error codes to branch on).
        reason: String,
    },

    /// A signer outside kpki (a [`crate::Signer`]: an HSM, a KMS, a callback) failed.
    #[error("the CA's signer failed: {source}")]
    Signer {
        /// The signer's own error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// A kubeadm configuration file could not be used.
    #[error(
        "{}kubeadm configuration: field {field}: {problem}",
        .file.as_ref().map(|f| format!("{}: ", f.display())).unwrap_or_default()
    )]
    KubeadmConfig {
        /// The file, when it was read from one.
        file: Option<PathBuf>,
        /// The field path at fault (e.g. `networking.serviceSubnet`), or `document`.
        field: String,
        /// Why.
        #[source]
        problem: ConfigProblem,
    },

    /// A kubeconfig could not be read or used.
    #[error("{what}: invalid kubeconfig: {problem}")]
    InvalidKubeconfig {
        /// What was being read.
        what: Origin,
        /// Why.
        problem: KubeconfigProblem,
    },

    /// A certificate cannot be renewed (or a CA rotated) as asked.
    #[error("{what}: cannot renew: {problem}")]
    CannotRenew {
        /// Which certificate or CA.
        what: String,
        /// Why.
        problem: RenewProblem,
    },

    /// A general-purpose TLS signing policy ([`TlsPolicy`](crate::TlsPolicy)) refuses a
    /// request.
    #[error("the TLS signing policy refuses the request: {refusal}")]
    TlsRefused {
        /// Why (with the relation's error code).
        refusal: TlsRefusal,
    },

    /// A value of a general-purpose TLS request (a subject attribute, a SAN, an
    /// extension) cannot be written.
    #[error("invalid {field} {value:?}: {problem}")]
    InvalidTlsField {
        /// Which part of the request.
        field: TlsField,
        /// The value at fault.
        value: String,
        /// Why it was refused.
        problem: TlsFieldProblem,
    },

    /// A cluster specification or a request does not fit together.
    #[error("{problem}")]
    InvalidSpec {
        /// Why.
        problem: SpecProblem,
    },

    /// A file kpki would write already exists and the caller did not allow overwriting.
    #[error("{path}: already exists (refusing to overwrite it)", path = .path.display())]
    AlreadyExists {
        /// The file.
        path: PathBuf,
    },

    /// A file or directory kpki needs is missing.
    #[error("{path}: missing: {reason}", path = .path.display())]
    MissingFile {
        /// The file.
        path: PathBuf,
        /// What it is needed for.
        reason: String,
    },

    /// A directory that should hold a PKI holds none of its files.
    #[error(
        "{path}: no certificates, keys or kubeconfigs found (not a kubeadm or kpki directory)",
        path = .path.display()
    )]
    EmptyDirectory {
        /// The directory.
        path: PathBuf,
    },

    /// A multi-file change's journal cannot be read (it is replayed before a directory
    /// is read or written).
    #[error("{path}: a journal of an interrupted change that cannot be read: {reason}", path = .path.display())]
    BrokenJournal {
        /// The journal.
        path: PathBuf,
        /// Why.
        reason: String,
    },

    /// A CA rotation step does not fit the rotation's state in the directory.
    #[error("{dir}: {problem}", dir = .dir.display())]
    Rotation {
        /// The kubeadm root.
        dir: PathBuf,
        /// What does not fit.
        problem: RotationProblem,
    },

    /// A key in a PKCS#11 token cannot be used.
    #[error("{uri}: {problem}")]
    Pkcs11 {
        /// The key's `pkcs11:` URI, without its PIN.
        uri: String,
        /// What went wrong.
        problem: Pkcs11Problem,
    },

    /// No CA in the directory can sign for a signer.
    #[error(
        "{dir}: no CA found to sign for {signer} (looked for {})",
        .looked_for.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" and "),
        dir = .dir.display()
    )]
    NoCaFound {
        /// The directory.
        dir: PathBuf,
        /// The signer.
        signer: String,
        /// The CA certificates that would have done.
        looked_for: Vec<PathBuf>,
    },

    /// A certificate asked for by name is not in the directory.
    #[error(
        "{dir}: no certificate named {name:?} (found: {found})",
        dir = .dir.display(),
        found = if .available.is_empty() { "none".to_owned() } else { .available.join(", ") }
    )]
    NoSuchCertificate {
        /// The name asked for.
        name: String,
        /// The directory.
        dir: PathBuf,
        /// The names there are.
        available: Vec<String>,
    },

    /// A certificate asked for by name is not in a generated PKI.
    #[error(
        "no certificate named {name:?} (this PKI has: {})",
        .available.join(", ")
    )]
    UnknownCertificate {
        /// The name asked for.
        name: String,
        /// The names there are.
        available: Vec<String>,
    },

    /// A CA role's certificate is not in the directory.
    #[error("{}: no {role} CA certificate there", .path.display())]
    NoCa {
        /// The role.
        role: CaRole,
        /// The certificate file that is absent.
        path: PathBuf,
    },

    /// A PKCS#10 certificate signing request could not be read, or its self-signature
    /// (the requester's proof that it holds the private key) does not verify.
    #[error("{what}: invalid certificate signing request: {problem}")]
    InvalidCsr {
        /// What was being read (a file, `spec.request`, ...).
        what: Origin,
        /// Why it was refused.
        problem: CsrProblem,
    },

    /// A signer's policy refuses to sign a CSR.
    #[error("signer {signer:?} refuses the request: {rule}")]
    PolicyRefused {
        /// The signer name (`kubernetes.io/kubelet-serving`, `example.com/ci`, ...).
        signer: String,
        /// The rule that refused it.
        rule: PolicyRule,
    },

    /// A field of a signing request is invalid, worded as the Kubernetes API server
    /// words it (`spec.expirationSeconds: Invalid value: 599: may not specify ...`).
    #[error("{field}: Invalid value: {value}: {problem}")]
    InvalidSigningRequest {
        /// The field path (`spec.expirationSeconds`, `spec.usages[1]`, ...).
        field: String,
        /// The value at fault.
        value: String,
        /// Why.
        problem: RequestProblem,
    },

    /// A `certificates.k8s.io/v1` CertificateSigningRequest object could not be read.
    /// The reason is the API server's own wording, which names the field.
    #[error("{what}: invalid CertificateSigningRequest object: {reason}")]
    InvalidCsrObject {
        /// What was being read (a file path, an object name, ...).
        what: String,
        /// Why (naming the field at fault).
        reason: String,
    },

    /// A signer policy file could not be used.
    #[error("{what}: invalid signer policy: {field}: {reason}")]
    InvalidPolicy {
        /// What was being read.
        what: Origin,
        /// The field at fault (`usages`, `maxValidity`, ...) or `document`.
        field: &'static str,
        /// Why.
        reason: String,
    },

    /// An I/O operation failed.
    #[error("{path}: {source}, while {operation}", path = .path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done ("reading", "writing", "creating the directory", ...).
        operation: &'static str,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// An invariant of kpki itself does not hold: a bug in kpki, not a problem with the
    /// input. Please report it.
    #[error("internal error (a bug in kpki; please report it): {invariant}")]
    Internal {
        /// What should have held.
        invariant: &'static str,
    },
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A setting of the caller's that changes an outcome: each door names it its own way
/// (`--force` / `overwrite=True` / `overwrite = true`).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Setting {
    /// Allow replacing existing files.
    Overwrite,
    /// Grant this privileged group explicitly.
    AllowPrivilegedGroup(String),
    /// Give the node name explicitly.
    NodeName,
    /// Give the advertise address explicitly.
    AdvertiseAddress,
    /// Give the usages explicitly.
    Usages,
    /// Give the API server URL explicitly.
    Server,
    /// Name the token key of this CA role (its key is not in the directory).
    CaKey(CaRole),
}

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

    pub(crate) fn crypto(operation: &'static str, reason: impl fmt::Display) -> Self {
        Error::Crypto {
            operation,
            reason: reason.to_string(),
        }
    }

    pub(crate) fn internal(invariant: &'static str) -> Self {
        Error::Internal { invariant }
    }

    /// Wraps the error of a [`crate::Signer`] that is not kpki's own.
    pub fn signer(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Error::Signer {
            source: source.into(),
        }
    }

    /// The file the error is about, if it is about one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Error::AlreadyExists { path }
            | Error::MissingFile { path, .. }
            | Error::EmptyDirectory { path }
            | Error::NoCa { path, .. }
            | Error::Io { path, .. } => Some(path),
            Error::NoSuchCertificate { dir, .. }
            | Error::NoCaFound { dir, .. }
            | Error::Rotation { dir, .. } => Some(dir),
            Error::BrokenJournal { path, .. } => Some(path),
            Error::KubeadmConfig { file, .. } => file.as_deref(),
            Error::InvalidPem { what, .. }
            | Error::InvalidKey { what, .. }
            | Error::InvalidCertificate { what, .. }
            | Error::InvalidKubeconfig { what, .. }
            | Error::InvalidCsr { what, .. }
            | Error::InvalidPolicy { what, .. } => what.path(),
            _ => None,
        }
    }

    /// The caller's setting that would change this outcome, if there is one.
    pub fn setting(&self) -> Option<Setting> {
        match self {
            Error::AlreadyExists { .. } => Some(Setting::Overwrite),
            Error::PolicyRefused {
                rule: PolicyRule::PrivilegedGroup { group },
                ..
            } => Some(Setting::AllowPrivilegedGroup(group.clone())),
            Error::InvalidSpec {
                problem: SpecProblem::NoNodeName { .. },
            } => Some(Setting::NodeName),
            Error::InvalidSpec {
                problem: SpecProblem::NoAdvertiseAddress | SpecProblem::AdvertiseAddressRequired,
            } => Some(Setting::AdvertiseAddress),
            Error::InvalidSpec {
                problem: SpecProblem::NodeNameRequired,
            } => Some(Setting::NodeName),
            Error::KubeadmConfig {
                field,
                problem: ConfigProblem::Missing,
                ..
            } if field == NODE_NAME_FIELD => Some(Setting::NodeName),
            Error::KubeadmConfig {
                field,
                problem: ConfigProblem::Missing,
                ..
            } if field == ADVERTISE_ADDRESS_FIELD => Some(Setting::AdvertiseAddress),
            Error::InvalidSpec {
                problem: SpecProblem::UsagesRequired { .. },
            } => Some(Setting::Usages),
            Error::InvalidSpec {
                problem: SpecProblem::NoServer { .. },
            } => Some(Setting::Server),
            Error::CaKeyUnavailable {
                needed: CaKeyNeeded::Sign { role, .. } | CaKeyNeeded::Renew { role, .. },
                ..
            } => Some(Setting::CaKey(*role)),
            _ => None,
        }
    }
}

/// Where an input came from, for messages and for [`Error::path`].
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A file.
    File(PathBuf),
    /// A part of a file (a kubeconfig's `client-key-data`).
    InFile(PathBuf, &'static str),
    /// Anything else, described (`CA certificate`, `argument "pem"`, `spec.request`).
    Input(String),
}

impl Origin {
    /// An input described by `what`.
    pub fn input(what: impl Into<String>) -> Origin {
        Origin::Input(what.into())
    }

    /// The file, if the input was one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Origin::File(p) | Origin::InFile(p, _) => Some(p),
            Origin::Input(_) => None,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File(p) => write!(f, "{}", p.display()),
            Origin::InFile(p, part) => write!(f, "{} ({part})", p.display()),
            Origin::Input(s) => f.write_str(s),
        }
    }
}

impl From<&str> for Origin {
    fn from(s: &str) -> Origin {
        Origin::Input(s.to_owned())
    }
}

impl From<String> for Origin {
    fn from(s: String) -> Origin {
        Origin::Input(s)
    }
}

impl From<&Path> for Origin {
    fn from(p: &Path) -> Origin {
        Origin::File(p.to_path_buf())
    }
}

impl From<PathBuf> for Origin {
    fn from(p: PathBuf) -> Origin {
        Origin::File(p)
    }
}

impl From<&Origin> for Origin {
    fn from(o: &Origin) -> Origin {
        o.clone()
    }
}

/// Writes a `Display` impl from a match of `self` onto `write!` arguments.
macro_rules! display {
    ($ty:ty, |$s:ident, $f:ident| $body:expr) => {
        impl fmt::Display for $ty {
            fn fmt(&self, $f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let $s = self;
                $body
            }
        }
    };
}

/// Which name an [`Error::InvalidName`] is about.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameField {
    /// A subject's CN.
    CommonName,
    /// A subject's O (a Kubernetes group).
    Organization,
    /// A Kubernetes node name.
    NodeName,
    /// The cluster name of kubeconfigs.
    ClusterName,
}

display!(NameField, |s, f| f.write_str(match s {
    NameField::CommonName => "common name",
    NameField::Organization => "organization",
    NameField::NodeName => "node name",
    NameField::ClusterName => "cluster name",
}));

/// Why a name was refused.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NameProblem {
    /// It is empty.
    Empty,
    /// It is longer than the X.520 upper bound.
    TooLong {
        /// Its length in bytes.
        len: usize,
        /// The most allowed.
        max: usize,
    },
    /// A node name too long for the kubelet's `system:node:<name>` CN.
    NodeNameTooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// It contains a control character.
    ControlCharacter {
        /// The character.
        character: char,
    },
    /// It has leading or trailing white space.
    SurroundingWhitespace,
    /// It is not a valid DNS subdomain (node names must be).
    Dns(DnsProblem),
}

display!(NameProblem, |s, f| match s {
    NameProblem::Empty => f.write_str("must not be empty"),
    NameProblem::TooLong { len, max } => write!(f, "{len} bytes; at most {max} allowed"),
    NameProblem::NodeNameTooLong { len } => write!(
        f,
        "{len} bytes; at most 52 so that the kubelet's CN \"system:node:<name>\" fits 64 bytes"
    ),
    NameProblem::ControlCharacter { character } => {
        write!(f, "contains the control character {character:?}")
    }
    NameProblem::SurroundingWhitespace => f.write_str("has leading or trailing white space"),
    NameProblem::Dns(p) => write!(f, "{p}"),
});

/// Why a DNS name (RFC 1123 subdomain) was refused.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DnsProblem {
    /// It is empty.
    Empty,
    /// It is longer than 253 bytes.
    TooLong {
        /// Its length.
        len: usize,
    },
    /// A label is empty (leading, trailing or double dot).
    EmptyLabel,
    /// A label is longer than 63 bytes.
    LabelTooLong {
        /// The label.
        label: String,
    },
    /// A character other than lowercase letters, digits, `-` and `.`.
    Character {
        /// The character.
        character: char,
    },
    /// A label starts or ends with `-`.
    HyphenAtEdge {
        /// The label.
        label: String,
    },
}

display!(DnsProblem, |s, f| match s {
    DnsProblem::Empty => f.write_str("must not be empty"),
    DnsProblem::TooLong { len } => write!(f, "{len} bytes; a DNS name has at most 253"),
    DnsProblem::EmptyLabel => f.write_str("has an empty label (leading, trailing or double dot)"),
    DnsProblem::LabelTooLong { label } => write!(f, "label {label:?} is longer than 63 bytes"),
    DnsProblem::Character { character } => write!(
        f,
        "character {character:?} is not allowed (lowercase letters, digits, '-' and '.' only)"
    ),
    DnsProblem::HyphenAtEdge { label } => write!(f, "label {label:?} starts or ends with '-'"),
});

/// Which network setting an [`Error::InvalidNetwork`] is about.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetworkField {
    /// A service subnet (`networking.serviceSubnet`, `--service-cidr`).
    ServiceCidr,
    /// A CIDR in general.
    Cidr,
    /// The API server's advertise address.
    AdvertiseAddress,
    /// The control-plane endpoint.
    ControlPlaneEndpoint,
    /// The API server's port.
    BindPort,
    /// An IP range of a signer policy.
    IpRange,
    /// An IP address in general.
    IpAddress,
}

display!(NetworkField, |s, f| f.write_str(match s {
    NetworkField::ServiceCidr => "service CIDR",
    NetworkField::Cidr => "CIDR",
    NetworkField::AdvertiseAddress => "advertise address",
    NetworkField::ControlPlaneEndpoint => "control-plane endpoint",
    NetworkField::BindPort => "bind port",
    NetworkField::IpRange => "IP range",
    NetworkField::IpAddress => "IP address",
}));

/// Why a network setting was refused.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetworkProblem {
    /// Not an IPv4 or IPv6 address.
    NotAnIpAddress,
    /// A CIDR without `/PREFIX`.
    MissingPrefix,
    /// The address part of a CIDR is not an IP address.
    CidrAddress,
    /// The prefix length is not a number.
    PrefixNotANumber,
    /// The prefix length is larger than the address.
    PrefixTooLong {
        /// 32 or 128.
        max: u8,
    },
    /// The network has no address number `n`.
    TooSmall {
        /// The address number asked for (1: the API server's service IP).
        n: u128,
    },
    /// No service subnet at all.
    NoServiceSubnet,
    /// Two service subnets of the same family.
    SameFamily,
    /// More than two service subnets.
    TooManySubnets,
    /// A port that is not 1–65535.
    Port {
        /// The port as given.
        port: String,
    },
    /// `[` without `]`.
    UnclosedBracket,
    /// Something other than `:PORT` after `]`.
    AfterBracket,
    /// A URL scheme (`https://`) where only `HOST[:PORT]` belongs.
    Scheme {
        /// The scheme.
        scheme: String,
    },
    /// A path or query after the host.
    Path,
    /// The host is not a valid DNS name.
    Host {
        /// The host.
        host: String,
        /// Why.
        problem: DnsProblem,
    },
    /// A loopback, unspecified or multicast address where peers must reach the node.
    NotReachable,
}

display!(NetworkProblem, |s, f| match s {
    NetworkProblem::NotAnIpAddress => f.write_str("not an IP address"),
    NetworkProblem::MissingPrefix => f.write_str("expected ADDRESS/PREFIX"),
    NetworkProblem::CidrAddress => f.write_str("the address is not an IP address"),
    NetworkProblem::PrefixNotANumber => f.write_str("the prefix length is not a number"),
    NetworkProblem::PrefixTooLong { max } => {
        write!(f, "the prefix length must be at most {max}")
    }
    NetworkProblem::TooSmall { n } => {
        write!(f, "has no address number {n} (the network is too small)")
    }
    NetworkProblem::NoServiceSubnet => f.write_str("at least one service subnet is required"),
    NetworkProblem::SameFamily => {
        f.write_str("a dual-stack cluster needs one IPv4 and one IPv6 subnet")
    }
    NetworkProblem::TooManySubnets => f.write_str("at most two service subnets (IPv4 and IPv6)"),
    NetworkProblem::Port { port } => write!(f, "port {port:?} is not a number from 1 to 65535"),
    NetworkProblem::UnclosedBracket => f.write_str("unclosed '['"),
    NetworkProblem::AfterBracket => f.write_str("expected ':' after ']'"),
    NetworkProblem::Scheme { scheme } => write!(
        f,
        "\"{scheme}://\" is a URL scheme; give HOST[:PORT] without it (e.g. cp.example.com:6443)"
    ),
    NetworkProblem::Path => f.write_str("expected HOST[:PORT], with no path after it"),
    NetworkProblem::Host { host, problem } => write!(f, "host {host:?}: {problem}"),
    NetworkProblem::NotReachable => f.write_str("a loopback, unspecified or multicast address"),
});

/// Which choice an [`Error::UnknownChoice`] is about.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    /// A key algorithm.
    KeyAlgorithm,
    /// A kubeadm compatibility profile.
    Profile,
    /// A CA role.
    CaRole,
    /// A control-plane component.
    Component,
    /// A leaf certificate profile.
    CertificateProfile,
    /// A `certificates.k8s.io` usage.
    Usage,
    /// A built-in signer.
    Signer,
    /// A certificate of a cluster PKI.
    CertificateName,
    /// What to do with a key on renewal.
    KeyChoice,
    /// Where a CA comes from.
    CaSource,
    /// How a report is printed.
    OutputFormat,
    /// A step of a CA rotation.
    RotationStep,
}

display!(Choice, |s, f| f.write_str(match s {
    Choice::KeyAlgorithm => "key algorithm",
    Choice::Profile => "profile",
    Choice::CaRole => "CA role",
    Choice::Component => "component",
    Choice::CertificateProfile => "certificate profile",
    Choice::Usage => "usage",
    Choice::Signer => "signer",
    Choice::CertificateName => "certificate name",
    Choice::KeyChoice => "key choice",
    Choice::CaSource => "CA source",
    Choice::OutputFormat => "output format",
    Choice::RotationStep => "rotation step",
}));

/// Why a PKCS#11 key cannot be used.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pkcs11Problem {
    /// The URI is malformed.
    BadUri {
        /// Why.
        reason: String,
    },
    /// The URI has an attribute kpki does not act on (it would be ignored silently).
    UnsupportedAttribute {
        /// The attribute.
        name: String,
    },
    /// The module cannot be loaded or initialised.
    Module {
        /// Why.
        reason: String,
    },
    /// No initialised token matches the URI's `token` / `slot-id`.
    NoToken,
    /// No private key matches the URI's `object` / `id`.
    NoObject,
    /// More than one private key matches.
    Ambiguous {
        /// How many.
        count: usize,
    },
    /// The private key has no public key object beside it (same label and id).
    NoPublicKey,
    /// The token refused the PIN.
    WrongPin,
    /// The PIN cannot be read.
    Pin {
        /// Why.
        reason: String,
    },
    /// The key's algorithm is not the one asked for.
    WrongAlgorithm {
        /// Asked for.
        expected: KeyAlgorithm,
        /// In the token.
        found: KeyAlgorithm,
    },
    /// The key is of a type kpki cannot sign certificates with.
    UnsupportedKey {
        /// Its type.
        key_type: String,
    },
    /// The token does not offer the mechanism the key's algorithm needs.
    MechanismRefused {
        /// The function and the token's code.
        reason: String,
    },
    /// Any other failure of the module or token (a removed token, a device error).
    Token {
        /// The function and the token's code.
        reason: String,
    },
    /// A CA key file exists beside the token key given for the same CA.
    KeyFileBeside {
        /// The key file.
        path: PathBuf,
    },
    /// A rotation's new CA key is the current CA's key.
    SameKey,
}

display!(Pkcs11Problem, |s, f| match s {
    Pkcs11Problem::BadUri { reason } => write!(f, "not a usable pkcs11: URI: {reason}"),
    Pkcs11Problem::UnsupportedAttribute { name } => write!(
        f,
        "the URI attribute {name:?} is not supported (use token, object, id, slot-id, module-path, pin-source, pin-value)"
    ),
    Pkcs11Problem::Module { reason } => write!(f, "the PKCS#11 module cannot be used: {reason}"),
    Pkcs11Problem::NoToken => f.write_str("no initialised token matches the URI"),
    Pkcs11Problem::NoObject => f.write_str("no private key in the token matches the URI"),
    Pkcs11Problem::Ambiguous { count } => write!(
        f,
        "{count} private keys match the URI; name one with object= and id="
    ),
    Pkcs11Problem::NoPublicKey =>
        f.write_str("the private key has no public key object with the same label and id"),
    Pkcs11Problem::WrongPin => f.write_str("the token refused the PIN"),
    Pkcs11Problem::Pin { reason } => write!(f, "the PIN cannot be read: {reason}"),
    Pkcs11Problem::WrongAlgorithm { expected, found } =>
        write!(f, "the key is {found}, not {expected}"),
    Pkcs11Problem::UnsupportedKey { key_type } =>
        write!(f, "the key's type cannot sign certificates: {key_type}"),
    Pkcs11Problem::MechanismRefused { reason } => write!(
        f,
        "the token does not offer the mechanism this key needs: {reason}"
    ),
    Pkcs11Problem::Token { reason } => write!(f, "the token failed: {reason}"),
    Pkcs11Problem::KeyFileBeside { path } => write!(
        f,
        "{} exists too: a CA signs with its key file or its token key, not both (remove the file, or do not name a token key)",
        path.display()
    ),
    Pkcs11Problem::SameKey => f.write_str(
        "it is the key of the CA being rotated; name another object for the new CA's key"
    ),
});

/// Why a CA rotation step was refused.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RotationProblem {
    /// `reissue`, `finish` or `status` with no rotation started.
    NotStarted,
    /// `start` while a rotation is in progress.
    InProgress {
        /// Its phase.
        phase: &'static str,
    },
    /// `finish` before `reissue`.
    NotReissued,
    /// A role to rotate has no CA (or no CA key) in the directory.
    NoCaToRotate {
        /// The role.
        role: CaRole,
    },
    /// The rotation's state file cannot be read.
    BrokenState {
        /// Why.
        reason: String,
    },
}

display!(RotationProblem, |s, f| match s {
    RotationProblem::NotStarted =>
        f.write_str("no CA rotation is in progress (run `ca rotate start` first)"),
    RotationProblem::InProgress { phase } => write!(
        f,
        "a CA rotation is in progress (phase {phase}): run `ca rotate reissue` / `finish` to complete it"
    ),
    RotationProblem::NotReissued => f.write_str(
        "the leaves still come from the old CA: run `ca rotate reissue` before `finish`"
    ),
    RotationProblem::NoCaToRotate { role } => write!(
        f,
        "the {role} CA cannot be rotated here: its certificate or key is missing (an external CA is rotated by its owner)"
    ),
    RotationProblem::BrokenState { reason } =>
        write!(f, "the rotation state cannot be read: {reason}"),
});

/// Why PEM text was refused.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PemProblem {
    /// The PEM framing is broken.
    Syntax {
        /// What the PEM reader saw.
        detail: String,
    },
    /// No PEM block at all.
    NoBlock,
    /// Blocks, but none of the expected kind.
    WrongLabel {
        /// The labels that would do.
        expected: &'static [&'static str],
        /// The labels found.
        found: Vec<String>,
    },
    /// The bytes are not text.
    NotText,
    /// Neither PEM nor DER of the expected kind.
    NeitherPemNorDer {
        /// The PEM label expected (`CERTIFICATE REQUEST`).
        label: &'static str,
    },
}

display!(PemProblem, |s, f| match s {
    PemProblem::Syntax { detail } => f.write_str(detail),
    PemProblem::NoBlock => f.write_str("no PEM block found"),
    PemProblem::WrongLabel { expected, found } => write!(
        f,
        "expected a {} block, found {}",
        expected.join(" or "),
        found.join(", ")
    ),
    PemProblem::NotText => f.write_str("not text (PEM is ASCII text)"),
    PemProblem::NeitherPemNorDer { label } => {
        write!(f, "expected PEM (a {label} block) or DER, found neither")
    }
});

/// Why a key was refused.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyProblem {
    /// An RSA modulus size kpki does not support.
    RsaSize {
        /// The size in bits.
        bits: usize,
    },
    /// An elliptic curve kpki does not support.
    Curve {
        /// Its OID, or `(none)`.
        oid: String,
    },
    /// An EC key without a named curve.
    NoNamedCurve,
    /// A public key algorithm kpki does not support.
    Algorithm {
        /// Its OID.
        oid: String,
    },
    /// The bytes are not a key of the form named.
    Malformed {
        /// What form was expected (`PKCS#1 RSA private key`, `SubjectPublicKeyInfo`, ...).
        form: &'static str,
    },
    /// Not any private key form kpki reads.
    UnknownForm,
    /// An encrypted private key.
    Encrypted,
    /// An EC point other than an uncompressed one of the curve's size.
    NotUncompressedPoint {
        /// The expected length.
        len: usize,
    },
    /// An Ed25519 public key of the wrong size.
    Ed25519Length {
        /// Its length.
        len: usize,
    },
    /// A SubjectPublicKeyInfo that is not in its one DER encoding.
    NotCanonical,
    /// Bytes after the key.
    TrailingData,
    /// The backend refused the key.
    Backend {
        /// Its explanation.
        detail: String,
    },
}

display!(KeyProblem, |s, f| {
    match s {
    KeyProblem::RsaSize { bits } => write!(
        f,
        "RSA-{bits} is not supported (use 2048, 3072 or 4096 bits)"
    ),
    KeyProblem::Curve { oid } => write!(f, "unsupported elliptic curve {oid}"),
    KeyProblem::NoNamedCurve => f.write_str("EC key without a named curve"),
    KeyProblem::Algorithm { oid } => write!(f, "unsupported key algorithm {oid}"),
    KeyProblem::Malformed { form } => write!(f, "not a well-formed {form}"),
    KeyProblem::UnknownForm => f.write_str("not a PKCS#8, PKCS#1 or SEC1 private key"),
    KeyProblem::Encrypted => {
        f.write_str("encrypted private keys are not supported; decrypt it first")
    }
    KeyProblem::NotUncompressedPoint { len } => {
        write!(f, "the EC public key is not an uncompressed point of {len} bytes")
    }
    KeyProblem::Ed25519Length { len } => {
        write!(f, "Ed25519 public key has {len} bytes, not 32")
    }
    KeyProblem::NotCanonical => f.write_str(
        "SubjectPublicKeyInfo is not in canonical DER (algorithm identifier or bit string encoded unusually)"
    ),
    KeyProblem::TrailingData => f.write_str("trailing data after the key"),
    KeyProblem::Backend { detail } => f.write_str(detail),
}
});

/// Why a certificate was refused.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertificateProblem {
    /// Not a well-formed X.509 certificate.
    Malformed {
        /// Where the DER went wrong.
        detail: String,
    },
    /// Bytes after the certificate.
    TrailingData,
    /// A name attribute kpki cannot read as text.
    UnreadableName,
    /// An IP address SAN that is neither 4 nor 16 bytes.
    IpSanLength {
        /// Its length.
        len: usize,
    },
    /// The subject cannot serve as an issuer name (empty RDN, not DER).
    UnusableIssuerName,
    /// Its public key is unusable.
    PublicKey(KeyProblem),
    /// No certificate at all (an empty list).
    Absent,
}

display!(CertificateProblem, |s, f| {
    match s {
    CertificateProblem::Malformed { detail } => {
        write!(f, "expected a DER X.509 certificate: {detail}")
    }
    CertificateProblem::TrailingData => f.write_str("trailing data after the certificate"),
    CertificateProblem::Absent => f.write_str("no certificate was given"),
    CertificateProblem::UnreadableName => f.write_str("a name attribute is not readable text"),
    CertificateProblem::IpSanLength { len } => write!(f, "IP address SAN of {len} bytes"),
    CertificateProblem::UnusableIssuerName => f.write_str(
        "the subject name is not well-formed DER (an empty RDN or a bad length), so it cannot be an issuer name"
    ),
    CertificateProblem::PublicKey(p) => write!(f, "its public key: {p}"),
}
});

/// Why a certificate cannot be a CA.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotCaProblem {
    /// basicConstraints does not say CA:TRUE.
    NotCa,
    /// keyUsage is present without keyCertSign.
    NoKeyCertSign,
}

display!(NotCaProblem, |s, f| f.write_str(match s {
    NotCaProblem::NotCa => "basicConstraints does not say CA:TRUE",
    NotCaProblem::NoKeyCertSign => "keyUsage lacks keyCertSign",
}));

/// What was asked of a CA without a key.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaKeyNeeded {
    /// To issue a certificate.
    Issue,
    /// A certificate it should issue must be supplied instead.
    Supply {
        /// Which certificate.
        name: String,
    },
    /// Its private key itself (it signs through a [`crate::Signer`], or is external).
    Export,
    /// To sign for a signer (its key file is absent).
    Sign {
        /// The CA's role.
        role: CaRole,
        /// The key file that is absent.
        key_path: PathBuf,
    },
    /// To renew a certificate (or itself) in a directory where its key file is absent.
    Renew {
        /// What was to be renewed (kubeadm's name).
        name: String,
        /// The CA's role.
        role: CaRole,
        /// The key file that is absent.
        key_path: PathBuf,
    },
}

display!(CaKeyNeeded, |s, f| match s {
    CaKeyNeeded::Issue => f.write_str("it is external and cannot issue certificates"),
    CaKeyNeeded::Export =>
        f.write_str("its key is not held in memory (it signs through a signer, or is external)"),
    CaKeyNeeded::Supply { name } => {
        write!(f, "{name} must be supplied because the CA cannot issue it")
    }
    CaKeyNeeded::Sign { role, key_path } => write!(
        f,
        "the {role} CA has no private key here, so it cannot sign (no {})",
        key_path.display()
    ),
    CaKeyNeeded::Renew {
        name,
        role,
        key_path,
    } => write!(
        f,
        "{name} cannot be renewed: the {role} CA has no private key here (no {}: kubeadm's external-CA mode)",
        key_path.display()
    ),
});

/// Why a supplied certificate does not fit.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SuppliedProblem {
    /// Issued by another name.
    WrongIssuer {
        /// Its issuer.
        issuer: String,
        /// The CA's subject.
        expected: String,
    },
    /// The signature does not verify with the CA's key.
    BadSignature {
        /// The CA's subject.
        issuer: String,
    },
    /// Expired or not yet valid.
    NotValidNow,
    /// The CN is not the expected one.
    CommonName {
        /// The CN found.
        found: String,
        /// The CN expected.
        expected: String,
    },
    /// The O values are not the expected ones.
    Organizations {
        /// The O values found.
        found: Vec<String>,
        /// The O values expected.
        expected: Vec<String>,
    },
    /// A DNS SAN is missing.
    LacksDnsName {
        /// The name.
        name: String,
    },
    /// An IP SAN is missing.
    LacksIpAddress {
        /// The address.
        ip: IpAddr,
    },
}

display!(SuppliedProblem, |s, f| match s {
    SuppliedProblem::WrongIssuer { issuer, expected } => {
        write!(f, "issued by {issuer:?}, not by {expected:?}")
    }
    SuppliedProblem::BadSignature { issuer } => {
        write!(f, "signature does not verify with the key of {issuer:?}")
    }
    SuppliedProblem::NotValidNow => f.write_str("not valid now (expired or not yet valid)"),
    SuppliedProblem::CommonName { found, expected } => {
        write!(f, "CN is {found:?}, expected {expected:?}")
    }
    SuppliedProblem::Organizations { found, expected } => {
        write!(f, "O is {found:?}, expected {expected:?}")
    }
    SuppliedProblem::LacksDnsName { name } => write!(f, "lacks the DNS SAN {name}"),
    SuppliedProblem::LacksIpAddress { ip } => write!(f, "lacks the IP SAN {ip}"),
});

/// Why a validity period cannot be honoured.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValidityProblem {
    /// notAfter would not be after notBefore.
    Empty,
    /// A time out of the representable range.
    OutOfRange {
        /// The validity asked for, in seconds.
        seconds: u64,
    },
    /// Shorter than allowed.
    TooShort {
        /// What is too short, as the start of a sentence (`a user certificate valid for`).
        what: &'static str,
        /// The length asked for, in seconds.
        seconds: u64,
    },
    /// The CA has expired.
    CaExpired {
        /// The CA.
        ca: String,
        /// Its notAfter, as text.
        not_after: String,
    },
    /// The requested validity would outlive the CA.
    OutlivesCa {
        /// The validity asked for, in seconds.
        seconds: u64,
        /// The CA.
        ca: String,
        /// Its notAfter, as text.
        not_after: String,
        /// The most that fits, in seconds.
        left: u64,
    },
}

display!(ValidityProblem, |s, f| match s {
    ValidityProblem::Empty =>
        f.write_str("notAfter would not be later than notBefore (does the CA expire before now?)"),
    ValidityProblem::OutOfRange { seconds } => {
        write!(f, "a validity of {seconds} s is out of range")
    }
    ValidityProblem::TooShort { what, seconds } => {
        write!(
            f,
            "{what} {seconds} s is refused: at least 600 s (10 minutes)"
        )
    }
    ValidityProblem::CaExpired { ca, not_after } => write!(
        f,
        "refusing to sign a certificate that expired in the past: NotAfter={not_after} (CA {ca:?})"
    ),
    ValidityProblem::OutlivesCa {
        seconds,
        ca,
        not_after,
        left,
    } => write!(
        f,
        "the requested validity of {seconds} s would outlive the CA {ca:?} (notAfter {not_after}); ask for at most {left} s"
    ),
});

/// Why a kubeadm configuration file was refused.
#[non_exhaustive]
#[derive(Debug)]
pub enum ConfigProblem {
    /// The YAML could not be read as a kubeadm configuration (syntax, wrong type).
    Syntax {
        /// What the YAML reader said.
        detail: String,
    },
    /// A value the file must have is missing.
    Missing,
    /// The value is invalid; the inner error says how.
    Invalid(Box<Error>),
    /// An `apiVersion` kpki does not read.
    ApiVersion {
        /// The value.
        value: String,
    },
    /// No kubeadm document in the file.
    NoKubeadmDocument,
    /// A `certificatesDir` kpki cannot place under the directory it was given.
    CertificatesDir {
        /// The value.
        value: String,
    },
}

impl std::error::Error for ConfigProblem {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigProblem::Invalid(e) => Some(e.as_ref()),
            _ => None,
        }
    }
}

display!(ConfigProblem, |s, f| match s {
    ConfigProblem::Syntax { detail } => f.write_str(detail),
    ConfigProblem::Missing => f.write_str("missing"),
    ConfigProblem::Invalid(e) => write!(f, "{e}"),
    ConfigProblem::ApiVersion { value } => write!(
        f,
        "{value:?} is not supported (use kubeadm.k8s.io/v1beta3 or v1beta4)"
    ),
    ConfigProblem::NoKubeadmDocument => {
        f.write_str("no kubeadm.k8s.io/v1beta3 or v1beta4 document found")
    }
    ConfigProblem::CertificatesDir { value } => write!(
        f,
        "{value:?}: kpki writes everything under the directory it is given (kubeadm's \
         /etc/kubernetes), so certificatesDir must lie under /etc/kubernetes or be \
         relative, without '..'"
    ),
});

/// Why a kubeconfig was refused.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KubeconfigProblem {
    /// The YAML could not be read.
    Syntax {
        /// What the YAML reader said.
        detail: String,
    },
    /// `kind` is not `Config`.
    Kind {
        /// The kind found.
        kind: String,
    },
    /// A `*-data` field is not base64.
    NotBase64 {
        /// The field.
        field: &'static str,
    },
    /// A `*-data` field does not decode to PEM text.
    NotPemText {
        /// The field.
        field: &'static str,
    },
    /// No current context (or its cluster or user entry is missing).
    NoCurrentContext,
    /// The current user has no embedded client certificate.
    NoClientCertificate,
    /// The current user has no embedded client key.
    NoClientKey,
    /// The kubeconfig could not be written as YAML.
    Render {
        /// What the YAML writer said.
        detail: String,
    },
}

display!(KubeconfigProblem, |s, f| match s {
    KubeconfigProblem::Syntax { detail } => f.write_str(detail),
    KubeconfigProblem::Kind { kind } => write!(f, "kind is {kind:?}, expected \"Config\""),
    KubeconfigProblem::NotBase64 { field } => write!(f, "{field} is not base64"),
    KubeconfigProblem::NotPemText { field } => write!(f, "{field} is not PEM text"),
    KubeconfigProblem::NoCurrentContext => {
        f.write_str("no current context (or its cluster or user entry is missing)")
    }
    KubeconfigProblem::NoClientCertificate => {
        f.write_str("no embedded client certificate to renew")
    }
    KubeconfigProblem::NoClientKey => f.write_str("no embedded client key to renew"),
    KubeconfigProblem::Render { detail } => write!(f, "cannot be written as YAML: {detail}"),
});

/// Why a certificate cannot be renewed as asked.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RenewProblem {
    /// It is a CA certificate.
    IsCa,
    /// Its subject has attributes other than CN and O.
    OtherSubjectAttributes,
    /// It has email or URI SANs.
    EmailOrUriSans,
    /// Its subject has no CN.
    NoCommonName,
    /// It was issued by another CA.
    IssuedByOther {
        /// Its issuer's CN.
        issuer: String,
        /// This CA's CN.
        ca: String,
    },
    /// An intermediate CA cannot rotate itself.
    Intermediate,
    /// The cluster configuration names another node than the certificate does.
    OtherNode {
        /// The CN the configuration gives.
        config: String,
        /// The CN the certificate has.
        certificate: String,
    },
}

display!(RenewProblem, |s, f| {
    match s {
    RenewProblem::IsCa => f.write_str(
        "it is a CA certificate (rotate the CA instead: CertificateAuthority::rotate)"
    ),
    RenewProblem::OtherSubjectAttributes => f.write_str(
        "its subject has attributes other than CN and O, which kpki does not reproduce"
    ),
    RenewProblem::EmailOrUriSans => {
        f.write_str("it has email or URI SANs, which kpki does not reproduce")
    }
    RenewProblem::NoCommonName => f.write_str("its subject has no common name"),
    RenewProblem::IssuedByOther { issuer, ca } => {
        write!(f, "it was issued by {issuer:?}, not by this CA ({ca:?})")
    }
    RenewProblem::Intermediate => f.write_str(
        "it is an intermediate CA; issue its successor from its parent with CertificateAuthority::new_intermediate"
    ),
    RenewProblem::OtherNode { config, certificate } => write!(
        f,
        "the cluster configuration makes it {config:?}, but the certificate is {certificate:?}: \
         the configuration names another node (give this node's name in nodeRegistration.name)"
    ),
}
});

/// Why a specification or request is inconsistent.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpecProblem {
    /// A role shares a CA that is itself shared.
    SharedCaNotOwned {
        /// The role.
        role: CaRole,
        /// The role it shares.
        other: CaRole,
    },
    /// A worker listed twice.
    DuplicateWorker {
        /// The worker.
        node: String,
    },
    /// A leaf request with a CA profile.
    CaProfileForLeaf,
    /// keyCertSign on a leaf.
    KeyCertSignOnLeaf,
    /// An extended key usage that is not an OID.
    ExtendedKeyUsageOid {
        /// The value.
        oid: String,
    },
    /// Two outputs to one path.
    DuplicateOutput {
        /// The path.
        path: PathBuf,
    },
    /// Both a key and an algorithm for a new key.
    KeyAndAlgorithm,
    /// A supplied certificate the cluster does not issue.
    NotInPlan {
        /// The name given.
        name: String,
    },
    /// No node name: none given, none in the configuration, and this host's name is not
    /// a valid one.
    NoNodeName {
        /// This host's name, if it has one.
        hostname: Option<String>,
    },
    /// No advertise address: none given, none in the configuration, none found.
    NoAdvertiseAddress,
    /// No node name given, and no host to take one from.
    NodeNameRequired,
    /// No advertise address given, and no host to take one from.
    AdvertiseAddressRequired,
    /// A custom signer needs explicit usages.
    UsagesRequired {
        /// The signer.
        signer: String,
    },
    /// `all` combined with names.
    AllWithNames,
    /// No API server URL: none given, and no `admin.conf` to take it from.
    NoServer {
        /// The `admin.conf` that is absent.
        admin_conf: PathBuf,
    },
}

display!(SpecProblem, |s, f| match s {
    SpecProblem::SharedCaNotOwned { role, other } => write!(
        f,
        "the {role} CA shares the {other} CA, which must have a CA of its own"
    ),
    SpecProblem::DuplicateWorker { node } => write!(f, "worker node {node} is listed twice"),
    SpecProblem::CaProfileForLeaf => f.write_str(
        "a leaf request cannot have a CA profile; use CertificateAuthority::new_intermediate"
    ),
    SpecProblem::KeyCertSignOnLeaf => f.write_str("a leaf certificate cannot have keyCertSign"),
    SpecProblem::ExtendedKeyUsageOid { oid } => {
        write!(f, "extended key usage {oid:?} is not an object identifier")
    }
    SpecProblem::DuplicateOutput { path } => {
        write!(f, "{} is named for two outputs", path.display())
    }
    SpecProblem::KeyAndAlgorithm => {
        f.write_str("pass either a key or an algorithm, not both (the key has an algorithm)")
    }
    SpecProblem::NotInPlan { name } => {
        write!(f, "{name:?} is not a certificate of this cluster")
    }
    SpecProblem::NoNodeName { hostname: Some(h) } => write!(
        f,
        "no node name was given, and this host's name {h:?} is not a valid one (a lowercase RFC 1123 name of at most 52 bytes)"
    ),
    SpecProblem::NoNodeName { hostname: None } => {
        f.write_str("no node name was given, and this host has no name")
    }
    SpecProblem::NodeNameRequired => f.write_str("no node name was given"),
    SpecProblem::AdvertiseAddressRequired => f.write_str("no advertise address was given"),
    SpecProblem::NoAdvertiseAddress => f.write_str(
        "no advertise address was given and this host has no default route to take it from"
    ),
    // The remedy (give the usages) is the caller's setting: each door names it.
    SpecProblem::UsagesRequired { signer } => write!(f, "{signer:?} is not a built-in signer"),
    SpecProblem::AllWithNames => f.write_str("`all` cannot be combined with other names"),
    // The remedy (give the server) is the caller's setting: each door names it.
    SpecProblem::NoServer { admin_conf } => write!(f, "{}: not found", admin_conf.display()),
});

/// Why a PKCS#10 request was refused.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CsrProblem {
    /// Not a well-formed PKCS#10 request.
    Malformed {
        /// Where the DER went wrong.
        detail: String,
    },
    /// Bytes after the request.
    TrailingData,
    /// Its public key is unusable.
    PublicKey(KeyProblem),
    /// A signature algorithm kpki does not verify.
    SignatureAlgorithm {
        /// Its OID.
        oid: String,
    },
    /// The self-signature does not verify.
    NoProofOfPossession,
    /// A subject attribute is not readable text.
    UnreadableSubject,
    /// Two extensionRequest attributes.
    TwoExtensionRequests,
    /// An extension requested twice.
    DuplicateExtension {
        /// Its OID.
        oid: String,
    },
    /// A requested extension that does not parse.
    MalformedExtension {
        /// Its OID.
        oid: String,
    },
    /// An IP address SAN that is neither 4 nor 16 bytes.
    IpSanLength {
        /// Its length.
        len: usize,
    },
    /// A subjectAltName entry that does not parse.
    MalformedSan,
}

display!(CsrProblem, |s, f| {
    match s {
    CsrProblem::Malformed { detail } => write!(f, "expected a DER PKCS#10 request: {detail}"),
    CsrProblem::TrailingData => f.write_str("trailing data after the request"),
    CsrProblem::PublicKey(p) => write!(f, "unusable public key: {p}"),
    CsrProblem::SignatureAlgorithm { oid } => write!(
        f,
        "unsupported signature algorithm {oid} (supported: sha256WithRSAEncryption, sha384WithRSAEncryption, sha512WithRSAEncryption, ecdsa-with-SHA256, ecdsa-with-SHA384, Ed25519)"
    ),
    CsrProblem::NoProofOfPossession => f.write_str(
        "the signature does not verify with the request's own public key (no proof of possession of the private key)"
    ),
    CsrProblem::UnreadableSubject => f.write_str("a subject attribute is not readable text"),
    CsrProblem::TwoExtensionRequests => f.write_str("more than one extensionRequest attribute"),
    CsrProblem::DuplicateExtension { oid } => write!(f, "extension {oid} is requested twice"),
    CsrProblem::MalformedExtension { oid } => write!(f, "malformed requested extension {oid}"),
    CsrProblem::IpSanLength { len } => write!(f, "IP address SAN of {len} bytes"),
    CsrProblem::MalformedSan => f.write_str("malformed subjectAltName entry"),
}
});

/// What in a `certificates.k8s.io` request is invalid (the API server's wording).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestProblem {
    /// A usage the API does not know.
    UnsupportedUsage,
    /// A usage listed twice.
    Duplicate,
    /// No usages.
    Required,
    /// `expirationSeconds` below 600.
    TooShort,
    /// `expirationSeconds` beyond 32 bits.
    TooLong,
}

display!(RequestProblem, |s, f| match s {
    RequestProblem::UnsupportedUsage =>
        write!(f, "Unsupported value; supported values: {}", USAGE_NAMES),
    RequestProblem::Duplicate => f.write_str("Duplicate value"),
    RequestProblem::Required => f.write_str("usages must be provided"),
    RequestProblem::TooShort => {
        f.write_str("may not specify a duration less than 600 seconds (10 minutes)")
    }
    RequestProblem::TooLong => f.write_str("must fit a 32-bit integer"),
});

/// The kind of a subject alternative name, for policy messages.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SanKind {
    /// dNSName.
    Dns,
    /// iPAddress.
    Ip,
    /// rfc822Name.
    Email,
    /// uniformResourceIdentifier.
    Uri,
}

display!(SanKind, |s, f| f.write_str(match s {
    SanKind::Dns => "DNS",
    SanKind::Ip => "IP",
    SanKind::Email => "Email",
    SanKind::Uri => "URI",
}));

/// The rule of a signer's policy that refused a request. The messages are
/// kube-controller-manager's where it has one.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyRule {
    /// kube-apiserver-client: a usage other than digital signature, key encipherment,
    /// client auth.
    ClientUsage {
        /// The usage.
        usage: String,
    },
    /// kube-apiserver-client: no client auth.
    MissingClientAuth,
    /// The kubelet signers: O is not exactly `system:nodes`.
    NotNodesGroup,
    /// The kubelet client signer: a SAN of this kind.
    KubeletClientSan {
        /// The kind.
        kind: SanKind,
    },
    /// The kubelet signers: the CN does not begin with `system:node:`.
    NodeCommonName,
    /// The kubelet signers: the usages are not exactly the allowed set.
    UsagesNotExact {
        /// The allowed set, sorted.
        expected: Vec<&'static str>,
    },
    /// kubelet-serving: no DNS or IP SAN.
    DnsOrIpRequired,
    /// kubelet-serving: an email or URI SAN.
    KubeletServingSan {
        /// The kind.
        kind: SanKind,
    },
    /// A SAN kind kpki does not issue.
    SanKind {
        /// The kind (`Email`, `URI`, `otherName`, ...).
        kind: String,
    },
    /// basicConstraints CA:TRUE requested.
    CaRequested,
    /// keyCertSign or cRLSign requested in the CSR.
    CaKeyUsageRequested {
        /// The usage's Kubernetes name.
        usage: &'static str,
    },
    /// `cert sign` or `crl sign` requested as a usage.
    CaUsage {
        /// The usage.
        usage: &'static str,
    },
    /// The subject has no CN.
    NoCommonName,
    /// The subject has several CNs.
    SeveralCommonNames {
        /// How many.
        count: usize,
    },
    /// The subject has attributes other than CN and O.
    OtherSubjectAttributes {
        /// Their names.
        attributes: Vec<String>,
    },
    /// A privileged group not explicitly allowed.
    PrivilegedGroup {
        /// The group.
        group: String,
    },
    /// Custom rules: the CN does not match.
    CommonNamePattern {
        /// The CN.
        common_name: String,
        /// The pattern.
        pattern: String,
    },
    /// Custom rules: a group not allowed.
    GroupNotAllowed {
        /// The group.
        group: String,
        /// The allowed patterns.
        allowed: Vec<String>,
    },
    /// Custom rules: a DNS name not allowed.
    DnsNameNotAllowed {
        /// The name.
        name: String,
        /// The allowed patterns.
        allowed: Vec<String>,
    },
    /// Custom rules: an IP address not allowed.
    IpNotAllowed {
        /// The address.
        ip: IpAddr,
        /// The allowed ranges.
        allowed: Vec<String>,
    },
    /// Custom rules: a usage not allowed.
    UsageNotAllowed {
        /// The usage.
        usage: &'static str,
        /// The allowed usages.
        allowed: Vec<&'static str>,
    },
    /// The CSR requests an extended key usage with no `certificates.k8s.io` name.
    UnnamedExtendedKeyUsage {
        /// Its OID.
        oid: String,
    },
    /// An object asks for another signer.
    WrongSigner {
        /// The object.
        object: String,
        /// The signer it asks for.
        requested: String,
    },
    /// An object already denied or failed.
    AlreadyDenied {
        /// The object.
        object: String,
    },
    /// An object that already has a certificate.
    AlreadyIssued {
        /// The object.
        object: String,
    },
}

fn list<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

display!(PolicyRule, |s, f| {
    match s {
    PolicyRule::ClientUsage { usage } => {
        write!(f, "invalid usage for client certificate: {usage}")
    }
    PolicyRule::MissingClientAuth => {
        f.write_str("missing required usage for client certificate: client auth")
    }
    PolicyRule::NotNodesGroup => f.write_str("subject organization is not system:nodes"),
    PolicyRule::KubeletClientSan { kind } => write!(f, "{kind} subjectAltNames are not allowed"),
    PolicyRule::NodeCommonName => {
        f.write_str("subject common name does not begin with system:node:")
    }
    PolicyRule::UsagesNotExact { expected } => {
        write!(f, "usages did not match [{}]", expected.join(" "))
    }
    PolicyRule::DnsOrIpRequired => f.write_str("DNS or IP subjectAltName is required"),
    PolicyRule::KubeletServingSan { kind } => {
        write!(f, "{kind} subjectAltNames are not allowed")
    }
    PolicyRule::SanKind { kind } => write!(
        f,
        "{kind} subjectAltNames are not allowed (kpki issues DNS and IP SANs only)"
    ),
    PolicyRule::CaRequested => f.write_str(
        "the CSR requests basicConstraints CA:TRUE; a signer never issues a CA certificate from a CSR"
    ),
    PolicyRule::CaKeyUsageRequested { usage } => write!(
        f,
        "the CSR requests keyUsage {usage}; a signer never issues a CA certificate from a CSR"
    ),
    PolicyRule::CaUsage { usage } => write!(
        f,
        "usage {usage:?} is for CAs; a signer never grants it from a CSR"
    ),
    PolicyRule::NoCommonName => f.write_str("the CSR subject has no common name"),
    PolicyRule::SeveralCommonNames { count } => write!(
        f,
        "the CSR subject has {count} common names; exactly one is allowed"
    ),
    PolicyRule::OtherSubjectAttributes { attributes } => write!(
        f,
        "the CSR subject has attributes other than CN and O ({}); kpki issues CN and O only",
        attributes.join(", ")
    ),
    PolicyRule::PrivilegedGroup { group } => write!(
        f,
        "group {group:?} is privileged{}; the policy must allow it explicitly",
        if group == crate::names::MASTERS_GROUP {
            " (cluster-admin that no RBAC change can revoke)"
        } else {
            ""
        }
    ),
    PolicyRule::CommonNamePattern {
        common_name,
        pattern,
    } => write!(
        f,
        "common name {common_name:?} does not match the allowed pattern {pattern:?}"
    ),
    PolicyRule::GroupNotAllowed { group, allowed } => {
        write!(f, "group {group:?} is not allowed (allowed: {})", list(allowed))
    }
    PolicyRule::DnsNameNotAllowed { name, allowed } => {
        write!(f, "DNS name {name:?} is not allowed (allowed: {})", list(allowed))
    }
    PolicyRule::IpNotAllowed { ip, allowed } => {
        write!(f, "IP address {ip} is not allowed (allowed: {})", list(allowed))
    }
    PolicyRule::UsageNotAllowed { usage, allowed } => {
        write!(f, "usage {usage:?} is not allowed (allowed: {})", list(allowed))
    }
    PolicyRule::UnnamedExtendedKeyUsage { oid } => write!(
        f,
        "the CSR requests extended key usage {oid} which has no certificates.k8s.io usage name"
    ),
    PolicyRule::WrongSigner { object, requested } => {
        write!(f, "{object:?} asks for signer {requested:?}")
    }
    PolicyRule::AlreadyDenied { object } => write!(f, "{object:?} is already denied or failed"),
    PolicyRule::AlreadyIssued { object } => write!(f, "{object:?} already has a certificate"),
}
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_privileged_group_refusal_names_the_setting_that_grants_it() {
        let e = Error::PolicyRefused {
            signer: "kubernetes.io/kube-apiserver-client".into(),
            rule: PolicyRule::PrivilegedGroup {
                group: "system:masters".into(),
            },
        };
        assert_eq!(
            e.setting(),
            Some(Setting::AllowPrivilegedGroup("system:masters".into()))
        );
        assert!(e.to_string().contains("cluster-admin"), "{e}");
        let e = Error::AlreadyExists {
            path: "/x/ca.key".into(),
        };
        assert_eq!(e.setting(), Some(Setting::Overwrite));
        assert_eq!(e.path(), Some(Path::new("/x/ca.key")));
    }

    #[test]
    fn a_config_error_keeps_the_inner_cause() {
        let inner = Error::InvalidNetwork {
            field: NetworkField::ServiceCidr,
            value: "10.96.0.0/40".into(),
            problem: NetworkProblem::PrefixTooLong { max: 32 },
        };
        let e = Error::KubeadmConfig {
            file: None,
            field: "networking.serviceSubnet".into(),
            problem: ConfigProblem::Invalid(Box::new(inner)),
        };
        let source = std::error::Error::source(&e).and_then(std::error::Error::source);
        assert!(
            source.is_some_and(|s| s.to_string().contains("at most 32")),
            "{e}"
        );
        assert!(matches!(
            e,
            Error::KubeadmConfig { problem: ConfigProblem::Invalid(ref b), .. }
                if matches!(**b, Error::InvalidNetwork { field: NetworkField::ServiceCidr, .. })
        ));
    }
}

/// Why a [`TlsPolicy`](crate::TlsPolicy) refuses a request.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsRefusal {
    /// An IP address SAN, and the policy allows none.
    IpSan {
        /// The address.
        ip: IpAddr,
    },
    /// A DNS name outside the allowed domains.
    Domain {
        /// The name.
        name: String,
    },
    /// A wildcard DNS name, and the policy allows none.
    Wildcard {
        /// The name.
        name: String,
    },
    /// A CA certificate, and the policy issues none.
    Ca,
}

impl TlsRefusal {
    /// The `tls-certificates` relation's `CertificateRequestErrorCode` for it:
    /// 101 (IP not allowed), 102 (domain), 103 (wildcard), 999 (other).
    pub fn code(&self) -> u16 {
        match self {
            TlsRefusal::IpSan { .. } => 101,
            TlsRefusal::Domain { .. } => 102,
            TlsRefusal::Wildcard { .. } => 103,
            TlsRefusal::Ca => 999,
        }
    }

    /// That code's name (`IP_NOT_ALLOWED`, `DOMAIN_NOT_ALLOWED`, `WILDCARD_NOT_ALLOWED`,
    /// `OTHER`).
    pub fn code_name(&self) -> &'static str {
        match self {
            TlsRefusal::IpSan { .. } => "IP_NOT_ALLOWED",
            TlsRefusal::Domain { .. } => "DOMAIN_NOT_ALLOWED",
            TlsRefusal::Wildcard { .. } => "WILDCARD_NOT_ALLOWED",
            TlsRefusal::Ca => "OTHER",
        }
    }
}

impl fmt::Display for TlsRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsRefusal::IpSan { ip } => write!(f, "IP address SANs are not allowed ({ip})"),
            TlsRefusal::Domain { name } => {
                write!(f, "DNS name {name:?} is not in an allowed domain")
            }
            TlsRefusal::Wildcard { name } => {
                write!(f, "wildcard DNS names are not allowed ({name:?})")
            }
            TlsRefusal::Ca => f.write_str("CA certificates are not issued"),
        }
    }
}

/// Which part of a general-purpose request a [`TlsFieldProblem`] is about.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsField {
    /// A subject attribute, by its short name (`None`: its name was not recognised).
    Attribute(Option<&'static str>),
    /// The subject as a whole.
    Subject,
    /// The kind of a SAN.
    SanKind,
    /// A dNSName SAN.
    DnsName,
    /// An iPAddress SAN.
    IpAddress,
    /// A registeredID SAN.
    RegisteredId,
    /// An rfc822Name SAN.
    Email,
    /// An extension's OID.
    ExtensionOid,
    /// An extension's value (the value shown is its OID).
    ExtensionValue,
}

impl fmt::Display for TlsField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsField::Attribute(Some(a)) => write!(f, "subject attribute {a}"),
            TlsField::Attribute(None) => f.write_str("subject attribute name"),
            TlsField::Subject => f.write_str("subject"),
            TlsField::SanKind => f.write_str("subject alternative name kind"),
            TlsField::DnsName => f.write_str("DNS subject alternative name"),
            TlsField::IpAddress => f.write_str("IP subject alternative name"),
            TlsField::RegisteredId => f.write_str("OID subject alternative name"),
            TlsField::Email => f.write_str("email subject alternative name"),
            TlsField::ExtensionOid => f.write_str("extension OID"),
            TlsField::ExtensionValue => f.write_str("value of extension"),
        }
    }
}

/// Why a value of a general-purpose request was refused.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsFieldProblem {
    /// Empty (a subject: no attribute at all).
    Empty,
    /// Longer than allowed.
    TooLong {
        /// The most characters allowed.
        max: usize,
        /// Its length.
        len: usize,
    },
    /// Not of the one length allowed.
    WrongLength {
        /// The length wanted.
        want: usize,
        /// Its length.
        len: usize,
    },
    /// A character outside PrintableString.
    NotPrintable,
    /// A character outside ASCII (IA5String).
    NotAscii,
    /// Not an IP address.
    NotAnIp,
    /// Not a dotted OID.
    NotAnOid,
    /// Not one DER value.
    NotDer,
    /// subjectAltName given as an extension (give the SANs instead).
    SanAsExtension,
    /// The same extension twice.
    Duplicate,
    /// Not one of the names known.
    Unknown {
        /// What is known.
        expected: &'static str,
    },
}

impl fmt::Display for TlsFieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsFieldProblem::Empty => f.write_str("it is empty"),
            TlsFieldProblem::TooLong { max, len } => {
                write!(f, "{len} characters; at most {max} are allowed")
            }
            TlsFieldProblem::WrongLength { want, len } => {
                write!(f, "{len} characters; it must have exactly {want}")
            }
            TlsFieldProblem::NotPrintable => {
                f.write_str("only letters, digits, space and '()+,-./:=? are allowed")
            }
            TlsFieldProblem::NotAscii => f.write_str("only ASCII characters are allowed"),
            TlsFieldProblem::NotAnIp => f.write_str("not an IPv4 or IPv6 address"),
            TlsFieldProblem::NotAnOid => f.write_str("not a dotted OID (like 1.3.6.1.4.1.1)"),
            TlsFieldProblem::NotDer => f.write_str("not one DER value"),
            TlsFieldProblem::SanAsExtension => {
                f.write_str("subjectAltName is written from the SANs; give those instead")
            }
            TlsFieldProblem::Duplicate => f.write_str("given twice"),
            TlsFieldProblem::Unknown { expected } => write!(f, "expected one of {expected}"),
        }
    }
}

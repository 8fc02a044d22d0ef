//! Status codes and the thread-local last-error message.

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char};

/// The status every fallible kpki function returns. `KPKI_OK` (0) is success; any other
/// value says what kind of thing went wrong, and `kpki_last_error()` says what exactly.
///
/// The numeric values are stable: new codes are only ever added.
#[repr(C)]
#[allow(
    clippy::upper_case_acronyms,
    reason = "C enumerator names, spelled as C programs expect them"
)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum kpki_result {
    /// Success.
    KPKI_OK = 0,
    /// A pointer argument that must not be NULL was NULL.
    KPKI_NULL_PARAMETER = 1,
    /// A string argument was not valid UTF-8.
    KPKI_INVALID_UTF8 = 2,
    /// A bug: the library panicked. The call had no effect that can be relied on; the
    /// library stays usable.
    KPKI_PANIC = 3,
    /// A named item (a certificate of a cluster PKI, a CA role's files) does not exist.
    KPKI_NOT_FOUND = 4,
    /// A common name, organization, node name, user name or cluster name is unusable.
    KPKI_INVALID_NAME = 10,
    /// A subject alternative name (DNS name or IP address) is invalid.
    KPKI_INVALID_SAN = 11,
    /// A network setting (CIDR, IP address, endpoint, port) is invalid.
    KPKI_INVALID_NETWORK = 12,
    /// A name that selects a choice (key algorithm, profile, component, CA role) is not
    /// one of the choices; the message lists them.
    KPKI_UNKNOWN_CHOICE = 13,
    /// PEM text could not be read.
    KPKI_INVALID_PEM = 14,
    /// A key could not be parsed or is of an unsupported kind.
    KPKI_INVALID_KEY = 15,
    /// A certificate could not be parsed.
    KPKI_INVALID_CERTIFICATE = 16,
    /// A certificate and the private key offered with it do not belong together.
    KPKI_KEY_MISMATCH = 17,
    /// A certificate offered as a CA cannot sign certificates.
    KPKI_NOT_A_CERTIFICATE_AUTHORITY = 18,
    /// The CA has no private key (an external CA), so it cannot issue.
    KPKI_CA_KEY_UNAVAILABLE = 19,
    /// A supplied certificate does not fit (wrong issuer, not valid now, ...).
    KPKI_INVALID_SUPPLIED_CERTIFICATE = 20,
    /// A validity period cannot be honoured.
    KPKI_INVALID_VALIDITY = 21,
    /// A cryptographic operation failed.
    KPKI_CRYPTO = 22,
    /// A kubeadm configuration file could not be used; the message names the field.
    KPKI_KUBEADM_CONFIG = 23,
    /// A kubeconfig could not be read.
    KPKI_INVALID_KUBECONFIG = 24,
    /// The request or cluster specification is inconsistent.
    KPKI_INVALID_SPEC = 25,
    /// A file kpki would write already exists and overwriting was not allowed.
    KPKI_ALREADY_EXISTS = 26,
    /// A file kpki needs is missing.
    KPKI_MISSING_FILE = 27,
    /// An I/O operation failed; the message names the file.
    KPKI_IO = 28,
    /// A certificate cannot be renewed (or a CA rotated) as asked.
    KPKI_CANNOT_RENEW = 29,
    /// A PKCS#10 certificate signing request could not be read, or its self-signature
    /// (proof of possession of the key) does not verify.
    KPKI_INVALID_CSR = 30,
    /// A signer's policy refuses to sign the CSR; the message says why, in
    /// kube-controller-manager's words where it has them.
    KPKI_POLICY_REFUSED = 31,
    /// A field of the signing request (usages, expiration) is invalid, worded as the
    /// Kubernetes API server words it (`spec.expirationSeconds: Invalid value: ...`).
    KPKI_INVALID_SIGNING_REQUEST = 32,
    /// A certificates.k8s.io CertificateSigningRequest object could not be read.
    KPKI_INVALID_CSR_OBJECT = 33,
    /// A signer policy could not be used.
    KPKI_INVALID_POLICY = 34,
    /// A CA rotation step does not fit the rotation's state in the directory (or an
    /// interrupted change's journal cannot be read).
    KPKI_ROTATION = 35,
    /// A key in a PKCS#11 token cannot be used: a malformed URI, the module, no such
    /// token or key, a wrong PIN, another algorithm, a refused mechanism, a failing
    /// token. The message names the URI (never its PIN) and the cause.
    KPKI_PKCS11 = 36,
    /// A subject attribute, subject alternative name or extension of a general-purpose
    /// TLS request (`kpki_tls_*`) cannot be written: the message names the field and the
    /// value.
    KPKI_INVALID_TLS_FIELD = 37,
    /// An error this version of the C API has no specific code for; see the message.
    KPKI_OTHER = 99,
}

/// An error on its way to C: the code to return and the message to keep.
#[derive(Debug)]
pub(crate) struct FfiError {
    pub(crate) code: kpki_result,
    pub(crate) message: String,
}

impl FfiError {
    pub(crate) fn new(code: kpki_result, message: impl Into<String>) -> FfiError {
        FfiError {
            code,
            message: message.into(),
        }
    }

    /// A NULL argument, named as it is in the header.
    pub(crate) fn null(argument: &str) -> FfiError {
        FfiError::new(
            kpki_result::KPKI_NULL_PARAMETER,
            format!("argument `{argument}` is NULL"),
        )
    }
}

impl From<kpki_core::Error> for FfiError {
    fn from(e: kpki_core::Error) -> FfiError {
        use kpki_core::Error as E;
        use kpki_result as R;
        let code = match &e {
            E::InvalidName { .. } => R::KPKI_INVALID_NAME,
            E::InvalidSan { .. } => R::KPKI_INVALID_SAN,
            E::InvalidNetwork { .. } => R::KPKI_INVALID_NETWORK,
            E::UnknownChoice { .. } => R::KPKI_UNKNOWN_CHOICE,
            E::InvalidPem { .. } => R::KPKI_INVALID_PEM,
            E::InvalidKey { .. } => R::KPKI_INVALID_KEY,
            E::InvalidCertificate { .. } => R::KPKI_INVALID_CERTIFICATE,
            E::KeyMismatch { .. } => R::KPKI_KEY_MISMATCH,
            E::NotACertificateAuthority { .. } => R::KPKI_NOT_A_CERTIFICATE_AUTHORITY,
            E::CaKeyUnavailable { .. } => R::KPKI_CA_KEY_UNAVAILABLE,
            E::InvalidSuppliedCertificate { .. } => R::KPKI_INVALID_SUPPLIED_CERTIFICATE,
            E::InvalidValidity { .. } | E::InvalidDuration { .. } => R::KPKI_INVALID_VALIDITY,
            E::Crypto { .. } | E::Signer { .. } => R::KPKI_CRYPTO,
            E::KubeadmConfig { .. } => R::KPKI_KUBEADM_CONFIG,
            E::InvalidKubeconfig { .. } => R::KPKI_INVALID_KUBECONFIG,
            E::InvalidSpec { .. } => R::KPKI_INVALID_SPEC,
            E::InvalidTlsField { .. } => R::KPKI_INVALID_TLS_FIELD,
            E::AlreadyExists { .. } => R::KPKI_ALREADY_EXISTS,
            E::MissingFile { .. } | E::EmptyDirectory { .. } | E::NoCaFound { .. } => {
                R::KPKI_MISSING_FILE
            }
            E::NoSuchCertificate { .. } | E::UnknownCertificate { .. } | E::NoCa { .. } => {
                R::KPKI_NOT_FOUND
            }
            E::Io { .. } => R::KPKI_IO,
            E::CannotRenew { .. } => R::KPKI_CANNOT_RENEW,
            E::InvalidCsr { .. } => R::KPKI_INVALID_CSR,
            E::PolicyRefused { .. } | E::TlsRefused { .. } => R::KPKI_POLICY_REFUSED,
            E::InvalidSigningRequest { .. } => R::KPKI_INVALID_SIGNING_REQUEST,
            E::InvalidCsrObject { .. } => R::KPKI_INVALID_CSR_OBJECT,
            E::InvalidPolicy { .. } => R::KPKI_INVALID_POLICY,
            E::Rotation { .. } | E::BrokenJournal { .. } => R::KPKI_ROTATION,
            E::Pkcs11 { .. } => R::KPKI_PKCS11,
            _ => R::KPKI_OTHER,
        };
        let mut message = e.to_string();
        if let Some(hint) = e.setting().as_ref().and_then(hint) {
            message.push_str("; ");
            message.push_str(hint);
        }
        FfiError::new(code, message)
    }
}

/// How a C caller gives a setting the core says would change the outcome.
fn hint(setting: &kpki_core::Setting) -> Option<&'static str> {
    use kpki_core::Setting as S;
    Some(match setting {
        S::Overwrite => "pass overwrite = true to replace it",
        S::NodeName => {
            "give it to kpki_cluster_spec_new() or kpki_cluster_spec_new_for_host() (then add the file with kpki_cluster_spec_set_kubeadm_config())"
        }
        S::AdvertiseAddress => {
            "give it to kpki_cluster_spec_new() or kpki_cluster_spec_new_for_host() (then add the file with kpki_cluster_spec_set_kubeadm_config())"
        }
        S::CaKey(_) => {
            "if its key is in a PKCS#11 token, name it: kpki_ca_load_with_ca_keys(), kpki_dir_renew_with_ca_keys()"
        }
        _ => return None,
    })
}

thread_local! {
    /// The message of the last failed call on this thread ("" after a success).
    static LAST_ERROR: RefCell<Option<CString>> = const { RefCell::new(None) };
}

/// A C string of `message` (NUL bytes, which a C string cannot hold, written as `\0`).
fn to_c_string(message: &str) -> CString {
    let bytes: Vec<u8> = message.replace('\0', "\\0").into_bytes();
    CString::new(bytes).unwrap_or_default()
}

/// Records `message` as this thread's last error, prefixed with the function's name.
pub(crate) fn set_last_error(function: &str, message: &str) {
    let text = to_c_string(&format!("{function}: {message}"));
    // `try_with`: during thread teardown the slot may be gone; the code still reports.
    let _ = LAST_ERROR.try_with(|slot| {
        if let Ok(mut slot) = slot.try_borrow_mut() {
            *slot = Some(text);
        }
    });
}

/// Forgets this thread's last error (every fallible call starts with this).
pub(crate) fn clear_last_error() {
    let _ = LAST_ERROR.try_with(|slot| {
        if let Ok(mut slot) = slot.try_borrow_mut() {
            *slot = None;
        }
    });
}

/// The message of the most recent failed kpki call on the calling thread, as a
/// NUL-terminated UTF-8 string such as
/// `kpki_leaf_request_add_san: invalid subject alternative name "bad_san!": ...`.
/// It is empty ("") when that thread's most recent fallible kpki call succeeded.
///
/// Ownership: the string belongs to the library; do not free it. It stays valid until
/// the calling thread's next call to a kpki function. Each thread has its own message.
/// Never returns NULL.
#[unsafe(no_mangle)]
pub extern "C" fn kpki_last_error() -> *const c_char {
    let fallback = c"".as_ptr();
    std::panic::catch_unwind(|| {
        LAST_ERROR
            .try_with(|slot| {
                slot.try_borrow()
                    .ok()
                    .and_then(|s| s.as_ref().map(|c| c.as_ptr()))
                    .unwrap_or(fallback)
            })
            .unwrap_or(fallback)
    })
    .unwrap_or(fallback)
}

impl kpki_result {
    /// Every code, for [`kpki_result_name`].
    const ALL: [kpki_result; 34] = [
        kpki_result::KPKI_OK,
        kpki_result::KPKI_NULL_PARAMETER,
        kpki_result::KPKI_INVALID_UTF8,
        kpki_result::KPKI_PANIC,
        kpki_result::KPKI_NOT_FOUND,
        kpki_result::KPKI_INVALID_NAME,
        kpki_result::KPKI_INVALID_SAN,
        kpki_result::KPKI_INVALID_NETWORK,
        kpki_result::KPKI_UNKNOWN_CHOICE,
        kpki_result::KPKI_INVALID_PEM,
        kpki_result::KPKI_INVALID_KEY,
        kpki_result::KPKI_INVALID_CERTIFICATE,
        kpki_result::KPKI_KEY_MISMATCH,
        kpki_result::KPKI_NOT_A_CERTIFICATE_AUTHORITY,
        kpki_result::KPKI_CA_KEY_UNAVAILABLE,
        kpki_result::KPKI_INVALID_SUPPLIED_CERTIFICATE,
        kpki_result::KPKI_INVALID_VALIDITY,
        kpki_result::KPKI_CRYPTO,
        kpki_result::KPKI_KUBEADM_CONFIG,
        kpki_result::KPKI_INVALID_KUBECONFIG,
        kpki_result::KPKI_INVALID_SPEC,
        kpki_result::KPKI_ALREADY_EXISTS,
        kpki_result::KPKI_MISSING_FILE,
        kpki_result::KPKI_IO,
        kpki_result::KPKI_CANNOT_RENEW,
        kpki_result::KPKI_INVALID_CSR,
        kpki_result::KPKI_POLICY_REFUSED,
        kpki_result::KPKI_INVALID_SIGNING_REQUEST,
        kpki_result::KPKI_INVALID_CSR_OBJECT,
        kpki_result::KPKI_INVALID_POLICY,
        kpki_result::KPKI_ROTATION,
        kpki_result::KPKI_PKCS11,
        kpki_result::KPKI_INVALID_TLS_FIELD,
        kpki_result::KPKI_OTHER,
    ];

    /// The enumerator's name.
    fn c_name(self) -> &'static CStr {
        match self {
            kpki_result::KPKI_OK => c"KPKI_OK",
            kpki_result::KPKI_NULL_PARAMETER => c"KPKI_NULL_PARAMETER",
            kpki_result::KPKI_INVALID_UTF8 => c"KPKI_INVALID_UTF8",
            kpki_result::KPKI_PANIC => c"KPKI_PANIC",
            kpki_result::KPKI_NOT_FOUND => c"KPKI_NOT_FOUND",
            kpki_result::KPKI_INVALID_NAME => c"KPKI_INVALID_NAME",
            kpki_result::KPKI_INVALID_SAN => c"KPKI_INVALID_SAN",
            kpki_result::KPKI_INVALID_NETWORK => c"KPKI_INVALID_NETWORK",
            kpki_result::KPKI_UNKNOWN_CHOICE => c"KPKI_UNKNOWN_CHOICE",
            kpki_result::KPKI_INVALID_PEM => c"KPKI_INVALID_PEM",
            kpki_result::KPKI_INVALID_KEY => c"KPKI_INVALID_KEY",
            kpki_result::KPKI_INVALID_CERTIFICATE => c"KPKI_INVALID_CERTIFICATE",
            kpki_result::KPKI_KEY_MISMATCH => c"KPKI_KEY_MISMATCH",
            kpki_result::KPKI_NOT_A_CERTIFICATE_AUTHORITY => c"KPKI_NOT_A_CERTIFICATE_AUTHORITY",
            kpki_result::KPKI_CA_KEY_UNAVAILABLE => c"KPKI_CA_KEY_UNAVAILABLE",
            kpki_result::KPKI_INVALID_SUPPLIED_CERTIFICATE => c"KPKI_INVALID_SUPPLIED_CERTIFICATE",
            kpki_result::KPKI_INVALID_VALIDITY => c"KPKI_INVALID_VALIDITY",
            kpki_result::KPKI_CRYPTO => c"KPKI_CRYPTO",
            kpki_result::KPKI_KUBEADM_CONFIG => c"KPKI_KUBEADM_CONFIG",
            kpki_result::KPKI_INVALID_KUBECONFIG => c"KPKI_INVALID_KUBECONFIG",
            kpki_result::KPKI_INVALID_SPEC => c"KPKI_INVALID_SPEC",
            kpki_result::KPKI_ALREADY_EXISTS => c"KPKI_ALREADY_EXISTS",
            kpki_result::KPKI_MISSING_FILE => c"KPKI_MISSING_FILE",
            kpki_result::KPKI_IO => c"KPKI_IO",
            kpki_result::KPKI_CANNOT_RENEW => c"KPKI_CANNOT_RENEW",
            kpki_result::KPKI_INVALID_CSR => c"KPKI_INVALID_CSR",
            kpki_result::KPKI_POLICY_REFUSED => c"KPKI_POLICY_REFUSED",
            kpki_result::KPKI_INVALID_SIGNING_REQUEST => c"KPKI_INVALID_SIGNING_REQUEST",
            kpki_result::KPKI_INVALID_CSR_OBJECT => c"KPKI_INVALID_CSR_OBJECT",
            kpki_result::KPKI_INVALID_POLICY => c"KPKI_INVALID_POLICY",
            kpki_result::KPKI_ROTATION => c"KPKI_ROTATION",
            kpki_result::KPKI_PKCS11 => c"KPKI_PKCS11",
            kpki_result::KPKI_INVALID_TLS_FIELD => c"KPKI_INVALID_TLS_FIELD",
            kpki_result::KPKI_OTHER => c"KPKI_OTHER",
        }
    }
}

/// The name of a status code as a static NUL-terminated string (`"KPKI_INVALID_SAN"`),
/// or `"KPKI_UNKNOWN_RESULT"` for a value that is not a `kpki_result`. Takes the code as
/// an `int` so that any value is safe to pass.
///
/// Ownership: the string is static; do not free it. Never returns NULL.
#[unsafe(no_mangle)]
pub extern "C" fn kpki_result_name(result: i32) -> *const c_char {
    kpki_result::ALL
        .iter()
        .find(|r| **r as i32 == result)
        .map_or(c"KPKI_UNKNOWN_RESULT", |r| r.c_name())
        .as_ptr()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last() -> String {
        // SAFETY: kpki_last_error never returns NULL and the string lives until the next
        // kpki call on this thread; it is copied before any.
        unsafe { CStr::from_ptr(kpki_last_error()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn message_is_per_call_and_cleared_on_success() {
        assert_eq!(last(), "");
        set_last_error("kpki_x", "bad \0 value");
        assert_eq!(last(), "kpki_x: bad \\0 value");
        clear_last_error();
        assert_eq!(last(), "");
    }

    #[test]
    fn every_core_error_kind_gets_its_own_code() {
        let e: FfiError = "bad_san!"
            .parse::<kpki_core::SubjectAltName>()
            .unwrap_err()
            .into();
        assert_eq!(e.code, kpki_result::KPKI_INVALID_SAN);
        assert!(e.message.contains("bad_san!"), "{}", e.message);
    }

    #[test]
    fn a_setting_the_core_names_is_spelled_the_c_way() {
        let e: FfiError = kpki_core::Error::AlreadyExists {
            path: "/x/ca.crt".into(),
        }
        .into();
        assert_eq!(e.code, kpki_result::KPKI_ALREADY_EXISTS);
        assert!(
            e.message.ends_with("; pass overwrite = true to replace it"),
            "{}",
            e.message
        );
    }

    #[test]
    fn result_names_match_the_enumerators() {
        for code in kpki_result::ALL {
            // SAFETY: kpki_result_name returns a static NUL-terminated string.
            let got = unsafe { CStr::from_ptr(kpki_result_name(code as i32)) };
            assert_eq!(got.to_str().unwrap(), format!("{code:?}"));
        }
        // SAFETY: as above.
        let unknown = unsafe { CStr::from_ptr(kpki_result_name(-1)) };
        assert_eq!(unknown.to_str().unwrap(), "KPKI_UNKNOWN_RESULT");
    }
}

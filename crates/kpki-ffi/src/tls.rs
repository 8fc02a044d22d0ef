//! `kpki_tls_*`: general-purpose TLS certificates (the core's `tls` module: what
//! `kpki.tls_certificates` issues for charms): any subject (`"ATTR=VALUE"` strings), SANs
//! of four kinds (`"KIND:VALUE"`), and signing under a `kpki_tls_policy`.

use std::ffi::c_char;
use std::time::{Duration, SystemTime};

use kpki_core::{DistinguishedName, Error, GeneralName, TlsPolicy, TlsRequest, ValidityProblem};

use crate::boundary::{
    Castable, arg_out, arg_ref, arg_str_array, ffi_boundary, ffi_guard, free_handle,
};
use crate::certificate::kpki_certificate;
use crate::csr::kpki_csr;
use crate::error::{FfiError, kpki_result};
use crate::key::kpki_private_key;

/// `kpki_tls_policy_new()` flag: only the allowed domains themselves, no names below them.
pub const KPKI_TLS_NO_SUBDOMAINS: u32 = 1;
/// `kpki_tls_policy_new()` flag: allow wildcard DNS names (`*.example.com`).
pub const KPKI_TLS_ALLOW_WILDCARDS: u32 = 2;
/// `kpki_tls_policy_new()` flag: refuse IP address SANs.
pub const KPKI_TLS_NO_IP_SANS: u32 = 4;
/// `kpki_tls_policy_new()` flag: allow CA certificates.
pub const KPKI_TLS_ALLOW_CA: u32 = 8;

/// What a provider of general-purpose certificates agrees to sign. Create with
/// `kpki_tls_policy_new()`; use with `kpki_tls_sign()` and `kpki_tls_check()`; free with
/// `kpki_tls_policy_free()`.
pub struct kpki_tls_policy {
    _private: [u8; 0],
}

impl Castable for kpki_tls_policy {
    type RustType = TlsPolicy;
}

/// A duration of `seconds` (> 0) seconds.
fn seconds(seconds: i64, argument: &str) -> Result<Duration, FfiError> {
    u64::try_from(seconds)
        .ok()
        .filter(|s| *s > 0)
        .map(Duration::from_secs)
        .ok_or_else(|| {
            FfiError::new(
                kpki_result::KPKI_INVALID_VALIDITY,
                format!(
                    "argument `{argument}` must be a positive number of seconds, not {seconds}"
                ),
            )
        })
}

/// The subject and SANs from their C string arrays, parsed by the core.
///
/// # Safety
/// As the callers': each array is NULL or holds `len` pointers, each NULL or
/// NUL-terminated.
unsafe fn name_and_sans(
    subject: *const *const c_char,
    subject_len: usize,
    sans: *const *const c_char,
    sans_len: usize,
) -> Result<(DistinguishedName, Vec<GeneralName>), FfiError> {
    // SAFETY: NULL or `subject_len` string pointers (contract).
    let subject = unsafe { arg_str_array(subject, subject_len, "subject") }?;
    // SAFETY: NULL or `sans_len` string pointers (contract).
    let sans = unsafe { arg_str_array(sans, sans_len, "sans") }?;
    let subject = DistinguishedName::from_assignments(subject)?;
    let sans = sans
        .iter()
        .map(|s| s.parse())
        .collect::<Result<Vec<GeneralName>, Error>>()?;
    Ok((subject, sans))
}

/// Makes a CSR for `subject` (`subject_len` strings `"ATTR=VALUE"`, in order; ATTR one
/// of `CN`, `x500UniqueIdentifier`, `O`, `OU`, `emailAddress`, `C`, `ST`, `L` or a dotted
/// OID) and `sans` (`sans_len` strings `"dns:…"`, `"ip:…"`, `"oid:…"`, `"email:…"`; may
/// be NULL when `sans_len` is 0), signed with `key`.
///
/// Ownership: every argument but `out` is only read. On success `*out` is a new CSR the
/// caller owns (`kpki_csr_free()`); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER` (also for a NULL element), `KPKI_INVALID_UTF8`,
/// `KPKI_INVALID_TLS_FIELD` (names the attribute or SAN and the value), `KPKI_CRYPTO`.
///
/// # Safety
/// `subject` and `sans` are NULL or arrays of `*_len` pointers, each NULL or
/// NUL-terminated; `key` is NULL or a live handle; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_tls_csr(
    subject: *const *const c_char,
    subject_len: usize,
    sans: *const *const c_char,
    sans_len: usize,
    key: *const kpki_private_key,
    out: *mut *mut kpki_csr,
) -> kpki_result {
    ffi_boundary("kpki_tls_csr", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: the arrays are as the contract says.
        let (subject, sans) = unsafe { name_and_sans(subject, subject_len, sans, sans_len) }?;
        // SAFETY: `key` is NULL or a live handle (contract).
        let key = unsafe { arg_ref(key, "key") }?;
        out.set(TlsRequest::new(subject).with_sans(sans).to_csr(key)?);
        Ok(())
    })
}

/// Makes a self-signed CA certificate for `subject` and `sans` (as for `kpki_tls_csr()`)
/// with `key`, valid from now for `validity_seconds` (> 0).
///
/// Ownership: every argument but `out` is only read. On success `*out` is a new
/// certificate the caller owns (`kpki_certificate_free()`); on failure `*out` is NULL.
///
/// Errors: as `kpki_tls_csr()` (an empty subject is `KPKI_INVALID_TLS_FIELD`), and
/// `KPKI_INVALID_VALIDITY`.
///
/// # Safety
/// As `kpki_tls_csr()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_tls_self_signed_ca(
    subject: *const *const c_char,
    subject_len: usize,
    sans: *const *const c_char,
    sans_len: usize,
    key: *const kpki_private_key,
    validity_seconds: i64,
    out: *mut *mut kpki_certificate,
) -> kpki_result {
    ffi_boundary("kpki_tls_self_signed_ca", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: the arrays are as the contract says.
        let (subject, sans) = unsafe { name_and_sans(subject, subject_len, sans, sans_len) }?;
        // SAFETY: `key` is NULL or a live handle (contract).
        let key = unsafe { arg_ref(key, "key") }?;
        let validity = seconds(validity_seconds, "validity_seconds")?;
        let now = SystemTime::now();
        let not_after = now.checked_add(validity).ok_or(Error::InvalidValidity {
            problem: ValidityProblem::OutOfRange {
                seconds: validity.as_secs(),
            },
        })?;
        out.set(kpki_core::tls_self_signed_ca(
            &subject, &sans, key, now, not_after,
        )?);
        Ok(())
    })
}

/// Makes a policy: DNS names only in `allowed_domains` (`allowed_domains_len` domains;
/// none: any) and, unless `KPKI_TLS_NO_SUBDOMAINS`, below them; `flags` an OR of
/// `KPKI_TLS_NO_SUBDOMAINS`, `KPKI_TLS_ALLOW_WILDCARDS`, `KPKI_TLS_NO_IP_SANS`,
/// `KPKI_TLS_ALLOW_CA`; at most `max_validity_seconds` (0: the core's default, 90 days).
///
/// Ownership: the arrays are only read. On success `*out` is a new policy the caller
/// owns (`kpki_tls_policy_free()`); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_INVALID_VALIDITY` (negative
/// maximum), `KPKI_UNKNOWN_CHOICE` (an unknown flag bit).
///
/// # Safety
/// `allowed_domains` is NULL or an array of `allowed_domains_len` pointers, each NULL or
/// NUL-terminated; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_tls_policy_new(
    allowed_domains: *const *const c_char,
    allowed_domains_len: usize,
    flags: u32,
    max_validity_seconds: i64,
    out: *mut *mut kpki_tls_policy,
) -> kpki_result {
    ffi_boundary("kpki_tls_policy_new", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: NULL or `allowed_domains_len` string pointers (contract).
        let domains =
            unsafe { arg_str_array(allowed_domains, allowed_domains_len, "allowed_domains") }?;
        let known = KPKI_TLS_NO_SUBDOMAINS
            | KPKI_TLS_ALLOW_WILDCARDS
            | KPKI_TLS_NO_IP_SANS
            | KPKI_TLS_ALLOW_CA;
        if flags & !known != 0 {
            return Err(FfiError::new(
                kpki_result::KPKI_UNKNOWN_CHOICE,
                format!(
                    "argument `flags`: unknown bits {:#x} (known: KPKI_TLS_*)",
                    flags & !known
                ),
            ));
        }
        let mut policy = TlsPolicy::new()
            .with_allowed_domains(domains)
            .with_subdomains(flags & KPKI_TLS_NO_SUBDOMAINS == 0)
            .with_wildcards(flags & KPKI_TLS_ALLOW_WILDCARDS != 0)
            .with_ip_sans(flags & KPKI_TLS_NO_IP_SANS == 0)
            .with_ca(flags & KPKI_TLS_ALLOW_CA != 0);
        if max_validity_seconds != 0 {
            policy =
                policy.with_max_validity(seconds(max_validity_seconds, "max_validity_seconds")?);
        }
        out.set(policy);
        Ok(())
    })
}

/// Checks `csr` (asked for as a CA when `is_ca`) against `policy`. `*code` is 0 when it
/// may be signed, else the `tls-certificates` relation's error code (101 IP not allowed,
/// 102 domain not allowed, 103 wildcard not allowed, 999 other) and the result is
/// `KPKI_POLICY_REFUSED` with the reason in `kpki_last_error()`.
///
/// Ownership: every argument but `code` is only read.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_POLICY_REFUSED`.
///
/// # Safety
/// `policy` and `csr` are NULL or live handles; `code` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_tls_check(
    policy: *const kpki_tls_policy,
    csr: *const kpki_csr,
    is_ca: bool,
    code: *mut u16,
) -> kpki_result {
    ffi_boundary("kpki_tls_check", || {
        if code.is_null() {
            return Err(FfiError::new(
                kpki_result::KPKI_NULL_PARAMETER,
                "argument `code` is NULL",
            ));
        }
        // SAFETY: `code` is writable (checked non-NULL; contract).
        unsafe { code.write(0) };
        // SAFETY: `policy` is NULL or a live handle (contract).
        let policy = unsafe { arg_ref(policy, "policy") }?;
        // SAFETY: `csr` is NULL or a live handle (contract).
        let csr = unsafe { arg_ref(csr, "csr") }?;
        match policy.check(csr, is_ca) {
            Err(Error::TlsRefused { refusal }) => {
                // SAFETY: as above.
                unsafe { code.write(refusal.code()) };
                Err(Error::TlsRefused { refusal }.into())
            }
            other => Ok(other?),
        }
    })
}

/// Signs `csr` with the CA certificate `ca` and its key `ca_key` under `policy` (NULL:
/// the default policy), from now for `validity_seconds` (> 0), shortened to the policy's
/// maximum and to the CA's own expiry; `CA:TRUE` when `is_ca`. The certificate has the
/// charm library's fields (the core's `tls_sign_request`).
///
/// Ownership: every argument but `out` is only read. On success `*out` is a new
/// certificate the caller owns (`kpki_certificate_free()`); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_POLICY_REFUSED` (the message says why),
/// `KPKI_INVALID_VALIDITY`, `KPKI_KEY_MISMATCH` (`ca_key` is not `ca`'s), `KPKI_CRYPTO`.
///
/// # Safety
/// `csr`, `ca` and `ca_key` are NULL or live handles; `policy` is NULL or a live handle;
/// `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_tls_sign(
    csr: *const kpki_csr,
    ca: *const kpki_certificate,
    ca_key: *const kpki_private_key,
    policy: *const kpki_tls_policy,
    validity_seconds: i64,
    is_ca: bool,
    out: *mut *mut kpki_certificate,
) -> kpki_result {
    ffi_boundary("kpki_tls_sign", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `csr` is NULL or a live handle (contract).
        let csr = unsafe { arg_ref(csr, "csr") }?;
        // SAFETY: `ca` is NULL or a live handle (contract).
        let ca = unsafe { arg_ref(ca, "ca") }?;
        // SAFETY: `ca_key` is NULL or a live handle (contract).
        let ca_key = unsafe { arg_ref(ca_key, "ca_key") }?;
        let default;
        let policy = if policy.is_null() {
            default = TlsPolicy::new();
            &default
        } else {
            // SAFETY: `policy` is a live handle (contract).
            unsafe { arg_ref(policy, "policy") }?
        };
        let validity = seconds(validity_seconds, "validity_seconds")?;
        out.set(policy.sign(csr, ca, ca_key, SystemTime::now(), validity, is_ca)?);
        Ok(())
    })
}

/// Frees a policy. NULL is a no-op.
///
/// Ownership: takes `policy` back; it must not be used afterwards.
///
/// # Safety
/// `policy` is NULL or a `kpki_tls_policy` from this library not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_tls_policy_free(policy: *mut kpki_tls_policy) {
    ffi_guard((), || {
        // SAFETY: NULL or an unfreed handle, never used again (contract).
        unsafe { free_handle(policy) }
    });
}

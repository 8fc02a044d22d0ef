//! `kpki_csr`: PKCS#10 certificate signing requests, and signing them under a built-in
//! Kubernetes signer's policy.

use std::ffi::c_char;
use std::time::SystemTime;

use kpki_core::{Csr, SignerPolicy, SigningRequest, SubjectAltNames, Usage};

use crate::boundary::{
    Castable, arg_bytes, arg_out, arg_pem, arg_ref, arg_str, arg_str_array, ffi_boundary,
    ffi_guard, free_handle,
};
use crate::bytes::{kpki_bytes, set_bytes};
use crate::ca::kpki_ca;
use crate::certificate::kpki_certificate;
use crate::error::kpki_result;
use crate::identity::kpki_identity;
use crate::key::kpki_private_key;

/// A PKCS#10 certificate signing request whose self-signature has been verified. Create
/// with `kpki_csr_generate()`, `kpki_csr_from_pem()` or `kpki_csr_from_der()`; sign with
/// `kpki_ca_sign_csr()`; free with `kpki_csr_free()`.
pub struct kpki_csr {
    _private: [u8; 0],
}

impl Castable for kpki_csr {
    type RustType = Csr;
}

/// Makes a CSR for `identity` (CN and one O per group) and the SANs `sans` (an array of
/// `sans_len` DNS names or IP addresses; may be NULL when `sans_len` is 0), signed with
/// `key` — what a kubelet sends to get its client (no SANs) or serving certificate.
///
/// Ownership: every argument but `out` is only read. On success `*out` is a new CSR the
/// caller owns (`kpki_csr_free()`); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER` (also for a NULL element of `sans`),
/// `KPKI_INVALID_UTF8`, `KPKI_INVALID_SAN`, `KPKI_CRYPTO`.
///
/// # Safety
/// `identity` and `key` are NULL or live handles; `sans` is NULL or an array of
/// `sans_len` pointers, each NULL or NUL-terminated; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_csr_generate(
    identity: *const kpki_identity,
    sans: *const *const c_char,
    sans_len: usize,
    key: *const kpki_private_key,
    out: *mut *mut kpki_csr,
) -> kpki_result {
    ffi_boundary("kpki_csr_generate", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `identity` is NULL or a live handle (contract).
        let identity = unsafe { arg_ref(identity, "identity") }?;
        // SAFETY: `sans` is NULL or `sans_len` string pointers (contract).
        let sans = SubjectAltNames::parse(unsafe { arg_str_array(sans, sans_len, "sans") }?)?;
        // SAFETY: `key` is NULL or a live handle (contract).
        let key = unsafe { arg_ref(key, "key") }?;
        out.set(Csr::generate(identity, &sans, key)?);
        Ok(())
    })
}

/// Reads the first `CERTIFICATE REQUEST` (or `NEW CERTIFICATE REQUEST`) block of `pem`
/// and verifies its self-signature.
///
/// Ownership: `pem` (`pem_len` bytes, no NUL needed) is only read. On success `*out` is
/// a new CSR the caller owns (`kpki_csr_free()`); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_PEM`, `KPKI_INVALID_CSR`.
///
/// # Safety
/// `pem` is NULL or points to `pem_len` readable bytes; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_csr_from_pem(
    pem: *const u8,
    pem_len: usize,
    out: *mut *mut kpki_csr,
) -> kpki_result {
    ffi_boundary("kpki_csr_from_pem", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `pem` is NULL or `pem_len` readable bytes (contract).
        let pem = unsafe { arg_pem(pem, pem_len, "pem") }?;
        out.set(Csr::from_pem(pem)?);
        Ok(())
    })
}

/// Reads a DER CSR and verifies its self-signature.
///
/// Ownership: as `kpki_csr_from_pem()`.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_CSR`.
///
/// # Safety
/// `der` is NULL or points to `der_len` readable bytes; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_csr_from_der(
    der: *const u8,
    der_len: usize,
    out: *mut *mut kpki_csr,
) -> kpki_result {
    ffi_boundary("kpki_csr_from_der", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `der` is NULL or `der_len` readable bytes (contract).
        let der = unsafe { arg_bytes(der, der_len, "der") }?;
        out.set(Csr::from_der(der)?);
        Ok(())
    })
}

/// The CSR as one `CERTIFICATE REQUEST` PEM block.
///
/// Ownership: `csr` is only read. On success `*out` is a new buffer the caller owns
/// (`kpki_bytes_free()`); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`.
///
/// # Safety
/// `csr` is NULL or a live `kpki_csr`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_csr_to_pem(
    csr: *const kpki_csr,
    out: *mut *mut kpki_bytes,
) -> kpki_result {
    ffi_boundary("kpki_csr_to_pem", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `csr` is NULL or a live handle (contract).
        let csr = unsafe { arg_ref(csr, "csr") }?;
        set_bytes(out, csr.to_pem().as_bytes());
        Ok(())
    })
}

/// The CSR's DER encoding.
///
/// Ownership: as `kpki_csr_to_pem()`.
///
/// Errors: `KPKI_NULL_PARAMETER`.
///
/// # Safety
/// `csr` is NULL or a live `kpki_csr`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_csr_to_der(
    csr: *const kpki_csr,
    out: *mut *mut kpki_bytes,
) -> kpki_result {
    ffi_boundary("kpki_csr_to_der", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `csr` is NULL or a live handle (contract).
        let csr = unsafe { arg_ref(csr, "csr") }?;
        set_bytes(out, csr.der());
        Ok(())
    })
}

/// Signs `csr` with `ca` under the policy of the built-in Kubernetes signer
/// `signer_name`, as kube-controller-manager would after approval:
/// `"kubernetes.io/kube-apiserver-client"` (users and components),
/// `"kubernetes.io/kube-apiserver-client-kubelet"` (kubelet client certificates:
/// `system:node:<name>` in `system:nodes`, no SANs) or `"kubernetes.io/kubelet-serving"`
/// (kubelet serving certificates: DNS/IP SANs required).
///
/// `usages` (an array of `usages_len` certificates.k8s.io usage names such as
/// `"digital signature"`, `"client auth"`, `"server auth"`) is what the request asks
/// for; with `usages_len` 0 (and `usages` possibly NULL) they come from the CSR's
/// requested extensions, or else the signer's defaults for the key.
/// `expiration_seconds` is `spec.expirationSeconds` (at least 600); 0 asks for none
/// (the signer's maximum, one year, never beyond the CA).
///
/// Ownership: every argument but `out` is only read. On success `*out` is a new
/// certificate the caller owns (`kpki_certificate_free()`); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_UNKNOWN_CHOICE` (signer),
/// `KPKI_POLICY_REFUSED` (the message says which rule), `KPKI_INVALID_SIGNING_REQUEST`
/// (usages, expiration), `KPKI_INVALID_VALIDITY` (the CA expires first),
/// `KPKI_CA_KEY_UNAVAILABLE`, `KPKI_CRYPTO`.
///
/// # Safety
/// `ca` and `csr` are NULL or live handles; `signer_name` is NULL or NUL-terminated;
/// `usages` is NULL or an array of `usages_len` pointers, each NULL or NUL-terminated;
/// `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_ca_sign_csr(
    ca: *const kpki_ca,
    csr: *const kpki_csr,
    signer_name: *const c_char,
    usages: *const *const c_char,
    usages_len: usize,
    expiration_seconds: i64,
    out: *mut *mut kpki_certificate,
) -> kpki_result {
    ffi_boundary("kpki_ca_sign_csr", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `ca` is NULL or a live handle (contract).
        let ca = unsafe { arg_ref(ca, "ca") }?;
        // SAFETY: `csr` is NULL or a live handle (contract).
        let csr = unsafe { arg_ref(csr, "csr") }?;
        // SAFETY: `signer_name` is NULL or NUL-terminated (contract).
        let policy = SignerPolicy::builtin(unsafe { arg_str(signer_name, "signer_name") }?)?;
        // SAFETY: `usages` is NULL or `usages_len` string pointers (contract).
        let usages = unsafe { arg_str_array(usages, usages_len, "usages") }?;
        let expiration = (expiration_seconds != 0).then_some(expiration_seconds);
        let usages = if usages.is_empty() {
            Vec::new()
        } else {
            Usage::parse_list(&usages)?
        };
        let request = SigningRequest::choose(csr, &policy, usages, expiration)?;
        out.set(ca.sign_csr(csr, &policy, &request, SystemTime::now())?);
        Ok(())
    })
}

/// Frees a CSR. NULL is a no-op.
///
/// Ownership: takes `csr` back; it must not be used afterwards.
///
/// # Safety
/// `csr` is NULL or a `kpki_csr` from this library not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_csr_free(csr: *mut kpki_csr) {
    ffi_guard((), || {
        // SAFETY: NULL or an unfreed handle, never used again (contract).
        unsafe { free_handle(csr) }
    });
}

//! `kpki_certificate`: an X.509 certificate, PEM and DER out.

use kpki_core::Certificate;

use crate::boundary::{Castable, arg_out, arg_pem, arg_ref, ffi_boundary, ffi_guard, free_handle};
use crate::bytes::{kpki_bytes, set_bytes};
use crate::error::kpki_result;

/// An X.509 certificate. Comes from `kpki_ca_issue()`, `kpki_ca_certificate()`,
/// `kpki_cluster_pki_certificate()` or `kpki_certificate_from_pem()`; free with
/// `kpki_certificate_free()`.
pub struct kpki_certificate {
    _private: [u8; 0],
}

impl Castable for kpki_certificate {
    type RustType = Certificate;
}

/// Parses the first `CERTIFICATE` block of `pem`.
///
/// Ownership: `pem` (`pem_len` bytes, no NUL needed) is only read. On success `*out` is
/// a new certificate the caller owns (`kpki_certificate_free()`); on failure `*out` is
/// NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_PEM`, `KPKI_INVALID_CERTIFICATE`.
///
/// # Safety
/// `pem` is NULL or points to `pem_len` readable bytes; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_certificate_from_pem(
    pem: *const u8,
    pem_len: usize,
    out: *mut *mut kpki_certificate,
) -> kpki_result {
    ffi_boundary("kpki_certificate_from_pem", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `pem` is NULL or `pem_len` readable bytes (contract).
        let pem = unsafe { arg_pem(pem, pem_len, "pem") }?;
        out.set(Certificate::from_pem(pem)?);
        Ok(())
    })
}

/// The certificate as one `CERTIFICATE` PEM block.
///
/// Ownership: `certificate` is only read. On success `*out` is a new buffer the caller
/// owns (`kpki_bytes_free()`); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`.
///
/// # Safety
/// `certificate` is NULL or a live `kpki_certificate`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_certificate_to_pem(
    certificate: *const kpki_certificate,
    out: *mut *mut kpki_bytes,
) -> kpki_result {
    ffi_boundary("kpki_certificate_to_pem", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `certificate` is NULL or a live handle (contract).
        let certificate = unsafe { arg_ref(certificate, "certificate") }?;
        set_bytes(out, certificate.to_pem().as_bytes());
        Ok(())
    })
}

/// The certificate's DER encoding.
///
/// Ownership: as `kpki_certificate_to_pem()`.
///
/// Errors: `KPKI_NULL_PARAMETER`.
///
/// # Safety
/// `certificate` is NULL or a live `kpki_certificate`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_certificate_to_der(
    certificate: *const kpki_certificate,
    out: *mut *mut kpki_bytes,
) -> kpki_result {
    ffi_boundary("kpki_certificate_to_der", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `certificate` is NULL or a live handle (contract).
        let certificate = unsafe { arg_ref(certificate, "certificate") }?;
        set_bytes(out, certificate.der());
        Ok(())
    })
}

/// Frees a certificate. NULL is a no-op.
///
/// Ownership: takes `certificate` back; it must not be used afterwards.
///
/// # Safety
/// `certificate` is NULL or a `kpki_certificate` from this library not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_certificate_free(certificate: *mut kpki_certificate) {
    ffi_guard((), || {
        // SAFETY: NULL or an unfreed handle, never used again (contract).
        unsafe { free_handle(certificate) }
    });
}

//! `kpki_private_key`: generate, load, PEM out.

use std::ffi::c_char;

use kpki_core::{KeyAlgorithm, PrivateKey};

use crate::boundary::{Castable, arg_out, arg_pem, arg_ref, arg_str, ffi_boundary, free_handle};
use crate::bytes::{kpki_bytes, set_bytes};
use crate::error::kpki_result;

/// A private key (RSA 2048/3072/4096, ECDSA P-256/P-384 or Ed25519). Its memory is
/// wiped when freed. Create with `kpki_private_key_generate()` or
/// `kpki_private_key_from_pem()`; free with `kpki_private_key_free()`.
pub struct kpki_private_key {
    _private: [u8; 0],
}

impl Castable for kpki_private_key {
    type RustType = PrivateKey;
}

/// Generates a private key. `algorithm` is one of `"rsa-2048"`, `"rsa-3072"`,
/// `"rsa-4096"`, `"ecdsa-p256"`, `"ecdsa-p384"`, `"ed25519"` (kubeadm's spellings
/// `"RSA-2048"`, `"ECDSA-P256"`, ... are accepted too).
///
/// Ownership: on success `*out` is a new key the caller owns and releases with
/// `kpki_private_key_free()`; on failure `*out` is NULL. `algorithm` is only read.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_UNKNOWN_CHOICE`,
/// `KPKI_CRYPTO`.
///
/// # Safety
/// `algorithm` is NULL or a NUL-terminated string; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_private_key_generate(
    algorithm: *const c_char,
    out: *mut *mut kpki_private_key,
) -> kpki_result {
    ffi_boundary("kpki_private_key_generate", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `algorithm` is NULL or NUL-terminated (contract).
        let algorithm: KeyAlgorithm = unsafe { arg_str(algorithm, "algorithm") }?.parse()?;
        out.set(PrivateKey::generate(algorithm)?);
        Ok(())
    })
}

/// Loads a private key from PEM (PKCS#8 `PRIVATE KEY`, PKCS#1 `RSA PRIVATE KEY` or SEC1
/// `EC PRIVATE KEY`, as kubeadm and openssl write them).
///
/// Ownership: `pem` (`pem_len` bytes, no NUL needed) is only read. On success `*out` is
/// a new key the caller owns (`kpki_private_key_free()`); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_PEM`, `KPKI_INVALID_KEY`.
///
/// # Safety
/// `pem` is NULL or points to `pem_len` readable bytes; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_private_key_from_pem(
    pem: *const u8,
    pem_len: usize,
    out: *mut *mut kpki_private_key,
) -> kpki_result {
    ffi_boundary("kpki_private_key_from_pem", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `pem` is NULL or `pem_len` readable bytes (contract).
        let pem = unsafe { arg_pem(pem, pem_len, "pem") }?;
        out.set(PrivateKey::from_pem(pem)?);
        Ok(())
    })
}

/// The key as PEM, the way kubeadm writes it (PKCS#1 for RSA, SEC1 for ECDSA, PKCS#8 for
/// Ed25519).
///
/// Ownership: `key` is only read. On success `*out` is a new buffer the caller owns and
/// releases with `kpki_bytes_free()` (which wipes it); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`.
///
/// # Safety
/// `key` is NULL or a live `kpki_private_key`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_private_key_to_pem(
    key: *const kpki_private_key,
    out: *mut *mut kpki_bytes,
) -> kpki_result {
    ffi_boundary("kpki_private_key_to_pem", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `key` is NULL or a live handle (contract).
        let key = unsafe { arg_ref(key, "key") }?;
        set_bytes(out, key.to_pem().as_bytes());
        Ok(())
    })
}

/// The key as PKCS#8 PEM (`PRIVATE KEY`), whatever its algorithm.
///
/// Ownership: as `kpki_private_key_to_pem()`.
///
/// Errors: `KPKI_NULL_PARAMETER`.
///
/// # Safety
/// `key` is NULL or a live `kpki_private_key`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_private_key_to_pkcs8_pem(
    key: *const kpki_private_key,
    out: *mut *mut kpki_bytes,
) -> kpki_result {
    ffi_boundary("kpki_private_key_to_pkcs8_pem", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `key` is NULL or a live handle (contract).
        let key = unsafe { arg_ref(key, "key") }?;
        set_bytes(out, key.to_pkcs8_pem().as_bytes());
        Ok(())
    })
}

/// The public half of the key as PEM (`PUBLIC KEY`, a SubjectPublicKeyInfo).
///
/// Ownership: `key` is only read. On success `*out` is a new buffer the caller owns
/// (`kpki_bytes_free()`); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`.
///
/// # Safety
/// `key` is NULL or a live `kpki_private_key`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_private_key_public_key_pem(
    key: *const kpki_private_key,
    out: *mut *mut kpki_bytes,
) -> kpki_result {
    ffi_boundary("kpki_private_key_public_key_pem", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `key` is NULL or a live handle (contract).
        let key = unsafe { arg_ref(key, "key") }?;
        set_bytes(out, key.public_key().to_pem().as_bytes());
        Ok(())
    })
}

/// The key's algorithm name (`"ecdsa-p256"`, ...) as a static NUL-terminated string, or
/// NULL when `key` is NULL.
///
/// Ownership: static; do not free it.
///
/// # Safety
/// `key` is NULL or a live `kpki_private_key`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_private_key_algorithm(key: *const kpki_private_key) -> *const c_char {
    crate::boundary::ffi_guard(std::ptr::null(), || {
        // SAFETY: `key` is NULL or a live handle (contract).
        match unsafe { arg_ref(key, "key") } {
            Ok(k) => algorithm_c_name(k.algorithm()),
            Err(_) => std::ptr::null(),
        }
    })
}

fn algorithm_c_name(a: KeyAlgorithm) -> *const c_char {
    match a {
        KeyAlgorithm::Rsa2048 => c"rsa-2048",
        KeyAlgorithm::Rsa3072 => c"rsa-3072",
        KeyAlgorithm::Rsa4096 => c"rsa-4096",
        KeyAlgorithm::EcdsaP256 => c"ecdsa-p256",
        KeyAlgorithm::EcdsaP384 => c"ecdsa-p384",
        KeyAlgorithm::Ed25519 => c"ed25519",
        _ => c"unknown",
    }
    .as_ptr()
}

/// Wipes and frees a key. NULL is a no-op.
///
/// Ownership: takes `key` back; it must not be used afterwards.
///
/// # Safety
/// `key` is NULL or a `kpki_private_key` from this library not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_private_key_free(key: *mut kpki_private_key) {
    crate::boundary::ffi_guard((), || {
        // SAFETY: NULL or an unfreed handle, never used again (contract).
        unsafe { free_handle(key) }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn algorithm_names_are_the_core_names() {
        for a in KeyAlgorithm::ALL {
            // SAFETY: algorithm_c_name returns static NUL-terminated strings.
            let c = unsafe { CStr::from_ptr(algorithm_c_name(a)) };
            assert_eq!(c.to_str().unwrap(), a.name());
        }
    }
}

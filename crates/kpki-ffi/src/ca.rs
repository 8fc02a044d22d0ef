//! `kpki_ca` (create, load, issue) and `kpki_leaf_request` (what to issue).

use std::ffi::c_char;
use std::time::{Duration, SystemTime};

use kpki_core::{
    CaRequest, CaRole, Certificate, CertificateAuthority, CertificateProfile, Compatibility,
    KeyAlgorithm, LeafRequest, Pkcs11Uri, SubjectAltNames,
};

use crate::boundary::{
    Castable, arg_layout, arg_mut, arg_out, arg_pem, arg_ref, arg_str, ffi_boundary, ffi_guard,
    free_handle,
};
use crate::bytes::{kpki_bytes, set_bytes};
use crate::certificate::kpki_certificate;
use crate::error::kpki_result;
use crate::identity::kpki_identity;
use crate::key::kpki_private_key;

/// A certificate authority: its certificate (plus chain) and, unless it is external,
/// its private key (or its key's handle in a PKCS#11 token). Create with
/// `kpki_ca_new_root()`, `kpki_ca_new_intermediate()`, `kpki_ca_new_root_pkcs11()`,
/// `kpki_ca_from_pem()`, `kpki_ca_from_pkcs11()`, `kpki_ca_load()` or
/// `kpki_cluster_pki_ca()`; free with
/// `kpki_ca_free()`. A `const kpki_ca *` may be used from several threads at once.
pub struct kpki_ca {
    _private: [u8; 0],
}

impl Castable for kpki_ca {
    type RustType = CertificateAuthority;
}

/// What to put in a leaf certificate: an identity, a profile, SANs, a validity. Create
/// with `kpki_leaf_request_new()`, adjust with the `kpki_leaf_request_*` setters, pass
/// to `kpki_ca_issue()`; free with `kpki_leaf_request_free()`.
pub struct kpki_leaf_request {
    _private: [u8; 0],
}

impl Castable for kpki_leaf_request {
    type RustType = LeafRequest;
}

fn ca_request(common_name: &str, validity_seconds: u64) -> CaRequest {
    let mut req = CaRequest::new(common_name);
    if validity_seconds != 0 {
        req.validity = Duration::from_secs(validity_seconds);
    }
    req
}

/// Creates a self-signed root CA named `common_name` for `key`, valid for
/// `validity_seconds` from now (0: kubeadm's 10 years), backdated 5 minutes.
///
/// Ownership: `common_name` and `key` are only read (the CA keeps its own copy of the
/// key). On success `*out` is a new CA the caller owns (`kpki_ca_free()`); on failure
/// `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_INVALID_NAME`,
/// `KPKI_INVALID_VALIDITY`, `KPKI_CRYPTO`.
///
/// # Safety
/// `common_name` is NULL or NUL-terminated; `key` is NULL or a live
/// `kpki_private_key`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_ca_new_root(
    common_name: *const c_char,
    key: *const kpki_private_key,
    validity_seconds: u64,
    out: *mut *mut kpki_ca,
) -> kpki_result {
    ffi_boundary("kpki_ca_new_root", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `common_name` is NULL or NUL-terminated (contract).
        let cn = unsafe { arg_str(common_name, "common_name") }?;
        // SAFETY: `key` is NULL or a live handle (contract).
        let key = unsafe { arg_ref(key, "key") }?;
        let req = ca_request(cn, validity_seconds);
        out.set(CertificateAuthority::new_root(
            &req,
            key.clone(),
            SystemTime::now(),
        )?);
        Ok(())
    })
}

/// Creates an intermediate CA named `common_name` for `key`, signed by `parent`, valid
/// for `validity_seconds` from now (0: 10 years), never beyond `parent`'s notAfter.
///
/// Ownership: every argument but `out` is only read. On success `*out` is a new CA the
/// caller owns (`kpki_ca_free()`); on failure `*out` is NULL.
///
/// Errors: as `kpki_ca_new_root()`, plus `KPKI_CA_KEY_UNAVAILABLE` (an external parent).
///
/// # Safety
/// `common_name` is NULL or NUL-terminated; `key` and `parent` are NULL or live
/// handles; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_ca_new_intermediate(
    common_name: *const c_char,
    key: *const kpki_private_key,
    parent: *const kpki_ca,
    validity_seconds: u64,
    out: *mut *mut kpki_ca,
) -> kpki_result {
    ffi_boundary("kpki_ca_new_intermediate", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `common_name` is NULL or NUL-terminated (contract).
        let cn = unsafe { arg_str(common_name, "common_name") }?;
        // SAFETY: `key` is NULL or a live handle (contract).
        let key = unsafe { arg_ref(key, "key") }?;
        // SAFETY: `parent` is NULL or a live handle (contract).
        let parent = unsafe { arg_ref(parent, "parent") }?;
        let req = ca_request(cn, validity_seconds);
        out.set(CertificateAuthority::new_intermediate(
            &req,
            key.clone(),
            parent,
            SystemTime::now(),
        )?);
        Ok(())
    })
}

/// Loads a CA from its certificate (PEM; further certificates in the same text are its
/// chain, nearest issuer first) and its private key (PEM: PKCS#8, PKCS#1 or SEC1).
/// Refuses a certificate that is not a CA and a key that does not match it.
///
/// Ownership: the PEM buffers (no NUL needed) are only read. On success `*out` is a new
/// CA the caller owns (`kpki_ca_free()`); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_PEM`, `KPKI_INVALID_CERTIFICATE`,
/// `KPKI_INVALID_KEY`, `KPKI_NOT_A_CERTIFICATE_AUTHORITY`, `KPKI_KEY_MISMATCH`.
///
/// # Safety
/// `cert_pem` / `key_pem` are NULL or point to `cert_pem_len` / `key_pem_len` readable
/// bytes; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_ca_from_pem(
    cert_pem: *const u8,
    cert_pem_len: usize,
    key_pem: *const u8,
    key_pem_len: usize,
    out: *mut *mut kpki_ca,
) -> kpki_result {
    ffi_boundary("kpki_ca_from_pem", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `cert_pem` is NULL or `cert_pem_len` readable bytes (contract).
        let cert = unsafe { arg_pem(cert_pem, cert_pem_len, "cert_pem") }?;
        // SAFETY: `key_pem` is NULL or `key_pem_len` readable bytes (contract).
        let key = unsafe { arg_pem(key_pem, key_pem_len, "key_pem") }?;
        out.set(CertificateAuthority::from_pem(cert, key)?);
        Ok(())
    })
}

/// Creates a self-signed root CA named `common_name` whose key is in a PKCS#11 token
/// (an HSM, SoftHSM), valid for `validity_seconds` from now (0: 10 years): the key the
/// RFC 7512 `uri` names (`pkcs11:token=...;object=...?module-path=...&pin-source=file:...`),
/// which must be `algorithm`, or a new `algorithm` key generated in the token
/// (CKA_SENSITIVE, not CKA_EXTRACTABLE, CKA_TOKEN; labelled as the URI's `object`). An
/// existing key is used, never replaced. The private key never leaves the token: every
/// signature of the CA is made there.
///
/// Ownership: `common_name`, `uri` and `algorithm` are only read. On success `*out` is
/// a new CA the caller owns (`kpki_ca_free()`); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_INVALID_NAME`,
/// `KPKI_UNKNOWN_CHOICE`, `KPKI_PKCS11` (the message names the URI, never its PIN, and
/// the cause: wrong PIN, no token, no module, another algorithm, ...).
///
/// # Safety
/// `common_name`, `uri` and `algorithm` are NULL or NUL-terminated; `out` is NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_ca_new_root_pkcs11(
    common_name: *const c_char,
    uri: *const c_char,
    algorithm: *const c_char,
    validity_seconds: u64,
    out: *mut *mut kpki_ca,
) -> kpki_result {
    ffi_boundary("kpki_ca_new_root_pkcs11", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `common_name` is NULL or NUL-terminated (contract).
        let cn = unsafe { arg_str(common_name, "common_name") }?;
        // SAFETY: `uri` is NULL or NUL-terminated (contract).
        let uri: Pkcs11Uri = unsafe { arg_str(uri, "uri") }?.parse()?;
        // SAFETY: `algorithm` is NULL or NUL-terminated (contract).
        let algorithm: KeyAlgorithm = unsafe { arg_str(algorithm, "algorithm") }?.parse()?;
        let req = ca_request(cn, validity_seconds);
        out.set(CertificateAuthority::new_root_in_token(
            &req,
            &uri,
            algorithm,
            SystemTime::now(),
        )?);
        Ok(())
    })
}

/// Loads a CA whose key is in a PKCS#11 token: its certificate (PEM; further
/// certificates in the text are its chain, nearest issuer first) and the `pkcs11:` URI
/// of its key, which must match the certificate.
///
/// Ownership: `uri` and the PEM buffer (no NUL needed) are only read. On success `*out`
/// is a new CA the caller owns (`kpki_ca_free()`); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_INVALID_PEM`,
/// `KPKI_INVALID_CERTIFICATE`, `KPKI_NOT_A_CERTIFICATE_AUTHORITY`, `KPKI_KEY_MISMATCH`,
/// `KPKI_PKCS11`.
///
/// # Safety
/// `uri` is NULL or NUL-terminated; `cert_pem` is NULL or points to `cert_pem_len`
/// readable bytes; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_ca_from_pkcs11(
    uri: *const c_char,
    cert_pem: *const u8,
    cert_pem_len: usize,
    out: *mut *mut kpki_ca,
) -> kpki_result {
    ffi_boundary("kpki_ca_from_pkcs11", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `uri` is NULL or NUL-terminated (contract).
        let uri: Pkcs11Uri = unsafe { arg_str(uri, "uri") }?.parse()?;
        // SAFETY: `cert_pem` is NULL or `cert_pem_len` readable bytes (contract).
        let cert = unsafe { arg_pem(cert_pem, cert_pem_len, "cert_pem") }?;
        let certificates = Certificate::chain_from_pem(cert)?;
        out.set(CertificateAuthority::from_pkcs11(certificates, &uri)?);
        Ok(())
    })
}

/// Loads the CA of `role` (`"kubernetes"`, `"etcd"`, `"front-proxy"`, `"client"`,
/// `"kubelet"`) from a kubeadm directory `dir` (the root, e.g. `/etc/kubernetes`: the
/// files are `dir/pki/ca.crt` + `ca.key`, `dir/pki/etcd/ca.*`, ...). A certificate
/// without its key loads as an external CA, which cannot issue.
///
/// Ownership: `dir` and `role` are only read. On success `*out` is a new CA the caller
/// owns (`kpki_ca_free()`); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_UNKNOWN_CHOICE`,
/// `KPKI_NOT_FOUND` (no certificate for the role), `KPKI_IO`, `KPKI_INVALID_PEM`,
/// `KPKI_INVALID_CERTIFICATE`, `KPKI_INVALID_KEY`, `KPKI_KEY_MISMATCH`,
/// `KPKI_NOT_A_CERTIFICATE_AUTHORITY`.
///
/// # Safety
/// `dir` and `role` are NULL or NUL-terminated; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_ca_load(
    dir: *const c_char,
    role: *const c_char,
    out: *mut *mut kpki_ca,
) -> kpki_result {
    // SAFETY: forwarded contract; no CA keys.
    unsafe { ca_load("kpki_ca_load", dir, std::ptr::null(), 0, role, out) }
}

/// As `kpki_ca_load()`, for a directory whose CAs may have their keys in a PKCS#11
/// token: `ca_keys` points to `ca_keys_count` strings `ROLE=pkcs11:URI` (as
/// `kpki sign --ca-key`). The CA of a role named there, whose `.crt` is in `dir` and
/// `.key` is not, is loaded signing through the token key (which must match its
/// certificate), so it can issue (`kpki_ca_issue()`, `kpki_ca_sign_csr()`). The PIN
/// comes from the URI's `pin-source` or `KPKI_PKCS11_PIN`.
///
/// Ownership: the strings are only read. On success `*out` is a new CA the caller owns
/// (`kpki_ca_free()`; the token session it uses is shared by the process and outlives
/// it); on failure `*out` is NULL.
///
/// Errors: as `kpki_ca_load()`, and `KPKI_PKCS11` (a malformed URI or `pin-value`, a
/// wrong PIN, a missing token or object, a module that cannot be loaded, a `.key` file
/// beside the token key), `KPKI_KEY_MISMATCH` (the token key is not the certificate's).
///
/// # Safety
/// `dir` and `role` are NULL or NUL-terminated; `ca_keys` is NULL or points to
/// `ca_keys_count` NUL-terminated strings; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_ca_load_with_ca_keys(
    dir: *const c_char,
    ca_keys: *const *const c_char,
    ca_keys_count: usize,
    role: *const c_char,
    out: *mut *mut kpki_ca,
) -> kpki_result {
    // SAFETY: forwarded contract.
    unsafe {
        ca_load(
            "kpki_ca_load_with_ca_keys",
            dir,
            ca_keys,
            ca_keys_count,
            role,
            out,
        )
    }
}

/// `kpki_ca_load()` and `kpki_ca_load_with_ca_keys()`.
///
/// # Safety
/// As `kpki_ca_load_with_ca_keys()`.
unsafe fn ca_load(
    function: &'static str,
    dir: *const c_char,
    ca_keys: *const *const c_char,
    ca_keys_count: usize,
    role: *const c_char,
    out: *mut *mut kpki_ca,
) -> kpki_result {
    ffi_boundary(function, || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `dir` and `ca_keys` as the caller's contract says.
        let layout = unsafe { arg_layout(dir, ca_keys, ca_keys_count) }?;
        // SAFETY: `role` is NULL or NUL-terminated (contract).
        let role: CaRole = unsafe { arg_str(role, "role") }?.parse()?;
        out.set(layout.require_ca(role)?);
        Ok(())
    })
}

/// The CA's certificate.
///
/// Ownership: `ca` is only read. On success `*out` is a new certificate the caller owns
/// (`kpki_certificate_free()`); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`.
///
/// # Safety
/// `ca` is NULL or a live `kpki_ca`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_ca_certificate(
    ca: *const kpki_ca,
    out: *mut *mut kpki_certificate,
) -> kpki_result {
    ffi_boundary("kpki_ca_certificate", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `ca` is NULL or a live handle (contract).
        let ca = unsafe { arg_ref(ca, "ca") }?;
        out.set(ca.certificate().clone());
        Ok(())
    })
}

/// The CA's certificate followed by its chain (nothing more for a root), as PEM — what
/// belongs in a trust bundle or `ca.crt`.
///
/// Ownership: `ca` is only read. On success `*out` is a new buffer the caller owns
/// (`kpki_bytes_free()`); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`.
///
/// # Safety
/// `ca` is NULL or a live `kpki_ca`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_ca_certificate_pem(
    ca: *const kpki_ca,
    out: *mut *mut kpki_bytes,
) -> kpki_result {
    ffi_boundary("kpki_ca_certificate_pem", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `ca` is NULL or a live handle (contract).
        let ca = unsafe { arg_ref(ca, "ca") }?;
        set_bytes(out, ca.chain_pem().as_bytes());
        Ok(())
    })
}

/// A copy of the CA's private key.
///
/// Ownership: `ca` is only read. On success `*out` is a new key the caller owns
/// (`kpki_private_key_free()`); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_CA_KEY_UNAVAILABLE` (an external CA).
///
/// # Safety
/// `ca` is NULL or a live `kpki_ca`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_ca_private_key(
    ca: *const kpki_ca,
    out: *mut *mut kpki_private_key,
) -> kpki_result {
    ffi_boundary("kpki_ca_private_key", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `ca` is NULL or a live handle (contract).
        let ca = unsafe { arg_ref(ca, "ca") }?;
        out.set(ca.require_private_key()?.clone());
        Ok(())
    })
}

/// Issues a certificate for `key`'s public key as `request` describes, valid from now
/// (backdated 5 minutes) for the request's validity, never beyond the CA's notAfter.
///
/// Ownership: `ca`, `request` and `key` are only read (only the public half of `key` is
/// used). On success `*out` is a new certificate the caller owns
/// (`kpki_certificate_free()`); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_CA_KEY_UNAVAILABLE`, `KPKI_INVALID_VALIDITY`,
/// `KPKI_INVALID_SPEC`, `KPKI_CRYPTO`.
///
/// # Safety
/// `ca`, `request` and `key` are NULL or live handles; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_ca_issue(
    ca: *const kpki_ca,
    request: *const kpki_leaf_request,
    key: *const kpki_private_key,
    out: *mut *mut kpki_certificate,
) -> kpki_result {
    ffi_boundary("kpki_ca_issue", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `ca` is NULL or a live handle (contract).
        let ca = unsafe { arg_ref(ca, "ca") }?;
        // SAFETY: `request` is NULL or a live handle (contract).
        let request = unsafe { arg_ref(request, "request") }?;
        // SAFETY: `key` is NULL or a live handle (contract).
        let key = unsafe { arg_ref(key, "key") }?;
        out.set(ca.issue(request, key.public_key(), SystemTime::now())?);
        Ok(())
    })
}

/// Checks that `certificate` was issued by `ca` (issuer name and signature) and is
/// valid now. Returns `KPKI_OK` if so.
///
/// Ownership: both arguments are only read.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_SUPPLIED_CERTIFICATE`,
/// `KPKI_INVALID_CERTIFICATE`.
///
/// # Safety
/// `ca` and `certificate` are NULL or live handles.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_ca_verify_issued(
    ca: *const kpki_ca,
    certificate: *const kpki_certificate,
) -> kpki_result {
    ffi_boundary("kpki_ca_verify_issued", || {
        // SAFETY: `ca` is NULL or a live handle (contract).
        let ca = unsafe { arg_ref(ca, "ca") }?;
        // SAFETY: `certificate` is NULL or a live handle (contract).
        let certificate = unsafe { arg_ref(certificate, "certificate") }?;
        ca.verify_issued(certificate, SystemTime::now())?;
        Ok(())
    })
}

/// Frees a CA (and wipes its key). NULL is a no-op.
///
/// Ownership: takes `ca` back; it must not be used afterwards. Certificates and keys
/// obtained from it are independent and stay valid.
///
/// # Safety
/// `ca` is NULL or a `kpki_ca` from this library not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_ca_free(ca: *mut kpki_ca) {
    ffi_guard((), || {
        // SAFETY: NULL or an unfreed handle, never used again (contract).
        unsafe { free_handle(ca) }
    });
}

/// A request for a leaf certificate for `identity` with `profile` (`"client"`,
/// `"server"` or `"server-and-client"`), with kubeadm's defaults: no SANs, valid 365
/// days, backdated 5 minutes.
///
/// Ownership: `identity` and `profile` are only read (the request keeps a copy of the
/// identity). On success `*out` is a new request the caller owns
/// (`kpki_leaf_request_free()`); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_UNKNOWN_CHOICE`.
///
/// # Safety
/// `identity` is NULL or a live `kpki_identity`; `profile` is NULL or NUL-terminated;
/// `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_leaf_request_new(
    identity: *const kpki_identity,
    profile: *const c_char,
    out: *mut *mut kpki_leaf_request,
) -> kpki_result {
    ffi_boundary("kpki_leaf_request_new", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `identity` is NULL or a live handle (contract).
        let identity = unsafe { arg_ref(identity, "identity") }?;
        // SAFETY: `profile` is NULL or NUL-terminated (contract).
        let profile: CertificateProfile = unsafe { arg_str(profile, "profile") }?.parse()?;
        out.set(LeafRequest::new(identity.clone(), profile));
        Ok(())
    })
}

/// Adds a subject alternative name: a DNS name (`"node01.example.com"`) or an IP address
/// (`"10.0.0.10"`, `"fd00::1"`). Duplicates are ignored.
///
/// Ownership: `request` is modified in place; `san` is only read. On failure the
/// request is unchanged.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_INVALID_SAN`.
///
/// # Safety
/// `request` is NULL or a live `kpki_leaf_request` not used elsewhere during the call;
/// `san` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_leaf_request_add_san(
    request: *mut kpki_leaf_request,
    san: *const c_char,
) -> kpki_result {
    ffi_boundary("kpki_leaf_request_add_san", || {
        // SAFETY: `request` is NULL or a live, unaliased handle (contract).
        let request = unsafe { arg_mut(request, "request") }?;
        // SAFETY: `san` is NULL or NUL-terminated (contract).
        let san = SubjectAltNames::parse([unsafe { arg_str(san, "san") }?])?;
        request.sans.extend(&san);
        Ok(())
    })
}

/// Sets how long the certificate is valid, in seconds from the time of issue (it never
/// outlives its CA).
///
/// Ownership: `request` is modified in place.
///
/// Errors: `KPKI_NULL_PARAMETER`.
///
/// # Safety
/// `request` is NULL or a live `kpki_leaf_request` not used elsewhere during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_leaf_request_set_validity_seconds(
    request: *mut kpki_leaf_request,
    seconds: u64,
) -> kpki_result {
    ffi_boundary("kpki_leaf_request_set_validity_seconds", || {
        // SAFETY: `request` is NULL or a live, unaliased handle (contract).
        let request = unsafe { arg_mut(request, "request") }?;
        request.validity = Duration::from_secs(seconds);
        Ok(())
    })
}

/// Follows a kubeadm profile, `"current"` (kubeadm ≥ 1.31, the default) or
/// `"kubeadm-1.28"`: notBefore and keyUsage as that kubeadm writes them.
///
/// Ownership: `request` is modified in place; `profile` is only read. On failure the
/// request is unchanged.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_UNKNOWN_CHOICE`.
///
/// # Safety
/// `request` is NULL or a live `kpki_leaf_request` not used elsewhere during the call;
/// `profile` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_leaf_request_set_compatibility(
    request: *mut kpki_leaf_request,
    profile: *const c_char,
) -> kpki_result {
    ffi_boundary("kpki_leaf_request_set_compatibility", || {
        // SAFETY: `request` is NULL or a live, unaliased handle (contract).
        let request = unsafe { arg_mut(request, "request") }?;
        // SAFETY: `profile` is NULL or NUL-terminated (contract).
        let compat: Compatibility = unsafe { arg_str(profile, "profile") }?.parse()?;
        *request = request.clone().with_compatibility(compat);
        Ok(())
    })
}

/// Frees a request. NULL is a no-op.
///
/// Ownership: takes `request` back; it must not be used afterwards.
///
/// # Safety
/// `request` is NULL or a `kpki_leaf_request` from this library not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_leaf_request_free(request: *mut kpki_leaf_request) {
    ffi_guard((), || {
        // SAFETY: NULL or an unfreed handle, never used again (contract).
        unsafe { free_handle(request) }
    });
}

//! `kpki_identity`: who a certificate speaks for (CN = user, O = groups).

use std::ffi::c_char;

use kpki_core::{Compatibility, Identity, NodeName};

use crate::boundary::{
    Castable, arg_out, arg_ref, arg_str, arg_str_array, ffi_boundary, ffi_guard, free_handle,
};
use crate::bytes::{kpki_bytes, set_bytes};
use crate::error::kpki_result;

/// A certificate subject as Kubernetes reads it: CN = user name, one O per group.
/// Create with `kpki_identity_node()`, `kpki_identity_user()`,
/// `kpki_identity_component()` or `kpki_identity_new()`; free with
/// `kpki_identity_free()`.
pub struct kpki_identity {
    _private: [u8; 0],
}

impl Castable for kpki_identity {
    type RustType = Identity;
}

/// The kubelet identity of node `node_name`: CN `system:node:<node_name>`, O
/// `system:nodes` — what the Kubernetes node authorizer expects.
///
/// Ownership: `node_name` is only read. On success `*out` is a new identity the caller
/// owns (`kpki_identity_free()`); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_INVALID_NAME` (not a
/// lowercase RFC 1123 name of at most 52 bytes).
///
/// # Safety
/// `node_name` is NULL or NUL-terminated; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_identity_node(
    node_name: *const c_char,
    out: *mut *mut kpki_identity,
) -> kpki_result {
    ffi_boundary("kpki_identity_node", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `node_name` is NULL or NUL-terminated (contract).
        let node = NodeName::new(unsafe { arg_str(node_name, "node_name") }?)?;
        out.set(Identity::node(&node));
        Ok(())
    })
}

/// A user of the cluster: CN `name`, one O per group, in order (duplicates dropped).
/// `groups` is an array of `groups_len` strings; it may be NULL when `groups_len` is 0.
///
/// Ownership: `name` and `groups` are only read. On success `*out` is a new identity the
/// caller owns (`kpki_identity_free()`); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER` (also for a NULL element of `groups`),
/// `KPKI_INVALID_UTF8`, `KPKI_INVALID_NAME` (empty, over 64 bytes, control characters).
///
/// # Safety
/// `name` is NULL or NUL-terminated; `groups` is NULL or an array of `groups_len`
/// pointers, each NULL or NUL-terminated; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_identity_user(
    name: *const c_char,
    groups: *const *const c_char,
    groups_len: usize,
    out: *mut *mut kpki_identity,
) -> kpki_result {
    ffi_boundary("kpki_identity_user", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `name` is NULL or NUL-terminated (contract).
        let name = unsafe { arg_str(name, "name") }?;
        // SAFETY: `groups` is NULL or `groups_len` string pointers (contract).
        let groups = unsafe { arg_str_array(groups, groups_len, "groups") }?;
        out.set(Identity::user(name, groups)?);
        Ok(())
    })
}

/// Any subject: CN `common_name` and the organizations (one O each, in order).
/// `organizations` may be NULL when `organizations_len` is 0.
///
/// Ownership and errors: as `kpki_identity_user()`.
///
/// # Safety
/// As `kpki_identity_user()`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_identity_new(
    common_name: *const c_char,
    organizations: *const *const c_char,
    organizations_len: usize,
    out: *mut *mut kpki_identity,
) -> kpki_result {
    ffi_boundary("kpki_identity_new", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `common_name` is NULL or NUL-terminated (contract).
        let cn = unsafe { arg_str(common_name, "common_name") }?;
        // SAFETY: `organizations` is NULL or `organizations_len` string pointers.
        let orgs = unsafe { arg_str_array(organizations, organizations_len, "organizations") }?;
        out.set(Identity::new(cn, orgs)?);
        Ok(())
    })
}

/// A control-plane component's identity by name: `"kube-apiserver"`,
/// `"kube-controller-manager"`, `"kube-scheduler"`, `"kube-proxy"`, `"admin"`,
/// `"super-admin"`, `"apiserver-kubelet-client"`, `"apiserver-etcd-client"`,
/// `"front-proxy-client"`, `"etcd-healthcheck-client"`. `profile` (`"current"` or
/// `"kubeadm-1.28"`) picks the groups where kubeadm versions differ (`admin` is in
/// `kubeadm:cluster-admins` today, `system:masters` in 1.28).
///
/// Ownership: `component` and `profile` are only read. On success `*out` is a new
/// identity the caller owns (`kpki_identity_free()`); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_UNKNOWN_CHOICE`.
///
/// # Safety
/// `component` and `profile` are NULL or NUL-terminated; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_identity_component(
    component: *const c_char,
    profile: *const c_char,
    out: *mut *mut kpki_identity,
) -> kpki_result {
    ffi_boundary("kpki_identity_component", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `component` is NULL or NUL-terminated (contract).
        let component = unsafe { arg_str(component, "component") }?;
        // SAFETY: `profile` is NULL or NUL-terminated (contract).
        let profile: Compatibility = unsafe { arg_str(profile, "profile") }?.parse()?;
        out.set(Identity::component(component, profile)?);
        Ok(())
    })
}

/// The identity as text, `O=system:nodes, CN=system:node:node01`.
///
/// Ownership: `identity` is only read. On success `*out` is a new buffer the caller
/// owns (`kpki_bytes_free()`); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`.
///
/// # Safety
/// `identity` is NULL or a live `kpki_identity`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_identity_to_string(
    identity: *const kpki_identity,
    out: *mut *mut kpki_bytes,
) -> kpki_result {
    ffi_boundary("kpki_identity_to_string", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `identity` is NULL or a live handle (contract).
        let identity = unsafe { arg_ref(identity, "identity") }?;
        set_bytes(out, identity.to_string().as_bytes());
        Ok(())
    })
}

/// Frees an identity. NULL is a no-op.
///
/// Ownership: takes `identity` back; it must not be used afterwards.
///
/// # Safety
/// `identity` is NULL or a `kpki_identity` from this library not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_identity_free(identity: *mut kpki_identity) {
    ffi_guard((), || {
        // SAFETY: NULL or an unfreed handle, never used again (contract).
        unsafe { free_handle(identity) }
    });
}

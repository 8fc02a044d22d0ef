//! `kpki_cluster_spec` (what to build, field by field or from a kubeadm configuration)
//! and `kpki_cluster_pki` (everything, generated), written in kubeadm's layout.
//!
//! A spec handle holds the core's `ClusterSpecBuilder` (what the caller set) and the
//! `ClusterSpec` it builds to (every choice made and checked): each setter builds a new
//! spec from the edited builder and keeps it only if it checks, so every error shows at
//! the call that causes it and a failed call leaves the handle as it was.

use std::ffi::c_char;
use std::path::Path;
use std::time::{Duration, SystemTime};

use kpki_core::{
    CaKeyUri, CaRole, ClusterName, ClusterPki, ClusterSpec, ClusterSpecBuilder, Compatibility,
    DnsName, Endpoint, KeyAlgorithm, KubeadmConfig, KubeadmLayout, NetworkField, NodeName,
    SubjectAltNames, parse_cidrs, parse_ip,
};

use crate::boundary::{
    Castable, arg_bytes, arg_mut, arg_out, arg_ref, arg_str, ffi_boundary, ffi_guard, free_handle,
};
use crate::bytes::{kpki_bytes, set_bytes};
use crate::ca::kpki_ca;
use crate::certificate::kpki_certificate;
use crate::error::{FfiError, kpki_result};
use crate::key::kpki_private_key;

/// What a cluster PKI is built from: the control-plane node, its network, the key
/// algorithm, the kubeadm profile, the workers. Create with `kpki_cluster_spec_new()`,
/// `kpki_cluster_spec_new_for_host()` or `kpki_cluster_spec_from_kubeadm_config()`,
/// adjust with the `kpki_cluster_spec_set_*` / `_add_*` functions (each checks the whole
/// spec and leaves it unchanged on failure), then `kpki_cluster_spec_init_dir()` or
/// `kpki_cluster_spec_generate()`; free with `kpki_cluster_spec_free()`.
pub struct kpki_cluster_spec {
    _private: [u8; 0],
}

/// What a `kpki_cluster_spec` handle holds.
pub(crate) struct Spec {
    builder: ClusterSpecBuilder,
    spec: ClusterSpec,
}

impl Spec {
    /// The spec, checked.
    pub(crate) fn spec(&self) -> &ClusterSpec {
        &self.spec
    }

    /// The spec `builder` builds to, or why it does not.
    fn build(builder: ClusterSpecBuilder) -> Result<Spec, FfiError> {
        let spec = builder.clone().build()?;
        Ok(Spec { builder, spec })
    }

    /// Applies `edit` to the builder; keeps the result only if it builds.
    fn edit(
        &mut self,
        edit: impl FnOnce(ClusterSpecBuilder) -> Result<ClusterSpecBuilder, FfiError>,
    ) -> Result<(), FfiError> {
        *self = Spec::build(edit(self.builder.clone())?)?;
        Ok(())
    }
}

impl Castable for kpki_cluster_spec {
    type RustType = Spec;
}

/// A generated cluster PKI held in memory: the CAs, every certificate and key, the
/// service-account key pair, the kubeconfigs. Free with `kpki_cluster_pki_free()`.
pub struct kpki_cluster_pki {
    _private: [u8; 0],
}

impl Castable for kpki_cluster_pki {
    type RustType = ClusterPki;
}

/// A spec for control-plane node `node_name` advertising `advertise_address`, with
/// kubeadm's defaults for everything else (service CIDR 10.96.0.0/12, DNS domain
/// cluster.local, port 6443, RSA-2048, profile "current", no workers).
///
/// Ownership: the strings are only read. On success `*out` is a new spec the caller
/// owns (`kpki_cluster_spec_free()`); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_INVALID_NAME`,
/// `KPKI_INVALID_NETWORK`.
///
/// # Safety
/// `node_name` and `advertise_address` are NULL or NUL-terminated; `out` is NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_cluster_spec_new(
    node_name: *const c_char,
    advertise_address: *const c_char,
    out: *mut *mut kpki_cluster_spec,
) -> kpki_result {
    ffi_boundary("kpki_cluster_spec_new", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `node_name` is NULL or NUL-terminated (contract).
        let node: NodeName = unsafe { arg_str(node_name, "node_name") }?.parse()?;
        // SAFETY: `advertise_address` is NULL or NUL-terminated (contract).
        let address = unsafe { arg_str(advertise_address, "advertise_address") }?;
        let address = parse_ip(address, NetworkField::AdvertiseAddress)?;
        out.set(Spec::build(ClusterSpec::builder(node, address))?);
        Ok(())
    })
}

/// A spec whose node name and advertise address default to this host's, as `kubeadm
/// init` takes them: its host name, and the address of the interface of its default
/// route (loopback when it has none — `kpki_cluster_spec_resolution()` says which).
/// `node_name` and `advertise_address` may each be NULL (take this host's) or a value
/// (as for `kpki_cluster_spec_new()`).
///
/// Ownership: the strings are only read. On success `*out` is a new spec the caller
/// owns (`kpki_cluster_spec_free()`); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER` (`out`), `KPKI_INVALID_UTF8`, `KPKI_INVALID_NAME`,
/// `KPKI_INVALID_NETWORK`, `KPKI_INVALID_SPEC` (NULL `node_name` and this host's name
/// is not a valid node name).
///
/// # Safety
/// `node_name` and `advertise_address` are NULL or NUL-terminated; `out` is NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_cluster_spec_new_for_host(
    node_name: *const c_char,
    advertise_address: *const c_char,
    out: *mut *mut kpki_cluster_spec,
) -> kpki_result {
    ffi_boundary("kpki_cluster_spec_new_for_host", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        let mut builder = ClusterSpecBuilder::for_this_host();
        if !node_name.is_null() {
            // SAFETY: `node_name` is non-NULL and NUL-terminated (contract).
            builder = builder.node_name(unsafe { arg_str(node_name, "node_name") }?.parse()?);
        }
        if !advertise_address.is_null() {
            // SAFETY: `advertise_address` is non-NULL and NUL-terminated (contract).
            let address = unsafe { arg_str(advertise_address, "advertise_address") }?;
            builder = builder.advertise_address(parse_ip(address, NetworkField::AdvertiseAddress)?);
        }
        out.set(Spec::build(builder)?);
        Ok(())
    })
}

/// A spec from a kubeadm configuration file (`InitConfiguration` +
/// `ClusterConfiguration`, v1beta3 or v1beta4, as for `kubeadm init --config`). The file
/// must name the node (`nodeRegistration.name`) and the advertise address
/// (`localAPIEndpoint.advertiseAddress`) — to take them from this host instead, use
/// `kpki_cluster_spec_new_for_host()` and `kpki_cluster_spec_set_kubeadm_config()`. The
/// setters can still override any field afterwards. `certificatesDir` is honoured under
/// the directory given to `kpki_cluster_spec_init_dir()`: `/etc/kubernetes/certs` (or
/// `certs`) puts the certificates in `<dir>/certs`; a path outside `/etc/kubernetes` is
/// refused (`KPKI_KUBEADM_CONFIG`).
///
/// Ownership: `path` is only read. On success `*out` is a new spec the caller owns
/// (`kpki_cluster_spec_free()`); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_IO` (cannot read the
/// file), `KPKI_KUBEADM_CONFIG` (the message names the file and the field), and the
/// errors of the values it holds (`KPKI_INVALID_SAN`, `KPKI_INVALID_NETWORK`, ...).
///
/// # Safety
/// `path` is NULL or NUL-terminated; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_cluster_spec_from_kubeadm_config(
    path: *const c_char,
    out: *mut *mut kpki_cluster_spec,
) -> kpki_result {
    ffi_boundary("kpki_cluster_spec_from_kubeadm_config", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `path` is NULL or NUL-terminated (contract).
        let path = Path::new(unsafe { arg_str(path, "path") }?);
        let config = KubeadmConfig::read(path)?;
        out.set(Spec::build(
            ClusterSpecBuilder::new().kubeadm_config(config),
        )?);
        Ok(())
    })
}

/// As `kpki_cluster_spec_from_kubeadm_config()`, from the YAML text itself (`yaml_len`
/// bytes, no NUL needed).
///
/// Ownership: `yaml` is only read. On success `*out` is a new spec the caller owns
/// (`kpki_cluster_spec_free()`); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_KUBEADM_CONFIG`, and the
/// errors of the values it holds.
///
/// # Safety
/// `yaml` is NULL or points to `yaml_len` readable bytes; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_cluster_spec_from_kubeadm_yaml(
    yaml: *const u8,
    yaml_len: usize,
    out: *mut *mut kpki_cluster_spec,
) -> kpki_result {
    ffi_boundary("kpki_cluster_spec_from_kubeadm_yaml", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `yaml` is NULL or `yaml_len` readable bytes (contract).
        let yaml = unsafe { arg_bytes(yaml, yaml_len, "yaml") }?;
        let yaml = std::str::from_utf8(yaml).map_err(|e| {
            FfiError::new(
                kpki_result::KPKI_INVALID_UTF8,
                format!("argument `yaml` is not valid UTF-8: {e}"),
            )
        })?;
        let config = KubeadmConfig::from_yaml(yaml)?;
        out.set(Spec::build(
            ClusterSpecBuilder::new().kubeadm_config(config),
        )?);
        Ok(())
    })
}

/// Adds the settings of the kubeadm configuration file at `path` to `spec`, under the
/// ones set on the spec (a setter's value beats the file's, which beats kubeadm's
/// default; extra SANs from both are kept). On a spec from
/// `kpki_cluster_spec_new_for_host()`, a node name or address the file lacks is this
/// host's.
///
/// Ownership: `spec` is modified in place; `path` is only read. On failure the spec is
/// unchanged.
///
/// Errors: as `kpki_cluster_spec_from_kubeadm_config()`.
///
/// # Safety
/// `spec` is NULL or a live `kpki_cluster_spec` not used elsewhere during the call;
/// `path` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_cluster_spec_set_kubeadm_config(
    spec: *mut kpki_cluster_spec,
    path: *const c_char,
) -> kpki_result {
    // SAFETY: forwarded contract.
    unsafe {
        set_with(
            "kpki_cluster_spec_set_kubeadm_config",
            spec,
            path,
            "path",
            |b, v| Ok(b.kubeadm_config(KubeadmConfig::read(Path::new(v))?)),
        )
    }
}

/// Applies `edit` to the builder behind `spec` with the string argument `value`; the
/// spec changes only if the result builds.
///
/// # Safety
/// `spec` is NULL or a live, unaliased `kpki_cluster_spec`; `value` is NULL or
/// NUL-terminated.
unsafe fn set_with(
    function: &'static str,
    spec: *mut kpki_cluster_spec,
    value: *const c_char,
    argument: &'static str,
    edit: impl FnOnce(ClusterSpecBuilder, &str) -> Result<ClusterSpecBuilder, FfiError>,
) -> kpki_result {
    ffi_boundary(function, || {
        // SAFETY: `spec` is NULL or a live, unaliased handle (caller's contract).
        let spec = unsafe { arg_mut(spec, "spec") }?;
        // SAFETY: `value` is NULL or NUL-terminated (caller's contract).
        let value = unsafe { arg_str(value, argument) }?;
        spec.edit(|b| edit(b, value))
    })
}

/// Applies `edit` to the builder behind `spec`; the spec changes only if the result
/// builds.
///
/// # Safety
/// `spec` is NULL or a live, unaliased `kpki_cluster_spec`.
unsafe fn edit_with(
    function: &'static str,
    spec: *mut kpki_cluster_spec,
    edit: impl FnOnce(ClusterSpecBuilder) -> ClusterSpecBuilder,
) -> kpki_result {
    ffi_boundary(function, || {
        // SAFETY: `spec` is NULL or a live, unaliased handle (caller's contract).
        let spec = unsafe { arg_mut(spec, "spec") }?;
        spec.edit(|b| Ok(edit(b)))
    })
}

/// Sets the control-plane node's name (a lowercase RFC 1123 name of at most 52 bytes).
///
/// Ownership: `spec` is modified in place; `node_name` is only read. On failure the
/// spec is unchanged.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_INVALID_NAME`.
///
/// # Safety
/// `spec` is NULL or a live `kpki_cluster_spec` not used elsewhere during the call;
/// `node_name` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_cluster_spec_set_node_name(
    spec: *mut kpki_cluster_spec,
    node_name: *const c_char,
) -> kpki_result {
    // SAFETY: forwarded contract.
    unsafe {
        set_with(
            "kpki_cluster_spec_set_node_name",
            spec,
            node_name,
            "node_name",
            |b, v| Ok(b.node_name(v.parse()?)),
        )
    }
}

/// Sets the API server's advertise address (an IPv4 or IPv6 address).
///
/// Ownership: `spec` is modified in place; `address` is only read. On failure the spec
/// is unchanged.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_INVALID_NETWORK`.
///
/// # Safety
/// `spec` is NULL or a live `kpki_cluster_spec` not used elsewhere during the call;
/// `address` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_cluster_spec_set_advertise_address(
    spec: *mut kpki_cluster_spec,
    address: *const c_char,
) -> kpki_result {
    // SAFETY: forwarded contract.
    unsafe {
        set_with(
            "kpki_cluster_spec_set_advertise_address",
            spec,
            address,
            "address",
            |b, v| Ok(b.advertise_address(parse_ip(v, NetworkField::AdvertiseAddress)?)),
        )
    }
}

/// Sets the API server's port (kubeadm: 6443).
///
/// Ownership: `spec` is modified in place. On failure the spec is unchanged.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_NETWORK` (port 0).
///
/// # Safety
/// `spec` is NULL or a live `kpki_cluster_spec` not used elsewhere during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_cluster_spec_set_bind_port(
    spec: *mut kpki_cluster_spec,
    port: u16,
) -> kpki_result {
    // SAFETY: forwarded contract.
    unsafe {
        edit_with("kpki_cluster_spec_set_bind_port", spec, |b| {
            b.bind_port(port)
        })
    }
}

/// Sets the control-plane endpoint, `host[:port]` (a DNS name or an IP address; IPv6 in
/// brackets with a port), e.g. `"cp.example.internal:6443"`. The host goes into the API
/// server's SANs and the kubeconfigs' server URL.
///
/// Ownership: `spec` is modified in place; `endpoint` is only read. On failure the spec
/// is unchanged.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_INVALID_NETWORK`,
/// `KPKI_INVALID_SAN`.
///
/// # Safety
/// `spec` is NULL or a live `kpki_cluster_spec` not used elsewhere during the call;
/// `endpoint` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_cluster_spec_set_control_plane_endpoint(
    spec: *mut kpki_cluster_spec,
    endpoint: *const c_char,
) -> kpki_result {
    // SAFETY: forwarded contract.
    unsafe {
        set_with(
            "kpki_cluster_spec_set_control_plane_endpoint",
            spec,
            endpoint,
            "endpoint",
            |b, v| Ok(b.control_plane_endpoint(v.parse::<Endpoint>()?)),
        )
    }
}

/// Sets the service CIDR(s), comma-separated as kubeadm's `serviceSubnet` (one per IP
/// family for dual stack): `"10.96.0.0/12"` or `"10.96.0.0/12,fd00:10:96::/112"`. The
/// first address of each goes into the API server's SANs.
///
/// Ownership: `spec` is modified in place; `cidrs` is only read. On failure the spec is
/// unchanged.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_INVALID_NETWORK`.
///
/// # Safety
/// `spec` is NULL or a live `kpki_cluster_spec` not used elsewhere during the call;
/// `cidrs` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_cluster_spec_set_service_cidr(
    spec: *mut kpki_cluster_spec,
    cidrs: *const c_char,
) -> kpki_result {
    // SAFETY: forwarded contract.
    unsafe {
        set_with(
            "kpki_cluster_spec_set_service_cidr",
            spec,
            cidrs,
            "cidrs",
            |b, v| Ok(b.service_subnets(parse_cidrs(v, NetworkField::ServiceCidr)?)),
        )
    }
}

/// Sets the cluster DNS domain (kubeadm: `cluster.local`); the API server's SANs get
/// `kubernetes.default.svc.<domain>`.
///
/// Ownership: `spec` is modified in place; `domain` is only read. On failure the spec
/// is unchanged.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_INVALID_SAN`.
///
/// # Safety
/// `spec` is NULL or a live `kpki_cluster_spec` not used elsewhere during the call;
/// `domain` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_cluster_spec_set_dns_domain(
    spec: *mut kpki_cluster_spec,
    domain: *const c_char,
) -> kpki_result {
    // SAFETY: forwarded contract.
    unsafe {
        set_with(
            "kpki_cluster_spec_set_dns_domain",
            spec,
            domain,
            "domain",
            |b, v| Ok(b.dns_domain(v.parse::<DnsName>()?)),
        )
    }
}

/// Adds an extra SAN to the API server's certificate (kubeadm's `apiServer.certSANs`):
/// a DNS name or an IP address.
///
/// Ownership: `spec` is modified in place; `san` is only read. On failure the spec is
/// unchanged.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_INVALID_SAN`.
///
/// # Safety
/// `spec` is NULL or a live `kpki_cluster_spec` not used elsewhere during the call;
/// `san` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_cluster_spec_add_apiserver_extra_san(
    spec: *mut kpki_cluster_spec,
    san: *const c_char,
) -> kpki_result {
    // SAFETY: forwarded contract.
    unsafe {
        set_with(
            "kpki_cluster_spec_add_apiserver_extra_san",
            spec,
            san,
            "san",
            |b, v| Ok(b.apiserver_extra_sans(SubjectAltNames::parse([v])?)),
        )
    }
}

/// Sets the algorithm of every generated key: `"rsa-2048"` (kubeadm's default),
/// `"rsa-3072"`, `"rsa-4096"`, `"ecdsa-p256"`, `"ecdsa-p384"`, `"ed25519"`.
///
/// Ownership: `spec` is modified in place; `algorithm` is only read. On failure the
/// spec is unchanged.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_UNKNOWN_CHOICE`.
///
/// # Safety
/// `spec` is NULL or a live `kpki_cluster_spec` not used elsewhere during the call;
/// `algorithm` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_cluster_spec_set_key_algorithm(
    spec: *mut kpki_cluster_spec,
    algorithm: *const c_char,
) -> kpki_result {
    // SAFETY: forwarded contract.
    unsafe {
        set_with(
            "kpki_cluster_spec_set_key_algorithm",
            spec,
            algorithm,
            "algorithm",
            |b, v| Ok(b.key_algorithm(v.parse::<KeyAlgorithm>()?)),
        )
    }
}

/// Sets which kubeadm's output to reproduce: `"current"` (kubeadm ≥ 1.31, the default)
/// or `"kubeadm-1.28"`.
///
/// Ownership: `spec` is modified in place; `profile` is only read. On failure the spec
/// is unchanged.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_UNKNOWN_CHOICE`.
///
/// # Safety
/// `spec` is NULL or a live `kpki_cluster_spec` not used elsewhere during the call;
/// `profile` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_cluster_spec_set_profile(
    spec: *mut kpki_cluster_spec,
    profile: *const c_char,
) -> kpki_result {
    // SAFETY: forwarded contract.
    unsafe {
        set_with(
            "kpki_cluster_spec_set_profile",
            spec,
            profile,
            "profile",
            |b, v| Ok(b.compatibility(v.parse::<Compatibility>()?)),
        )
    }
}

/// Sets the cluster name used in the kubeconfigs (kubeadm: `kubernetes`).
///
/// Ownership: `spec` is modified in place; `name` is only read. On failure the spec is
/// unchanged.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_INVALID_NAME` (empty, or
/// a control character).
///
/// # Safety
/// `spec` is NULL or a live `kpki_cluster_spec` not used elsewhere during the call;
/// `name` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_cluster_spec_set_cluster_name(
    spec: *mut kpki_cluster_spec,
    name: *const c_char,
) -> kpki_result {
    // SAFETY: forwarded contract.
    unsafe {
        set_with(
            "kpki_cluster_spec_set_cluster_name",
            spec,
            name,
            "name",
            |b, v| Ok(b.cluster_name(v.parse::<ClusterName>()?)),
        )
    }
}

/// Adds a worker node: it gets a kubelet client certificate and kubeconfig
/// (`nodes/<name>.crt`, `nodes/<name>.conf`) and a kubelet serving certificate
/// (`nodes/serving/<name>.crt`).
///
/// Ownership: `spec` is modified in place; `node_name` is only read. On failure the
/// spec is unchanged.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_INVALID_NAME`,
/// `KPKI_INVALID_SPEC` (the worker was added already).
///
/// # Safety
/// `spec` is NULL or a live `kpki_cluster_spec` not used elsewhere during the call;
/// `node_name` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_cluster_spec_add_worker(
    spec: *mut kpki_cluster_spec,
    node_name: *const c_char,
) -> kpki_result {
    // SAFETY: forwarded contract.
    unsafe {
        set_with(
            "kpki_cluster_spec_add_worker",
            spec,
            node_name,
            "node_name",
            |b, v| Ok(b.worker(v.parse::<NodeName>()?)),
        )
    }
}

/// The CA of a role gets its key in a PKCS#11 token: `ca_key` is `ROLE=pkcs11:URI`
/// (ROLE: `kubernetes`, `etcd`, `front-proxy`), as `kpki init --ca-key` takes it. The
/// key the URI names is used, or one is generated in the token (sensitive, not
/// extractable) when the PKI is generated; no CA key file is written. The PIN comes
/// from the URI's `pin-source` or `KPKI_PKCS11_PIN` (a `pin-value` is refused).
///
/// Ownership: `spec` is modified in place; `ca_key` is only read. On failure the spec
/// is unchanged.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_UNKNOWN_CHOICE` (the
/// role), `KPKI_PKCS11` (a malformed URI, a `pin-value`). The token itself is first
/// used by `kpki_cluster_spec_generate()` / `kpki_cluster_spec_init_dir()`, whose
/// `KPKI_PKCS11` errors name a wrong PIN, a missing token or object, a module that
/// cannot be loaded, a key of another algorithm.
///
/// # Safety
/// `spec` is NULL or a live `kpki_cluster_spec` not used elsewhere during the call;
/// `ca_key` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_cluster_spec_add_ca_key(
    spec: *mut kpki_cluster_spec,
    ca_key: *const c_char,
) -> kpki_result {
    // SAFETY: forwarded contract.
    unsafe {
        set_with(
            "kpki_cluster_spec_add_ca_key",
            spec,
            ca_key,
            "ca_key",
            |b, v| Ok(b.ca_key(v.parse::<CaKeyUri>()?)),
        )
    }
}

/// Sets the validity of generated leaf certificates (kubeadm: 1 year) and CAs (kubeadm:
/// 10 years), in seconds; 0 keeps the current value.
///
/// Ownership: `spec` is modified in place. On failure the spec is unchanged.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_VALIDITY` (under 10 minutes).
///
/// # Safety
/// `spec` is NULL or a live `kpki_cluster_spec` not used elsewhere during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_cluster_spec_set_validity_seconds(
    spec: *mut kpki_cluster_spec,
    leaf_seconds: u64,
    ca_seconds: u64,
) -> kpki_result {
    // SAFETY: forwarded contract.
    unsafe {
        edit_with("kpki_cluster_spec_set_validity_seconds", spec, |mut b| {
            if leaf_seconds != 0 {
                b = b.leaf_validity(Duration::from_secs(leaf_seconds));
            }
            if ca_seconds != 0 {
                b = b.ca_validity(Duration::from_secs(ca_seconds));
            }
            b
        })
    }
}

/// Also issue `kube-proxy.conf` (kubeadm gives kube-proxy a service-account token
/// instead; off by default).
///
/// Ownership: `spec` is modified in place.
///
/// Errors: `KPKI_NULL_PARAMETER`.
///
/// # Safety
/// `spec` is NULL or a live `kpki_cluster_spec` not used elsewhere during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_cluster_spec_set_kube_proxy(
    spec: *mut kpki_cluster_spec,
    enabled: bool,
) -> kpki_result {
    // SAFETY: forwarded contract.
    unsafe {
        edit_with("kpki_cluster_spec_set_kube_proxy", spec, |b| {
            b.kube_proxy(enabled)
        })
    }
}

/// Generates the whole cluster PKI in memory (3 CAs, every leaf, the service-account
/// key pair, the kubeconfigs, the workers' certificates).
///
/// Ownership: `spec` is only read. On success `*out` is a new PKI the caller owns
/// (`kpki_cluster_pki_free()`); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_SPEC`, `KPKI_INVALID_VALIDITY`,
/// `KPKI_CA_KEY_UNAVAILABLE`, `KPKI_INVALID_SUPPLIED_CERTIFICATE`, `KPKI_CRYPTO` (every
/// setting was checked when it was set).
///
/// # Safety
/// `spec` is NULL or a live `kpki_cluster_spec`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_cluster_spec_generate(
    spec: *const kpki_cluster_spec,
    out: *mut *mut kpki_cluster_pki,
) -> kpki_result {
    ffi_boundary("kpki_cluster_spec_generate", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `spec` is NULL or a live handle (contract).
        let spec = unsafe { arg_ref(spec, "spec") }?;
        out.set(spec.spec.generate(SystemTime::now())?);
        Ok(())
    })
}

/// The whole job of `kpki init`: reuses the CAs and service-account key already in `dir`
/// (kubeadm's root, e.g. `/etc/kubernetes`), generates everything else, and writes it in
/// kubeadm's layout — certificates and keys under `dir/pki` (or the kubeadm
/// configuration's `certificatesDir`, under `dir`), kubeconfigs in `dir`, workers under
/// `dir/nodes` — atomically, keys mode 0600. An existing file other than a
/// reused CA or key is an error (`KPKI_ALREADY_EXISTS`) unless `overwrite` is true; a
/// failure midway removes what this call wrote.
///
/// Ownership: `spec` and `dir` are only read. `out` is optional: when it is not NULL, on
/// success `*out` is a new PKI (what was written) the caller owns
/// (`kpki_cluster_pki_free()`), and on failure NULL.
///
/// Errors: those of `kpki_cluster_spec_generate()`, plus `KPKI_ALREADY_EXISTS`,
/// `KPKI_IO`, `KPKI_INVALID_PEM`, `KPKI_KEY_MISMATCH` (unusable files already in `dir`).
///
/// # Safety
/// `spec` is NULL or a live `kpki_cluster_spec`; `dir` is NULL or NUL-terminated; `out`
/// is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_cluster_spec_init_dir(
    spec: *const kpki_cluster_spec,
    dir: *const c_char,
    overwrite: bool,
    out: *mut *mut kpki_cluster_pki,
) -> kpki_result {
    ffi_boundary("kpki_cluster_spec_init_dir", || {
        let out = if out.is_null() {
            None
        } else {
            // SAFETY: `out` is non-NULL and writable (contract).
            Some(unsafe { arg_out(out, "out") }?)
        };
        // SAFETY: `spec` is NULL or a live handle (contract).
        let spec = unsafe { arg_ref(spec, "spec") }?;
        // SAFETY: `dir` is NULL or NUL-terminated (contract).
        let dir = unsafe { arg_str(dir, "dir") }?;
        let (pki, _report) =
            KubeadmLayout::new(dir).init(spec.spec.clone(), SystemTime::now(), overwrite)?;
        if let Some(out) = out {
            out.set(pki);
        }
        Ok(())
    })
}

/// What the spec settled on, as one line of text: the node name, the advertise address
/// and the API server URL, each with where it came from (`node name node01 (this
/// host's name), advertise address 10.0.0.10 (the address of eth0, the default route's
/// interface), API server https://10.0.0.10:6443`) — what `kpki init` prints.
///
/// Ownership: `spec` is only read. On success `*out` is a new buffer the caller owns
/// (`kpki_bytes_free()`); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`.
///
/// # Safety
/// `spec` is NULL or a live `kpki_cluster_spec`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_cluster_spec_resolution(
    spec: *const kpki_cluster_spec,
    out: *mut *mut kpki_bytes,
) -> kpki_result {
    ffi_boundary("kpki_cluster_spec_resolution", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `spec` is NULL or a live handle (contract).
        let spec = unsafe { arg_ref(spec, "spec") }?;
        set_bytes(out, spec.spec.resolution().to_string().as_bytes());
        Ok(())
    })
}

/// Writes a generated PKI to `dir` in kubeadm's layout (as `kpki_cluster_spec_init_dir()`
/// does, without reusing anything: files already there that differ are
/// `KPKI_ALREADY_EXISTS` unless `overwrite` is true).
///
/// Ownership: `pki` and `dir` are only read.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_ALREADY_EXISTS`, `KPKI_IO`.
///
/// # Safety
/// `pki` is NULL or a live `kpki_cluster_pki`; `dir` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_cluster_pki_write(
    pki: *const kpki_cluster_pki,
    dir: *const c_char,
    overwrite: bool,
) -> kpki_result {
    ffi_boundary("kpki_cluster_pki_write", || {
        // SAFETY: `pki` is NULL or a live handle (contract).
        let pki = unsafe { arg_ref(pki, "pki") }?;
        // SAFETY: `dir` is NULL or NUL-terminated (contract).
        let dir = unsafe { arg_str(dir, "dir") }?;
        KubeadmLayout::new(dir).write(pki, overwrite)?;
        Ok(())
    })
}

/// The CA of `role` (`"kubernetes"`, `"etcd"`, `"front-proxy"`, `"client"`,
/// `"kubelet"`; client and kubelet share the kubernetes CA unless set up otherwise), to
/// issue more certificates under the cluster's trust.
///
/// Ownership: `pki` and `role` are only read. On success `*out` is a new CA handle the
/// caller owns (`kpki_ca_free()`), independent of `pki`; on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_UNKNOWN_CHOICE`.
///
/// # Safety
/// `pki` is NULL or a live `kpki_cluster_pki`; `role` is NULL or NUL-terminated; `out`
/// is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_cluster_pki_ca(
    pki: *const kpki_cluster_pki,
    role: *const c_char,
    out: *mut *mut kpki_ca,
) -> kpki_result {
    ffi_boundary("kpki_cluster_pki_ca", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `pki` is NULL or a live handle (contract).
        let pki = unsafe { arg_ref(pki, "pki") }?;
        // SAFETY: `role` is NULL or NUL-terminated (contract).
        let role: CaRole = unsafe { arg_str(role, "role") }?.parse()?;
        out.set(pki.ca(role).clone());
        Ok(())
    })
}

/// A certificate of the PKI by name: `"apiserver"`, `"apiserver-kubelet-client"`,
/// `"front-proxy-client"`, `"etcd/server"`, `"etcd/peer"`, `"etcd/healthcheck-client"`,
/// `"apiserver-etcd-client"`, the kubeconfig users `"admin.conf"`, `"super-admin.conf"`,
/// `"kubelet.conf"`, `"controller-manager.conf"`, `"scheduler.conf"`, and
/// `"nodes/<worker>"` / `"nodes/serving/<worker>"`.
///
/// Ownership: `pki` and `name` are only read. On success `*out` is a new certificate the
/// caller owns (`kpki_certificate_free()`); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_NOT_FOUND` (the message
/// lists the names there are).
///
/// # Safety
/// `pki` is NULL or a live `kpki_cluster_pki`; `name` is NULL or NUL-terminated; `out`
/// is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_cluster_pki_certificate(
    pki: *const kpki_cluster_pki,
    name: *const c_char,
    out: *mut *mut kpki_certificate,
) -> kpki_result {
    ffi_boundary("kpki_cluster_pki_certificate", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `pki` is NULL or a live handle (contract).
        let pki = unsafe { arg_ref(pki, "pki") }?;
        // SAFETY: `name` is NULL or NUL-terminated (contract).
        let name = unsafe { arg_str(name, "name") }?;
        out.set(pki.named(name)?.certificate().clone());
        Ok(())
    })
}

/// The private key of the PKI's certificate `name` (names as for
/// `kpki_cluster_pki_certificate()`).
///
/// Ownership: `pki` and `name` are only read. On success `*out` is a new key the caller
/// owns (`kpki_private_key_free()`); on failure `*out` is NULL.
///
/// Errors: as `kpki_cluster_pki_certificate()`.
///
/// # Safety
/// `pki` is NULL or a live `kpki_cluster_pki`; `name` is NULL or NUL-terminated; `out`
/// is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_cluster_pki_private_key(
    pki: *const kpki_cluster_pki,
    name: *const c_char,
    out: *mut *mut kpki_private_key,
) -> kpki_result {
    ffi_boundary("kpki_cluster_pki_private_key", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `pki` is NULL or a live handle (contract).
        let pki = unsafe { arg_ref(pki, "pki") }?;
        // SAFETY: `name` is NULL or NUL-terminated (contract).
        let name = unsafe { arg_str(name, "name") }?;
        out.set(pki.named(name)?.key().clone());
        Ok(())
    })
}

/// Frees a spec. NULL is a no-op.
///
/// Ownership: takes `spec` back; it must not be used afterwards.
///
/// # Safety
/// `spec` is NULL or a `kpki_cluster_spec` from this library not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_cluster_spec_free(spec: *mut kpki_cluster_spec) {
    ffi_guard((), || {
        // SAFETY: NULL or an unfreed handle, never used again (contract).
        unsafe { free_handle(spec) }
    });
}

/// Frees a PKI (and wipes its keys). NULL is a no-op.
///
/// Ownership: takes `pki` back; it must not be used afterwards. Handles obtained from
/// it (`kpki_ca`, `kpki_certificate`, `kpki_private_key`) are independent and stay
/// valid.
///
/// # Safety
/// `pki` is NULL or a `kpki_cluster_pki` from this library not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_cluster_pki_free(pki: *mut kpki_cluster_pki) {
    ffi_guard((), || {
        // SAFETY: NULL or an unfreed handle, never used again (contract).
        unsafe { free_handle(pki) }
    });
}

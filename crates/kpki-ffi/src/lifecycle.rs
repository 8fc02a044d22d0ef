//! The PKI after `init`: `kpki_expiry_report` (what `kubeadm certs check-expiration`
//! reports, as kubeadm's table or its `CertificateExpirationInfo` JSON/YAML) and
//! `kpki_dir_renew()` (`kpki certs renew`).

use std::ffi::c_char;
use std::time::{Duration, SystemTime};

use kpki_core::{
    CaRole, ExpiryFormat, ExpiryReport, KeyChoice, KubeadmLayout, RenewOptions, RenewTargets,
    RotationStep, cluster_trust_bundle,
};

use crate::boundary::{
    Castable, arg_layout, arg_out, arg_ref, arg_str, arg_str_array, ffi_boundary, ffi_guard,
    free_handle,
};
use crate::bytes::{kpki_bytes, set_bytes};
use crate::cluster::kpki_cluster_spec;
use crate::error::{FfiError, kpki_result};

/// The expiry report of a kubeadm directory: kubeadm's certificates (each listed,
/// `missing` when absent), the kubeconfigs' client certificates, the CAs. Create with
/// `kpki_expiry_report_load()`; free with `kpki_expiry_report_free()`.
pub struct kpki_expiry_report {
    _private: [u8; 0],
}

impl Castable for kpki_expiry_report {
    type RustType = ExpiryReport;
}

/// `now_unix` as a time: seconds since the Unix epoch, 0 for the current time.
fn time_of(now_unix: i64) -> Result<SystemTime, FfiError> {
    if now_unix == 0 {
        return Ok(SystemTime::now());
    }
    let offset = Duration::from_secs(now_unix.unsigned_abs());
    let t = match now_unix > 0 {
        true => SystemTime::UNIX_EPOCH.checked_add(offset),
        false => SystemTime::UNIX_EPOCH.checked_sub(offset),
    };
    t.ok_or_else(|| {
        FfiError::new(
            kpki_result::KPKI_INVALID_VALIDITY,
            format!("now_unix {now_unix} is out of range"),
        )
    })
}

/// Reads the kubeadm directory `dir` (kubeconfigs in it, certificates in `dir/pki`) and
/// reports expiry at `now_unix` (seconds since the Unix epoch; 0 for the current time).
///
/// Ownership: `dir` is only read. On success `*out` is a new report the caller owns
/// (`kpki_expiry_report_free()`); on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_MISSING_FILE` (no such
/// directory, or nothing of a PKI in it), `KPKI_IO`, `KPKI_INVALID_PEM` /
/// `KPKI_INVALID_CERTIFICATE` / `KPKI_INVALID_KUBECONFIG` (a file that does not parse;
/// the message names it).
///
/// # Safety
/// `dir` is NULL or NUL-terminated; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_expiry_report_load(
    dir: *const c_char,
    now_unix: i64,
    out: *mut *mut kpki_expiry_report,
) -> kpki_result {
    ffi_boundary("kpki_expiry_report_load", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `dir` is NULL or NUL-terminated (contract).
        let dir = unsafe { arg_str(dir, "dir") }?;
        out.set(KubeadmLayout::new(dir).check_expiration(time_of(now_unix)?)?);
        Ok(())
    })
}

/// The report as `output` prints it: `"table"` (or kubeadm's `"text"`), `"json"`
/// (kubeadm's `CertificateExpirationInfo`, `output.kubeadm.k8s.io/v1alpha3`, as
/// `kubeadm certs check-expiration -o json` writes it) or `"yaml"`.
///
/// Ownership: `report` is borrowed. On success `*out` is a new buffer the caller owns
/// (`kpki_bytes_free()`), NUL-terminated; on failure `*out` is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_UNKNOWN_CHOICE` (another
/// `output`).
///
/// # Safety
/// `report` is NULL or a live `kpki_expiry_report`; `output` is NULL or NUL-terminated;
/// `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_expiry_report_render(
    report: *const kpki_expiry_report,
    output: *const c_char,
    out: *mut *mut kpki_bytes,
) -> kpki_result {
    ffi_boundary("kpki_expiry_report_render", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `report` is NULL or a live handle (contract).
        let report = unsafe { arg_ref(report, "report") }?;
        // SAFETY: `output` is NULL or NUL-terminated (contract).
        let format: ExpiryFormat = unsafe { arg_str(output, "output") }?.parse()?;
        set_bytes(out, report.render(format)?.as_bytes());
        Ok(())
    })
}

/// What expires within `window_seconds` of the report's time (or has expired), soonest
/// first: `*count` is how many (0 when nothing is due; missing files never count), and
/// `*names`, if `names` is not NULL, their kubeadm names (`apiserver`, `etcd-server`,
/// `ca`), one per line.
///
/// Ownership: `report` is borrowed. On success `*names` (when asked for) is a new
/// buffer the caller owns (`kpki_bytes_free()`); on failure it is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER` (`report`, `count`).
///
/// # Safety
/// `report` is NULL or a live `kpki_expiry_report`; `count` is NULL or writable; `names`
/// is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_expiry_report_expiring_within(
    report: *const kpki_expiry_report,
    window_seconds: u64,
    count: *mut usize,
    names: *mut *mut kpki_bytes,
) -> kpki_result {
    ffi_boundary("kpki_expiry_report_expiring_within", || {
        let names = match names.is_null() {
            true => None,
            // SAFETY: `names` is non-NULL and writable (contract).
            false => Some(unsafe { arg_out(names, "names") }?),
        };
        // SAFETY: `report` is NULL or a live handle (contract).
        let report = unsafe { arg_ref(report, "report") }?;
        // SAFETY: `count` is NULL or writable for one size_t (contract).
        let count = unsafe { count.as_mut() }.ok_or_else(|| FfiError::null("count"))?;
        let due = report.expiring_within(Duration::from_secs(window_seconds));
        *count = due.len();
        if let Some(out) = names {
            let text: String = due.iter().map(|e| format!("{}\n", e.name)).collect();
            set_bytes(out, text.as_bytes());
        }
        Ok(())
    })
}

/// Frees a report. NULL is a no-op.
///
/// Ownership: takes `report` back; it must not be used afterwards.
///
/// # Safety
/// `report` is NULL or a `kpki_expiry_report` from this library not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_expiry_report_free(report: *mut kpki_expiry_report) {
    ffi_guard((), || {
        // SAFETY: NULL or an unfreed handle, never used again (contract).
        unsafe { free_handle(report) }
    });
}

/// Renews certificates of the kubeadm directory `dir` in place, as `kpki certs renew`
/// does, all or nothing.
///
/// - `names`/`names_count`: kubeadm's names (`"apiserver"`, `"etcd-server"`,
///   `"admin.conf"`) and CA names (`"ca"`, `"etcd-ca"`, `"front-proxy-ca"`: renewed with
///   their own keys, so what they issued stays valid); `names_count` 0 (and `names`
///   NULL) renews every leaf found.
/// - `key`: NULL or `"keep"` (kubeadm's way), `"rotate"`, or an algorithm name.
/// - `validity_seconds`: 0 for the default (the cluster's, else 365 days for a leaf and
///   10 years for a CA).
/// - `within_seconds`: 0 renews everything named; otherwise only what expires within
///   it, the rest counted as skipped.
/// - `cluster`: NULL, or the cluster as its configuration now describes it (a spec from
///   `kpki_cluster_spec_from_kubeadm_config()`): renewed certificates get its SANs, and
///   one whose SANs differ is renewed even if not due.
/// - `now_unix`: seconds since the Unix epoch, 0 for the current time.
/// - `renewed_count` / `skipped_count`: NULL, or where to store how many certificates
///   (CAs included) were renewed / left alone.
///
/// Ownership: everything is only read.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_MISSING_FILE` (no such
/// directory, or nothing of a PKI in it), `KPKI_NOT_FOUND` (a name not in it; the
/// message lists what is), `KPKI_UNKNOWN_CHOICE` (`key`), `KPKI_CA_KEY_UNAVAILABLE`,
/// `KPKI_CANNOT_RENEW` (e.g. `cluster` names another node), `KPKI_IO`.
///
/// # Safety
/// `dir` is NULL or NUL-terminated; `names` is NULL or points to `names_count`
/// NUL-terminated strings; `key` is NULL or NUL-terminated; `cluster` is NULL or a live
/// `kpki_cluster_spec`; the counts are NULL or writable.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn kpki_dir_renew(
    dir: *const c_char,
    names: *const *const c_char,
    names_count: usize,
    key: *const c_char,
    validity_seconds: u64,
    within_seconds: u64,
    cluster: *const kpki_cluster_spec,
    now_unix: i64,
    renewed_count: *mut usize,
    skipped_count: *mut usize,
) -> kpki_result {
    // SAFETY: forwarded contract; no CA keys.
    unsafe {
        dir_renew(
            "kpki_dir_renew",
            dir,
            std::ptr::null(),
            0,
            names,
            names_count,
            key,
            validity_seconds,
            within_seconds,
            cluster,
            now_unix,
            renewed_count,
            skipped_count,
        )
    }
}

/// As `kpki_dir_renew()`, in a directory whose CAs (some or all) have their keys in a
/// PKCS#11 token: `ca_keys` points to `ca_keys_count` strings `ROLE=pkcs11:URI`
/// (`kpki certs renew --ca-key`; ROLE: `kubernetes`, `etcd`, `front-proxy`), each CA's
/// `.crt` in `dir` and its `.key` not. The leaves those CAs issued, and the CAs
/// themselves (`"ca"`, ...), are renewed by signing through the token. The PIN comes
/// from the URI's `pin-source` or `KPKI_PKCS11_PIN`.
///
/// Ownership: everything is only read.
///
/// Errors: as `kpki_dir_renew()`, and `KPKI_PKCS11` (a malformed URI or `pin-value`; a
/// wrong PIN, missing token or object, a module that cannot be loaded; a key file
/// beside the token key). Nothing is written on any error.
///
/// # Safety
/// As `kpki_dir_renew()`; `ca_keys` is NULL or points to `ca_keys_count`
/// NUL-terminated strings.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn kpki_dir_renew_with_ca_keys(
    dir: *const c_char,
    ca_keys: *const *const c_char,
    ca_keys_count: usize,
    names: *const *const c_char,
    names_count: usize,
    key: *const c_char,
    validity_seconds: u64,
    within_seconds: u64,
    cluster: *const kpki_cluster_spec,
    now_unix: i64,
    renewed_count: *mut usize,
    skipped_count: *mut usize,
) -> kpki_result {
    // SAFETY: forwarded contract.
    unsafe {
        dir_renew(
            "kpki_dir_renew_with_ca_keys",
            dir,
            ca_keys,
            ca_keys_count,
            names,
            names_count,
            key,
            validity_seconds,
            within_seconds,
            cluster,
            now_unix,
            renewed_count,
            skipped_count,
        )
    }
}

/// `kpki_dir_renew()` and `kpki_dir_renew_with_ca_keys()`.
///
/// # Safety
/// As `kpki_dir_renew_with_ca_keys()`.
#[allow(clippy::too_many_arguments)]
unsafe fn dir_renew(
    function: &'static str,
    dir: *const c_char,
    ca_keys: *const *const c_char,
    ca_keys_count: usize,
    names: *const *const c_char,
    names_count: usize,
    key: *const c_char,
    validity_seconds: u64,
    within_seconds: u64,
    cluster: *const kpki_cluster_spec,
    now_unix: i64,
    renewed_count: *mut usize,
    skipped_count: *mut usize,
) -> kpki_result {
    ffi_boundary(function, || {
        // SAFETY: `dir` and `ca_keys` as the caller's contract says.
        let layout = unsafe { arg_layout(dir, ca_keys, ca_keys_count) }?;
        // SAFETY: `names` points to `names_count` strings (contract).
        let names = unsafe { arg_str_array(names, names_count, "names") }?;
        let targets = match names.is_empty() {
            true => RenewTargets::All,
            false => RenewTargets::parse(&names)?,
        };
        let key: KeyChoice = match key.is_null() {
            true => KeyChoice::Keep,
            // SAFETY: `key` is non-NULL and NUL-terminated (contract).
            false => unsafe { arg_str(key, "key") }?.parse()?,
        };
        let cluster = match cluster.is_null() {
            true => None,
            // SAFETY: `cluster` is non-NULL and a live handle (contract).
            false => Some(unsafe { arg_ref(cluster, "cluster") }?.spec().clone()),
        };
        let seconds = |s: u64| (s != 0).then(|| Duration::from_secs(s));
        let options = RenewOptions {
            key,
            validity: seconds(validity_seconds),
            within: seconds(within_seconds),
            cluster,
        };
        let report = layout.renew(&targets, &options, time_of(now_unix)?)?;
        // SAFETY: each count is NULL or writable for one size_t (contract).
        if let Some(n) = unsafe { renewed_count.as_mut() } {
            *n = report.renewed.len() + report.authorities.len();
        }
        // SAFETY: as above.
        if let Some(n) = unsafe { skipped_count.as_mut() } {
            *n = report.skipped.len();
        }
        Ok(())
    })
}

/// Runs `step` (`"start"`, `"reissue"`, `"finish"`) of a CA rotation in the kubeadm
/// directory `dir` (`kpki ca rotate`): `start` keeps new CAs under `pki/rotation/` and
/// makes every trust point hold old and new (and `sa.pub` both service-account keys);
/// `reissue` issues every leaf from the new CAs; `finish` drops the old CAs. `roles`
/// (`"kubernetes"`, `"etcd"`, `"front-proxy"`; `roles_count` 0 for all three) is read by
/// `start` only. Each step is all or nothing, even across a crash, and may be run again:
/// `*already_done` (if not NULL) tells that it had been done.
///
/// Ownership: everything is only read.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_UNKNOWN_CHOICE` (`step`, a
/// role), `KPKI_ROTATION` (the step does not fit the rotation's state; the message says
/// which step comes next), `KPKI_MISSING_FILE`, `KPKI_IO`.
///
/// # Safety
/// `dir` and `step` are NULL or NUL-terminated; `roles` is NULL or points to
/// `roles_count` NUL-terminated strings; `already_done` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_dir_rotate(
    dir: *const c_char,
    step: *const c_char,
    roles: *const *const c_char,
    roles_count: usize,
    now_unix: i64,
    already_done: *mut bool,
) -> kpki_result {
    // SAFETY: forwarded contract; no CA keys.
    unsafe {
        dir_rotate(
            "kpki_dir_rotate",
            dir,
            std::ptr::null(),
            0,
            step,
            roles,
            roles_count,
            now_unix,
            already_done,
        )
    }
}

/// As `kpki_dir_rotate()`, the new CAs' keys in a PKCS#11 token: with `"start"`,
/// `ca_keys` (`ca_keys_count` strings `ROLE=pkcs11:URI`, as `kpki ca rotate --ca-key`)
/// names for each role the key of its *new* CA — the key the URI names, or one
/// generated in the token; the current CA's own key is refused. No key file is written
/// for it, and `"reissue"` removes the role's old `.key`, so the directory ends in
/// external-CA mode with the token key. `"reissue"` and `"finish"` read the URIs from
/// the rotation's state (pass them again only to change where the PIN comes from).
///
/// Ownership: everything is only read.
///
/// Errors: as `kpki_dir_rotate()`, and `KPKI_PKCS11` (a malformed URI or `pin-value`, a
/// token failure, the current CA's key). Nothing is written on any error.
///
/// # Safety
/// As `kpki_dir_rotate()`; `ca_keys` is NULL or points to `ca_keys_count`
/// NUL-terminated strings.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn kpki_dir_rotate_with_ca_keys(
    dir: *const c_char,
    ca_keys: *const *const c_char,
    ca_keys_count: usize,
    step: *const c_char,
    roles: *const *const c_char,
    roles_count: usize,
    now_unix: i64,
    already_done: *mut bool,
) -> kpki_result {
    // SAFETY: forwarded contract.
    unsafe {
        dir_rotate(
            "kpki_dir_rotate_with_ca_keys",
            dir,
            ca_keys,
            ca_keys_count,
            step,
            roles,
            roles_count,
            now_unix,
            already_done,
        )
    }
}

/// `kpki_dir_rotate()` and `kpki_dir_rotate_with_ca_keys()`.
///
/// # Safety
/// As `kpki_dir_rotate_with_ca_keys()`.
#[allow(clippy::too_many_arguments)]
unsafe fn dir_rotate(
    function: &'static str,
    dir: *const c_char,
    ca_keys: *const *const c_char,
    ca_keys_count: usize,
    step: *const c_char,
    roles: *const *const c_char,
    roles_count: usize,
    now_unix: i64,
    already_done: *mut bool,
) -> kpki_result {
    ffi_boundary(function, || {
        // SAFETY: `dir` and `ca_keys` as the caller's contract says.
        let layout = unsafe { arg_layout(dir, ca_keys, ca_keys_count) }?;
        // SAFETY: `step` is NULL or NUL-terminated (contract).
        let step: RotationStep = unsafe { arg_str(step, "step") }?.parse()?;
        // SAFETY: `roles` points to `roles_count` strings (contract).
        let roles = unsafe { arg_str_array(roles, roles_count, "roles") }?
            .into_iter()
            .map(str::parse::<CaRole>)
            .collect::<Result<Vec<_>, _>>()?;
        let report = layout.rotate(step, &roles, time_of(now_unix)?)?;
        // SAFETY: NULL or writable for one bool (contract).
        if let Some(done) = unsafe { already_done.as_mut() } {
            *done = report.already_done;
        }
        Ok(())
    })
}

/// The phase of the CA rotation in `dir` as text: `"none"` (never started),
/// `"started"`, `"reissued"`, `"finished"`.
///
/// Ownership: `dir` is only read. On success `*out` is a new buffer the caller owns
/// (`kpki_bytes_free()`); on failure it is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_ROTATION` (an unreadable
/// state file), `KPKI_IO`.
///
/// # Safety
/// `dir` is NULL or NUL-terminated; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_dir_rotation_phase(
    dir: *const c_char,
    out: *mut *mut kpki_bytes,
) -> kpki_result {
    ffi_boundary("kpki_dir_rotation_phase", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `dir` is NULL or NUL-terminated (contract).
        let dir = unsafe { arg_str(dir, "dir") }?;
        let status = KubeadmLayout::new(dir).rotation_status(SystemTime::now())?;
        set_bytes(out, status.phase.map_or("none", |p| p.name()).as_bytes());
        Ok(())
    })
}

/// `role`'s trust set in `dir` (its CA file: one CA, two during a rotation): as PEM when
/// `cluster_trust_bundle_name` is NULL, else as a `ClusterTrustBundle` object
/// (certificates.k8s.io/v1beta1) of that name, in YAML.
///
/// Ownership: the strings are only read. On success `*out` is a new buffer the caller
/// owns (`kpki_bytes_free()`); on failure it is NULL.
///
/// Errors: `KPKI_NULL_PARAMETER`, `KPKI_INVALID_UTF8`, `KPKI_UNKNOWN_CHOICE` (`role`),
/// `KPKI_NOT_FOUND` (no CA file for the role), `KPKI_INVALID_PEM`, `KPKI_IO`.
///
/// # Safety
/// `dir`, `role` are NULL or NUL-terminated; `cluster_trust_bundle_name` is NULL or
/// NUL-terminated; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_dir_trust_set(
    dir: *const c_char,
    role: *const c_char,
    cluster_trust_bundle_name: *const c_char,
    out: *mut *mut kpki_bytes,
) -> kpki_result {
    ffi_boundary("kpki_dir_trust_set", || {
        // SAFETY: `out` is NULL or writable (contract).
        let out = unsafe { arg_out(out, "out") }?;
        // SAFETY: `dir` is NULL or NUL-terminated (contract).
        let dir = unsafe { arg_str(dir, "dir") }?;
        // SAFETY: `role` is NULL or NUL-terminated (contract).
        let role: CaRole = unsafe { arg_str(role, "role") }?.parse()?;
        let certs = KubeadmLayout::new(dir).trust_set(role)?;
        let text = match cluster_trust_bundle_name.is_null() {
            true => certs.iter().map(|c| c.to_pem()).collect(),
            false => {
                // SAFETY: non-NULL and NUL-terminated (contract).
                let name = unsafe { arg_str(cluster_trust_bundle_name, "name") }?;
                cluster_trust_bundle(name, &certs)?
            }
        };
        set_bytes(out, text.as_bytes());
        Ok(())
    })
}

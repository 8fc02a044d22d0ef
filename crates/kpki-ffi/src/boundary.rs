//! The boundary: the panic guard every entry point runs under, and the checked
//! conversions from C arguments (handles, strings, buffers, out-pointers) to Rust.
//!
//! Modelled on rustls-ffi's `ffi_panic_boundary!` and `Castable` / `try_ref_from_ptr!`:
//! a handle type is an empty, opaque struct tied to the Rust type it stands for
//! ([`Castable`]), and every handle C holds is a `Box` of that Rust type.

use std::any::Any;
use std::ffi::{CStr, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use kpki_core::{CaKeyUri, KubeadmLayout};

use crate::error::{FfiError, clear_last_error, kpki_result, set_last_error};

/// Ties an opaque C handle type to the Rust value a pointer to it really points to (a
/// `Box<Self::RustType>` turned into a raw pointer by [`OutPtr::set`]).
pub(crate) trait Castable {
    /// What the handle holds.
    type RustType;
}

/// Runs `body` for the entry point `function`: clears this thread's last error, catches
/// any panic (`KPKI_PANIC`), and turns an error into its code plus the last-error
/// message.
pub(crate) fn ffi_boundary(
    function: &'static str,
    body: impl FnOnce() -> Result<(), FfiError>,
) -> kpki_result {
    clear_last_error();
    // AssertUnwindSafe: after a panic no state of the call is looked at again; the
    // handles an entry point mutates are only assigned fully built values.
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => kpki_result::KPKI_OK,
        Ok(Err(e)) => {
            set_last_error(function, &e.message);
            e.code
        }
        Err(payload) => {
            let what = panic_message(payload.as_ref());
            set_last_error(
                function,
                &format!("internal panic (a bug in kpki; please report it): {what}"),
            );
            kpki_result::KPKI_PANIC
        }
    }
}

/// Runs an infallible accessor under the panic guard; a panic yields `fallback`.
pub(crate) fn ffi_guard<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_owned()
    }
}

/// A shared reference to the value behind handle `ptr`, or a NULL-argument error naming
/// `argument`.
///
/// # Safety
/// `ptr` is NULL or a handle of type `C` created by this library, not yet freed, and not
/// being mutated for the duration of the call.
pub(crate) unsafe fn arg_ref<'a, C: Castable>(
    ptr: *const C,
    argument: &str,
) -> Result<&'a C::RustType, FfiError> {
    // SAFETY: by this function's contract a non-NULL `ptr` came from `Box::into_raw` of a
    // `C::RustType` (OutPtr::set) and is still live and not mutably aliased.
    unsafe { ptr.cast::<C::RustType>().as_ref() }.ok_or_else(|| FfiError::null(argument))
}

/// An exclusive reference to the value behind handle `ptr`, or a NULL-argument error.
///
/// # Safety
/// `ptr` is NULL or a handle of type `C` created by this library, not yet freed, and not
/// used by anything else for the duration of the call.
pub(crate) unsafe fn arg_mut<'a, C: Castable>(
    ptr: *mut C,
    argument: &str,
) -> Result<&'a mut C::RustType, FfiError> {
    // SAFETY: by this function's contract a non-NULL `ptr` came from `Box::into_raw` of a
    // `C::RustType` and nothing else accesses it during the call.
    unsafe { ptr.cast::<C::RustType>().as_mut() }.ok_or_else(|| FfiError::null(argument))
}

/// Frees a handle created by this library; NULL is a no-op.
///
/// # Safety
/// `ptr` is NULL or a handle of type `C` created by this library and not yet freed;
/// it is not used again after this call.
pub(crate) unsafe fn free_handle<C: Castable>(ptr: *mut C) {
    if !ptr.is_null() {
        // SAFETY: by this function's contract `ptr` came from `Box::into_raw` of a
        // `C::RustType` (OutPtr::set) and ownership returns to Rust here, once.
        drop(unsafe { Box::from_raw(ptr.cast::<C::RustType>()) });
    }
}

/// A NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that stays valid and unchanged
/// for the duration of the call.
pub(crate) unsafe fn arg_str<'a>(ptr: *const c_char, argument: &str) -> Result<&'a str, FfiError> {
    if ptr.is_null() {
        return Err(FfiError::null(argument));
    }
    // SAFETY: non-NULL and NUL-terminated by this function's contract.
    let c = unsafe { CStr::from_ptr(ptr) };
    c.to_str().map_err(|e| {
        FfiError::new(
            kpki_result::KPKI_INVALID_UTF8,
            format!("argument `{argument}` is not valid UTF-8: {e}"),
        )
    })
}

/// A byte-buffer argument (`ptr`, `len`). NULL is refused even when `len` is 0.
///
/// # Safety
/// `ptr` is NULL or points to `len` readable bytes that stay valid and unchanged for the
/// duration of the call.
pub(crate) unsafe fn arg_bytes<'a>(
    ptr: *const u8,
    len: usize,
    argument: &str,
) -> Result<&'a [u8], FfiError> {
    if ptr.is_null() {
        return Err(FfiError::null(argument));
    }
    // SAFETY: non-NULL and `len` readable bytes by this function's contract; u8 has no
    // alignment requirement.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// An array of `count` NUL-terminated strings. With `count` 0 the array may be NULL.
///
/// # Safety
/// If `count` > 0, `ptr` is NULL or points to `count` pointers, each NULL or a
/// NUL-terminated string, all valid for the duration of the call.
pub(crate) unsafe fn arg_str_array<'a>(
    ptr: *const *const c_char,
    count: usize,
    argument: &str,
) -> Result<Vec<&'a str>, FfiError> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if ptr.is_null() {
        return Err(FfiError::null(argument));
    }
    // SAFETY: non-NULL and `count` readable pointers by this function's contract.
    let items = unsafe { std::slice::from_raw_parts(ptr, count) };
    items
        .iter()
        .enumerate()
        .map(|(i, p)| {
            // SAFETY: each element is NULL or a NUL-terminated string (contract above).
            unsafe { arg_str(*p, &format!("{argument}[{i}]")) }
        })
        .collect()
}

/// A PEM-text argument: bytes that must be UTF-8 (PEM is ASCII).
///
/// # Safety
/// As [`arg_bytes`].
pub(crate) unsafe fn arg_pem<'a>(
    ptr: *const u8,
    len: usize,
    argument: &str,
) -> Result<&'a str, FfiError> {
    // SAFETY: forwarded contract.
    let bytes = unsafe { arg_bytes(ptr, len, argument) }?;
    Ok(kpki_core::as_text(bytes, format!("argument `{argument}`"))?)
}

/// A checked out-parameter: `*out` has been set to NULL, and [`OutPtr::set`] stores a
/// new handle in it.
pub(crate) struct OutPtr<'a, C>(&'a mut *mut C);

impl<C: Castable> OutPtr<'_, C> {
    /// Hands `value` to C as a new handle.
    pub(crate) fn set(self, value: C::RustType) {
        *self.0 = Box::into_raw(Box::new(value)).cast::<C>();
    }
}

/// Checks an out-parameter and sets `*out` to NULL, so that C sees NULL on failure.
///
/// # Safety
/// `out` is NULL or points to writable storage for one pointer, valid for the duration
/// of the call.
pub(crate) unsafe fn arg_out<'a, C: Castable>(
    out: *mut *mut C,
    argument: &str,
) -> Result<OutPtr<'a, C>, FfiError> {
    // SAFETY: non-NULL `out` is writable storage for one pointer by this function's
    // contract.
    let slot = unsafe { out.as_mut() }.ok_or_else(|| FfiError::null(argument))?;
    *slot = std::ptr::null_mut();
    Ok(OutPtr(slot))
}

/// The version of the kpki library, e.g. `"0.1.0"`, as a static NUL-terminated string.
///
/// Ownership: static; do not free it. Never returns NULL.
#[unsafe(no_mangle)]
pub extern "C" fn kpki_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0")
        .as_ptr()
        .cast::<c_char>()
}

/// TEST ONLY (built with the cargo feature `test-panic`): panics inside the library on
/// purpose, to show that a panic is caught at the boundary. Returns `KPKI_PANIC`, with
/// the panic's message in `kpki_last_error()`; the library stays usable.
///
/// Ownership: takes and returns nothing but the status.
#[cfg(feature = "test-panic")]
#[unsafe(no_mangle)]
pub extern "C" fn kpki_test_panic() -> kpki_result {
    ffi_boundary("kpki_test_panic", || {
        // An out-of-bounds index: a genuine panic from inside Rust code (black_box keeps
        // the compiler from seeing it coming).
        let empty: Vec<u8> = std::hint::black_box(Vec::new());
        let _ = empty[std::hint::black_box(1)];
        Ok(())
    })
}

/// The kubeadm directory `dir` with the token keys `ca_keys` (`ROLE=pkcs11:URI`).
///
/// # Safety
/// `dir` is NULL or NUL-terminated; `ca_keys` is NULL or points to `ca_keys_count`
/// NUL-terminated strings.
pub(crate) unsafe fn arg_layout(
    dir: *const c_char,
    ca_keys: *const *const c_char,
    ca_keys_count: usize,
) -> Result<KubeadmLayout, FfiError> {
    // SAFETY: `dir` is NULL or NUL-terminated (contract).
    let dir = unsafe { arg_str(dir, "dir") }?;
    // SAFETY: `ca_keys` points to `ca_keys_count` strings (contract).
    let keys = unsafe { arg_str_array(ca_keys, ca_keys_count, "ca_keys") }?
        .into_iter()
        .map(str::parse::<CaKeyUri>)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(KubeadmLayout::new(dir).with_ca_keys(keys))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_kpki_panic_with_its_message() {
        let r = ffi_boundary("kpki_t", || -> Result<(), FfiError> {
            panic!("deliberate");
        });
        assert_eq!(r, kpki_result::KPKI_PANIC);
        // SAFETY: kpki_last_error never returns NULL.
        let msg = unsafe { CStr::from_ptr(crate::error::kpki_last_error()) };
        assert!(msg.to_str().unwrap().contains("deliberate"), "{msg:?}");
    }

    #[test]
    fn null_arguments_are_named() {
        // SAFETY: NULL is allowed by arg_str's contract.
        let e = unsafe { arg_str(std::ptr::null(), "node_name") }.unwrap_err();
        assert_eq!(e.code, kpki_result::KPKI_NULL_PARAMETER);
        assert_eq!(e.message, "argument `node_name` is NULL");
    }
}

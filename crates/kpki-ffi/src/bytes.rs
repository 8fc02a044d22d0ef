//! `kpki_bytes`: an owned byte buffer handed to C (PEM, DER).

use zeroize::Zeroizing;

use crate::boundary::{Castable, OutPtr, ffi_guard, free_handle};

/// An owned byte buffer returned by kpki (PEM text, DER). Read it with
/// `kpki_bytes_data()` and `kpki_bytes_len()`; release it with `kpki_bytes_free()`.
/// The contents are followed by a NUL byte that `kpki_bytes_len()` does not count, so
/// PEM text can be used directly as a C string. The memory is wiped when freed (private
/// keys pass through these buffers).
pub struct kpki_bytes {
    _private: [u8; 0],
}

/// What a `kpki_bytes` holds: the contents plus one trailing NUL.
pub(crate) struct Bytes(Zeroizing<Vec<u8>>);

impl Castable for kpki_bytes {
    type RustType = Bytes;
}

impl Bytes {
    /// A buffer of a copy of `contents` (+ NUL), allocated once so no unwiped copy of
    /// it is left behind by a reallocation.
    pub(crate) fn copy_of(contents: &[u8]) -> Bytes {
        let mut v = Vec::with_capacity(contents.len() + 1);
        v.extend_from_slice(contents);
        v.push(0);
        Bytes(Zeroizing::new(v))
    }

    fn contents(&self) -> &[u8] {
        self.0.split_last().map_or(&[], |(_, rest)| rest)
    }
}

/// Hands a copy of `contents` to C through `out`.
pub(crate) fn set_bytes(out: OutPtr<'_, kpki_bytes>, contents: &[u8]) {
    out.set(Bytes::copy_of(contents));
}

/// A pointer to the buffer's `kpki_bytes_len()` bytes, followed by a NUL byte.
///
/// Ownership: borrowed from `bytes`; valid until `kpki_bytes_free(bytes)`. Returns NULL
/// when `bytes` is NULL.
///
/// # Safety
/// `bytes` is NULL or a live `kpki_bytes` from this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_bytes_data(bytes: *const kpki_bytes) -> *const u8 {
    ffi_guard(std::ptr::null(), || {
        // SAFETY: NULL or a live kpki_bytes by this function's contract.
        match unsafe { crate::boundary::arg_ref(bytes, "bytes") } {
            Ok(b) => b.0.as_ptr(),
            Err(_) => std::ptr::null(),
        }
    })
}

/// The number of bytes in the buffer (not counting the trailing NUL); 0 when `bytes`
/// is NULL.
///
/// Ownership: `bytes` is only read.
///
/// # Safety
/// `bytes` is NULL or a live `kpki_bytes` from this library.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_bytes_len(bytes: *const kpki_bytes) -> usize {
    ffi_guard(0, || {
        // SAFETY: NULL or a live kpki_bytes by this function's contract.
        match unsafe { crate::boundary::arg_ref(bytes, "bytes") } {
            Ok(b) => b.contents().len(),
            Err(_) => 0,
        }
    })
}

/// Wipes and frees a buffer. NULL is a no-op.
///
/// Ownership: takes `bytes` back; it must not be used afterwards.
///
/// # Safety
/// `bytes` is NULL or a `kpki_bytes` from this library not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn kpki_bytes_free(bytes: *mut kpki_bytes) {
    ffi_guard((), || {
        // SAFETY: NULL or an unfreed kpki_bytes, never used again (contract).
        unsafe { free_handle(bytes) }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contents_exclude_the_trailing_nul() {
        let b = Bytes::copy_of(b"PEM");
        assert_eq!(b.contents(), b"PEM");
        assert_eq!(b.0.as_slice(), b"PEM\0");
        assert_eq!(Bytes::copy_of(b"").contents(), b"");
    }
}

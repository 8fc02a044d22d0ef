//! # kpki for C
//!
//! A C ABI over `kpki-core`, in the conventions of rustls-ffi: every exported name starts
//! with `kpki_`; Rust values cross the boundary only as opaque handles (`kpki_ca`,
//! `kpki_private_key`, ...) that C creates with a `_new`/`_generate`/`_from_*` function
//! and releases with the matching `_free`; every fallible function returns a
//! [`kpki_result`] and leaves a message for [`kpki_last_error`]; owned byte buffers come
//! back as `kpki_bytes` with `kpki_bytes_free`; every pointer is checked for NULL; and no
//! panic crosses the boundary (each entry point runs under `catch_unwind`, a panic comes
//! back as `KPKI_PANIC`).
//!
//! The skin translates and nothing else: strings become core types through the core's
//! own parsers (`FromStr`, `SubjectAltNames::parse`, ...), `kpki_core::Error` becomes a
//! code plus its message. The only state outside the handles is the thread-local last
//! error message.
//!
//! The header `include/kpki.h` is generated from this crate by cbindgen
//! (`tests/header.rs` fails when the committed header is stale; `KPKI_BLESS=1` rewrites
//! it). `SAFETY.md` lists the invariants the unsafe code relies on.
#![allow(
    unsafe_code,
    reason = "a C ABI is raw pointers in and out; each unsafe block states its invariant (SAFETY.md)"
)]
#![allow(
    non_camel_case_types,
    reason = "the C names of the handle types (kpki_ca, ...) are the Rust names cbindgen exports"
)]
#![warn(missing_docs, unreachable_pub)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

// Declaration order is the order of the header (cbindgen follows it); blank lines keep
// rustfmt from sorting the modules.
mod error;

mod boundary;

mod bytes;

mod key;

mod identity;

mod certificate;

mod ca;

mod cluster;

mod csr;

mod lifecycle;

mod tls;

pub use boundary::*;
pub use bytes::*;
pub use ca::*;
pub use certificate::*;
pub use cluster::*;
pub use csr::*;
pub use error::*;
pub use identity::*;
pub use key::*;
pub use lifecycle::*;
pub use tls::*;

// SAFETY.md invariant 6, checked by the compiler: what const handles point to may be
// shared between threads, and every handle may be freed on another thread.
const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<kpki_core::CertificateAuthority>();
    shareable::<kpki_core::Certificate>();
    shareable::<kpki_core::PrivateKey>();
    shareable::<kpki_core::Identity>();
    shareable::<kpki_core::LeafRequest>();
    shareable::<kpki_core::Csr>();
    shareable::<crate::cluster::Spec>();
    shareable::<kpki_core::ClusterPki>();
    shareable::<crate::bytes::Bytes>();
};

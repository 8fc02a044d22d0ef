//! `Kubeconfig::from_yaml`, then the accessors for the embedded credentials.
//!
//! Invariant: what `from_yaml` reads, `to_yaml` writes back and `from_yaml` reads as the
//! same value (a kubeconfig kpki rewrites on renewal loses nothing).
#![no_main]

use kpki_core::Kubeconfig;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(k) = Kubeconfig::from_yaml(text, "fuzz.conf") else {
        return;
    };
    let _ = k.current();
    let _ = k.client_certificate();
    let _ = k.client_key();
    let _ = format!("{k:?}");
    let yaml = match k.to_yaml() {
        Ok(y) => y,
        Err(e) => panic!("a kubeconfig that was read cannot be written: {e}"),
    };
    let back = match Kubeconfig::from_yaml(&yaml, "rewritten.conf") {
        Ok(b) => b,
        Err(e) => panic!("kpki cannot read the kubeconfig it wrote: {e}\n{}", *yaml),
    };
    assert_eq!(back, k, "kubeconfig changed in a write/read round trip");
});

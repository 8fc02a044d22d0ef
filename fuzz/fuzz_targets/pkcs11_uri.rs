//! `Pkcs11Uri::parse` and `CaKeyUri::from_str` (`kpki init --ca-key ROLE=URI`).
//!
//! Invariants: no panic; a parsed URI's Display parses back to the same Display; and
//! nothing printed depends on the PIN: the input with its `pin-value` swapped for
//! another gives the same Display, Debug and error message (when the PIN itself is
//! malformed, the message at least does not contain it).
#![no_main]

use kpki_core::{CaKeyUri, Pkcs11Uri};
use libfuzzer_sys::fuzz_target;

/// The input's first `pin-value` and the input with that value replaced by `0000`.
/// A PIN whose text also appears elsewhere in the input is not looked for (another
/// attribute may be echoed in a message).
fn swap_pin(text: &str) -> Option<(String, String)> {
    let (head, query) = text.split_once('?')?;
    let mut pin = None;
    let attrs: Vec<String> = query
        .split('&')
        .map(|a| match a.strip_prefix("pin-value=") {
            Some(v) if pin.is_none() => {
                pin = Some(v.to_owned());
                "pin-value=0000".to_owned()
            }
            _ => a.to_owned(),
        })
        .collect();
    let pin = pin?;
    let swapped = format!("{head}?{}", attrs.join("&"));
    let pin = if swapped.contains(&pin) {
        String::new()
    } else {
        pin
    };
    Some((pin, swapped))
}

fn same_output<T, E: std::fmt::Display>(
    a: &Result<T, E>,
    b: &Result<T, E>,
    show: impl Fn(&T) -> String,
    pin: &str,
) {
    match (a, b) {
        (Ok(x), Ok(y)) => assert_eq!(show(x), show(y), "the PIN changed the output"),
        (Err(x), Err(y)) if x.to_string() != y.to_string() => {
            assert!(pin.len() < 4 || !x.to_string().contains(pin), "{x}");
        }
        (Err(x), Ok(_)) => assert!(pin.len() < 4 || !x.to_string().contains(pin), "{x}"),
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = Pkcs11Uri::parse(text);
    if let Ok(uri) = &parsed {
        let shown = uri.to_string();
        let again = Pkcs11Uri::parse(&shown).expect("Display output parses");
        assert_eq!(again.to_string(), shown);
    }
    let key = text.parse::<CaKeyUri>();
    if let Some((pin, swapped)) = swap_pin(text) {
        let show = |u: &Pkcs11Uri| format!("{u} {u:?}");
        same_output(&parsed, &Pkcs11Uri::parse(&swapped), show, &pin);
        let show = |k: &CaKeyUri| format!("{k:?}");
        same_output(&key, &swapped.parse::<CaKeyUri>(), show, &pin);
    }
});

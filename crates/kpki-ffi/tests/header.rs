//! The committed header `include/kpki.h` is what cbindgen generates from the source now.
//! After an API change, regenerate it with `KPKI_BLESS=1 cargo test -p kpki-ffi --test header`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

/// The header as cbindgen generates it from the source now.
fn generate() -> String {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).unwrap();
    let bindings = cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen could not generate the header");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    String::from_utf8(generated).unwrap()
}

#[test]
fn committed_header_matches_cbindgen_output() {
    let generated = generate();
    let header = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/kpki.h");
    if std::env::var("KPKI_BLESS").as_deref() == Ok("1") {
        std::fs::write(&header, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&header).unwrap_or_default();
    if committed != generated {
        let first_difference = committed
            .lines()
            .zip(generated.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .map_or_else(
                || "one is a prefix of the other".to_owned(),
                |(i, (a, b))| format!("line {}: committed {a:?}, generated {b:?}", i + 1),
            );
        panic!(
            "{} is stale ({first_difference}); regenerate it with \
             `KPKI_BLESS=1 cargo test -p kpki-ffi --test header` and commit it",
            header.display()
        );
    }
}

#[test]
fn header_declares_the_contract_every_entry_point_shares() {
    let header = generate();
    for needle in [
        "KPKI_OK = 0",
        "KPKI_PANIC = 3",
        "const char *kpki_last_error(void);",
        "typedef struct kpki_ca kpki_ca;",
        "void kpki_bytes_free(kpki_bytes *bytes);",
        "#if defined(KPKI_TEST_PANIC)",
    ] {
        assert!(header.contains(needle), "kpki.h lacks {needle:?}");
    }
    // Every exported function is declared right after a doc comment that says who owns
    // what ("Ownership: ...").
    let mut documented = 0;
    for chunk in header.split("/**").skip(1) {
        let (doc, after) = chunk.split_once("*/").expect("unterminated doc comment");
        let declaration = after.split(';').next().unwrap_or_default();
        if declaration.contains("kpki_") && declaration.contains('(') {
            documented += 1;
            assert!(
                doc.contains("Ownership"),
                "no ownership documented for {}",
                declaration.trim()
            );
        }
    }
    // Declarations start at the beginning of a line: `kpki_result kpki_x(`, `void
    // kpki_x(`, `const char *kpki_x(`, `size_t kpki_x(`, ...
    let declared = header
        .lines()
        .filter(|l| !l.starts_with([' ', '#', '*', '/']) && l.contains('('))
        .filter(|l| l.contains(" kpki_") || l.contains("*kpki_"))
        .count();
    assert!(documented >= 60, "only {documented} documented functions");
    assert_eq!(documented, declared, "a declaration lacks its doc comment");
}

//! PEM in and out (one place, so every reader reports errors the same way).

use crate::error::{Error, Result};

/// Encodes one PEM block with LF line endings and 64-column lines.
pub(crate) fn encode(label: &str, der: &[u8]) -> String {
    let block = pem::Pem::new(label, der.to_vec());
    pem::encode_config(
        &block,
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    )
}

/// All PEM blocks in `text` (text outside blocks is ignored, as Go and openssl do).
pub(crate) fn decode_all(text: &str, what: &str) -> Result<Vec<pem::Pem>> {
    let blocks = pem::parse_many(text).map_err(|e| Error::InvalidPem {
        what: what.to_owned(),
        reason: e.to_string(),
    })?;
    if blocks.is_empty() {
        return Err(Error::InvalidPem {
            what: what.to_owned(),
            reason: "no PEM block found".into(),
        });
    }
    Ok(blocks)
}

/// The first block whose label is one of `labels`, as (label, DER).
pub(crate) fn decode_first(text: &str, labels: &[&str], what: &str) -> Result<(String, Vec<u8>)> {
    let blocks = decode_all(text, what)?;
    let found: Vec<String> = blocks.iter().map(|b| b.tag().to_owned()).collect();
    blocks
        .into_iter()
        .find(|b| labels.contains(&b.tag()))
        .map(|b| (b.tag().to_owned(), b.into_contents()))
        .ok_or_else(|| Error::InvalidPem {
            what: what.to_owned(),
            reason: format!(
                "expected a {} block, found {}",
                labels.join(" or "),
                found.join(", ")
            ),
        })
}

/// The DER of the first block labelled one of `labels`.
pub(crate) fn decode_one(text: &str, labels: &[&str], what: &str) -> Result<Vec<u8>> {
    decode_first(text, labels, what).map(|(_, der)| der)
}

//! PEM in and out, and the one rule for "PEM or DER" input (certificates, CSRs, keys):
//! text whose first non-blank bytes are `-----BEGIN` is PEM, anything else is DER.

use crate::error::{Error, Origin, PemProblem, Result};

/// Encodes one PEM block with LF line endings and 64-column lines.
pub(crate) fn encode(label: &str, der: &[u8]) -> String {
    let block = pem::Pem::new(label, der.to_vec());
    pem::encode_config(
        &block,
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    )
}

/// All PEM blocks in `text` (text outside blocks is ignored, as Go and openssl do).
pub(crate) fn decode_all(text: &str, what: &Origin) -> Result<Vec<pem::Pem>> {
    let blocks = pem::parse_many(text).map_err(|e| Error::InvalidPem {
        what: what.clone(),
        problem: PemProblem::Syntax {
            detail: e.to_string(),
        },
    })?;
    if blocks.is_empty() {
        return Err(Error::InvalidPem {
            what: what.clone(),
            problem: PemProblem::NoBlock,
        });
    }
    Ok(blocks)
}

/// The first block whose label is one of `labels`, as (label, DER).
pub(crate) fn decode_first(
    text: &str,
    labels: &'static [&'static str],
    what: &Origin,
) -> Result<(String, Vec<u8>)> {
    let blocks = decode_all(text, what)?;
    let found: Vec<String> = blocks.iter().map(|b| b.tag().to_owned()).collect();
    blocks
        .into_iter()
        .find(|b| labels.contains(&b.tag()))
        .map(|b| (b.tag().to_owned(), b.into_contents()))
        .ok_or_else(|| Error::InvalidPem {
            what: what.clone(),
            problem: PemProblem::WrongLabel {
                expected: labels,
                found,
            },
        })
}

/// The DER of the first block labelled one of `labels`.
pub(crate) fn decode_one(
    text: &str,
    labels: &'static [&'static str],
    what: &Origin,
) -> Result<Vec<u8>> {
    decode_first(text, labels, what).map(|(_, der)| der)
}

/// PEM text or DER bytes, told apart by the one rule above.
pub(crate) enum Encoded<'a> {
    /// PEM text.
    Pem(&'a str),
    /// DER bytes.
    Der(&'a [u8]),
}

/// Whether `bytes` are PEM (`-----BEGIN` after leading white space) or DER (a DER
/// SEQUENCE, as every certificate, request and key is). PEM that is not UTF-8, and
/// bytes that are neither, are refused here, naming `what` and the PEM `label` expected.
pub(crate) fn detect<'a>(
    bytes: &'a [u8],
    what: &Origin,
    label: &'static str,
) -> Result<Encoded<'a>> {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    if bytes[start..].starts_with(b"-----BEGIN") {
        return std::str::from_utf8(bytes)
            .map(Encoded::Pem)
            .map_err(|_| Error::InvalidPem {
                what: what.clone(),
                problem: PemProblem::NotText,
            });
    }
    if bytes.first() != Some(&0x30) {
        return Err(Error::InvalidPem {
            what: what.clone(),
            problem: PemProblem::NeitherPemNorDer { label },
        });
    }
    Ok(Encoded::Der(bytes))
}

/// Text of a file or buffer that must be PEM (or other) text.
pub(crate) fn text<'a>(bytes: &'a [u8], what: &Origin) -> Result<&'a str> {
    as_text(bytes, what.clone())
}

/// `bytes` as text (PEM, YAML and JSON are text), or an [`Error::InvalidPem`] naming
/// `what` when they are not UTF-8.
pub fn as_text(bytes: &[u8], what: impl Into<Origin>) -> Result<&str> {
    std::str::from_utf8(bytes).map_err(|_| Error::InvalidPem {
        what: what.into(),
        problem: PemProblem::NotText,
    })
}

/// A short description of an X.509/PKCS#10 DER parse failure — what went wrong, in
/// words, never the parser's debug output.
pub(crate) fn der_problem(e: &x509_parser::nom::Err<x509_parser::error::X509Error>) -> String {
    use x509_parser::der_parser::error::BerError;
    use x509_parser::error::X509Error;
    use x509_parser::nom::Err;
    let inner = match e {
        Err::Incomplete(_) => return "the data ends too early (truncated)".into(),
        Err::Error(inner) | Err::Failure(inner) => inner,
    };
    match inner {
        X509Error::Der(ber) => match ber {
            BerError::UnexpectedTag { .. } | BerError::InvalidTag | BerError::UnknownTag(_) => {
                "an unexpected ASN.1 tag (not this kind of DER structure)".into()
            }
            BerError::InvalidLength | BerError::Incomplete(_) => {
                "a length that does not fit the data (truncated or corrupted)".into()
            }
            BerError::IndefiniteLengthUnexpected | BerError::DerConstraintFailed(_) => {
                "BER where DER is required".into()
            }
            BerError::InvalidDateTime => "an invalid time".into(),
            BerError::StringInvalidCharset => "a string with characters its type forbids".into(),
            _ => "malformed DER".into(),
        },
        X509Error::NomError(_) | X509Error::Generic => "malformed DER".into(),
        // X509Error's own messages are plain words ("invalid X.509 name").
        other => other.to_string(),
    }
}

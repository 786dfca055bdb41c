//! Stage 1: raw RFC 5322 bytes → [`ParsedMail`], with mail-parser.
use crate::model::ParsedMail;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("empty input")]
    Empty,
    #[error("not an email: {0}")]
    NotAMail(String),
}

/// Parse raw bytes. Lenient with broken MIME (mail-parser recovers what it can); errors only
/// when there is no mail at all.
pub fn parse(raw: &[u8]) -> Result<ParsedMail, ParseError> {
    let _ = raw;
    todo!("parse")
}

/// Lower-case hex SHA-256: the identity of a stored raw mail.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        use std::fmt::Write;
        let _ = write!(s, "{b:02x}");
    }
    s
}

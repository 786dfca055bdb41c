//! Stage 6: rebuild the earlier mails of a conversation from a mail's quoted history, so a group
//! cc'd midway still sees the whole thread ("reconstructed from quotes").
use crate::model::QuotedMail;

/// Earlier mails found in `quoted` (the `CleanBody::quoted` part), oldest first. Each needs an
/// attribution we can read (author at least); blocks without one are left in the quote.
pub fn reconstruct(quoted: &str) -> Vec<QuotedMail> {
    let _ = quoted;
    todo!("reconstruct")
}

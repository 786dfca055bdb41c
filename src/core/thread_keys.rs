//! Stage 4: the keys a mail can be threaded by, and the rule that picks a thread among
//! candidates. References / In-Reply-To first, then Outlook's Thread-Index, then the normalised
//! subject within a time window in the same group.
use crate::model::ParsedMail;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ThreadKeys {
    /// Message-IDs this mail answers, nearest first (In-Reply-To, then References newest→oldest).
    pub parents: Vec<String>,
    /// Root of Outlook's Thread-Index (its first 22 bytes, base64) when present.
    pub thread_index_root: Option<String>,
    /// Normalised subject for matching: reply/forward prefixes (Re, Fwd, AW, WG, SV, VS, RE[2], …)
    /// and list tags stripped, whitespace folded, lower-cased.
    pub subject_key: String,
    /// True when the subject carried a reply/forward prefix or the mail has parents: only such
    /// mails may join a thread by subject alone.
    pub looks_like_reply: bool,
}

/// Subject for display: prefixes and list tags removed, original case kept.
pub fn clean_subject(subject: &str) -> String {
    let _ = subject;
    todo!("clean_subject")
}

pub fn thread_keys(mail: &ParsedMail) -> ThreadKeys {
    let _ = mail;
    todo!("thread_keys")
}

//! Stage 2: is this mail something a person wrote to the group? Auto-replies, bounces and
//! outloud's own mail (loops) are skipped with a recorded reason.
use crate::model::{ParsedMail, SkipReason};

/// Addresses outloud itself sends from, and the marker header value it stamps on its own mail.
#[derive(Debug, Clone, Default)]
pub struct OwnIdentity {
    pub addresses: Vec<String>,
    pub loop_marker: String,
}

/// `Some((reason, detail))` when the mail must not be published. `detail` says which signal fired.
pub fn classify(mail: &ParsedMail, own: &OwnIdentity) -> Option<(SkipReason, String)> {
    let _ = (mail, own);
    todo!("classify")
}

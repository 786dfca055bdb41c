//! Stage 3: which groups does this mail reach, and how (To, Cc, or Bcc via the envelope)?
use crate::model::{GroupEntry, ParsedMail, Route};

/// Address → group lookup, case-insensitive, understanding plus-addressing (`eng+x@corp`).
#[derive(Debug, Clone, Default)]
pub struct GroupDirectory {
    groups: Vec<GroupEntry>,
}

impl GroupDirectory {
    pub fn new(groups: Vec<GroupEntry>) -> Self {
        GroupDirectory { groups }
    }
    pub fn groups(&self) -> &[GroupEntry] {
        &self.groups
    }
    pub fn by_slug(&self, slug: &str) -> Option<&GroupEntry> {
        self.groups.iter().find(|g| g.slug == slug)
    }
    /// The group an address publishes into, if any.
    pub fn lookup(&self, email: &str) -> Option<&GroupEntry> {
        let _ = email;
        todo!("lookup")
    }
}

/// Every group reached, each once, To before Cc before Bcc.
pub fn route(mail: &ParsedMail, dir: &GroupDirectory) -> Vec<Route> {
    let _ = (mail, dir);
    todo!("route")
}

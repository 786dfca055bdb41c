//! `[policy]`: who may publish and what is held (docs/POLICY.md). Read into the pure core's
//! [`PolicyConfig`] by [`Config::policy`].

use super::keys::{choice, settings};
use super::Config;
use crate::core::policy::{HeaderPattern, Outsiders, PolicyConfig, Unauthenticated};

choice!(Unauthenticated {
    "trust" => Unauthenticated::Trust,
    "hold" => Unauthenticated::Hold,
});

choice!(Outsiders {
    "hold" => Outsiders::Hold,
    "mask" => Outsiders::Mask,
    "allow" => Outsiders::Allow,
});

settings! {
    section
    #[derive(Debug, Clone, PartialEq)]
    pub struct PolicySection {
        /// Hold mail the rules hold. Off: everything is published (the audit log still says
        /// which rule would have held it).
        enabled: bool = true,
        /// authserv-ids (the first word of `Authentication-Results`) of the servers whose
        /// results are believed: your border MX (Postfix with OpenDKIM/OpenDMARC: its
        /// `AuthservID`), `mx.google.com` for Google Workspace. Every other copy is ignored.
        trusted_authserv_ids: Vec<String> = Vec::new(),
        /// Believe the topmost `Authentication-Results` that has no authserv-id: Exchange
        /// Online writes its own that way. Only for a mailbox in Microsoft 365.
        trust_unnamed_results: bool = false,
        /// Domains whose people may publish (subdomains included). Default: the domains of the
        /// group addresses and of `[identity] addresses`.
        allowed_domains: Vec<String> = Vec::new(),
        /// Mail from an allowed domain with no trusted results at all (internal mail that never
        /// crossed the border): "trust" or "hold".
        unauthenticated: Unauthenticated = Unauthenticated::Trust,
        /// Microsoft Purview sensitivity label GUIDs to hold (the `MSIP_Label_<GUID>_…` keys of
        /// `msip_labels`). Labels that encrypt are held anyway.
        blocked_labels: Vec<String> = Vec::new(),
        /// Subject tags that hold, matched anywhere in the subject, case-insensitively.
        subject_tags: Vec<String> = vec!["[confidential]".into(), "[private]".into()],
        /// `Header-Name: regex` pairs: hold when such a header's value matches.
        header_patterns: Vec<String> = Vec::new(),
        /// Hold a mail that reaches a group only by Bcc (the group in no To or Cc).
        hold_bcc_only: bool = true,
        /// Participants (From, To, Cc) outside the allowed domains: "hold", "mask" (publish with
        /// their addresses masked) or "allow".
        outsiders: Outsiders = Outsiders::Hold,
        /// Hold a sender's first post in each group for a moderator.
        hold_first_post: bool = false,
        /// Days the raw mail of a retracted post is kept (for an admin to look into it) before
        /// `outloud retract --purge` deletes it; 0 deletes it at the next purge.
        retracted_raw_days: i64 = 30,
    }
}

/// A Purview label id: a GUID (8-4-4-4-12 hex digits).
pub(super) fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

impl Config {
    /// The policy the core applies. Patterns were checked by `validate`; one that does not
    /// compile here is skipped (never reached through [`Config::load`]). Allowed domains stay
    /// empty unless configured: see [`crate::ingest::default_allowed_domains`].
    pub fn policy(&self) -> PolicyConfig {
        let p = &self.policy;
        let lower = |v: &[String]| -> Vec<String> {
            v.iter()
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect()
        };
        // Empty: the ingest layer fills in the domains of the groups it routes to (stored ones
        // too, not just those declared here) and of [identity] addresses.
        let allowed = lower(&p.allowed_domains);
        PolicyConfig {
            enabled: p.enabled,
            trusted_authserv_ids: lower(&p.trusted_authserv_ids),
            trust_unnamed_results: p.trust_unnamed_results,
            allowed_domains: allowed,
            unauthenticated: p.unauthenticated,
            blocked_labels: lower(&p.blocked_labels),
            subject_tags: p.subject_tags.clone(),
            header_patterns: p
                .header_patterns
                .iter()
                .filter_map(|s| HeaderPattern::parse(s).ok())
                .collect(),
            hold_bcc_only: p.hold_bcc_only,
            retracted_raw_days: Some(p.retracted_raw_days),
            outsiders: p.outsiders,
            hold_first_post: p.hold_first_post,
            undo_windows: (self.groups.iter())
                .filter(|g| g.undo_minutes > 0)
                .map(|g| {
                    let secs = i64::try_from(g.undo_minutes.saturating_mul(60)).unwrap_or(i64::MAX);
                    (g.slug.to_string(), secs)
                })
                .collect(),
        }
    }
}

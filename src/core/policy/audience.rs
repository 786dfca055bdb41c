//! Who the mail went to: a group reached only by Bcc was not meant to be seen by the group's
//! readers (the people in To and Cc did not see the group either); participants outside the
//! allowed domains did not agree to be published on the company's network.
//!
//! How routing knows a Bcc: the group address is in no To or Cc, only in the envelope, which
//! the delivering server records as `Delivered-To` (Postfix, Gmail), `X-Original-To`
//! (Postfix's local delivery) or `Envelope-To` (Exim) — see [`crate::core::route`].

use super::{allowed_root, domain_of, Decision, Outsiders, PolicyConfig, Rule};
use crate::model::{ParsedMail, Route, Via};

/// `Ok(addresses to mask)` or the hold.
pub fn check(
    mail: &ParsedMail,
    routes: &[Route],
    cfg: &PolicyConfig,
) -> Result<Vec<String>, Decision> {
    if cfg.hold_bcc_only {
        if let Some(r) = routes.iter().find(|r| r.via == Via::Bcc) {
            return Err(Decision::hold(
                Rule::BccOnly,
                format!("group {} was reached only by Bcc (not in To or Cc)", r.slug),
            ));
        }
    }
    let mut outside: Vec<String> = Vec::new();
    let people = mail.from.iter().chain(&mail.to).chain(&mail.cc);
    for a in people {
        let inside = domain_of(&a.email).is_some_and(|d| allowed_root(d, cfg).is_some());
        if !inside && !outside.contains(&a.email) {
            outside.push(a.email.clone());
        }
    }
    if outside.is_empty() {
        return Ok(outside);
    }
    match cfg.outsiders {
        Outsiders::Allow => Ok(Vec::new()),
        Outsiders::Mask => Ok(outside),
        Outsiders::Hold => Err(Decision::hold(
            Rule::Outsiders,
            format!(
                "participants outside the allowed domains: {}",
                outside.join(", ")
            ),
        )),
    }
}

//! `outloud check`: every stored raw mail is accounted for — a published message in each group
//! it is routed to, or a recorded skip — so no mail can vanish without a trace. Each raw mail
//! goes through the pure pipeline again (parse, classify, route) and is compared with what the
//! store holds. The property tests run the same check after every batch.

use std::sync::Arc;

use serde::Serialize;

use crate::core::pipeline::{process, Options, Outcome};
use crate::core::plan::HeldState;
use crate::core::route::GroupDirectory;
use crate::store::{RawAccount, Store, StoreError};

/// Raw mails read per page.
const PAGE: i64 = 500;

/// One stored mail that is not accounted for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub source: String,
    pub sha256: String,
    pub message_id: String,
    pub what: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckReport {
    pub checked: u64,
    pub problems: Vec<Problem>,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("checking thread failed: {0}")]
    Worker(String),
}

/// Check every stored raw mail against the groups and pipeline options given.
pub async fn check(store: &dyn Store, opts: &Options) -> Result<CheckReport, CheckError> {
    let dir = Arc::new(GroupDirectory::new(store.groups().await?));
    let mut opts = opts.clone();
    if opts.policy.allowed_domains.is_empty() {
        opts.policy.allowed_domains = crate::ingest::default_allowed_domains(&dir, &opts.own);
    }
    let opts = &opts;
    let mut report = CheckReport::default();
    let mut after = 0;
    loop {
        let page = store.raw_accounts(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.raw.seq;
        report.checked += page.len() as u64;
        let (dir, opts) = (dir.clone(), opts.clone());
        let problems = tokio::task::spawn_blocking(move || {
            page.iter()
                .filter_map(|acc| problem(acc, &dir, &opts))
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| CheckError::Worker(e.to_string()))?;
        report.problems.extend(problems);
    }
    Ok(report)
}

/// What is wrong with one stored mail, if anything.
pub fn problem(acc: &RawAccount, dir: &GroupDirectory, opts: &Options) -> Option<Problem> {
    let opts = Options {
        force_groups: acc.raw.force_groups.clone(),
        from_web: (acc.raw.source).starts_with(crate::core::pipeline::WEB_SOURCE),
        ..opts.clone()
    };
    let what = match process(&acc.raw.bytes, dir, &opts) {
        Ok(_) if acc.retracted && acc.filed_in.is_empty() => None,
        Ok(_) if acc.retracted => Some("retracted but still filed: retract it again".to_string()),
        Err(e) => Some(format!("stored mail no longer parses: {e}")),
        Ok(Outcome::Skip { rule, .. }) => match acc.skipped {
            Some(_) => None,
            None if !acc.filed_in.is_empty() => None,
            None => Some(format!(
                "neither published nor recorded as skipped (the pipeline says: {})",
                rule.label()
            )),
        },
        // A RETRACT reply is a command, never a post (refused ones are in the held queue).
        Ok(Outcome::Publish(p))
            if (p.retract.is_some() || !p.cancel.is_empty()) && acc.filed_in.is_empty() =>
        {
            None
        }
        // Held, rejected, waiting out an undo window or cancelled: accounted for in the
        // moderation queue.
        Ok(Outcome::Publish(_))
            if matches!(
                acc.held,
                Some(
                    HeldState::Held
                        | HeldState::Rejected
                        | HeldState::Pending
                        | HeldState::Cancelled
                )
            ) && acc.filed_in.is_empty() =>
        {
            None
        }
        Ok(Outcome::Publish(p))
            if p.decision.is_hold() && acc.held.is_none() && acc.filed_in.is_empty() =>
        {
            Some(format!(
            "policy holds it ({}) but it is not in the moderation queue: run `outloud reprocess`",
            p.decision.rule.as_str()
            ))
        }
        Ok(Outcome::Publish(p)) => {
            let missing: Vec<&str> = (p.routes.iter())
                .filter(|r| !acc.filed_in.contains(&r.group_id))
                .map(|r| r.slug.as_str())
                .collect();
            match (missing.is_empty(), acc.skipped) {
                (true, _) => None,
                (false, Some(reason)) if acc.filed_in.is_empty() => Some(format!(
                    "recorded as skipped ({}) but the pipeline now publishes it to {}: \
                     run `outloud reprocess` after a rule change",
                    reason.as_str(),
                    missing.join(", ")
                )),
                (false, _) => Some(format!(
                    "no published message in group(s) {} it is routed to",
                    missing.join(", ")
                )),
            }
        }
    };
    what.map(|what| Problem {
        source: acc.raw.source.clone(),
        sha256: acc.raw.sha256.clone(),
        message_id: acc.message_id.clone(),
        what,
    })
}

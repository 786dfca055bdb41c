//! One digest round: read the period's candidates and everyone's facts, decide and render each
//! person's digest with the pure core, and record each decision — a sent digest with its
//! outbox mail in the same transaction, under the (person, period) unique key.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use serde::Serialize;

use crate::core::compose::{outgoing_with, ComposeError, Draft, Extras, Sender};
use crate::core::digest::render::{render, ItemLinks, RenderContext, RenderError};
use crate::core::digest::schedule::Schedule;
use crate::core::digest::{select, Candidate, Decision, Period, Recipient, Rules, Selection};
use crate::store::digest::NewDigest;
use crate::store::{Store, StoreError};

use super::recipients::recipients;
use crate::core::digest::links::{click_url, list_unsubscribe, reply_address, unsubscribe_url};

/// Everything a round needs besides the store and the clock.
#[derive(Debug, Clone)]
pub struct DigestSettings {
    pub schedule: Schedule,
    pub rules: Rules,
    pub sender: Sender,
    /// Links point here (no trailing slash).
    pub base_url: String,
    pub site_name: String,
    pub operator: String,
    /// Addresses never sent a digest (outloud's own).
    pub exclude: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("composing the digest to {to}: {source}")]
    Compose { to: String, source: ComposeError },
}

/// What a round did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct RoundReport {
    pub period_start: i64,
    pub period_end: i64,
    /// Digests queued in the outbox (or that would be, in a dry run).
    pub queued: u64,
    /// Decided in an earlier run of this round: left alone.
    pub already: u64,
    /// Skips by reason.
    pub skipped: BTreeMap<String, u64>,
}

/// How a round runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct RoundOptions {
    /// Decide and render, record nothing.
    pub dry_run: bool,
}

/// Digests recorded per transaction: small enough to keep a write lock briefly, large enough
/// that 10,000 recipients are a few dozen commits.
const BATCH: usize = 250;

/// One round for `period`, decided at `now`.
pub async fn run_round(
    store: &Arc<dyn Store>,
    s: &DigestSettings,
    period: Period,
    now: i64,
    opts: RoundOptions,
) -> Result<RoundReport, DigestError> {
    let mut report = RoundReport {
        period_start: period.start,
        period_end: period.end,
        ..RoundReport::default()
    };
    if !opts.dry_run {
        store.digest_round(period, now, false).await?;
    }
    let (people, candidates, addresses) = load(store, s, period).await?;
    let decided: HashSet<String> = store
        .digest_decided(period.start)
        .await?
        .into_iter()
        .collect();
    let inputs = Arc::new(RoundInputs {
        s: s.clone(),
        people,
        candidates,
        addresses,
        decided,
    });
    let mut batch: Vec<NewDigest> = Vec::with_capacity(BATCH);
    for start in (0..inputs.people.len()).step_by(BATCH) {
        let chunk = inputs.clone();
        // Selecting and rendering is CPU work (about 0.2 ms a recipient, docs/BENCHMARKS.md):
        // on a blocking thread, so a round for thousands never holds an async worker that
        // pages and /healthz need.
        let (already, decided) =
            tokio::task::spawn_blocking(move || chunk.decide(start, period, now))
                .await
                .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))?;
        report.already += already;
        for d in decided {
            record(store, d, &mut batch, &mut report, opts).await?;
        }
    }
    if !opts.dry_run {
        flush(store, &mut batch, &mut report).await?;
        store.digest_round(period, now, true).await?;
    }
    Ok(report)
}

/// What a round decides from, shared with the blocking threads that decide.
struct RoundInputs {
    s: DigestSettings,
    people: Vec<Recipient>,
    candidates: Vec<Candidate>,
    addresses: Addresses,
    /// Who has a decision for this period already.
    decided: HashSet<String>,
}

impl RoundInputs {
    /// Decide for up to [`BATCH`] people from `start`: how many were decided before, and
    /// the new decisions.
    fn decide(
        &self,
        start: usize,
        period: Period,
        now: i64,
    ) -> Result<(u64, Vec<NewDigest>), DigestError> {
        let end = (start + BATCH).min(self.people.len());
        let mut already = 0;
        let mut out = Vec::new();
        for r in &self.people[start..end] {
            if self.decided.contains(&r.email) {
                already += 1;
                continue;
            }
            let (s, c, a) = (&self.s, &self.candidates, &self.addresses);
            out.extend(decide(s, r, c, a, period, now)?);
        }
        Ok((already, out))
    }
}

/// Count `d` and add it to `batch` (unless a dry run), writing the batch when it is full.
async fn record(
    store: &Arc<dyn Store>,
    d: NewDigest,
    batch: &mut Vec<NewDigest>,
    report: &mut RoundReport,
    opts: RoundOptions,
) -> Result<(), DigestError> {
    match &d.mail {
        Some(_) => report.queued += 1,
        None => *report.skipped.entry(d.decision.clone()).or_default() += 1,
    }
    if opts.dry_run {
        return Ok(());
    }
    batch.push(d);
    if batch.len() == BATCH {
        flush(store, batch, report).await?;
    }
    Ok(())
}

/// Group reply addresses by slug: the first address of each group.
type Addresses = BTreeMap<String, String>;

async fn load(
    store: &Arc<dyn Store>,
    s: &DigestSettings,
    period: Period,
) -> Result<(Vec<Recipient>, Vec<Candidate>, Addresses), DigestError> {
    let history_since = period.start - 12 * s.schedule.period_secs();
    let inputs = store.digest_inputs(history_since).await?;
    let candidates = store.digest_candidates(period).await?;
    let mut addresses = Addresses::new();
    for (a, slug) in &inputs.group_addresses {
        addresses.entry(slug.clone()).or_insert_with(|| a.clone());
    }
    Ok((recipients(&inputs, &s.exclude), candidates, addresses))
}

/// Writes the batch; rows another run recorded first are counted as `already`.
async fn flush(
    store: &Arc<dyn Store>,
    batch: &mut Vec<NewDigest>,
    report: &mut RoundReport,
) -> Result<(), DigestError> {
    if batch.is_empty() {
        return Ok(());
    }
    let ids = store.record_digests(batch).await?;
    for (d, id) in batch.iter().zip(ids) {
        if id.is_none() {
            report.already += 1;
            match &d.mail {
                Some(_) => report.queued -= 1,
                None => *report.skipped.entry(d.decision.clone()).or_default() -= 1,
            }
        }
    }
    batch.clear();
    Ok(())
}

/// `r`'s decision for the period with its mail, or `None` when nothing is to be recorded
/// (in no group: not a recipient at all).
pub fn decide(
    s: &DigestSettings,
    r: &Recipient,
    candidates: &[Candidate],
    addresses: &Addresses,
    period: Period,
    now: i64,
) -> Result<Option<NewDigest>, DigestError> {
    let token = crate::outbox::token();
    let (decision, threads, reply_tokens, mail) = match select(r, candidates, period, &s.rules, now)
    {
        Decision::Skip(crate::core::digest::Skip::NoGroups) => return Ok(None),
        Decision::Skip(skip) => (skip.as_str().to_string(), vec![], vec![], None),
        Decision::Send(sel) => {
            let reply_tokens: Vec<(String, i64)> = (sel.items.iter())
                .map(|i| (crate::outbox::token(), i.thread_id))
                .collect();
            let m = DigestMail {
                r,
                sel: &sel,
                token: &token,
                reply_tokens: &reply_tokens,
                addresses,
                period,
            };
            let mail = compose_digest(s, &m, now)?;
            let threads = sel.items.iter().map(|i| i.thread_id).collect();
            ("sent".to_string(), threads, reply_tokens, Some(mail))
        }
    };
    Ok(Some(NewDigest {
        email: r.email.clone(),
        period,
        decision,
        token,
        threads,
        reply_tokens,
        mail,
        at: now,
    }))
}

/// One person's digest, decided, to be written as a mail.
pub struct DigestMail<'a> {
    pub r: &'a Recipient,
    pub sel: &'a Selection,
    /// Names the digest in its click and unsubscribe links.
    pub token: &'a str,
    /// One per item, in order.
    pub reply_tokens: &'a [(String, i64)],
    pub addresses: &'a Addresses,
    pub period: Period,
}

/// The links and text of `m`, rendered.
pub fn render_digest(
    s: &DigestSettings,
    m: &DigestMail<'_>,
) -> Result<crate::core::digest::Rendered, DigestError> {
    let links = (m.sel.items.iter())
        .zip(m.reply_tokens)
        .map(|(item, (rt, _))| ItemLinks {
            url: click_url(&s.base_url, m.token, item.thread_id),
            reply_to: match m.addresses.get(&item.group_slug) {
                Some(a) => reply_address(a, rt),
                None => reply_address(&s.sender.from, rt),
            },
        })
        .collect();
    let group_names = m.sel.groups.clone();
    let ctx = RenderContext {
        site_name: s.site_name.clone(),
        operator: s.operator.clone(),
        period_label: s.schedule.label(m.period),
        links,
        unsubscribe_url: unsubscribe_url(&s.base_url, m.token),
        settings_url: None,
        group_names,
    };
    Ok(render(m.sel, &ctx)?)
}

/// The digest mail of `m`, composed for the outbox at `now`: HTML and text, one-click
/// unsubscribe (RFC 8058), `List-Id`, `Auto-Submitted`, outloud's own From and Message-ID.
pub fn compose_digest(
    s: &DigestSettings,
    m: &DigestMail<'_>,
    now: i64,
) -> Result<crate::core::compose::Outgoing, DigestError> {
    let rendered = render_digest(s, m)?;
    let draft = Draft {
        on_behalf_of: None,
        reply_to: None,
        to: vec![m.r.email.clone()],
        subject: rendered.subject,
        text: rendered.text,
        in_reply_to: None,
        references: vec![],
        auto_submitted: true,
    };
    let extras = Extras {
        html: Some(rendered.html),
        headers: vec![
            (
                "List-Unsubscribe",
                list_unsubscribe(&s.base_url, m.token, &s.sender.bounce_address),
            ),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click".into()),
            (
                "List-Id",
                format!(
                    "{} digest <digest.{}>",
                    s.site_name, s.sender.message_id_domain
                ),
            ),
            ("Precedence", "bulk".into()),
        ],
    };
    outgoing_with(
        &s.sender,
        &draft,
        &extras,
        "digest",
        now,
        &mut crate::outbox::token,
    )
    .map_err(|source| DigestError::Compose {
        to: m.r.email.clone(),
        source,
    })
}

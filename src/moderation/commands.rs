//! `outloud held list|show|approve|reject` and `outloud audit list`.

use std::process::ExitCode;

use anyhow::bail;
use clap::{Args, Subcommand};

use super::{decide, Moderator};
use crate::clock::Clock;
use crate::config::Config;
use crate::daemon::{ingest_settings, open_store};
use crate::export::rfc3339;
use crate::ingest::Ingestor;
use crate::store::policy::{AuditFilter, HeldState, RetractTarget};

#[derive(Debug, Subcommand)]
pub enum HeldCommand {
    /// Held mail, oldest first: id, when, rule, sender, subject.
    List {
        /// held (default), pending (undo window), approved, rejected, cancelled or all.
        #[arg(long, default_value = "held")]
        state: String,
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// One JSON object per line.
        #[arg(long)]
        jsonl: bool,
    },
    /// One held mail: why it is held, then its raw mail (`--raw` for the raw mail alone).
    Show {
        id: i64,
        #[arg(long)]
        raw: bool,
    },
    /// Publish held mail through the normal write path; the sender is told by mail.
    Approve(DecideArgs),
    /// Keep held mail off the network for good; the sender is told by mail.
    Reject(DecideArgs),
}

#[derive(Debug, Args)]
pub struct DecideArgs {
    #[arg(required = true, value_name = "ID")]
    pub ids: Vec<i64>,
    /// A note for the audit log and the sender's notice.
    #[arg(long)]
    pub note: Option<String>,
    /// Who decides, for the audit log (default: cli:$USER).
    #[arg(long)]
    pub actor: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Audit lines, oldest first, filtered; `--jsonl` exports them as JSON Lines.
    List(AuditArgs),
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// published, held, approved, rejected, retracted, group_added, …
    #[arg(long)]
    pub action: Option<String>,
    #[arg(long)]
    pub actor: Option<String>,
    /// The policy rule (sender_auth, sensitivity, …).
    #[arg(long)]
    pub rule: Option<String>,
    #[arg(long, value_name = "MESSAGE-ID")]
    pub message_id: Option<String>,
    /// Unix seconds, or YYYY-MM-DD (UTC).
    #[arg(long)]
    pub since: Option<String>,
    #[arg(long)]
    pub until: Option<String>,
    /// At most this many (0: all).
    #[arg(long, default_value_t = 0)]
    pub limit: i64,
    #[arg(long)]
    pub jsonl: bool,
}

/// `cli:$USER`, or what `--actor` says.
pub fn actor(given: Option<&str>) -> String {
    match given {
        Some(a) => a.to_string(),
        None => format!(
            "cli:{}",
            std::env::var("USER").unwrap_or_else(|_| "unknown".into())
        ),
    }
}

fn day_or_secs(s: &str, end_of_day: bool) -> anyhow::Result<i64> {
    if let Ok(n) = s.parse::<i64>() {
        return Ok(n);
    }
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| anyhow::anyhow!("{s:?} is neither unix seconds nor YYYY-MM-DD"))?;
    let t = d
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
        .timestamp();
    Ok(if end_of_day { t + 86_399 } else { t })
}

pub async fn held(cfg: &Config, cmd: HeldCommand) -> anyhow::Result<ExitCode> {
    let store = open_store(cfg).await?;
    match cmd {
        HeldCommand::List {
            state,
            limit,
            jsonl,
        } => {
            let state = match state.as_str() {
                "all" => None,
                s => Some(HeldState::parse(s).ok_or_else(|| {
                    anyhow::anyhow!("--state {s:?}: expected held, pending, approved, rejected, cancelled or all")
                })?),
            };
            let rows = store.held(state, limit).await?;
            if rows.is_empty() && !jsonl {
                println!("no held mail");
            }
            for h in rows {
                if jsonl {
                    println!("{}", serde_json::to_string(&h)?);
                } else {
                    let until = (h.publish_at)
                        .map(|t| format!("  (goes live {})", rfc3339(t)))
                        .unwrap_or_default();
                    println!(
                        "{:>6}  {}  {:<9}  {:<17}  {}  {}  [{}]{until}",
                        h.id,
                        rfc3339(h.held_at),
                        h.state.as_str(),
                        h.rule,
                        h.sender,
                        h.subject,
                        h.groups.join(",")
                    );
                }
            }
        }
        HeldCommand::Show { id, raw } => {
            let Some((h, bytes)) = store.held_one(id).await? else {
                bail!("no held mail with id {id} (see `outloud held list`)");
            };
            if !raw {
                println!(
                    "held #{}  {}  state {}",
                    h.id,
                    rfc3339(h.held_at),
                    h.state.as_str()
                );
                println!("rule:    {}", h.rule);
                println!("reason:  {}", h.reason);
                println!("from:    {}", h.sender);
                println!("groups:  {}", h.groups.join(", "));
                println!("message: <{}>", h.message_id);
                if let (Some(at), Some(by)) = (h.decided_at, &h.decided_by) {
                    println!("decided: {} by {by}", rfc3339(at));
                }
                println!();
            }
            use std::io::Write;
            std::io::stdout().write_all(&bytes)?;
        }
        HeldCommand::Approve(args) => return decide_all(cfg, args, HeldState::Approved).await,
        HeldCommand::Reject(args) => return decide_all(cfg, args, HeldState::Rejected).await,
    }
    Ok(ExitCode::SUCCESS)
}

async fn decide_all(cfg: &Config, args: DecideArgs, state: HeldState) -> anyhow::Result<ExitCode> {
    let store = open_store(cfg).await?;
    let ingestor = Ingestor::new(store, ingest_settings(cfg)).await?;
    let sender = cfg.smtp.sender(&cfg.identity).ok();
    if sender.is_none() {
        eprintln!("note: no [smtp] from / [identity] address to send as: senders are not told");
    }
    let actor = actor(args.actor.as_deref());
    let m = Moderator {
        actor: &actor,
        note: args.note.as_deref(),
        now: Clock::system().now(),
        sender: sender.as_ref(),
    };
    let mut failed = false;
    for id in args.ids {
        match decide(&ingestor, id, state, &m).await {
            Ok((h, report)) => {
                let how = report
                    .map(|r| format!(": {:?}", r.result))
                    .unwrap_or_default();
                println!("held #{} {}{how}", h.id, state.as_str());
            }
            Err(e) => {
                eprintln!("error: {e}");
                failed = true;
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

pub async fn audit(cfg: &Config, cmd: AuditCommand) -> anyhow::Result<ExitCode> {
    let AuditCommand::List(a) = cmd;
    let store = open_store(cfg).await?;
    let mut filter = AuditFilter {
        action: a.action,
        actor: a.actor,
        rule: a.rule,
        message_id: a.message_id.map(|m| m.trim_matches(['<', '>']).to_string()),
        since: a
            .since
            .as_deref()
            .map(|s| day_or_secs(s, false))
            .transpose()?,
        until: a
            .until
            .as_deref()
            .map(|s| day_or_secs(s, true))
            .transpose()?,
        after_id: 0,
        limit: 1000,
    };
    let mut left = if a.limit > 0 { a.limit } else { i64::MAX };
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    while left > 0 {
        filter.limit = left.min(1000);
        let page = store.audit(&filter).await?;
        let Some(last) = page.last() else { break };
        filter.after_id = last.id;
        left -= page.len() as i64;
        for e in &page {
            if a.jsonl {
                writeln!(out, "{}", serde_json::to_string(e)?)?;
            } else {
                let r = &e.row;
                writeln!(
                    out,
                    "{:>8}  {}  {:<10}  {:<18}  {:<16}  {}  {}",
                    e.id,
                    rfc3339(r.at),
                    r.action,
                    r.actor,
                    r.rule.as_deref().unwrap_or("-"),
                    r.message_id
                        .as_deref()
                        .map(|m| format!("<{m}>"))
                        .unwrap_or_default(),
                    r.detail
                )?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
pub struct RetractArgs {
    /// The Message-ID of the post to retract (with or without angle brackets).
    #[arg(value_name = "MESSAGE-ID", conflicts_with = "thread", required_unless_present_any = ["thread", "purge"])]
    pub message_id: Option<String>,
    /// Retract a whole thread (its id, as in /t/ID).
    #[arg(long, value_name = "ID")]
    pub thread: Option<i64>,
    /// Who retracts, for the audit log (default: cli:$USER).
    #[arg(long)]
    pub actor: Option<String>,
    /// Only delete the raw mail of retractions older than policy.retracted_raw_days.
    #[arg(long)]
    pub purge: bool,
}

pub async fn retract(cfg: &Config, args: RetractArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(cfg).await?;
    let now = Clock::system().now();
    if !args.purge {
        let target = match (args.thread, args.message_id) {
            (Some(t), _) => RetractTarget::Thread(t),
            (None, Some(m)) => {
                RetractTarget::Message(m.trim().trim_matches(['<', '>']).to_string())
            }
            (None, None) => bail!("give a MESSAGE-ID or --thread ID"),
        };
        let actor = actor(args.actor.as_deref());
        let days = cfg.policy.retracted_raw_days;
        let done = super::retract(store.as_ref(), target.clone(), &actor, now, days).await?;
        let Some(done) = done else {
            bail!("nothing to retract: no published {target:?}");
        };
        println!(
            "retracted {} post(s): {} message row(s) and {} thread(s) removed; raw mail kept {} day(s)",
            done.message_ids.len(),
            done.messages_deleted,
            done.threads_deleted,
            cfg.policy.retracted_raw_days
        );
    }
    let purged = store.purge_retracted(now).await?;
    if purged > 0 || args.purge {
        println!("purged the raw mail of {purged} retracted post(s)");
    }
    Ok(ExitCode::SUCCESS)
}

/// Write what `plan` says, with one `group_changed` audit line per change.
async fn execute(
    cfg: &Config,
    store: &std::sync::Arc<dyn crate::store::Store>,
    declared: &[crate::core::mapping::Declared],
    plan: &crate::core::mapping::ApplyPlan,
) -> anyhow::Result<()> {
    use crate::core::mapping::Change;
    let who = actor(None);
    let now = Clock::system().now();
    let mut audit = Vec::new();
    for d in declared {
        let touched = plan.changes.iter().any(|c| match c {
            Change::AddGroup { slug, .. }
            | Change::Rename { slug, .. }
            | Change::AddAddress { slug, .. }
            | Change::RemoveAddress { slug, .. } => *slug == d.slug,
            _ => false,
        });
        if touched {
            let g = cfg
                .groups
                .iter()
                .find(|g| g.slug.as_str() == d.slug)
                .expect("declared");
            store.upsert_group(&g.slug, &d.name, &g.addresses).await?;
        }
    }
    for c in &plan.changes {
        if let Change::RemoveGroup { slug } = c {
            store
                .remove_group(&crate::model::Slug::parse(slug)?)
                .await?;
        }
        audit.push(crate::store::policy::AuditRow {
            at: now,
            actor: who.clone(),
            action: "group_changed".into(),
            rule: None,
            message_id: None,
            detail: format!("apply {}: {c}", cfg.origin),
        });
    }
    let audiences_changed = plan.changes.iter().any(|c| {
        matches!(
            c,
            Change::AddAudience { .. } | Change::RemoveAudience { .. }
        )
    });
    if audiences_changed {
        store
            .sync_config_audiences(&config_audiences(cfg), now)
            .await?;
    }
    store.append_audit(&audit).await?;
    Ok(())
}

/// `[digest] audiences` as (group, pattern).
fn config_audiences(
    cfg: &Config,
) -> Vec<(crate::model::Slug, crate::core::digest::audience::Pattern)> {
    (cfg.digest.audiences.iter())
        .map(|a| (a.group.clone(), a.pattern.clone()))
        .collect()
}

/// The audience part of `outloud apply`: the file's `[digest] audiences` against the entries
/// stored from it; groups the plan removes do not count as known.
async fn audience_plan(
    cfg: &Config,
    store: &std::sync::Arc<dyn crate::store::Store>,
    declared: &[crate::core::mapping::Declared],
    stored_groups: &[crate::model::GroupEntry],
    plan: &crate::core::mapping::ApplyPlan,
) -> anyhow::Result<(Vec<crate::core::mapping::Change>, Vec<String>)> {
    use crate::core::mapping::{diff_audiences, Change};
    let removed = |slug: &str| {
        (plan.changes.iter()).any(|c| matches!(c, Change::RemoveGroup { slug: s } if s == slug))
    };
    let mut groups: Vec<String> = declared.iter().map(|d| d.slug.clone()).collect();
    groups.extend(
        (stored_groups.iter())
            .filter(|g| !removed(&g.slug))
            .map(|g| g.slug.clone()),
    );
    let wanted: Vec<(String, String)> = (config_audiences(cfg).iter())
        .map(|(g, p)| (g.to_string(), p.to_string()))
        .collect();
    let stored: Vec<(String, String)> = (store.audiences().await?.into_iter())
        .filter(|a| a.source == "config")
        .map(|a| (a.group_slug, a.pattern))
        .collect();
    Ok(diff_audiences(&wanted, &stored, &groups))
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Print exactly what would change in the database, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Also remove stored groups the file does not declare (with everything filed in them).
    #[arg(long)]
    pub prune: bool,
}

/// `outloud apply`: make the database's groups what the config file's `[[groups]]` declare.
pub async fn apply(cfg: &Config, args: ApplyArgs) -> anyhow::Result<ExitCode> {
    use crate::core::mapping::{diff, Declared};
    let store = crate::daemon::open_unapplied(cfg).await?;
    let declared: Vec<Declared> = cfg
        .groups
        .iter()
        .map(|g| Declared {
            slug: g.slug.to_string(),
            name: g.name.clone().unwrap_or_else(|| g.slug.to_string()),
            addresses: g
                .addresses
                .iter()
                .map(|a| a.as_str().to_ascii_lowercase())
                .collect(),
        })
        .collect();
    let stored_groups = store.groups().await?;
    let mut plan = diff(&declared, &stored_groups, args.prune);
    let (audience_changes, audience_problems) =
        audience_plan(cfg, &store, &declared, &stored_groups, &plan).await?;
    plan.changes.extend(audience_changes);
    plan.problems.extend(audience_problems);
    for c in &plan.changes {
        println!("{c}");
    }
    for slug in &plan.only_in_database {
        println!("= group {slug} is only in the database (kept; --prune removes it)");
    }
    if !plan.problems.is_empty() {
        for p in &plan.problems {
            eprintln!("error: {}: {p}", cfg.origin);
        }
        return Ok(ExitCode::FAILURE);
    }
    if plan.changes.is_empty() {
        println!(
            "nothing to change: the database has the groups {} declares",
            cfg.origin
        );
        return Ok(ExitCode::SUCCESS);
    }
    if args.dry_run {
        println!("dry run: {} change(s), nothing written", plan.changes.len());
        return Ok(ExitCode::SUCCESS);
    }
    execute(cfg, &store, &declared, &plan).await?;
    println!("applied {} change(s)", plan.changes.len());
    Ok(ExitCode::SUCCESS)
}

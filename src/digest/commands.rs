//! `outloud digest preview|send|stats`, `outloud audience add|list|remove` and
//! `outloud directory import FILE.csv`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Subcommand;

use super::round::{render_digest, run_round, DigestMail, RoundOptions};
use super::worker::settings;
use crate::clock::Clock;
use crate::config::Config;
use crate::core::digest::audience::Pattern;
use crate::core::digest::{select, Decision};
use crate::daemon::open_store;
use crate::model::Slug;
use crate::store::digest::DirectoryRow;

#[derive(Debug, Subcommand)]
pub enum DigestCommand {
    /// Show what ADDRESS would get for the current period and why each item is there.
    Preview {
        #[arg(long, value_name = "ADDRESS")]
        to: String,
        /// Also write the HTML part to this file.
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
    },
    /// Run one round by hand: the period last due (or, with --now, the period ending now).
    /// Nobody gets a second digest for a period, however often this runs.
    Send {
        #[arg(long)]
        now: bool,
        /// Decide and render, queue nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Per period: recipients, sent, bounced, unsubscribed, clicked, replied, converted; and
    /// the participation curve.
    Stats {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AudienceCommand {
    /// Add an address or "*@domain" to a group's audience.
    Add { group: Slug, pattern: String },
    /// List every group's audience.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove an entry from a group's audience.
    Remove { group: Slug, pattern: String },
}

#[derive(Debug, Subcommand)]
pub enum DirectoryCommand {
    /// Load a CSV of people: address, name, groups (separated by ";" or spaces); a header
    /// line is recognised. Each listed group gets the address in its audience.
    Import { file: PathBuf },
}

pub async fn digest(cfg: &Config, cmd: DigestCommand) -> anyhow::Result<ExitCode> {
    let s = settings(cfg).map_err(|(k, m)| anyhow::anyhow!("key `{k}`: {m}"))?;
    let store = open_store(cfg).await?;
    crate::daemon::check_audience_groups(cfg, store.as_ref()).await?;
    let now = Clock::system().now();
    match cmd {
        DigestCommand::Preview { to, html } => preview(&store, &s, &to, html, now).await?,
        DigestCommand::Send {
            now: at_now,
            dry_run,
        } => {
            let period = if at_now {
                s.schedule.ending_at(now)
            } else {
                s.schedule.current(now)
            };
            let r = run_round(&store, &s, period, now, RoundOptions { dry_run }).await?;
            println!(
                "period {} – {}: {} queued{}, {} decided before, skipped {:?}",
                r.period_start,
                r.period_end,
                r.queued,
                if dry_run {
                    " (dry run: nothing written)"
                } else {
                    ""
                },
                r.already,
                r.skipped
            );
        }
        DigestCommand::Stats { json } => stats(&store, json).await?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `outloud digest preview --to ADDRESS [--html FILE]`.
async fn preview(
    store: &std::sync::Arc<dyn crate::store::Store>,
    s: &super::DigestSettings,
    to: &str,
    html: Option<PathBuf>,
    now: i64,
) -> anyhow::Result<()> {
    let s = s.clone();
    let period = s.schedule.ending_at(now);
    let inputs = store
        .digest_inputs(period.start - 12 * s.schedule.period_secs())
        .await?;
    let candidates = store.digest_candidates(period).await?;
    let to = to.trim().to_ascii_lowercase();
    let all = super::recipients::recipients(&inputs, &s.exclude);
    let Some(r) = all.iter().find(|r| r.email == to) else {
        println!("{to} gets no digest: not in any group's audience, or a user who chose none");
        return Ok(());
    };
    let sel = match select(r, &candidates, period, &s.rules, now) {
        Decision::Skip(skip) => {
            println!("{to} gets no digest this period: {}", skip.as_str());
            return Ok(());
        }
        Decision::Send(sel) => sel,
    };
    let mut addresses = std::collections::BTreeMap::new();
    for (a, slug) in &inputs.group_addresses {
        addresses.entry(slug.clone()).or_insert_with(|| a.clone());
    }
    let reply: Vec<(String, i64)> = sel
        .items
        .iter()
        .map(|i| ("preview".into(), i.thread_id))
        .collect();
    let m = DigestMail {
        r,
        sel: &sel,
        token: "preview",
        reply_tokens: &reply,
        addresses: &addresses,
        period,
    };
    let rendered = render_digest(&s, &m)?;
    println!(
        "To: {to}  ({}, groups: {})",
        if r.is_user { "user" } else { "non-user" },
        sel.groups.join(", ")
    );
    println!("Subject: {}\n", rendered.subject);
    for (n, i) in sel.items.iter().enumerate() {
        let kind = if i.featured { "featured" } else { "more" };
        println!(
            "{:>2}. [{kind}] {} ({}): {}",
            n + 1,
            i.subject,
            i.group_slug,
            i.why.text()
        );
    }
    println!("\n{}", rendered.text);
    if let Some(path) = html {
        std::fs::write(&path, rendered.html)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

async fn stats(store: &std::sync::Arc<dyn crate::store::Store>, json: bool) -> anyhow::Result<()> {
    let periods = store.digest_stats().await?;
    let curve = crate::core::digest::stats::participation(store.posts_per_author().await?);
    if json {
        println!(
            "{}",
            serde_json::json!({ "periods": periods, "participation": curve })
        );
        return Ok(());
    }
    println!("period start          recipients  queued  sent  bounced  unsub  clicked  scanners  replied  converted");
    for p in &periods {
        let start = chrono::DateTime::from_timestamp(p.period_start, 0)
            .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default();
        println!(
            "{start:<20}  {:>10}  {:>6}  {:>4}  {:>7}  {:>5}  {:>7}  {:>8}  {:>7}  {:>9}",
            p.recipients,
            p.queued,
            p.sent,
            p.bounced,
            p.unsubscribed,
            p.clicked,
            p.scanner_only,
            p.replied,
            p.converted
        );
    }
    println!(
        "participation: {} posters, {} posts; top 1% wrote {:.0}%, top 10% wrote {:.0}%",
        curve.posters,
        curve.posts,
        curve.top1_share * 100.0,
        curve.top10_share * 100.0
    );
    Ok(())
}

pub async fn audience(cfg: &Config, cmd: AudienceCommand) -> anyhow::Result<ExitCode> {
    use crate::core::mapping::{check, Request};
    let store = open_store(cfg).await?;
    let (slug, pattern, adding) = match &cmd {
        AudienceCommand::Add { group, pattern } => (group, pattern, true),
        AudienceCommand::Remove { group, pattern } => (group, pattern, false),
        AudienceCommand::List { json } => return list_audiences(&store, *json).await,
    };
    // The same checks, and the same words, as the admin page and the config file.
    let req = match adding {
        true => Request::AddAudience {
            slug: slug.as_str(),
            pattern,
        },
        false => Request::RemoveAudience {
            slug: slug.as_str(),
            pattern,
        },
    };
    let edit = check(req, &store.groups().await?).map_err(|p| anyhow::anyhow!("{p}"))?;
    let audit = crate::store::policy::AuditRow {
        at: Clock::system().now(),
        actor: crate::moderation::commands::actor(None),
        action: edit.action().into(),
        rule: None,
        message_id: None,
        detail: format!("cli: {edit}"),
    };
    let changed = store.edit_mapping(&edit, &audit).await?;
    let p = crate::core::mapping::parse_pattern(pattern).map_err(|p| anyhow::anyhow!("{p}"))?;
    match (adding, changed) {
        (true, true) => println!("added {p} in the audience of {slug}"),
        (true, false) => println!("already {p} in the audience of {slug}"),
        (false, true) => println!("removed {p} from the audience of {slug}"),
        (false, false) => bail!("{p} is not in the audience of {slug}"),
    }
    Ok(ExitCode::SUCCESS)
}

async fn list_audiences(
    store: &std::sync::Arc<dyn crate::store::Store>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let rows = store.audiences().await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        for r in rows {
            println!("{:<16} {:<40} {}", r.group_slug, r.pattern, r.source);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn directory(cfg: &Config, cmd: DirectoryCommand) -> anyhow::Result<ExitCode> {
    let DirectoryCommand::Import { file } = cmd;
    let text =
        std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let rows = parse_directory(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let store = open_store(cfg).await?;
    let report = store.import_directory(&rows, Clock::system().now()).await?;
    println!(
        "{} people, {} new audience entries",
        report.people, report.audience_entries
    );
    if !report.unknown_groups.is_empty() {
        println!(
            "unknown groups (nothing added for them): {}",
            report.unknown_groups.join(", ")
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// A directory CSV: `address,name,groups`; quoted fields may hold commas; a first line whose
/// first field has no `@` is a header. Errors name the line.
pub fn parse_directory(text: &str) -> Result<Vec<DirectoryRow>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let fields = csv_fields(line);
        let email = fields
            .first()
            .map(|f| f.trim().to_ascii_lowercase())
            .unwrap_or_default();
        if i == 0 && !email.contains('@') {
            continue;
        }
        match Pattern::parse(&email) {
            Ok(Pattern::Address(_)) => {}
            _ => return Err(format!("line {n}: {email:?} is not an address")),
        }
        let name = fields
            .get(1)
            .map(|f| f.trim().to_string())
            .filter(|f| !f.is_empty());
        let mut groups = Vec::new();
        for g in fields
            .get(2)
            .map(|f| f.split([';', ' ', '|']))
            .into_iter()
            .flatten()
        {
            if g.trim().is_empty() {
                continue;
            }
            groups.push(Slug::parse(g.trim()).map_err(|e| format!("line {n}: {e}"))?);
        }
        out.push(DirectoryRow {
            email,
            name,
            groups,
        });
    }
    Ok(out)
}

fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_csv() {
        let rows = parse_directory(
            "email,name,groups\nAna@Corp.Example,\"Lima, Ana\",eng;ops\n\nbo@corp.example,,\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].email, "ana@corp.example");
        assert_eq!(rows[0].name.as_deref(), Some("Lima, Ana"));
        assert_eq!(rows[0].groups.len(), 2);
        assert!(rows[1].groups.is_empty() && rows[1].name.is_none());
        let e = parse_directory("ana@corp.example,Ana,eng\nnot-an-address,x,eng\n").unwrap_err();
        assert!(e.starts_with("line 2:"), "{e}");
        let e = parse_directory("ana@corp.example,Ana,Bad_Slug!\n").unwrap_err();
        assert!(e.starts_with("line 1:"), "{e}");
    }
}

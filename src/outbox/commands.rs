//! `outloud mail test`, `outloud outbox list|retry|cancel` and `outloud bounces list|clear`.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};

use super::{queue_draft, OutboxSender, SenderSettings};
use crate::clock::Clock;
use crate::config::Config;
use crate::core::compose::Draft;
use crate::core::delivery::{bounce_score, stops_mail, Step};
use crate::daemon::open_store;
use crate::smtp::{Connection, SmtpSettings, StepLog};
use crate::store::outbox::{
    ClaimRequest, DeliveryEnd, DeliveryFilter, DeliveryId, DeliveryRow, DeliveryState,
};
use crate::store::Store;

/// A test mail is held back this long, so that a running daemon does not send it first.
const TEST_HOLD_SECS: i64 = 300;

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Send one test mail through [smtp] now and print each step: connect, TLS, login, and the
    /// server's reply to MAIL FROM, RCPT TO and DATA. The mail is recorded in the outbox.
    Test {
        /// Recipient of the test mail.
        #[arg(long, value_name = "ADDRESS")]
        to: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// List deliveries (one per mail and recipient), newest first.
    List(ListArgs),
    /// Queue failed, cancelled or retrying deliveries again, due now.
    Retry {
        #[arg(required = true, value_name = "ID")]
        ids: Vec<DeliveryId>,
    },
    /// Cancel queued or retrying deliveries (not one a sender is sending right now).
    Cancel {
        #[arg(required = true, value_name = "ID")]
        ids: Vec<DeliveryId>,
    },
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only deliveries in this state: queued, retrying, sent, bounced, failed, cancelled.
    #[arg(long)]
    pub state: Option<String>,
    /// Only deliveries to this address.
    #[arg(long, value_name = "ADDRESS")]
    pub to: Option<String>,
    /// At most this many (0: all).
    #[arg(long, default_value_t = 50)]
    pub limit: i64,
    /// Print JSON (with every attempt of each delivery).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum BouncesCommand {
    /// Addresses with bounces that still count: score (soft 1, hard 2; mail stops at 4, the
    /// score resets 30 days after the last bounce), last bounce and what it said.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Clear an address's bounces (they stay recorded), so mail goes to it again.
    Clear {
        #[arg(value_name = "ADDRESS")]
        address: String,
    },
}

/// `outloud mail test --to ADDRESS`.
pub async fn mail(cfg: &Config, cmd: MailCommand) -> anyhow::Result<ExitCode> {
    let MailCommand::Test { to } = cmd;
    if !cfg.smtp.enabled() {
        bail!("[smtp] host is not set: outloud sends no mail (see config/outloud.example.toml)");
    }
    let sender = cfg
        .smtp
        .sender(&cfg.identity)
        .map_err(|(k, m)| anyhow::anyhow!("key `{k}`: {m}"))?;
    let clock = Clock::system();
    let smtp = SmtpSettings::from_config(&cfg.smtp, &clock)?;
    let store = open_store(cfg).await?;
    let now = clock.now();
    let draft = Draft {
        to: vec![to.clone()],
        subject: "outloud test mail".into(),
        text: format!(
            "This is a test mail from outloud ({}), sent by `outloud mail test`.\n\
             outloud never publishes it: it carries outloud's loop marker.\n",
            sender.from
        ),
        in_reply_to: None,
        references: Vec::new(),
        auto_submitted: true,
        on_behalf_of: None,
        reply_to: None,
    };
    let mut mail = queue_draft(&sender, &draft, "test", now).context("composing the test mail")?;
    mail.not_before = now + TEST_HOLD_SECS;
    let queued = store.enqueue(&[mail]).await?.remove(0);
    let Some(&(_, id)) = queued.deliveries.first() else {
        bail!("the test mail has no recipient");
    };
    println!(
        "queued as delivery {id}, Message-ID <{}>",
        queued.message_id
    );
    let settings = SenderSettings {
        instance: format!("mail-test-{}", std::process::id()),
        sender,
        smtp,
        rate_per_minute: 0,
        retry_secs: i64::try_from(cfg.smtp.retry_hours).unwrap_or(48) * 3600,
        poll: std::time::Duration::from_secs(cfg.smtp.poll_secs),
        clock,
    };
    send_now(store, settings, id).await
}

/// Claim delivery `id` and send it at once, printing every step.
async fn send_now(
    store: std::sync::Arc<dyn Store>,
    settings: SenderSettings,
    id: DeliveryId,
) -> anyhow::Result<ExitCode> {
    let holder = settings.instance.clone();
    let smtp = settings.smtp.clone();
    let claim = ClaimRequest {
        holder: holder.clone(),
        now: settings.clock.now(),
        limit: 1,
        lease_secs: 600,
        only: Some(vec![id]),
    };
    let Some(d) = store.claim_deliveries(&claim).await?.pop() else {
        bail!("delivery {id} was taken by a running outloud first: see `outloud outbox list`");
    };
    let mut log = PrintSteps;
    let mut sender = OutboxSender::new(store.clone(), settings.clone());
    let mut conn = match Connection::open(&smtp, &mut log).await {
        Ok(c) => c,
        Err(e) => {
            let end = cancelled(&format!("mail test: {e}"), settings.clock.now());
            store.finish_delivery(id, &holder, &end).await?;
            return Err(e).context("the test mail was not sent (delivery cancelled)");
        }
    };
    let end = sender.deliver(&mut conn, &d, &mut log).await?;
    conn.quit().await;
    match end {
        Some((end, _)) if end.state == DeliveryState::Sent => {
            println!("sent: {}", end.reply);
            Ok(ExitCode::SUCCESS)
        }
        Some((end, _)) => {
            println!("not sent ({}): {}", end.state.as_str(), end.reply);
            if end.state == DeliveryState::Retrying {
                println!("the daemon tries again later; `outloud outbox cancel {id}` stops it");
            }
            Ok(ExitCode::FAILURE)
        }
        None => bail!("delivery {id} was taken over by another sender"),
    }
}

fn cancelled(reason: &str, now: i64) -> DeliveryEnd {
    DeliveryEnd {
        at: now,
        attempted: false,
        outcome: "cancelled".into(),
        code: None,
        reply: reason.to_string(),
        state: DeliveryState::Cancelled,
        next_attempt_at: None,
        failure: None,
        bounce: None,
    }
}

/// Prints each step as `mail test` goes.
struct PrintSteps;

impl StepLog for PrintSteps {
    fn step(&mut self, step: Step, ok: bool, text: &str) {
        let mark = if ok { "ok  " } else { "FAIL" };
        println!("  {mark} {:<9} {text}", step.as_str());
    }
}

/// `outloud outbox …`.
pub async fn outbox(cfg: &Config, cmd: OutboxCommand) -> anyhow::Result<ExitCode> {
    let store = open_store(cfg).await?;
    let now = Clock::system().now();
    match cmd {
        OutboxCommand::List(args) => list(store.as_ref(), args).await?,
        OutboxCommand::Retry { ids } => {
            let n = store.retry_deliveries(&ids, now).await?;
            println!("{n} of {} deliveries queued again", ids.len());
        }
        OutboxCommand::Cancel { ids } => {
            let n = store.cancel_deliveries(&ids, now).await?;
            println!("{n} of {} deliveries cancelled", ids.len());
            if n < ids.len() as u64 {
                println!(
                    "(only queued or retrying deliveries that are not being sent can be cancelled)"
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn list(store: &dyn Store, args: ListArgs) -> anyhow::Result<()> {
    let state = match args.state.as_deref() {
        Some(s) => Some(
            s.parse::<DeliveryState>()
                .map_err(|e| anyhow::anyhow!("--state: {e}"))?,
        ),
        None => None,
    };
    let filter = DeliveryFilter {
        state,
        recipient: args.to,
        outbox_id: None,
        limit: args.limit,
    };
    let rows = store.deliveries(&filter).await?;
    if args.json {
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let attempts = store.attempts(r.id).await?;
            out.push(serde_json::json!({ "delivery": r, "attempts": attempts }));
        }
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    if rows.is_empty() {
        println!("the outbox is empty");
    }
    for r in rows {
        print_row(&r);
    }
    Ok(())
}

fn print_row(r: &DeliveryRow) {
    let when = crate::export::rfc3339(r.updated_at);
    println!(
        "{:>6}  {:<9} {:>2} tries  {when}  {}  <{}>  {}",
        r.id,
        r.state.0.as_str(),
        r.attempts,
        r.recipient,
        r.message_id,
        r.subject
    );
    if let Some(reply) = &r.last_reply {
        let failure = r
            .failure
            .as_deref()
            .map(|f| format!("[{f}] "))
            .unwrap_or_default();
        println!("          {failure}{reply}");
    }
}

/// `outloud bounces …`.
pub async fn bounces(cfg: &Config, cmd: BouncesCommand) -> anyhow::Result<ExitCode> {
    let store = open_store(cfg).await?;
    let now = Clock::system().now();
    match cmd {
        BouncesCommand::List { json } => {
            let summaries = summaries(store.as_ref(), now).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&summaries)?);
            } else if summaries.is_empty() {
                println!("no bouncing addresses");
            }
            for s in summaries.iter().filter(|_| !json) {
                let stop = if s.stopped { "  mail stopped" } else { "" };
                println!(
                    "{:<40} score {} ({} soft, {} hard){stop}  last {}: {}",
                    s.address,
                    s.score,
                    s.soft,
                    s.hard,
                    crate::export::rfc3339(s.last_at),
                    s.last_detail
                );
            }
        }
        BouncesCommand::Clear { address } => {
            let n = store.clear_bounces(&address, now).await?;
            println!(
                "cleared {n} bounces of {}",
                address.trim().to_ascii_lowercase()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One address as `bounces list` shows it.
#[derive(Debug, serde::Serialize)]
pub struct BounceSummary {
    pub address: String,
    pub score: i64,
    /// Mail to it is not sent.
    pub stopped: bool,
    pub soft: usize,
    pub hard: usize,
    pub last_at: i64,
    pub last_detail: String,
}

/// Every address with bounces that still count at `now`.
pub async fn summaries(store: &dyn Store, now: i64) -> anyhow::Result<Vec<BounceSummary>> {
    let mut by_address: BTreeMap<String, Vec<crate::store::outbox::BounceEvent>> = BTreeMap::new();
    for e in store.bounce_events(None).await? {
        by_address.entry(e.address.clone()).or_default().push(e);
    }
    let mut out = Vec::new();
    for (address, events) in by_address {
        let points: Vec<(i64, i64)> = events.iter().map(|e| (e.at, e.points)).collect();
        let score = bounce_score(&points, now);
        let Some(last) = events.last() else { continue };
        if score == 0 {
            continue;
        }
        out.push(BounceSummary {
            score,
            stopped: stops_mail(score),
            soft: events.iter().filter(|e| e.severity == "soft").count(),
            hard: events.iter().filter(|e| e.severity == "hard").count(),
            last_at: last.at,
            last_detail: last.detail.clone(),
            address,
        });
    }
    Ok(out)
}

//! The command line. `main.rs` calls [`main`]; each subcommand is a small function here over
//! the library. This is the top of the program: errors become `anyhow` with context.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::config::Config;
use crate::daemon::{ingest_settings, open_store, Daemon};
use crate::ingest::{IngestSettings, Ingestor, RawMail};
use crate::model::{GroupAddress, Slug};

/// outloud: cc a group address on any mail and the thread becomes an open post in that group.
///
/// Configuration is read from defaults, then the TOML file given by --config or OUTLOUD_CONFIG,
/// then OUTLOUD_* environment variables (see config/outloud.example.toml).
#[derive(Debug, Parser)]
#[command(name = "outloud", version, about, long_about)]
pub struct Cli {
    /// Configuration file (TOML).
    #[arg(
        long,
        short,
        global = true,
        env = "OUTLOUD_CONFIG",
        value_name = "FILE"
    )]
    pub config: Option<PathBuf>,
    /// Database URL, overriding the configuration: sqlite:PATH or postgres://…
    #[arg(long, global = true, value_name = "URL")]
    pub database: Option<String>,
    /// The file came from `OUTLOUD_CONFIG` rather than `--config` (errors name the variable).
    #[arg(skip)]
    pub config_from_env: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the network: watch the configured IMAP mailboxes (publishing every mail once) and
    /// serve the web view on web.bind, JSON API under /api/v1, health at /healthz.
    ///
    /// SIGINT/SIGTERM: the batch in hand is finished, leases released, then the web view stops.
    Run,
    /// Apply database migrations and exit (`run`, `import` and the others also migrate on start).
    Migrate,
    /// Check everything `run` needs: the configuration (every bad key, named), each mailbox's
    /// password and CA file, the database (reachable, or creatable for SQLite) and that
    /// web.bind is free. Lists every problem; exit status 1 when there is one.
    CheckConfig,
    /// Import mbox files (mboxo or mboxrd), Maildir folders or .eml files through the pipeline.
    ///
    /// Importing the same mail twice changes nothing. Malformed mail is quarantined, never
    /// fatal. Prints a summary: imported, duplicates, skipped by reason, quarantined.
    Import(ImportArgs),
    /// Export the network as JSON Lines (default) or the stored raw mail as mbox (--mbox).
    Export(ExportArgs),
    /// Re-run the pipeline over every stored raw mail (after an upgrade or a rule change);
    /// rebuilds the search index with the messages.
    Reprocess,
    /// Search subjects, message text and authors: best matches first, matches in bold.
    ///
    /// Every word must match; case and accents do not matter ("muller" finds "Müller");
    /// Chinese, Japanese and Korean text is found by any substring; "quoted words" match as a
    /// phrase; a word ending in * matches the words it begins.
    Search(SearchArgs),
    /// Verify that every stored mail is accounted for: published in each group it is routed to,
    /// or recorded as skipped with a reason. Lists each mail that is not; exit status 1 then.
    Check(CheckArgs),
    /// Manage groups: which address publishes where.
    #[command(subcommand)]
    Group(GroupCommand),
    /// Mail that could not be parsed, kept with its error.
    #[command(subcommand)]
    Quarantine(QuarantineCommand),
    /// Score body cleaning, threading and quote history on the labelled evaluation corpus
    /// (docs/ACCURACY.md), in temporary databases.
    Eval(crate::eval::EvalArgs),
    /// Outgoing mail through [smtp]: `mail test --to ADDRESS` sends one and prints each step.
    #[command(subcommand)]
    Mail(crate::outbox::commands::MailCommand),
    /// Every mail outloud sends, one delivery per recipient: list, retry, cancel.
    #[command(subcommand)]
    Outbox(crate::outbox::commands::OutboxCommand),
    /// Addresses whose mail bounces (soft 1, hard 2; mail stops at 4): list, clear.
    #[command(subcommand)]
    Bounces(crate::outbox::commands::BouncesCommand),
    /// Digests to the people in each group's audience: preview, send a round, stats.
    #[command(subcommand)]
    Digest(crate::digest::commands::DigestCommand),
    /// Who gets each group's digest: addresses and "*@domain" patterns.
    #[command(subcommand)]
    Audience(crate::digest::commands::AudienceCommand),
    /// Load people from a directory CSV (address, name, groups).
    #[command(subcommand)]
    Directory(crate::digest::commands::DirectoryCommand),
    /// Mail policy held for a moderator (docs/POLICY.md): list, show, approve, reject.
    #[command(subcommand)]
    Held(crate::moderation::commands::HeldCommand),
    /// The append-only log of every policy decision and admin change: list, filter, export.
    #[command(subcommand)]
    Audit(crate::moderation::commands::AuditCommand),
    /// Retract a post (by Message-ID) or a whole thread: gone from pages, search, feeds, API,
    /// exports and digests, never published again; its raw mail is kept
    /// policy.retracted_raw_days.
    Retract(crate::moderation::commands::RetractArgs),
    /// Make the database's groups what the config file's [[groups]] declare; --dry-run prints
    /// exactly the difference and changes nothing. Other commands apply it on start too.
    Apply(crate::moderation::commands::ApplyArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// mbox files, Maildir folders (with cur/ and new/) or .eml files.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// File every mail into this group even if it does not name the group's address
    /// (backfilling an old list archive). Repeatable.
    #[arg(long = "group", value_name = "SLUG")]
    pub groups: Vec<Slug>,
    /// No progress bar (it is shown only on a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// Log one line per mail (what happened to it and why), as the daemon does.
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// What to search for (several arguments are joined with spaces).
    #[arg(value_name = "QUERY")]
    pub query: Vec<String>,
    /// Only this group.
    #[arg(long, value_name = "SLUG")]
    pub group: Option<Slug>,
    /// Only messages whose author's name or address matches (an address matches exactly).
    #[arg(long, value_name = "NAME_OR_ADDRESS")]
    pub author: Option<String>,
    /// Only messages dated on or after this day (YYYY-MM-DD, UTC) or unix time.
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Only messages dated on or before this day (YYYY-MM-DD, UTC, the whole day) or unix time.
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// How many hits to show.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(i64).range(1..=500))]
    pub limit: i64,
    /// Print the hits as JSON (as the API's `hits`).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write the stored raw mail as mboxrd instead of JSON Lines.
    #[arg(long)]
    pub mbox: bool,
    /// Output file (default: standard output).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Create a group, or update its name and addresses.
    Add {
        /// Short name used in URLs: lower-case letters, digits, dashes.
        slug: Slug,
        /// Address that publishes into the group, e.g. eng@corp.example. Repeatable.
        #[arg(long = "address", required = true, value_name = "ADDRESS")]
        addresses: Vec<GroupAddress>,
        /// Display name (default: the slug).
        #[arg(long)]
        name: Option<String>,
    },
    /// List groups with their addresses and counts.
    List,
    /// Remove a group and everything filed in it.
    Remove { slug: Slug },
}

#[derive(Debug, Subcommand)]
pub enum QuarantineCommand {
    /// List quarantined mail: id, source, error.
    List,
    /// Write one quarantined mail's raw bytes to standard output.
    Show { id: i64 },
}

pub fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let mut cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    cli.config_from_env =
        matches.value_source("config") == Some(clap::parser::ValueSource::EnvVariable);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    let loaded = Config::load(cli.config.as_deref());
    let mut cfg = if cli.config_from_env {
        loaded.context("environment OUTLOUD_CONFIG")?
    } else {
        loaded?
    };
    if let Some(url) = &cli.database {
        cfg.set_database_url(url);
        cfg.validate()?;
    }
    Ok(cfg)
}

async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let cfg = load_config(&cli)?;
    crate::logging::init(&cfg);
    for w in &cfg.warnings {
        tracing::warn!("{w}");
    }
    match cli.command {
        Command::CheckConfig => check_config(&cfg).await,
        Command::Migrate => {
            open_store(&cfg).await?;
            println!(
                "database {} is up to date",
                crate::config::mask_url(&cfg.database.url)
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Run => run(&cfg).await,
        Command::Import(args) => import(&cfg, args).await,
        Command::Export(args) => export(&cfg, args).await,
        Command::Reprocess => reprocess(&cfg).await,
        Command::Search(args) => search(&cfg, args).await,
        Command::Check(args) => check(&cfg, args).await,
        Command::Group(cmd) => group(&cfg, cmd).await,
        Command::Quarantine(cmd) => quarantine(&cfg, cmd).await,
        Command::Eval(args) => crate::eval::command(&cfg, args).await,
        Command::Mail(cmd) => crate::outbox::commands::mail(&cfg, cmd).await,
        Command::Outbox(cmd) => crate::outbox::commands::outbox(&cfg, cmd).await,
        Command::Bounces(cmd) => crate::outbox::commands::bounces(&cfg, cmd).await,
        Command::Digest(cmd) => crate::digest::commands::digest(&cfg, cmd).await,
        Command::Audience(cmd) => crate::digest::commands::audience(&cfg, cmd).await,
        Command::Directory(cmd) => crate::digest::commands::directory(&cfg, cmd).await,
        Command::Held(cmd) => crate::moderation::commands::held(&cfg, cmd).await,
        Command::Audit(cmd) => crate::moderation::commands::audit(&cfg, cmd).await,
        Command::Retract(args) => crate::moderation::commands::retract(&cfg, args).await,
        Command::Apply(args) => crate::moderation::commands::apply(&cfg, args).await,
    }
}

/// The configuration loaded (or loading failed with every problem); now what `run` needs.
async fn check_config(cfg: &Config) -> anyhow::Result<ExitCode> {
    let mut sources = vec![&cfg.origin];
    for o in cfg.overrides.values() {
        if !sources.contains(&o) {
            sources.push(o);
        }
    }
    println!(
        "configuration from {}",
        sources
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let report = crate::preflight::check(cfg).await;
    for line in &report.ok {
        println!("  {line}");
    }
    if report.problems.is_empty() {
        println!("configuration OK: `outloud run` has what it needs");
        return Ok(ExitCode::SUCCESS);
    }
    let n = report.problems.len();
    eprintln!(
        "error: {n} problem{} `outloud run` would stop at:",
        if n == 1 { "" } else { "s" }
    );
    for p in &report.problems {
        eprintln!("  {p}");
    }
    Ok(ExitCode::FAILURE)
}

/// `outloud run`: the daemon until a signal. The first SIGINT/SIGTERM drains (batches in hand
/// are finished, leases released); a second quits at once.
async fn run(cfg: &Config) -> anyhow::Result<ExitCode> {
    let daemon = Daemon::build(cfg, Clock::system()).await?;
    eprintln!(
        "outloud: web view on http://{}/ (Ctrl-C to stop)",
        cfg.web.bind
    );
    let shutdown = CancellationToken::new();
    tokio::spawn(watch_signals(shutdown.clone()));
    daemon.run_until_stopped(shutdown.cancelled_owned()).await?;
    Ok(ExitCode::SUCCESS)
}

/// Cancels `shutdown` on the first signal and exits on the second. A task of its own, so a
/// second signal is heard even while the daemon drains after its web view failed.
async fn watch_signals(shutdown: CancellationToken) {
    wait_for_signal().await;
    tracing::info!(
        "shutdown requested: finishing the batches in hand (signal again to quit at once)"
    );
    shutdown.cancel();
    // An impatient second signal: nothing is lost, the uncommitted batch is re-read later.
    wait_for_signal().await;
    tracing::warn!("second signal: quitting without waiting");
    std::process::exit(130);
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

async fn import(cfg: &Config, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(cfg).await?;
    let settings = IngestSettings {
        log_each_mail: args.verbose,
        ..ingest_settings(cfg)
    };
    let ingestor = Ingestor::new(store, settings).await?;
    let opts = crate::import::ImportOptions {
        paths: args.paths,
        force_groups: args.groups.iter().map(Slug::to_string).collect(),
        batch_size: cfg.import.batch_size,
        progress: !args.no_progress && std::io::stderr().is_terminal(),
    };
    let started = std::time::Instant::now();
    let clock = Clock::system();
    let summary = crate::import::import(&ingestor, opts, || clock.now()).await?;
    let secs = started.elapsed().as_secs_f64();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!("{summary}");
        println!(
            "  {:.1} s, {:.0} mails/s",
            secs,
            summary.read as f64 / secs.max(1e-9)
        );
    }
    Ok(if summary.file_errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

async fn export(cfg: &Config, args: ExportArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(cfg).await?;
    let mut out: Box<dyn std::io::Write> = match &args.output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let counts = if args.mbox {
        crate::export::export_mbox(
            store.as_ref(),
            &mut out,
            &args
                .output
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "<stdout>".into()),
        )
        .await?
    } else {
        crate::export::export_jsonl(store.as_ref(), &mut out).await?
    };
    drop(out);
    if args.mbox {
        eprintln!("exported {} mails", counts.raws);
    } else {
        eprintln!(
            "exported {} groups, {} threads, {} messages",
            counts.groups, counts.threads, counts.messages
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn reprocess(cfg: &Config) -> anyhow::Result<ExitCode> {
    let store = open_store(cfg).await?;
    let settings = IngestSettings {
        log_each_mail: false,
        ..ingest_settings(cfg)
    };
    let ingestor = Ingestor::new(store.clone(), settings).await?;
    store
        .reset_derived()
        .await
        .context("clearing derived rows")?;
    let clock = Clock::system();
    let (mut after, mut n) = (0, 0u64);
    loop {
        let page = store
            .raws_after(after, cfg.import.batch_size as i64)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        n += page.len() as u64;
        let raws = page
            .into_iter()
            .map(|r| RawMail {
                bytes: r.bytes,
                source: r.source,
                force_groups: r.force_groups,
            })
            .collect();
        ingestor.ingest(raws, None, clock.now()).await?;
    }
    println!("reprocessed {n} stored mails");
    Ok(ExitCode::SUCCESS)
}

async fn search(cfg: &Config, args: SearchArgs) -> anyhow::Result<ExitCode> {
    use crate::core::search::query::{parse_date_bound, Bound};
    let store = open_store(cfg).await?;
    let date = |flag: &str, value: &Option<String>, bound| {
        parse_date_bound(value.as_deref().unwrap_or_default(), bound)
            .map_err(|e| anyhow::anyhow!("--{flag}: {e}"))
    };
    let group = match &args.group {
        None => None,
        Some(slug) => match store
            .groups()
            .await?
            .into_iter()
            .find(|g| g.slug == slug.as_str())
        {
            Some(g) => Some(g.id),
            None => bail!("no group {slug:?} (see `outloud group list`)"),
        },
    };
    let query = crate::store::SearchQuery {
        text: args.query.join(" "),
        group,
        author: args.author.clone(),
        from: date("from", &args.from, Bound::From)?,
        to: date("to", &args.to, Bound::To)?,
        limit: args.limit,
        offset: 0,
    };
    if crate::core::search::ParsedQuery::parse(&query.text, query.author.as_deref()).is_empty() {
        bail!("nothing to search for: give words, or --author");
    }
    let hits = store.search(&query).await.context("searching")?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&hits)?);
        return Ok(ExitCode::SUCCESS);
    }
    let bold = std::io::stdout().is_terminal();
    for h in &hits {
        let author = h.author_name.as_deref().unwrap_or(&h.author_email);
        println!(
            "{}  #{}  {author}  {}  (/t/{}#m{})",
            crate::export::rfc3339(h.date),
            h.group_slug,
            plain(&h.subject_html, bold),
            h.thread_id,
            h.id
        );
        println!("    {}", plain(&h.snippet_html, bold));
    }
    eprintln!(
        "{} hit{}",
        hits.len(),
        if hits.len() == 1 { "" } else { "s" }
    );
    Ok(ExitCode::SUCCESS)
}

/// A hit's marked HTML as terminal text: matches in bold (or `*…*` when not a terminal),
/// entities decoded.
fn plain(html: &str, bold: bool) -> String {
    let (on, off) = if bold {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("*", "*")
    };
    html.replace("<mark>", on)
        .replace("</mark>", off)
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

async fn check(cfg: &Config, args: CheckArgs) -> anyhow::Result<ExitCode> {
    let store = open_store(cfg).await?;
    let report = crate::check::check(&*store, &ingest_settings(cfg).pipeline)
        .await
        .context("checking the stored mail")?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for p in &report.problems {
            // The Message-ID is the mail's own text: its control characters are shown, not
            // sent to the terminal.
            let mid = crate::model::text::visible_controls(&p.message_id);
            println!("{} <{mid}> ({}): {}", p.source, p.sha256, p.what);
        }
        let n = report.problems.len();
        match n {
            0 => println!(
                "checked {} stored mails: every one is accounted for",
                report.checked
            ),
            _ => println!(
                "checked {} stored mails: {n} not accounted for",
                report.checked
            ),
        }
    }
    Ok(match report.problems.is_empty() {
        true => ExitCode::SUCCESS,
        false => ExitCode::FAILURE,
    })
}

/// An admin change for the audit log, by the user running the command.
async fn audit_admin(
    store: &dyn crate::store::Store,
    action: &str,
    detail: String,
) -> anyhow::Result<()> {
    let row = crate::store::policy::AuditRow {
        at: Clock::system().now(),
        actor: crate::moderation::commands::actor(None),
        action: action.into(),
        rule: None,
        message_id: None,
        detail,
    };
    store.append_audit(&[row]).await?;
    Ok(())
}

async fn group(cfg: &Config, cmd: GroupCommand) -> anyhow::Result<ExitCode> {
    let store = open_store(cfg).await?;
    match cmd {
        GroupCommand::Add {
            slug,
            addresses,
            name,
        } => {
            let name = name.unwrap_or_else(|| slug.to_string());
            // The same check, and the same words, as the admin page and the config file.
            let stored = store.groups().await?;
            for a in &addresses {
                if let Some(p) =
                    crate::core::mapping::address_problem(a.as_str(), slug.as_str(), &stored)
                {
                    bail!("{p}");
                }
            }
            let g = store.upsert_group(&slug, &name, &addresses).await?;
            audit_admin(
                store.as_ref(),
                "group_added",
                format!(
                    "group {} ({}) publishes from {}",
                    g.slug,
                    g.name,
                    g.addresses.join(", ")
                ),
            )
            .await?;
            println!(
                "group {} ({}) publishes from {}",
                g.slug,
                g.name,
                g.addresses.join(", ")
            );
        }
        GroupCommand::List => {
            let groups = store.group_summaries().await?;
            if groups.is_empty() {
                println!("no groups yet: add one with `outloud group add SLUG --address ADDRESS`");
            }
            for g in groups {
                println!(
                    "{:<16} {:<24} {:>6} threads {:>7} messages  {}",
                    g.group.slug,
                    g.group.name,
                    g.thread_count,
                    g.message_count,
                    g.group.addresses.join(", ")
                );
            }
        }
        GroupCommand::Remove { slug } => {
            if !store.remove_group(&slug).await? {
                bail!("no group {slug:?} (see `outloud group list`)");
            }
            audit_admin(
                store.as_ref(),
                "group_removed",
                format!("group {slug} removed with everything filed in it"),
            )
            .await?;
            if cfg.groups.iter().any(|g| g.slug == slug) {
                eprintln!(
                    "note: {slug} is declared in {} and comes back on the next start",
                    cfg.origin
                );
            }
            println!("removed group {slug}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn quarantine(cfg: &Config, cmd: QuarantineCommand) -> anyhow::Result<ExitCode> {
    let store = open_store(cfg).await?;
    match cmd {
        QuarantineCommand::List => {
            let rows = store.quarantined().await?;
            if rows.is_empty() {
                println!("quarantine is empty");
            }
            for q in rows {
                println!(
                    "{:>6}  {}  {} bytes  {}  {}",
                    q.id,
                    crate::export::rfc3339(q.received_at),
                    q.size,
                    q.source,
                    q.error
                );
            }
        }
        QuarantineCommand::Show { id } => {
            let Some(bytes) = store.quarantined_bytes(id).await? else {
                bail!("no quarantined mail with id {id} (see `outloud quarantine list`)");
            };
            use std::io::Write;
            std::io::stdout().write_all(&bytes)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

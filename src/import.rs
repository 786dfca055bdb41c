//! `outloud import PATH...`: mbox, Maildir and .eml files through the same pipeline as live
//! mail. Reading runs on its own thread, the pipeline on blocking threads, the database
//! writes on the async side, so the three overlap. A malformed mail never stops an import:
//! it is quarantined with its error and counted.

use std::collections::BTreeMap;
use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::ingest::{IngestError, Ingestor, MailResult, RawMail};
use crate::mailbox_files;
use crate::model::SkipRule;

/// Header `outloud export --mbox` puts first on mail filed with `--group`, so re-importing the
/// export files it the same way. Only `outloud import` honours it; it is removed before
/// hashing and storing, so the stored bytes are the original ones.
pub const IMPORT_GROUPS_HEADER: &str = "X-Outloud-Import-Groups:";

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub paths: Vec<PathBuf>,
    pub force_groups: Vec<String>,
    pub batch_size: usize,
    pub progress: bool,
}

/// The closing summary of an import.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ImportSummary {
    pub read: u64,
    /// Mails filed in at least one group.
    pub imported: u64,
    /// Of those, originals that replaced an entry reconstructed from quotes.
    pub replaced: u64,
    pub duplicates: u64,
    pub skipped: BTreeMap<String, u64>,
    /// The same skips by the rule that fired, keyed by its stable name (`auto_submitted`, …).
    pub skipped_by_rule: BTreeMap<SkipRule, u64>,
    pub quarantined: u64,
    /// Held by policy for a moderator (`outloud held list`), by rule.
    pub held: BTreeMap<String, u64>,
    /// Files or parts of files that could not be read, with the error.
    pub file_errors: Vec<String>,
    /// Files read, but maybe not as their writer meant (an mboxo file without blank lines
    /// before its `From ` lines).
    pub warnings: Vec<String>,
}

impl std::fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let skipped: u64 = self.skipped.values().sum();
        write!(
            f,
            "read {}, imported {}, duplicates {}, skipped {}, quarantined {}",
            self.read, self.imported, self.duplicates, skipped, self.quarantined
        )?;
        if self.replaced > 0 {
            write!(f, " ({} replaced a reconstruction)", self.replaced)?;
        }
        if !self.held.is_empty() {
            let parts: Vec<String> = self.held.iter().map(|(r, n)| format!("{r}: {n}")).collect();
            write!(f, "\n  held for a moderator by rule: {}", parts.join(", "))?;
        }
        if skipped > 0 {
            let parts: Vec<String> = self
                .skipped
                .iter()
                .map(|(r, n)| format!("{r}: {n}"))
                .collect();
            write!(f, "\n  skipped by reason: {}", parts.join(", "))?;
            // Which rule fired, so an admin sees at once whether a rule misfires on their mail.
            let rules: Vec<String> = self
                .skipped_by_rule
                .iter()
                .map(|(r, n)| format!("{} ({}): {n}", r.reason().as_str(), r.label()))
                .collect();
            write!(f, "\n  skipped by rule: {}", rules.join(", "))?;
        }
        if self.quarantined > 0 {
            write!(f, "\n  see `outloud quarantine list`")?;
        }
        for e in &self.file_errors {
            write!(f, "\n  error: {e}")?;
        }
        for w in &self.warnings {
            write!(f, "\n  warning: {w}")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error("unknown group {0:?} given to --group (see `outloud group list`)")]
    UnknownGroup(String),
    #[error("reader thread failed: {0}")]
    Reader(String),
}

enum Read {
    Batch(Vec<RawMail>),
    FileError(String),
    Warning(String),
}

/// What the processing stage hands the storing stage.
enum Processed {
    Batch(crate::ingest::ProcessedBatch, u64),
    FileError(String),
    Warning(String),
}

/// Split off the export's group header, if the mail starts with it.
pub fn take_import_groups(bytes: &mut Vec<u8>) -> Vec<String> {
    if !bytes.starts_with(IMPORT_GROUPS_HEADER.as_bytes()) {
        return Vec::new();
    }
    let end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .map(|i| i + 1)
        .unwrap_or(bytes.len());
    let line = String::from_utf8_lossy(&bytes[IMPORT_GROUPS_HEADER.len()..end]).to_string();
    bytes.drain(..end);
    line.split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

pub async fn import(
    ingestor: &Ingestor,
    opts: ImportOptions,
    now: impl Fn() -> i64,
) -> Result<ImportSummary, ImportError> {
    for slug in &opts.force_groups {
        if ingestor.directory().by_slug(slug).is_none() {
            return Err(ImportError::UnknownGroup(slug.clone()));
        }
    }
    let bar = progress_bar(&opts);

    // Reader thread → bounded channel: memory stays flat however large the mailbox.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Read>(2);
    let paths = opts.paths.clone();
    let force = opts.force_groups.clone();
    let batch_size = opts.batch_size.max(1);
    let reader = std::thread::spawn(move || read_all(paths, force, batch_size, tx));

    // Process batch n+1 while batch n is written.
    let (ptx, mut prx) = tokio::sync::mpsc::channel(1);
    let mut summary = ImportSummary::default();
    let processing = async {
        while let Some(read) = rx.recv().await {
            match read {
                Read::Batch(raws) => {
                    let bytes: u64 = raws.iter().map(|r| r.bytes.len() as u64).sum();
                    let batch = ingestor.process(raws).await?;
                    if ptx.send(Processed::Batch(batch, bytes)).await.is_err() {
                        break;
                    }
                }
                Read::FileError(e) => {
                    if ptx.send(Processed::FileError(e)).await.is_err() {
                        break;
                    }
                }
                Read::Warning(w) => {
                    if ptx.send(Processed::Warning(w)).await.is_err() {
                        break;
                    }
                }
            }
        }
        drop(ptx);
        Ok::<(), ImportError>(())
    };
    let storing = async {
        while let Some(next) = prx.recv().await {
            match next {
                Processed::Batch(batch, bytes) => {
                    let reports = ingestor.store_batch(batch, None, now()).await?;
                    reports.into_iter().for_each(|r| summary.count(r.result));
                    bar.inc(bytes);
                    bar.set_message(format!("{} mails", summary.read));
                }
                Processed::FileError(e) => {
                    bar.println(format!("error: {e}"));
                    summary.file_errors.push(e);
                }
                Processed::Warning(w) => {
                    bar.println(format!("warning: {w}"));
                    summary.warnings.push(w);
                }
            }
        }
        Ok::<(), ImportError>(())
    };
    let (p, s) = tokio::join!(processing, storing);
    bar.finish_and_clear();
    p?;
    s?;
    reader
        .join()
        .map_err(|_| ImportError::Reader("panicked".into()))?;
    Ok(summary)
}

/// A bar over the bytes to read, drawn on stderr when asked for; hidden otherwise.
fn progress_bar(opts: &ImportOptions) -> ProgressBar {
    if !opts.progress {
        return ProgressBar::hidden();
    }
    let total_bytes: u64 = opts.paths.iter().map(|p| path_size(p)).sum();
    let b = ProgressBar::with_draw_target(Some(total_bytes), ProgressDrawTarget::stderr());
    b.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg} ({eta})",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    b
}

impl ImportSummary {
    /// Count one mail's result.
    fn count(&mut self, result: MailResult) {
        self.read += 1;
        match result {
            MailResult::Published { replaced, .. } => {
                self.imported += 1;
                self.replaced += u64::from(replaced > 0);
            }
            MailResult::Duplicate => self.duplicates += 1,
            MailResult::Skipped { reason, rule, .. } => {
                *self.skipped.entry(reason.as_str().to_string()).or_default() += 1;
                *self.skipped_by_rule.entry(rule).or_default() += 1;
            }
            MailResult::Quarantined { .. } => self.quarantined += 1,
            MailResult::Held { rule, .. } => *self.held.entry(rule).or_default() += 1,
        }
    }
}

fn path_size(p: &std::path::Path) -> u64 {
    match std::fs::metadata(p) {
        Ok(m) if m.is_file() => m.len(),
        Ok(m) if m.is_dir() => ["cur", "new", ""]
            .iter()
            .filter_map(|sub| std::fs::read_dir(p.join(sub)).ok())
            .flat_map(|rd| rd.filter_map(|e| e.ok()))
            .filter_map(|e| e.metadata().ok())
            .filter(|m| m.is_file())
            .map(|m| m.len())
            .sum(),
        _ => 0,
    }
}

fn read_all(
    paths: Vec<PathBuf>,
    force: Vec<String>,
    batch_size: usize,
    tx: tokio::sync::mpsc::Sender<Read>,
) {
    // Start small and double up to `batch_size`: the writer gets its first batch sooner, so
    // less of the import runs with only one stage busy.
    let mut current = batch_size.min(64);
    let mut batch = Vec::with_capacity(current);
    for path in paths {
        let mut items = match mailbox_files::open(&path) {
            Ok(items) => items,
            Err(e) => {
                if tx.blocking_send(Read::FileError(e.to_string())).is_err() {
                    return;
                }
                continue;
            }
        };
        for item in items.by_ref() {
            match item {
                Ok(item) => {
                    let mut bytes = item.bytes;
                    let mut groups = take_import_groups(&mut bytes);
                    for g in &force {
                        if !groups.contains(g) {
                            groups.push(g.clone());
                        }
                    }
                    batch.push(RawMail {
                        bytes,
                        source: format!("import:{}", item.origin),
                        force_groups: groups,
                    });
                    if batch.len() >= current {
                        current = (current * 2).min(batch_size);
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(current));
                        if tx.blocking_send(Read::Batch(full)).is_err() {
                            return;
                        }
                    }
                }
                Err(e) => {
                    if tx.blocking_send(Read::FileError(e.to_string())).is_err() {
                        return;
                    }
                }
            }
        }
        if let Some(w) = items.warning() {
            if tx.blocking_send(Read::Warning(w)).is_err() {
                return;
            }
        }
    }
    if !batch.is_empty() {
        let _ = tx.blocking_send(Read::Batch(batch));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_counts_skips_by_rule() {
        let mut s = ImportSummary {
            read: 6,
            imported: 2,
            ..Default::default()
        };
        s.skipped.insert("auto_reply".into(), 3);
        s.skipped.insert("loop".into(), 1);
        s.skipped_by_rule.insert(SkipRule::OutOfOfficeSubject, 1);
        s.skipped_by_rule.insert(SkipRule::AutoSubmitted, 2);
        s.skipped_by_rule.insert(SkipRule::LoopHeader, 1);
        assert_eq!(
            s.to_string(),
            "read 6, imported 2, duplicates 0, skipped 4, quarantined 0\n  \
             skipped by reason: auto_reply: 3, loop: 1\n  \
             skipped by rule: auto_reply (Auto-Submitted): 2, \
             auto_reply (out-of-office subject): 1, loop (X-Outloud-Loop): 1"
        );
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["skipped_by_rule"]["auto_submitted"], 2);
        assert_eq!(json["skipped_by_rule"]["out_of_office_subject"], 1);
        // The JSON keys are the rules' stable names.
        for r in s.skipped_by_rule.keys() {
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        let none = ImportSummary::default().to_string();
        assert!(!none.contains("skipped by"), "{none}");
    }

    #[test]
    fn import_groups_header_is_removed_exactly() {
        let mut m = b"X-Outloud-Import-Groups: eng, sales\r\nFrom: a@b.c\r\n\r\nhi\r\n".to_vec();
        assert_eq!(take_import_groups(&mut m), vec!["eng", "sales"]);
        assert_eq!(m, b"From: a@b.c\r\n\r\nhi\r\n");
        let mut plain = b"From: a@b.c\n\nhi\n".to_vec();
        assert!(take_import_groups(&mut plain).is_empty());
        assert_eq!(plain, b"From: a@b.c\n\nhi\n");
    }
}

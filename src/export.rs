//! `outloud export`: the whole network as JSON Lines (schema in `docs/EXPORT.md`), or the
//! stored raw mail as an mboxrd file — the backup and migration path: importing that mbox
//! into an empty database (with the same groups) rebuilds the same network.

use std::io::Write;

use serde::Serialize;

use crate::import::IMPORT_GROUPS_HEADER;
use crate::mailbox_files::MboxWriter;
use crate::model::Attachment;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the export: {0}")]
    Write(#[from] std::io::Error),
    #[error(transparent)]
    File(#[from] crate::mailbox_files::FileError),
}

const PAGE: i64 = 1000;

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Line<'a> {
    Group {
        slug: &'a str,
        name: &'a str,
        addresses: &'a [String],
    },
    Thread {
        id: i64,
        group: &'a str,
        subject: &'a str,
        started_at: String,
        last_activity: String,
        message_count: i64,
    },
    Message(MessageLine<'a>),
}

#[derive(Serialize)]
struct MessageLine<'a> {
    message_id: &'a str,
    group: &'a str,
    thread_id: i64,
    author: Author<'a>,
    date: String,
    subject: &'a str,
    body: &'a str,
    quoted: &'a str,
    signoff: &'a str,
    signature: &'a str,
    disclaimer: &'a str,
    reconstructed: bool,
    via: &'a str,
    attachments: &'a [Attachment],
}

#[derive(Serialize)]
struct Author<'a> {
    email: &'a str,
    name: Option<&'a str>,
}

pub fn rfc3339(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Counts written, for the closing line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ExportCounts {
    pub groups: u64,
    pub threads: u64,
    pub messages: u64,
    pub raws: u64,
}

pub async fn export_jsonl(
    store: &dyn Store,
    out: &mut dyn Write,
) -> Result<ExportCounts, ExportError> {
    let mut n = ExportCounts::default();
    let groups = store.groups().await?;
    for g in &groups {
        serde_json::to_writer(
            &mut *out,
            &Line::Group {
                slug: &g.slug,
                name: &g.name,
                addresses: &g.addresses,
            },
        )
        .map_err(std::io::Error::from)?;
        out.write_all(b"\n")?;
        n.groups += 1;
    }
    let mut after = 0;
    loop {
        let page = store.threads_after(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for t in &page {
            let line = Line::Thread {
                id: t.id,
                group: &t.group_slug,
                subject: &t.subject,
                started_at: rfc3339(t.started_at),
                last_activity: rfc3339(t.last_activity),
                message_count: t.message_count,
            };
            serde_json::to_writer(&mut *out, &line).map_err(std::io::Error::from)?;
            out.write_all(b"\n")?;
            n.threads += 1;
        }
    }
    let mut after = 0;
    loop {
        let page = store.messages_after(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.place.id;
        for m in &page {
            let line = Line::Message(MessageLine {
                message_id: &m.message_id,
                group: &m.place.group_slug,
                thread_id: m.place.thread_id,
                author: Author {
                    email: &m.author_email,
                    name: m.author_name.as_deref(),
                },
                date: rfc3339(m.date),
                subject: &m.subject,
                body: &m.clean.body,
                quoted: &m.clean.quoted,
                signoff: &m.clean.signoff,
                signature: &m.clean.signature,
                disclaimer: &m.clean.disclaimer,
                reconstructed: m.reconstructed,
                via: m.via.as_str(),
                attachments: &m.attachments,
            });
            serde_json::to_writer(&mut *out, &line).map_err(std::io::Error::from)?;
            out.write_all(b"\n")?;
            n.messages += 1;
        }
    }
    out.flush()?;
    Ok(n)
}

/// Every stored raw mail in arrival order (skipped ones too, so a restore skips them again).
pub async fn export_mbox(
    store: &dyn Store,
    out: &mut dyn Write,
    name: &str,
) -> Result<ExportCounts, ExportError> {
    let mut n = ExportCounts::default();
    let mut w = MboxWriter::new(out, name);
    let mut after = 0;
    loop {
        let page = store.raws_after(after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for r in &page {
            if r.force_groups.is_empty() {
                w.write_message(&r.bytes)?;
            } else {
                // Keep the mail's own line ending so the import strips the header exactly.
                let eol: &[u8] = if r.bytes.windows(2).take(2000).any(|p| p == b"\r\n") {
                    b"\r\n"
                } else {
                    b"\n"
                };
                let mut bytes =
                    format!("{IMPORT_GROUPS_HEADER} {}", r.force_groups.join(",")).into_bytes();
                bytes.extend_from_slice(eol);
                bytes.extend_from_slice(&r.bytes);
                w.write_message(&bytes)?;
            }
            n.raws += 1;
        }
    }
    w.finish()?.flush()?;
    Ok(n)
}

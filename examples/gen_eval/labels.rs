//! Ground truth: `labels.json` (schema read by `outloud::eval`), the group's `corpus.mbox`
//! in arrival order, a README line, and the self-check that every labelled body is visible
//! in what the parser extracts from the mail.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::mail::Mail;
use crate::people::Person;
use crate::{Gen, GROUPS};

#[derive(Serialize)]
struct LabelFile<'a> {
    split: &'a str,
    seed: u64,
    command: &'a str,
    groups: Vec<GroupLabel>,
    conversations: Vec<ConvLabel>,
    mails: Vec<MailLabel>,
}

#[derive(Serialize)]
struct GroupLabel {
    slug: &'static str,
    name: &'static str,
    address: &'static str,
}

#[derive(Serialize)]
struct ConvLabel {
    id: String,
    group: &'static str,
    subject: String,
    plot: &'static str,
    lang: &'static str,
    tags: Vec<String>,
    mails: Vec<String>,
}

#[derive(Serialize)]
struct Author {
    name: String,
    email: String,
}

#[derive(Serialize)]
struct MailLabel {
    message_id: String,
    conversation: String,
    in_group: bool,
    author: Author,
    /// True send time, unix seconds UTC.
    date: i64,
    /// Offset of the Date header, seconds.
    date_offset: i32,
    subject: String,
    /// What the author wrote: the expected clean body.
    body: String,
    client: &'static str,
    lang: &'static str,
    ui: &'static str,
    style: &'static str,
    html_only: bool,
    charset: &'static str,
    transfer: &'static str,
    tags: Vec<String>,
    /// Earlier mails whose attribution this mail carries, outermost first.
    quotes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    history: Option<History>,
}

/// For a private mail: where the group sees it quoted.
#[derive(Serialize)]
struct History {
    /// Some group mail shows it with a date: it can be rebuilt with author and date.
    scorable: bool,
    /// Group mails that quote it, earliest first.
    quoted_by: Vec<String>,
    /// Client/locale that wrote the attribution seen first.
    attribution: String,
    depth: usize,
    has_address: bool,
    wrapped: bool,
    /// explicit-offset | same-offset (as the quoting mail's Date) | other-offset
    zone: &'static str,
}

fn conv_id(split: &str, ci: usize) -> String {
    format!("{split}-c{:03}", ci + 1)
}

fn history(gen: &Gen, mi: usize) -> Option<History> {
    let m = &gen.mails[mi];
    if m.in_group {
        return None;
    }
    let mut quoting: Vec<(usize, &crate::mail::QuoteOcc)> = gen
        .mails
        .iter()
        .enumerate()
        .filter(|(_, g)| g.in_group)
        .filter_map(|(gi, g)| g.quoted.iter().find(|o| o.mail == mi).map(|o| (gi, o)))
        .collect();
    quoting.sort_by_key(|(gi, _)| (gen.mails[*gi].arrival, *gi));
    let &(first, occ) = quoting.first()?;
    let zone = if occ.explicit {
        "explicit-offset"
    } else if occ.shown_offset == gen.mails[first].date_offset {
        "same-offset"
    } else {
        "other-offset"
    };
    Some(History {
        scorable: quoting.iter().any(|(_, o)| o.has_date),
        quoted_by: quoting
            .iter()
            .map(|(gi, _)| gen.mails[*gi].message_id.clone())
            .collect(),
        attribution: occ.style.clone(),
        depth: occ.depth,
        has_address: occ.has_address,
        wrapped: occ.wrapped,
        zone,
    })
}

/// The plan's tags, plus `same-subject-near` when another conversation of the same group
/// has the same subject within 30 days (by chance, not as a planned trap).
fn conv_tags(gen: &Gen, ci: usize) -> Vec<String> {
    let p = &gen.plans[ci];
    let mut tags = p.tags.clone();
    let near = gen.plans.iter().enumerate().any(|(cj, q)| {
        cj != ci
            && q.group == p.group
            && q.subject == p.subject
            && (q.start - p.start).abs() < 30 * 86_400
    });
    if near && !tags.iter().any(|t| t == "same-subject-week") {
        tags.push("same-subject-near".into());
    }
    tags
}

fn mail_label(gen: &Gen, mi: usize) -> MailLabel {
    let m = &gen.mails[mi];
    let p = &gen.roster[m.author];
    let mut tags = m.tags.clone();
    if let Some(depth) = m.quoted.iter().map(|o| o.depth).max() {
        tags.push(format!("nested-{}", depth.min(5)));
    }
    if m.quoted.iter().any(|o| o.depth == 1 && o.wrapped) {
        tags.push("wrapped-attribution".into());
    }
    if m.quoted.iter().any(|o| o.depth == 1 && !o.has_address) {
        tags.push("name-only-attribution".into());
    }
    MailLabel {
        message_id: m.message_id.clone(),
        conversation: conv_id(&gen.split, m.conv),
        in_group: m.in_group,
        author: Author {
            name: p.display.clone(),
            email: p.email.clone(),
        },
        date: m.date,
        date_offset: m.date_offset,
        subject: m.subject.clone(),
        body: m.body.clone(),
        client: m.client.name(),
        lang: m.lang.code(),
        ui: p.ui.tag(),
        style: m.style.name(),
        html_only: m.html_only,
        charset: m.charset,
        transfer: m.transfer,
        tags,
        quotes: m
            .quoted
            .iter()
            .map(|o| gen.mails[o.mail].message_id.clone())
            .collect(),
        history: history(gen, mi),
    }
}

/// Write the split's files; returns a one-line summary.
pub fn write(
    dir: &Path,
    split: &str,
    seed: u64,
    command: &str,
    gen: &Gen,
) -> Result<String, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut group_mails: Vec<usize> = (0..gen.mails.len())
        .filter(|&i| gen.mails[i].in_group)
        .collect();
    group_mails.sort_by_key(|&i| (gen.mails[i].arrival, i));
    let path = dir.join("corpus.mbox");
    let mut w = outloud::mailbox_files::MboxWriter::create(&path).map_err(|e| e.to_string())?;
    for &i in &group_mails {
        let m = &gen.mails[i];
        let env = outloud::mailbox_files::Envelope {
            sender: Some(gen.roster[m.author].email.clone()),
            date: Some(m.arrival),
        };
        w.write_message_with(&m.raw, &env)
            .map_err(|e| e.to_string())?;
    }
    w.finish().map_err(|e| e.to_string())?;

    let conversations = gen
        .plans
        .iter()
        .enumerate()
        .map(|(ci, p)| ConvLabel {
            id: conv_id(split, ci),
            group: GROUPS[p.group].0,
            subject: p.subject.clone(),
            plot: p.plot,
            lang: p.lang.code(),
            tags: conv_tags(gen, ci),
            mails: gen
                .mails
                .iter()
                .filter(|m| m.conv == ci)
                .map(|m| m.message_id.clone())
                .collect(),
        })
        .collect();
    let file = LabelFile {
        split,
        seed,
        command,
        groups: GROUPS
            .iter()
            .map(|&(slug, name, address)| GroupLabel {
                slug,
                name,
                address,
            })
            .collect(),
        conversations,
        mails: (0..gen.mails.len()).map(|i| mail_label(gen, i)).collect(),
    };
    let json = serde_json::to_string_pretty(&file).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("labels.json"), json + "\n").map_err(|e| e.to_string())?;
    let readme = format!(
        "Generated by `{command}` (seed {seed}); see docs/ACCURACY.md. Do not edit by hand.\n"
    );
    std::fs::write(dir.join("README.md"), readme).map_err(|e| e.to_string())?;
    Ok(summary(gen, group_mails.len()))
}

fn summary(gen: &Gen, group: usize) -> String {
    let private = gen.mails.len() - group;
    let scorable = (0..gen.mails.len())
        .filter_map(|i| history(gen, i))
        .filter(|h| h.scorable)
        .count();
    let mut clients: BTreeMap<&str, usize> = BTreeMap::new();
    let mut langs: BTreeMap<&str, usize> = BTreeMap::new();
    for m in gen.mails.iter().filter(|m| m.in_group) {
        *clients.entry(m.client.name()).or_default() += 1;
        *langs.entry(m.lang.code()).or_default() += 1;
    }
    let html_only = gen
        .mails
        .iter()
        .filter(|m| m.in_group && m.html_only)
        .count();
    format!(
        "{} conversations, {group} group mails, {private} private ({scorable} quoted with a date), HTML-only {html_only}\n  clients {clients:?}\n  languages {langs:?}",
        gen.plans.len()
    )
}

/// Every group mail must parse, keep its Message-ID, and show the labelled body's lines in
/// order in the text the parser extracts.
pub fn check(mails: &[Mail], roster: &[Person]) -> Result<(), String> {
    for m in mails.iter().filter(|m| m.in_group) {
        let parsed = outloud::core::parse::parse(&m.raw)
            .map_err(|e| format!("{}: does not parse: {e}", m.message_id))?;
        if parsed.message_id != m.message_id {
            return Err(format!(
                "{}: parsed Message-ID {}",
                m.message_id, parsed.message_id
            ));
        }
        let from = parsed.from.as_ref().map(|a| a.email.as_str()).unwrap_or("");
        if !from.eq_ignore_ascii_case(&roster[m.author].email) {
            return Err(format!("{}: parsed From {from}", m.message_id));
        }
        let text: Vec<&str> = parsed.text.lines().map(str::trim_end).collect();
        let mut at = 0;
        for want in m.body.lines().map(str::trim_end).filter(|l| !l.is_empty()) {
            match text[at..].iter().position(|l| *l == want) {
                Some(k) => at += k + 1,
                None => {
                    return Err(format!(
                        "{} ({}): body line {want:?} not in the parsed text:\n{}",
                        m.message_id,
                        m.client.name(),
                        parsed.text
                    ))
                }
            }
        }
        if m.body.trim().is_empty() {
            return Err(format!("{}: empty body label", m.message_id));
        }
    }
    Ok(())
}

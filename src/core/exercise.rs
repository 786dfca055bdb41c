//! Every pure stage that hostile input reaches, driven from one input: what the fuzzer
//! (`fuzz/`, `scripts/fuzz.sh`) and `tests/fuzz_regressions.rs` run. Not used by outloud itself.
//!
//! The input is read as a raw mail and as text typed into the web view. As a mail it goes
//! through the pipeline three ways (default options; policy on with every rule, outloud's own
//! identity set so bounces are read; as written on the web), then through the planner, and
//! what a published mail yields feeds the later consumers of mail text: the search index,
//! query and highlighter, the digest's excerpt and both rendered parts, the web reply (draft,
//! composed mail, archived copy, read back). As typed text it is a search query, date bounds,
//! a sign-in address (and its link mail) and return path, and a comment's text.

use std::sync::{Arc, OnceLock};

use super::compose::{compose, Person, Sender};
use super::digest::render::{render, ItemLinks, RenderContext};
use super::digest::select::{Item, Selection, Why};
use super::pipeline::{process, Options, Outcome, Processed};
use super::plan::{plan, BatchItem, Known, PlanOptions};
use super::policy::{HeaderPattern, Outsiders, PolicyConfig};
use super::route::GroupDirectory;
use super::search::query::{parse_date_bound, Bound};
use super::search::snippet::Highlighter;
use super::search::terms::{tokenize, Document};
use super::search::ParsedQuery;
use super::{signin, web_reply};
use crate::model::GroupEntry;

/// Run `input` through every stage; panics are the findings.
pub fn exercise_all(input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    typed(&text);
    let dir = directory();
    let mut items = Vec::new();
    for opts in options() {
        let Ok(outcome) = process(input, dir, opts) else {
            continue;
        };
        if let Outcome::Publish(p) = &outcome {
            p.reconstructed();
            published(p);
        }
        items.push(BatchItem {
            outcome,
            bytes: Arc::new(input.to_vec()),
            source: "fuzz".into(),
            force_groups: vec!["eng".into()],
        });
    }
    let opts = PlanOptions {
        subject_window_secs: 14 * 86_400,
        now: 1_800_000_000,
        retracted_raw_secs: Some(86_400),
    };
    plan(&items, Known::default(), &opts);
}

fn directory() -> &'static GroupDirectory {
    static DIR: OnceLock<GroupDirectory> = OnceLock::new();
    DIR.get_or_init(|| {
        GroupDirectory::new(vec![GroupEntry {
            id: 1,
            slug: "eng".into(),
            name: "Engineering".into(),
            addresses: vec!["eng@corp.example".into()],
        }])
    })
}

/// Default options; policy with every rule on and outloud's identity set; from the web.
fn options() -> &'static [Options; 3] {
    static OPTS: OnceLock<[Options; 3]> = OnceLock::new();
    OPTS.get_or_init(|| {
        let plain = Options {
            force_groups: vec!["eng".into()],
            ..Options::default()
        };
        let mut strict = plain.clone();
        strict.own.addresses = vec!["outloud@corp.example".into()];
        strict.own.loop_marker = "outloud-fuzz".into();
        strict.own.bounce_address = Some("bounces@corp.example".into());
        strict.policy = PolicyConfig {
            enabled: true,
            trusted_authserv_ids: vec!["mx.corp.example".into()],
            trust_unnamed_results: true,
            allowed_domains: vec!["corp.example".into()],
            blocked_labels: vec!["0f6ad3b4-0000-4000-8000-000000000001".into()],
            subject_tags: vec!["[confidential]".into()],
            header_patterns: HeaderPattern::parse("X-Classification: (?i)secret")
                .into_iter()
                .collect(),
            hold_bcc_only: true,
            outsiders: Outsiders::Mask,
            hold_first_post: true,
            undo_windows: vec![("eng".into(), 600)],
            retracted_raw_days: Some(1),
            ..PolicyConfig::default()
        };
        let web = Options {
            from_web: true,
            ..strict.clone()
        };
        [plain, strict, web]
    })
}

/// What later stages do with a published mail's text.
fn published(p: &Processed) {
    let mail = &p.mail;
    let author = mail.from.as_ref();
    let name = author.and_then(|a| a.name.as_deref());
    let email = author.map_or("", |a| a.email.as_str());
    let body = &p.clean.body;
    let _ = Document::new(&mail.subject, name, email, body);
    tokenize(body);
    let query = ParsedQuery::parse(&mail.subject, name);
    let hl = Highlighter::new(&query);
    hl.mark_all(&mail.subject);
    hl.snippet(body);
    digest(p, name.unwrap_or(email));
    reply(p, name, email);
}

/// The digest that would feature this mail's thread, both parts.
fn digest(p: &Processed, author: &str) {
    let item = Item {
        thread_id: 1,
        group_slug: "eng".into(),
        group_name: "Engineering".into(),
        subject: p.mail.subject.clone(),
        talking: vec![author.to_string()],
        more_talking: 0,
        participants: 1,
        replies: 0,
        last_activity: p.mail.date.unwrap_or(0),
        excerpt: super::digest::excerpt::excerpt(&p.clean.body, 100, 600),
        excerpt_author: author.to_string(),
        why: Why::Correspondents {
            names: vec![author.to_string()],
        },
        featured: true,
    };
    let selection = Selection {
        items: vec![item],
        first: true,
        groups: vec!["eng".into()],
    };
    let ctx = RenderContext {
        site_name: "Corp's outloud".into(),
        operator: "IT (it@corp.example)".into(),
        period_label: "week of 7 December 2026".into(),
        links: vec![ItemLinks {
            url: "https://outloud.corp.example/d/c/tok/1".into(),
            reply_to: "eng+r-tok@corp.example".into(),
        }],
        unsubscribe_url: "https://outloud.corp.example/d/u/tok".into(),
        settings_url: None,
        group_names: vec!["Engineering".into()],
    };
    let _ = render(&selection, &ctx);
}

/// A comment on this mail's thread written on the web, as mailed out and as filed, read back.
fn reply(p: &Processed, name: Option<&str>, email: &str) {
    let author = Person {
        name: name.map(str::to_string),
        email: "ann@corp.example".into(),
    };
    let thread = [web_reply::ThreadMessage {
        message_id: &p.mail.message_id,
        author_email: email,
        author_name: name,
        reconstructed: false,
        recipients: &p.mail.to,
    }];
    let w = web_reply::Written {
        author: &author,
        subject: &p.mail.subject,
        text: &p.clean.body,
        group_address: "eng@corp.example",
    };
    let Ok(draft) = web_reply::draft(&w, &thread, &[]) else {
        return;
    };
    let _ = compose(&sender(), &draft, "fuzz.1@corp.example", 1_800_000_000);
    if let Ok(filed) = web_reply::archived(&w, &draft, "fuzz.1@corp.example", 0, "outloud-fuzz") {
        let _ = process(&filed, directory(), &options()[2]);
    }
}

fn sender() -> Sender {
    Sender {
        from: "outloud@corp.example".into(),
        from_name: "outloud".into(),
        message_id_domain: "corp.example".into(),
        bounce_address: "bounces@corp.example".into(),
        loop_marker: "outloud-fuzz".into(),
    }
}

/// The input as typed into the web view's forms and query strings (header patterns are
/// left out: they come from the config file, and a regular expression's build time is
/// regex's business).
fn typed(text: &str) {
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let query = ParsedQuery::parse(first, Some(rest));
    Highlighter::new(&query).snippet(rest);
    let _ = parse_date_bound(first, Bound::From);
    let _ = parse_date_bound(first, Bound::To);
    if let Some(email) = signin::normalise_email(first) {
        signin::domain_allowed(&email, &["corp.example".into()]);
        let draft = signin::link_draft(&email, "https://o.example/signin/link?t=x", "o.example");
        let _ = compose(&sender(), &draft, "fuzz.2@corp.example", 1_800_000_000);
    }
    signin::safe_next(Some(first));
    let _ = web_reply::clean_text(rest);
    web_reply::reply_subject(first);
}

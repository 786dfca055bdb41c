//! Arrival order must not matter, and no mail may vanish: conversations (some with the group cc'd
//! midway, some with References cut short, Outlook mail with only Thread-Index, several sharing
//! a subject in the same week) are ingested in many shuffled orders and batch sizes into a real
//! store. After every batch `outloud check`'s accounting finds every stored mail published or
//! recorded as skipped; at the end every order gives the same threads, one per conversation,
//! each private mail that a group mail quotes rebuilt exactly once.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use outloud::check;
use outloud::core::pipeline::Options;
use outloud::ingest::{IngestSettings, Ingestor, RawMail};
use outloud::seeded::{SeededRng, SliceSeeded};
use outloud::store::Store;

const GROUP: &str = "eng@corp.example";
const DAY: i64 = 86_400;
const T0: i64 = 1_740_000_000;
const SUBJECTS: &[&str] = &["Launch plan", "Status", "Budget", "Offsite", "Hiring"];
const PEOPLE: &[(&str, &str)] = &[
    ("Ann Lee", "ann@corp.example"),
    ("Bob Stone", "bob@corp.example"),
    ("Chen Wei", "chen@corp.example"),
    ("Dana Ruiz", "dana@corp.example"),
    ("Eve Novak", "eve@corp.example"),
];

/// How a reply carries its threading headers.
#[derive(Clone, Copy)]
enum Headers {
    Full,
    /// In-Reply-To only (References cut).
    ParentOnly,
    /// Outlook: Thread-Index and In-Reply-To, no References.
    ThreadIndex,
}

struct Mail {
    id: String,
    parent: Option<usize>,
    author: usize,
    date: i64,
    body: String,
    to_group: bool,
    headers: Headers,
}

struct Conversation {
    subject: String,
    mails: Vec<Mail>,
    index_root: [u8; 22],
}

/// A conversation of 2–6 mails; the first 0–3 stay private, the group is cc'd from then on.
fn conversation(rng: &mut SeededRng, c: usize, start: i64) -> Conversation {
    let n = rng.gen_range(2..=6);
    let private = rng.gen_range(0..=3.min(n - 1));
    let style = match rng.gen_range(0..10) {
        0..=5 => Headers::Full,
        6..=7 => Headers::ParentOnly,
        _ => Headers::ThreadIndex,
    };
    let mut mails: Vec<Mail> = Vec::new();
    for i in 0..n {
        let parent = (i > 0).then(|| rng.gen_range(0..i));
        let date = mails.last().map_or(start, |m: &Mail| m.date) + rng.gen_range(600..20_000);
        let words = [
            "ship", "numbers", "review", "friday", "budget", "team", "draft",
        ];
        let body = (0..rng.gen_range(6..18))
            .map(|_| *words.choose(rng).unwrap())
            .collect::<Vec<_>>()
            .join(" ");
        mails.push(Mail {
            id: format!("c{c}m{i}.{}@corp.example", rng.next_u32()),
            parent,
            author: rng.gen_range(0..PEOPLE.len()),
            date,
            body: format!("Message {i} of conversation {c}: {body}."),
            to_group: i >= private,
            headers: style,
        });
    }
    Conversation {
        subject: SUBJECTS[c % SUBJECTS.len()].to_string(),
        mails,
        // One draw per byte, as the generator always made them.
        index_root: std::array::from_fn(|_| rng.next_u32() as u8),
    }
}

fn rfc2822(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap()
        .format("%a, %d %b %Y %H:%M:%S +0000")
        .to_string()
}

fn ancestors(conv: &Conversation, i: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut at = conv.mails[i].parent;
    while let Some(p) = at {
        out.push(p);
        at = conv.mails[p].parent;
    }
    out.reverse();
    out
}

/// The body with the parent's whole message quoted below a Gmail attribution.
fn quoted_text(conv: &Conversation, i: usize) -> String {
    let m = &conv.mails[i];
    let Some(p) = m.parent else {
        return m.body.clone();
    };
    let parent = &conv.mails[p];
    let (name, addr) = PEOPLE[parent.author];
    let when = chrono::DateTime::from_timestamp(parent.date, 0)
        .unwrap()
        .format("%a, %b %-d, %Y at %-I:%M %p");
    let quote: String = quoted_text(conv, p)
        .lines()
        .map(|l| {
            if l.starts_with('>') {
                format!(">{l}\n")
            } else {
                format!("> {l}\n")
            }
        })
        .collect();
    format!("{}\n\nOn {when} {name} <{addr}> wrote:\n{quote}", m.body)
}

fn b64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        for k in 0..=chunk.len() {
            out.push(A[(n >> (18 - 6 * k) & 63) as usize] as char);
        }
    }
    while !out.len().is_multiple_of(4) {
        out.push('=');
    }
    out
}

fn raw(conv: &Conversation, i: usize) -> Vec<u8> {
    let m = &conv.mails[i];
    let (name, addr) = PEOPLE[m.author];
    let (_, to) = PEOPLE[(m.author + 1) % PEOPLE.len()];
    let mut h = format!(
        "Message-ID: <{}>\r\nDate: {}\r\nFrom: {name} <{addr}>\r\nTo: {to}\r\nCc: {GROUP}\r\n",
        m.id,
        rfc2822(m.date)
    );
    let prefix = if m.parent.is_some() { "Re: " } else { "" };
    h.push_str(&format!("Subject: {prefix}{}\r\n", conv.subject));
    if let Some(p) = m.parent {
        h.push_str(&format!("In-Reply-To: <{}>\r\n", conv.mails[p].id));
        if let Headers::Full = m.headers {
            let refs: Vec<String> = (ancestors(conv, i).iter())
                .map(|a| format!("<{}>", conv.mails[*a].id))
                .collect();
            h.push_str(&format!("References: {}\r\n", refs.join(" ")));
        }
    }
    if let Headers::ThreadIndex = m.headers {
        let mut index = conv.index_root.to_vec();
        index.extend(std::iter::repeat_n(7u8, 5 * ancestors(conv, i).len()));
        h.push_str(&format!("Thread-Index: {}\r\n", b64(&index)));
    }
    h.push_str("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
    let body = quoted_text(conv, i).replace('\n', "\r\n");
    format!("{h}{body}\r\n").into_bytes()
}

/// Conversations; those sharing a subject start within the same week, and one pair a year apart.
fn corpus(seed: u64) -> (Vec<Conversation>, Vec<(String, Vec<u8>)>) {
    let mut rng = SeededRng::seed_from_u64(seed);
    let mut convs = Vec::new();
    for c in 0..24 {
        let start = T0 + (c as i64 % 7) * DAY + if c == 23 { 365 * DAY } else { 0 };
        convs.push(conversation(&mut rng, c, start));
    }
    let mails = convs
        .iter()
        .flat_map(|conv| {
            (0..conv.mails.len())
                .filter(|i| conv.mails[*i].to_group)
                .map(|i| (conv.mails[i].id.clone(), raw(conv, i)))
                .collect::<Vec<_>>()
        })
        .collect();
    (convs, mails)
}

/// A thread as the test compares it: its published Message-IDs, and its rebuilt entries as
/// (author, minute).
type Thread = (BTreeSet<String>, Vec<(String, i64)>);

async fn threads(store: &dyn Store) -> BTreeSet<Thread> {
    let mut by_thread: BTreeMap<i64, Thread> = BTreeMap::new();
    let mut after = 0;
    loop {
        let page = store.messages_after(after, 1000).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.place.id;
        for m in page {
            let t = by_thread.entry(m.place.thread_id).or_default();
            if m.reconstructed {
                t.1.push((m.author_email, m.date));
            } else {
                t.0.insert(m.message_id);
            }
        }
    }
    (by_thread.into_values())
        .map(|(ids, mut rebuilt)| {
            rebuilt.sort();
            (ids, rebuilt)
        })
        .collect()
}

/// What each conversation must become: its group mails, and each private mail that a group
/// mail quotes rebuilt once, at the minute its attribution shows.
fn expected(convs: &[Conversation]) -> BTreeSet<Thread> {
    (convs.iter())
        .map(|c| {
            let ids = (c.mails.iter())
                .filter(|m| m.to_group)
                .map(|m| m.id.clone());
            let quoted: BTreeSet<usize> = (0..c.mails.len())
                .filter(|i| c.mails[*i].to_group)
                .flat_map(|i| ancestors(c, i))
                .filter(|a| !c.mails[*a].to_group)
                .collect();
            let mut rebuilt: Vec<(String, i64)> = (quoted.into_iter())
                .map(|a| {
                    let m = &c.mails[a];
                    (PEOPLE[m.author].1.to_string(), m.date / 60 * 60)
                })
                .collect();
            rebuilt.sort();
            (ids.collect(), rebuilt)
        })
        .collect()
}

async fn ingest_in_order(
    db: common::TestDb,
    mails: &[(String, Vec<u8>)],
    rng: &mut SeededRng,
) -> BTreeSet<Thread> {
    let store = db.store.clone();
    store
        .upsert_group(
            &common::slug("eng"),
            "Engineering",
            &common::addresses(&[GROUP]),
        )
        .await
        .unwrap();
    let settings = IngestSettings {
        pipeline: Options::default(),
        subject_window_secs: 14 * DAY,
        log_each_mail: false,
    };
    let ingestor = Ingestor::new(store.clone(), settings.clone())
        .await
        .unwrap();
    let mut order: Vec<usize> = (0..mails.len()).collect();
    order.shuffle(rng);
    let mut rest = &order[..];
    while !rest.is_empty() {
        let n = rng.gen_range(1..=rest.len().min(25));
        let batch: Vec<RawMail> = rest[..n]
            .iter()
            .map(|i| RawMail {
                bytes: mails[*i].1.clone(),
                source: format!("test#{i}"),
                force_groups: vec![],
            })
            .collect();
        rest = &rest[n..];

        ingestor.ingest(batch, None, T0 + 400 * DAY).await.unwrap();
        let report = check::check(&*store, &settings.pipeline).await.unwrap();
        assert!(
            report.problems.is_empty(),
            "after a batch: {:#?}",
            report.problems
        );
    }
    let report = check::check(&*store, &settings.pipeline).await.unwrap();
    assert_eq!(report.checked, mails.len() as u64, "every mail stored once");
    let got = threads(&*store).await;
    drop(store);
    db.cleanup().await;
    got
}

/// Ingest every seed's corpus in `orders` shuffled orders into fresh databases.
async fn check_orders<F, Fut>(seeds: &[u64], orders: usize, fresh_db: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = common::TestDb>,
{
    for &seed in seeds {
        let (convs, mails) = corpus(seed);
        let expected = expected(&convs);
        let mut rng = SeededRng::seed_from_u64(seed * 1000);
        for round in 0..orders {
            let got = ingest_in_order(fresh_db().await, &mails, &mut rng).await;
            let wrong: Vec<_> = (got.iter())
                .filter(|t| !expected.contains(*t))
                .map(|t| (t, expected.iter().find(|e| e.0 == t.0)))
                .collect();
            assert!(
                wrong.is_empty(),
                "seed {seed}, order {round}: (got, expected): {wrong:#?}"
            );
            assert_eq!(got, expected, "seed {seed}, order {round}");
        }
    }
}

#[tokio::test]
async fn any_arrival_order_gives_one_thread_per_conversation_and_loses_nothing_sqlite() {
    check_orders(&(1..=8).collect::<Vec<_>>(), 5, common::sqlite).await;
}

#[tokio::test]
async fn any_arrival_order_gives_one_thread_per_conversation_and_loses_nothing_postgres() {
    check_orders(&[6], 3, common::postgres).await;
}

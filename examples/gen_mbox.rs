//! gen_mbox: a realistic, deterministic mail corpus for benchmarks and tests.
//!
//! ```text
//! cargo run --release --example gen_mbox -- --messages 10000 --out /tmp/x.mbox \
//!     [--seed 42] [--groups eng@corp.example,sales@corp.example]
//! ```
//!
//! Writes an mboxrd file (through `outloud::mailbox_files::MboxWriter`) of conversations of 1–15
//! mails among ~200 people, every mail cc'ing one (sometimes two) of the group addresses. Mails
//! carry proper Message-ID / In-Reply-To / References, except that Outlook users often send
//! only `Thread-Index` (and sometimes no In-Reply-To either); subjects pick up Re:/AW:/RE:/Fwd:/
//! WG: prefixes; replies quote the previous mail the way each client does (Gmail "On … wrote:"
//! with `> `, Outlook header blocks without `>`, Apple Mail, Thunderbird, interleaved replies);
//! bodies are English with some German, French and Japanese, with sign-offs, signatures and
//! disclaimers. A few mails are HTML (multipart/alternative or HTML-only), a few carry small
//! base64 attachments, ~10% use quoted-printable, ~5% use CRLF line ends and ~2% are
//! out-of-office auto-replies. Mails are in arrival order, which now and then puts a reply
//! before its parent. The same seed always gives the same file. A summary goes to stderr.
// A corpus generator: its tables of templates and its mail builders mirror what real clients
// write field by field; they only make test data, so length is allowed here.
#![allow(clippy::too_many_lines, clippy::too_many_arguments)]

#[path = "gen_mbox/body.rs"]
mod body;
#[path = "gen_mbox/mime.rs"]
mod mime;
#[path = "gen_mbox/people.rs"]
mod people;
#[path = "gen_mbox/render.rs"]
mod render;
#[path = "gen_mbox/text.rs"]
mod text;

use std::path::PathBuf;
use std::process::ExitCode;

use outloud::seeded::{SeededRng, SliceSeeded};

use body::{prefixed, Body, Quote, QuoteStyle};
use outloud::mailbox_files::{Envelope, MboxWriter};
use people::{make_people, Person};
use render::RenderMail;
use text::{Client, Lang, Quoted, Topic};

const USAGE: &str = "usage: gen_mbox --messages N --out PATH [--seed S] [--groups a@x,b@y]";

struct Args {
    messages: usize,
    out: PathBuf,
    seed: u64,
    groups: Vec<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut messages = None;
    let mut out = None;
    let mut seed = 42;
    let mut groups = vec![
        "eng@corp.example".to_string(),
        "sales@corp.example".to_string(),
    ];
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--messages" => {
                messages = Some(value()?.parse().map_err(|e| format!("--messages: {e}"))?)
            }
            "--out" => out = Some(PathBuf::from(value()?)),
            "--seed" => seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--groups" => {
                groups = value()?
                    .split(',')
                    .map(|g| g.trim().to_ascii_lowercase())
                    .filter(|g| !g.is_empty())
                    .collect();
                if groups.is_empty() {
                    return Err("--groups: no address given".into());
                }
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args {
        messages: messages.ok_or("--messages is required")?,
        out: out.ok_or("--out is required")?,
        seed,
        groups,
    })
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("gen_mbox: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut gen = Gen::new(args.seed, args.groups);
    while gen.out.len() < args.messages {
        let left = args.messages - gen.out.len();
        let len = gen.thread_len().min(left);
        gen.thread(len);
    }
    // Arrival order, as a mail archive has it.
    gen.out.sort_by_key(|o| (o.arrival, o.seq));
    let mut writer = match MboxWriter::create(&args.out) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("gen_mbox: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut bytes = 0u64;
    for o in &gen.out {
        let envelope = Envelope {
            sender: Some(o.sender.clone()),
            date: Some(o.arrival),
        };
        if let Err(e) = writer.write_message_with(&o.bytes, &envelope) {
            eprintln!("gen_mbox: {e}");
            return ExitCode::FAILURE;
        }
        bytes += o.bytes.len() as u64;
    }
    if let Err(e) = writer.finish() {
        eprintln!("gen_mbox: {e}");
        return ExitCode::FAILURE;
    }
    let file_size = std::fs::metadata(&args.out).map(|m| m.len()).unwrap_or(0);
    let s = &gen.stats;
    let n = gen.out.len().max(1);
    let pct = |x: usize| format!("{x} ({:.1}%)", 100.0 * x as f64 / n as f64);
    eprintln!(
        "gen_mbox: wrote {} messages in {} threads to {} ({} bytes, {} of mail, {} bytes/mail on average)\n  \
         replies {}, forwards {}, auto-replies {}, Outlook without References {}, without In-Reply-To {}\n  \
         multipart/alternative {}, HTML-only {}, attachments {}, quoted-printable {}, base64 text {}, CRLF {}",
        gen.out.len(),
        s.threads,
        args.out.display(),
        file_size,
        bytes,
        bytes / n as u64,
        pct(s.replies),
        pct(s.forwards),
        pct(s.auto_replies),
        pct(s.no_references),
        pct(s.no_in_reply_to),
        pct(s.alternative),
        pct(s.html_only),
        pct(s.attachments),
        pct(s.quoted_printable),
        pct(s.base64_text),
        pct(s.crlf),
    );
    ExitCode::SUCCESS
}

// --- threads and mails ----------------------------------------------------------------------

/// 2024-01-08 00:00 UTC, a Monday: the corpus spans about nine months from here.
const EPOCH: i64 = 1_704_672_000;
const SPAN_DAYS: i64 = 265;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Rcpt {
    P(usize),
    G(usize),
}

/// A mail already written, as later replies see it.
struct Sent {
    author: usize,
    date: i64,
    id: String,
    in_reply_to: Option<String>,
    references: Vec<String>,
    subject: String,
    /// The plain text a reader sees: own text plus quoted history.
    text: String,
    /// Only what the author wrote (for interleaved replies).
    own: String,
    to: Vec<Rcpt>,
    cc: Vec<Rcpt>,
    thread_index: Option<Vec<u8>>,
}

struct Plan {
    lang: Lang,
    project: &'static str,
    customer: &'static str,
    service: &'static str,
    base_subject: String,
    groups: Vec<usize>,
    people: Vec<usize>,
}

struct Outgoing {
    arrival: i64,
    seq: usize,
    sender: String,
    bytes: Vec<u8>,
}

#[derive(Default)]
struct Stats {
    threads: usize,
    replies: usize,
    forwards: usize,
    auto_replies: usize,
    no_references: usize,
    no_in_reply_to: usize,
    alternative: usize,
    html_only: usize,
    attachments: usize,
    quoted_printable: usize,
    base64_text: usize,
    crlf: usize,
}

struct Gen {
    rng: SeededRng,
    people: Vec<Person>,
    groups: Vec<String>,
    out: Vec<Outgoing>,
    stats: Stats,
}

impl Gen {
    fn new(seed: u64, groups: Vec<String>) -> Gen {
        let mut rng = SeededRng::seed_from_u64(seed);
        let people = make_people(&mut rng, &groups);
        Gen {
            rng,
            people,
            groups,
            out: Vec::new(),
            stats: Stats::default(),
        }
    }

    /// 1–15, mean about 4.5: many short exchanges, a few long discussions.
    fn thread_len(&mut self) -> usize {
        const WEIGHTS: [u32; 15] = [44, 32, 26, 20, 16, 14, 10, 8, 6, 6, 4, 4, 4, 3, 3];
        let total: u32 = WEIGHTS.iter().sum();
        let mut r = self.rng.gen_range(0..total);
        for (i, w) in WEIGHTS.iter().enumerate() {
            if r < *w {
                return i + 1;
            }
            r -= w;
        }
        1
    }

    fn hex(&mut self, n: usize, upper: bool) -> String {
        let digits: &[u8] = if upper {
            b"0123456789ABCDEF"
        } else {
            b"0123456789abcdef"
        };
        (0..n)
            .map(|_| digits[self.rng.gen_range(0..16)] as char)
            .collect()
    }

    fn message_id(&mut self, author: usize) -> String {
        let domain = self.people[author]
            .email
            .split('@')
            .nth(1)
            .unwrap_or("corp.example")
            .to_string();
        match self.people[author].client {
            Client::Gmail => {
                let token = mime::base64(&(0..30).map(|_| self.rng.random()).collect::<Vec<u8>>());
                let token: String = token
                    .chars()
                    .map(|c| if c == '/' { '_' } else { c })
                    .collect();
                format!("CA{token}@mail.gmail.example")
            }
            Client::Outlook => {
                let host = format!(
                    "{}{}PR{:02}MB{:04}",
                    ["AM", "DB", "VI", "PA", "BY"][self.rng.gen_range(0..5)],
                    self.rng.gen_range(0..10),
                    self.rng.gen_range(0..20),
                    self.rng.gen_range(1000..10000)
                );
                let id = self.hex(32, true);
                format!(
                    "{host}{id}@{host}.eurprd{:02}.prod.outlook.example",
                    self.rng.gen_range(1..10)
                )
            }
            Client::Thunderbird => {
                format!(
                    "{}-{}-{}-{}-{}@{domain}",
                    self.hex(8, false),
                    self.hex(4, false),
                    self.hex(4, false),
                    self.hex(4, false),
                    self.hex(12, false)
                )
            }
            Client::AppleMail | Client::IPhone => {
                format!(
                    "{}-{}-{}-{}-{}@{domain}",
                    self.hex(8, true),
                    self.hex(4, true),
                    self.hex(4, true),
                    self.hex(4, true),
                    self.hex(12, true)
                )
            }
        }
    }

    fn pick_person(&mut self, lang: Lang, exclude: &[usize]) -> usize {
        loop {
            let i = self.rng.gen_range(0..self.people.len());
            if exclude.contains(&i) {
                continue;
            }
            // In a German, French or Japanese thread, prefer people who speak it.
            if lang != Lang::En && self.people[i].lang != lang && self.rng.gen_bool(0.7) {
                continue;
            }
            return i;
        }
    }

    /// Reply delay: minutes, hours or days.
    fn delay(&mut self) -> i64 {
        match self.rng.gen_range(0..10) {
            0..=4 => self.rng.gen_range(300..7200),
            5..=7 => self.rng.gen_range(7200..86400),
            _ => self.rng.gen_range(86400..4 * 86400),
        }
    }

    fn thread(&mut self, len: usize) {
        self.stats.threads += 1;
        let starter = self.rng.gen_range(0..self.people.len());
        let starter_lang = self.people[starter].lang;
        let lang = if starter_lang != Lang::En && self.rng.gen_bool(0.7) {
            starter_lang
        } else {
            Lang::En
        };
        let mut people = vec![starter];
        for _ in 0..self.rng.gen_range(1..=5) {
            let p = self.pick_person(lang, &people);
            people.push(p);
        }
        let mut groups = vec![self.rng.gen_range(0..self.groups.len())];
        if self.groups.len() > 1 && self.rng.gen_bool(0.15) {
            let other = (groups[0] + self.rng.gen_range(1..self.groups.len())) % self.groups.len();
            groups.push(other);
        }
        let project = *text::PROJECTS.choose(&mut self.rng).unwrap();
        let customer = *text::CUSTOMERS.choose(&mut self.rng).unwrap();
        let service = *text::SERVICES.choose(&mut self.rng).unwrap();
        let who = self.people[people[1]].first.clone();
        let topic = Topic {
            project,
            customer,
            service,
            who: &who,
        };
        let base_subject = text::subject(lang, &topic, &mut self.rng);
        let mut plan = Plan {
            lang,
            project,
            customer,
            service,
            base_subject,
            groups,
            people,
        };

        // Start on a working day, during the starter's office hours.
        let mut day = self.rng.gen_range(0..SPAN_DAYS);
        if day % 7 >= 5 && self.rng.gen_bool(0.85) {
            day += 7 - day % 7;
        }
        let local = day * 86400 + self.rng.gen_range(8 * 3600..18 * 3600);
        let offset = i64::from(self.people[starter].offset(EPOCH + local).local_minus_utc());
        let start = EPOCH + local - offset;

        let mut sent: Vec<Sent> = Vec::new();
        let first = self.compose(&plan, starter, None, false, start);
        sent.push(first);
        let mut produced = 1;
        while produced < len {
            // About 2% of all mails are auto-replies; they are never replied to.
            if self.rng.gen_bool(0.026) {
                let target = self.rng.gen_range(0..sent.len());
                if self.auto_reply(&plan, &sent[target]) {
                    produced += 1;
                    continue;
                }
            }
            // Mostly answer the latest mail; sometimes branch off an earlier one.
            let parent = if self.rng.gen_bool(0.8) {
                sent.len() - 1
            } else {
                self.rng.gen_range(0..sent.len())
            };
            let parent_author = sent[parent].author;
            let mut author = *plan.people.choose(&mut self.rng).unwrap();
            if author == parent_author {
                author = plan.people[(plan.people.iter().position(|&p| p == author).unwrap() + 1)
                    % plan.people.len()];
            }
            let forward = self.rng.gen_bool(0.04);
            if forward {
                // Forwarding brings someone new in.
                let newcomer = self.pick_person(plan.lang, &plan.people);
                plan.people.push(newcomer);
            }
            let date = sent[parent].date + self.delay();
            let mail = self.compose(&plan, author, Some(&sent[parent]), forward, date);
            sent.push(mail);
            produced += 1;
        }
    }

    fn rcpt_string(&mut self, r: Rcpt) -> String {
        match r {
            Rcpt::P(i) => {
                let p = &self.people[i];
                let b = p.lang == Lang::Ja;
                mime::mailbox(Some(&p.display), &p.email, b)
            }
            Rcpt::G(g) => {
                let email = self.groups[g].clone();
                if self.rng.gen_bool(0.4) {
                    let local = email.split('@').next().unwrap_or("group");
                    let mut name: String =
                        local.chars().take(1).flat_map(char::to_uppercase).collect();
                    name.push_str(&local[1..]);
                    format!("{name} Team <{email}>")
                } else {
                    email
                }
            }
        }
    }

    fn rcpt_plain(&self, list: &[Rcpt]) -> String {
        list.iter()
            .map(|r| match r {
                Rcpt::P(i) => format!("{} <{}>", self.people[*i].display, self.people[*i].email),
                Rcpt::G(g) => self.groups[*g].clone(),
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn own_text(
        &mut self,
        plan: &Plan,
        author: usize,
        to_person: Option<usize>,
    ) -> (String, String) {
        let a = &self.people[author];
        let (lang, client) = (
            if a.lang == plan.lang {
                plan.lang
            } else {
                Lang::En
            },
            a.client,
        );
        let who = plan
            .people
            .iter()
            .find(|&&p| p != author)
            .map(|&p| self.people[p].first.clone())
            .unwrap_or_default();
        let topic = Topic {
            project: plan.project,
            customer: plan.customer,
            service: plan.service,
            who: &who,
        };
        let (first, family) = match to_person {
            Some(p) => (
                Some(self.people[p].first.clone()),
                Some(self.people[p].family.clone()),
            ),
            None => (None, None),
        };
        let width = match client {
            Client::Outlook | Client::AppleMail | Client::IPhone => 0,
            Client::Gmail => 74,
            Client::Thunderbird => 72,
        };
        // Mostly short mails, now and then a long one.
        let max_lines = self.rng.gen_range(2..=30).min(self.rng.gen_range(2..=30));
        let mut out = String::new();
        if self.rng.gen_bool(0.85) {
            out.push_str(&text::greeting(
                lang,
                first.as_deref(),
                family.as_deref(),
                &mut self.rng,
            ));
            out.push_str("\n\n");
        }
        let lines = text::paragraphs(lang, &topic, max_lines, width, &mut self.rng);
        out.push_str(&lines.join("\n"));
        out.push_str("\n\n");
        let a = &self.people[author];
        let short_name = if lang == Lang::Ja {
            a.family.clone()
        } else {
            a.first.clone()
        };
        out.push_str(&text::signoff(lang, &short_name, &mut self.rng));
        let signer = text::Signer {
            name: &a.display,
            title: a.title,
            phone: &a.phone,
            lang: a.lang,
            external: a.external,
        };
        let sig = text::signature(a.sig, &signer);
        if !sig.is_empty() {
            out.push_str("\n\n");
            out.push_str(&sig);
        }
        if a.client == Client::IPhone {
            out.push_str("\n\n");
            out.push_str(text::mobile_footer(a.lang));
        }
        let mut after = String::new();
        if a.disclaimer {
            // Client-side disclaimers sit under the signature; server-side ones under the quote.
            if self.rng.gen_bool(0.5) {
                out.push_str("\n\n");
                out.push_str(text::disclaimer(a.lang));
            } else {
                after = text::disclaimer(a.lang).to_string();
            }
        }
        (out, after)
    }

    /// An interleaved reply: pieces of the parent's own text, each answered.
    fn interleaved(&mut self, plan: &Plan, author: usize, parent: &Sent) -> String {
        let lang = if self.people[author].lang == plan.lang {
            plan.lang
        } else {
            Lang::En
        };
        let who = self.people[parent.author].first.clone();
        let topic = Topic {
            project: plan.project,
            customer: plan.customer,
            service: plan.service,
            who: &who,
        };
        let paras: Vec<&str> = parent
            .own
            .split("\n\n")
            .filter(|p| !p.trim().is_empty())
            .collect();
        let mut out = String::new();
        let take = paras.len().min(self.rng.gen_range(2..=3));
        for p in paras.iter().skip(1).take(take) {
            out.push_str(&prefixed(p, ">"));
            out.push('\n');
            out.push_str(&text::sentence(lang, &topic, &mut self.rng));
            out.push_str("\n\n");
        }
        out.push_str(&text::signoff(
            lang,
            &self.people[author].first.clone(),
            &mut self.rng,
        ));
        out
    }

    /// To and Cc: reply-all or reply-to-sender, and the thread's groups always on it.
    fn recipients(
        &mut self,
        plan: &Plan,
        author: usize,
        parent: Option<&Sent>,
        forward: bool,
    ) -> (Vec<Rcpt>, Vec<Rcpt>) {
        let groups: Vec<Rcpt> = plan.groups.iter().map(|&g| Rcpt::G(g)).collect();
        let (mut to, mut cc): (Vec<Rcpt>, Vec<Rcpt>) = match parent {
            None => {
                let others: Vec<usize> = plan
                    .people
                    .iter()
                    .copied()
                    .filter(|&p| p != author)
                    .collect();
                if self.rng.gen_bool(0.2) {
                    (groups.clone(), Vec::new()) // an announcement straight to the group
                } else {
                    let n = self.rng.gen_range(1..=others.len().clamp(1, 3));
                    let to = others.iter().take(n).map(|&p| Rcpt::P(p)).collect();
                    let mut cc = groups.clone();
                    cc.extend(
                        others
                            .iter()
                            .skip(n)
                            .take(self.rng.gen_range(0..=2))
                            .map(|&p| Rcpt::P(p)),
                    );
                    (to, cc)
                }
            }
            Some(_) if forward => {
                let newcomer = *plan.people.last().unwrap();
                (vec![Rcpt::P(newcomer)], groups.clone())
            }
            Some(p) => {
                let mut to = vec![Rcpt::P(p.author)];
                let mut cc = Vec::new();
                if self.rng.gen_bool(0.75) {
                    to.extend(p.to.iter().copied());
                    cc.extend(p.cc.iter().copied());
                } else {
                    cc.extend(groups.iter().copied());
                }
                (to, cc)
            }
        };
        to.retain(|r| *r != Rcpt::P(author));
        cc.retain(|r| *r != Rcpt::P(author));
        dedupe(&mut to);
        dedupe(&mut cc);
        cc.retain(|r| !to.contains(r));
        for g in &groups {
            if !to.contains(g) && !cc.contains(g) {
                cc.push(*g);
            }
        }
        if to.is_empty() {
            to = std::mem::take(&mut cc);
        }
        (to, cc)
    }

    /// New text plus, for a reply or forward, the parent quoted in the author's client style.
    fn body(
        &mut self,
        plan: &Plan,
        author: usize,
        parent: Option<&Sent>,
        forward: bool,
        to_person: Option<usize>,
    ) -> Body {
        let (a_client, a_lang) = (self.people[author].client, self.people[author].lang);
        match parent {
            None => {
                let (own, after) = self.own_text(plan, author, to_person);
                Body {
                    own,
                    quote: None,
                    after,
                }
            }
            Some(p) => {
                let (name, email) = (
                    self.people[p.author].display.clone(),
                    self.people[p.author].email.clone(),
                );
                let (to_s, cc_s) = (self.rcpt_plain(&p.to), self.rcpt_plain(&p.cc));
                let local = self.people[author].local(p.date);
                let q = Quoted {
                    name: &name,
                    email: &email,
                    date: local,
                    to: &to_s,
                    cc: &cc_s,
                    subject: &p.subject,
                };
                let interleave = !forward
                    && p.own.matches("\n\n").count() >= 3
                    && self.rng.gen_bool(if a_client == Client::Thunderbird {
                        0.35
                    } else {
                        0.04
                    });
                if forward {
                    let mut own = text::forward_note(
                        if a_lang == plan.lang {
                            a_lang
                        } else {
                            Lang::En
                        },
                        &mut self.rng,
                    );
                    own.push_str("\n\n");
                    own.push_str(&text::signoff(
                        a_lang,
                        &self.people[author].first.clone(),
                        &mut self.rng,
                    ));
                    let head = text::forward_block(a_client, a_lang, &q);
                    Body {
                        own,
                        quote: Some(Quote {
                            style: QuoteStyle::Unindented,
                            head,
                            text: p.text.clone(),
                        }),
                        after: String::new(),
                    }
                } else if interleave {
                    let head = text::attribution(a_client, a_lang, &q);
                    let own = format!("{head}\n{}", self.interleaved(plan, author, p));
                    Body {
                        own,
                        quote: None,
                        after: String::new(),
                    }
                } else {
                    let (own, after) = self.own_text(plan, author, Some(p.author));
                    let quote = if self.rng.gen_bool(0.07) {
                        None // the author deleted the quote
                    } else {
                        let (style, head) = match a_client {
                            Client::Outlook => (
                                QuoteStyle::Unindented,
                                text::outlook_block(a_lang, self.rng.gen_bool(0.35), &q),
                            ),
                            Client::AppleMail | Client::IPhone => (
                                QuoteStyle::AppleInside,
                                text::attribution(a_client, a_lang, &q),
                            ),
                            Client::Thunderbird if self.rng.gen_bool(0.5) => {
                                (QuoteStyle::Bottom, text::attribution(a_client, a_lang, &q))
                            }
                            _ => (
                                QuoteStyle::Prefixed,
                                text::attribution(a_client, a_lang, &q),
                            ),
                        };
                        Some(Quote {
                            style,
                            head,
                            text: p.text.clone(),
                        })
                    };
                    Body { own, quote, after }
                }
            }
        }
    }

    fn compose(
        &mut self,
        plan: &Plan,
        author: usize,
        parent: Option<&Sent>,
        forward: bool,
        date: i64,
    ) -> Sent {
        let a_client = self.people[author].client;
        let a_lang = self.people[author].lang;

        let (to, cc) = self.recipients(plan, author, parent, forward);

        // Subject.
        let subject = match parent {
            None => plan.base_subject.clone(),
            Some(p) => {
                let prefix = if forward {
                    text::forward_prefix(a_client, a_lang)
                } else {
                    text::reply_prefix(a_client, a_lang)
                };
                if p.subject.to_lowercase().starts_with(&prefix.to_lowercase()) {
                    p.subject.clone()
                } else {
                    format!("{prefix}{}", p.subject)
                }
            }
        };

        let to_person = to
            .iter()
            .find_map(|r| if let Rcpt::P(i) = r { Some(*i) } else { None });
        let body = self.body(plan, author, parent, forward, to_person);
        if parent.is_some() {
            if forward {
                self.stats.forwards += 1;
            } else {
                self.stats.replies += 1;
            }
        }
        let own = body.own.clone();
        let plain = body.plain();

        // Threading headers.
        let id = self.message_id(author);
        let outlook = a_client == Client::Outlook;
        let thread_index = outlook.then(|| match parent.and_then(|p| p.thread_index.as_ref()) {
            Some(pi) => {
                let mut ti = pi.clone();
                ti.extend((0..5).map(|_| self.rng.random::<u8>()));
                ti
            }
            None => {
                let mut ti = vec![0x01];
                ti.extend((0..21).map(|_| self.rng.random::<u8>()));
                ti
            }
        });
        let (mut in_reply_to, mut references) = (None, Vec::new());
        if let Some(p) = parent {
            in_reply_to = Some(p.id.clone());
            references = if !p.references.is_empty() {
                p.references.clone()
            } else {
                p.in_reply_to.iter().cloned().collect()
            };
            references.push(p.id.clone());
            if outlook && self.rng.gen_bool(0.6) {
                references.clear();
                self.stats.no_references += 1;
                // Between Outlook users, Thread-Index alone often carries the thread.
                if p.thread_index.is_some() && self.rng.gen_bool(0.5) {
                    in_reply_to = None;
                    self.stats.no_in_reply_to += 1;
                }
            }
        }

        let raw = self.render(RenderMail {
            author,
            to: &to,
            cc: &cc,
            subject: &subject,
            date,
            id: &id,
            in_reply_to: in_reply_to.as_deref(),
            references: &references,
            thread_topic: &plan.base_subject,
            thread_index: thread_index.as_deref(),
            body: &body,
            plain: &plain,
            auto: None,
            group: &self.groups[plan.groups[0]].clone(),
        });
        self.push(date, author, raw);
        Sent {
            author,
            date,
            id,
            in_reply_to,
            references,
            subject,
            text: plain,
            own,
            to,
            cc,
            thread_index,
        }
    }

    /// Returns false when nobody could be away (no other personal recipient).
    fn auto_reply(&mut self, plan: &Plan, target: &Sent) -> bool {
        // Someone who received the mail is away; their responder answers all.
        let Some(away) = target.to.iter().chain(&target.cc).find_map(|r| match r {
            Rcpt::P(i) if *i != target.author => Some(*i),
            _ => None,
        }) else {
            return false;
        };
        self.stats.auto_replies += 1;
        let deputy = self.people[self.rng.gen_range(0..self.people.len())]
            .email
            .clone();
        let back = format!(
            "{}.{}.2024",
            self.rng.gen_range(1..29),
            self.rng.gen_range(1..13)
        );
        let lang = self.people[away].lang;
        let (subject, body_text) = text::auto_reply(lang, &target.subject, &back, &deputy);
        let date = target.date + self.rng.gen_range(5..120);
        let id = self.message_id(away);
        let body = Body {
            own: body_text,
            quote: None,
            after: String::new(),
        };
        let plain = body.plain();
        let to = vec![Rcpt::P(target.author)];
        let cc: Vec<Rcpt> = plan.groups.iter().map(|&g| Rcpt::G(g)).collect();
        let style = self.rng.gen_range(0..3);
        let refs = [target.id.clone()];
        let raw = self.render(RenderMail {
            author: away,
            to: &to,
            cc: &cc,
            subject: &subject,
            date,
            id: &id,
            in_reply_to: Some(&target.id),
            references: if style == 0 { &refs[..] } else { &[][..] },
            thread_topic: &plan.base_subject,
            thread_index: None,
            body: &body,
            plain: &plain,
            auto: Some(style),
            group: &self.groups[plan.groups[0]].clone(),
        });
        self.push(date, away, raw);
        true
    }

    fn push(&mut self, date: i64, author: usize, raw: Vec<u8>) {
        // Delivery takes seconds; now and then hours (a queue, a greylisting server).
        let transit = if self.rng.gen_bool(0.01) {
            self.rng.gen_range(3600..12 * 3600)
        } else {
            self.rng.gen_range(1..90)
        };
        let seq = self.out.len();
        let sender = self.people[author].email.clone();
        self.out.push(Outgoing {
            arrival: date + transit,
            seq,
            sender,
            bytes: raw,
        });
    }
}

fn dedupe(list: &mut Vec<Rcpt>) {
    let mut seen = Vec::new();
    list.retain(|r| {
        if seen.contains(r) {
            false
        } else {
            seen.push(*r);
            true
        }
    });
}

//! gen_eval: the labelled evaluation corpus behind `outloud eval` (docs/ACCURACY.md).
//!
//! ```text
//! cargo run --example gen_eval -- --split dev --seed 20261201 --out tests/fixtures/eval/dev
//! cargo run --example gen_eval -- --split test --seed 73019 --out tests/fixtures/eval/test
//! ```
//!
//! Writes, per split, `corpus.mbox` (only what the group mailbox receives, in arrival order)
//! and `labels.json` (every mail, private ones included, with its conversation, author, true
//! date, the exact body the author wrote, client, language, posting style and tags), plus a
//! README line. Conversations mix Gmail, Outlook (desktop, plain text, web, mobile, Mac),
//! Apple Mail, iPhone, Thunderbird, mutt and Samsung Email in nine languages; many add the
//! group after two to five private mails; some are threading traps. The formats follow what
//! those clients write, not what outloud's rules expect: the generator never looks at them.
//! Every group mail is checked after generation: the parser must find the labelled body's
//! lines in the text it extracts (a label no reader could see would be a generator bug).
//!
//! The same seed always gives the same files. The two splits draw on disjoint people.
// A corpus generator: its tables of templates and its mail builders mirror what real clients
// write field by field; they only make test data, so length is allowed here.
#![allow(clippy::too_many_lines, clippy::too_many_arguments)]

#[path = "gen_eval/attrib.rs"]
mod attrib;
#[path = "gen_eval/clients.rs"]
mod clients;
#[path = "gen_eval/compose.rs"]
mod compose;
#[path = "gen_eval/dates.rs"]
mod dates;
#[path = "gen_eval/labels.rs"]
mod labels;
#[path = "gen_eval/lang.rs"]
mod lang;
#[path = "gen_eval/mail.rs"]
mod mail;
#[path = "gen_eval/mime.rs"]
mod mime;
#[path = "gen_eval/people.rs"]
mod people;
#[path = "gen_eval/plots.rs"]
mod plots;
#[path = "gen_eval/render.rs"]
mod render;

use std::path::PathBuf;
use std::process::ExitCode;

use outloud::seeded::{SeededRng, SliceSeeded};

use mail::{Ctx, Mail};
use people::{Lang, Person};
use plots::{Plan, Refs};

pub const GROUPS: [(&str, &str, &str); 3] = [
    ("eng", "Engineering", "eng@corp.example"),
    ("sales", "Sales", "sales@corp.example"),
    ("ops", "Operations", "ops@corp.example"),
];

const USAGE: &str =
    "usage: gen_eval --split dev|test --seed N --out DIR [--conversations N (default 72)]";

struct Args {
    split: String,
    seed: u64,
    out: PathBuf,
    conversations: usize,
}

fn parse_args() -> Result<Args, String> {
    let (mut split, mut seed, mut out, mut conversations) = (None, None, None, 72);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--split" => split = Some(value()?),
            "--seed" => seed = Some(value()?.parse().map_err(|e| format!("--seed: {e}"))?),
            "--out" => out = Some(PathBuf::from(value()?)),
            "--conversations" => {
                conversations = value()?
                    .parse()
                    .map_err(|e| format!("--conversations: {e}"))?
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let split = split.ok_or("--split is required")?;
    if split != "dev" && split != "test" {
        return Err("--split must be dev or test".into());
    }
    Ok(Args {
        split,
        seed: seed.ok_or("--seed is required")?,
        out: out.ok_or("--out is required")?,
        conversations,
    })
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("gen_eval: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut gen = Gen::new(&args);
    gen.plan_all(args.conversations);
    gen.build_all();
    if let Err(e) = labels::check(&gen.mails, &gen.roster) {
        eprintln!("gen_eval: self-check failed: {e}");
        return ExitCode::FAILURE;
    }
    let command = format!(
        "cargo run --example gen_eval -- --split {} --seed {} --out {}",
        args.split,
        args.seed,
        args.out.display()
    );
    match labels::write(&args.out, &args.split, args.seed, &command, &gen) {
        Ok(summary) => {
            eprintln!("gen_eval: {summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen_eval: {e}");
            ExitCode::FAILURE
        }
    }
}

pub struct Gen {
    rng: SeededRng,
    pub split: String,
    pub roster: Vec<Person>,
    pub plans: Vec<Plan>,
    pub mails: Vec<Mail>,
    /// Offices in shuffled rounds, so every language gets its share of conversations.
    office_deck: Vec<usize>,
}

/// A subject people reuse for unrelated things.
fn generic_subject(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Quick question",
        Lang::De => "Kurze Frage",
        Lang::Fr => "Petite question",
        Lang::Es => "Una pregunta",
        Lang::Pt => "Dúvida rápida",
        Lang::Nl => "Korte vraag",
        Lang::Pl => "Szybkie pytanie",
        Lang::Ru => "Короткий вопрос",
        Lang::Ja => "確認のお願い",
    }
}

impl Gen {
    fn new(args: &Args) -> Gen {
        let mut rng = SeededRng::seed_from_u64(args.seed);
        let parity = usize::from(args.split == "test");
        let roster = people::roster(&mut rng, parity);
        Gen {
            rng,
            split: args.split.clone(),
            roster,
            plans: Vec::new(),
            mails: Vec::new(),
            office_deck: Vec::new(),
        }
    }

    fn group(&mut self) -> usize {
        let x: f64 = self.rng.random();
        if x < 0.6 {
            0
        } else if x < 0.85 {
            1
        } else {
            2
        }
    }

    fn base_plan(&mut self, n_people: usize, outlook_only: bool) -> Plan {
        if self.office_deck.is_empty() {
            self.office_deck = (0..people::OFFICES.len()).collect();
            self.office_deck.shuffle(&mut self.rng);
        }
        let office = self.office_deck.pop();
        self.plan_in(n_people, outlook_only, office)
    }

    fn plan_in(&mut self, n_people: usize, outlook_only: bool, office: Option<usize>) -> Plan {
        let people =
            plots::pick_people(&mut self.rng, &self.roster, n_people, outlook_only, office);
        let lang = plots::conv_lang(&self.roster, &people);
        let topics = lang::bank(lang).topics;
        let topic = self.rng.gen_range(0..topics.len());
        let start = plots::start_time(&mut self.rng, &self.roster[people[0]]);
        let subject = self.qualified(topics[topic].0);
        Plan {
            subject,
            topic,
            lang,
            group: self.group(),
            start,
            people,
            steps: Vec::new(),
            plot: "",
            tags: Vec::new(),
        }
    }

    /// Subjects usually name what they are about: a customer, project, region or ticket.
    fn qualified(&mut self, subject: &str) -> String {
        const WHAT: &[&str] = &[
            "Acme", "Globex", "Umbrella", "Phoenix", "Atlas", "EMEA", "APAC", "v2.4", "v3.0",
            "#4711", "#5230", "Hamburg", "Lyon", "Kraków", "Q1", "Q2",
        ];
        let what = WHAT[self.rng.gen_range(0..WHAT.len())];
        match self.rng.gen_range(0..10) {
            0..=3 => subject.to_string(),
            4..=6 => format!("{subject} – {what}"),
            7 | 8 => format!("{subject} ({what})"),
            _ => format!("[{what}] {subject}"),
        }
    }

    fn n_people(&mut self) -> usize {
        [2, 2, 2, 2, 2, 2, 3, 3, 3, 4][self.rng.gen_range(0..10)]
    }

    fn late_cc_plan(&mut self, outlook_only: bool) -> Plan {
        let n = self.n_people();
        let mut p = self.base_plan(n, outlook_only);
        let private = self.rng.gen_range(2..=5);
        let public = [0, 0, 1, 1, 1, 2, 2, 3][self.rng.gen_range(0..8)];
        p.steps = plots::late_cc(&mut self.rng, p.people.len(), private, public);
        p.plot = "late-cc";
        p.tags.push(format!("private-{private}"));
        p
    }

    fn start_plan(&mut self, outlook_only: bool, min: usize) -> Plan {
        let n = self.n_people();
        let mut p = self.base_plan(n, outlook_only);
        let k = [1, 2, 2, 3, 3, 3, 4, 4, 5][self.rng.gen_range(0..9)].max(min);
        p.steps = plots::from_start(&mut self.rng, p.people.len(), k);
        p.plot = "from-start";
        p
    }

    /// Every conversation of the split: the traps first, then ordinary ones.
    fn plan_all(&mut self, total: usize) {
        for _ in 0..2 {
            self.same_subject_week();
        }
        for _ in 0..2 {
            self.same_subject_year();
        }
        for i in 0..4 {
            let mut p = if i % 2 == 0 {
                self.late_cc_plan(true)
            } else {
                self.start_plan(true, 2)
            };
            for s in p.steps.iter_mut() {
                s.refs = Refs::None;
                s.desk_only = true;
            }
            p.tags.push("thread-index-only".into());
            self.plans.push(p);
        }
        for i in 0..4 {
            let mut p = if i % 2 == 0 {
                self.start_plan(false, 4)
            } else {
                let mut p = self.late_cc_plan(false);
                while p.steps.iter().filter(|s| s.in_group).count() < 3 {
                    p = self.late_cc_plan(false);
                }
                p
            };
            let first_group = p.steps.iter().position(|s| s.in_group).unwrap_or(0);
            for s in p.steps.iter_mut().skip(first_group + 1) {
                s.refs = if self.rng.gen_bool(0.5) {
                    Refs::InReplyToOnly
                } else {
                    Refs::Trimmed
                };
            }
            p.tags.push("truncated-refs".into());
            self.plans.push(p);
        }
        for _ in 0..4 {
            let n = self.n_people().max(2);
            let mut p = self.base_plan(n, false);
            let private = self.rng.gen_range(1..=3);
            let public = self.rng.gen_range(0..=2);
            p.steps = plots::forward(&mut self.rng, p.people.len(), private, public);
            p.plot = "forward";
            self.plans.push(p);
        }
        while self.plans.len() < total {
            let p = if self.rng.gen_bool(0.55) {
                self.late_cc_plan(false)
            } else {
                self.start_plan(false, 1)
            };
            self.plans.push(p);
        }
        // Delivery delays; a few conversations get a reply that arrives before its parent.
        let mut late_left = 6;
        for i in 0..self.plans.len() {
            let want_late = late_left > 0 && i >= 12 && self.rng.gen_bool(0.3);
            let mut steps = std::mem::take(&mut self.plans[i].steps);
            let late = plots::deliveries(&mut self.rng, &mut steps, want_late);
            self.plans[i].steps = steps;
            if late {
                late_left -= 1;
                self.plans[i].tags.push("reply-before-parent".into());
            }
        }
    }

    /// Three unrelated conversations with the same subject in one week, each cc'ing the
    /// group after private mails.
    fn same_subject_week(&mut self) {
        let mut first: Option<(String, i64, usize, usize)> = None;
        for k in 0..3 {
            let n = self.n_people();
            let mut p = self.plan_in(n, false, first.as_ref().map(|f| f.3));
            let (private, public) = (self.rng.gen_range(2..=3), self.rng.gen_range(0..=2));
            p.steps = plots::late_cc(&mut self.rng, p.people.len(), private, public);
            p.plot = "late-cc";
            p.tags.push(format!("private-{private}"));
            match &first {
                None => {
                    p.subject = generic_subject(p.lang).to_string();
                    let office = self.roster[p.people[0]].office;
                    first = Some((p.subject.clone(), p.start, p.group, office));
                }
                Some((subject, start, group, _)) => {
                    p.subject = subject.clone();
                    p.group = *group;
                    p.start = start + k * self.rng.gen_range(20 * 3600..48 * 3600);
                }
            }
            p.tags.push("same-subject-week".into());
            self.plans.push(p);
        }
    }

    /// The same subject a year apart.
    fn same_subject_year(&mut self) {
        let mut a = if self.rng.gen_bool(0.5) {
            self.late_cc_plan(false)
        } else {
            self.start_plan(false, 1)
        };
        let office = Some(self.roster[a.people[0]].office);
        let n = self.n_people();
        let mut b = self.plan_in(n, false, office);
        if self.rng.gen_bool(0.5) {
            let private = self.rng.gen_range(2..=5);
            b.steps = plots::late_cc(&mut self.rng, b.people.len(), private, 1);
            b.plot = "late-cc";
            b.tags.push(format!("private-{private}"));
        } else {
            b.steps = plots::from_start(&mut self.rng, b.people.len(), 2);
            b.plot = "from-start";
        }
        b.subject = a.subject.clone();
        b.topic = a.topic;
        b.group = a.group;
        b.start = a.start + 365 * 86_400 + self.rng.gen_range(-3 * 86_400..3 * 86_400);
        a.tags.push("same-subject-year".into());
        b.tags.push("same-subject-year".into());
        self.plans.push(a);
        self.plans.push(b);
    }

    fn build_all(&mut self) {
        for ci in 0..self.plans.len() {
            let plan = self.plans[ci].clone();
            let (gslug, gname, gaddr) = GROUPS[plan.group];
            let _ = gslug;
            let shown_group = match self.rng.gen_range(0..3) {
                0 => "",
                1 => gname,
                _ => gslug,
            };
            let mut step_mails = Vec::new();
            let mut answered = false;
            for si in 0..plan.steps.len() {
                let cx = Ctx {
                    roster: &self.roster,
                    plan: &plan,
                    conv: ci,
                    step_mails: &step_mails,
                    mails: &self.mails,
                    group: (shown_group, gaddr),
                    answered,
                };
                let m = mail::build(&mut self.rng, &cx, si);
                let topic_reply =
                    lang::bank(plan.lang).topics[plan.topic % lang::bank(plan.lang).topics.len()].2;
                answered |= m
                    .plain
                    .contains(topic_reply.split('.').next().unwrap_or(topic_reply));
                step_mails.push(self.mails.len());
                self.mails.push(m);
            }
        }
    }
}

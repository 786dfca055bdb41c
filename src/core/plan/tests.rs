use std::sync::{Arc, OnceLock};

use super::*;
use crate::core::pipeline::Processed;
use crate::core::thread_keys::ThreadKeys;
use crate::model::{CleanBody, ParsedMail, QuotedMail, Route, Via};

const DAY: i64 = 86_400;
pub(super) const OPTS: PlanOptions = PlanOptions {
    subject_window_secs: 14 * DAY,
    now: 1_000_000_000,
    retracted_raw_secs: None,
};

/// A mail of group 1. `parents` nearest first, as `ThreadKeys::parents` holds them.
pub(super) fn mail(id: &str, from: &str, date: i64, subject: &str, parents: &[&str]) -> Processed {
    let mail = ParsedMail {
        message_id: id.into(),
        subject: subject.into(),
        from: Some(Address::new(None, from)),
        date: Some(date),
        references: parents.iter().rev().map(|s| s.to_string()).collect(),
        raw_sha256: format!("{:0>64}", format!("{id}{date}").len() * 7 + date as usize),
        ..Default::default()
    };
    let subject_key = subject.trim_start_matches("Re: ").to_lowercase();
    Processed {
        keys: ThreadKeys {
            parents: parents.iter().map(|s| s.to_string()).collect(),
            thread_index_root: None,
            looks_like_reply: subject.starts_with("Re: ") || !parents.is_empty(),
            subject_key,
        },
        mail,
        routes: vec![Route {
            group_id: 1,
            slug: "eng".into(),
            via: Via::Cc,
        }],
        clean: CleanBody {
            body: format!("this is the body written in the mail {id} for the test"),
            ..Default::default()
        },
        reconstructed: Default::default(),
        safe_html: None,
        html_note: None,
        decision: Default::default(),
        retract: None,
        cancel: Vec::new(),
    }
}

pub(super) fn quoted(name: &str, email: &str, date: i64, body: &str) -> QuotedMail {
    QuotedMail {
        author: Address::new(Some(name), email),
        date: Some(date),
        date_zoned: false,
        date_local: Some(date),
        shown_by: None,
        shown_offset: None,
        subject: None,
        body: body.into(),
    }
}

pub(super) fn item(p: Processed) -> BatchItem {
    BatchItem {
        outcome: Outcome::Publish(Box::new(p)),
        bytes: Arc::new(vec![]),
        source: "test".into(),
        force_groups: vec![],
    }
}

fn stored_hit(thread: ThreadId, date: i64, subject_link: bool) -> SubjectHit {
    SubjectHit {
        thread,
        date,
        subject_link,
    }
}

#[test]
fn reply_in_same_batch_joins_new_thread() {
    let items = vec![
        item(mail("a@x", "ann@x.com", 100, "Plan", &[])),
        item(mail("b@x", "bob@x.com", 200, "Re: Plan", &["a@x"])),
    ];
    let ws = plan(&items, Known::default(), &OPTS);
    assert_eq!(ws.threads.len(), 1);
    assert_eq!(ws.threads[0].message_count, 2);
    assert_eq!(ws.threads[0].last_activity, 200);
    assert!(ws
        .messages
        .iter()
        .all(|m| m.place.thread == ThreadRef::New(0)));
    assert_eq!(ws.raws.len(), 2);
}

#[test]
fn reply_finds_stored_thread_through_refs_and_touches_it() {
    let items = vec![item(mail("b@x", "bob@x.com", 200, "Re: Plan", &["a@x"]))];
    let mut known = Known::default();
    known.refs.insert((1, "a@x".into()), 42);
    let ws = plan(&items, known, &OPTS);
    assert!(ws.threads.is_empty());
    assert_eq!(ws.messages[0].place.thread, ThreadRef::Existing(42));
    let touch = ThreadTouch {
        id: 42,
        started_at: 200,
        last_activity: 200,
        added: 1,
    };
    assert_eq!(ws.touches, vec![touch]);
}

#[test]
fn parent_arriving_after_its_reply_joins_the_reply_thread() {
    // Same batch.
    let items = vec![
        item(mail("b@x", "bob@x.com", 200, "Re: Plan", &["a@x"])),
        item(mail("a@x", "ann@x.com", 100, "Plan", &[])),
    ];
    let ws = plan(&items, Known::default(), &OPTS);
    assert_eq!(ws.threads.len(), 1);
    assert_eq!(ws.threads[0].started_at, 100);
    // Stored reply: the parent is found by its own id among the references already filed.
    let mut known = Known::default();
    known.refs.insert((1, "a@x".into()), 9);
    let ws = plan(
        &[item(mail("a@x", "ann@x.com", 100, "Plan", &[]))],
        known,
        &OPTS,
    );
    assert_eq!(ws.messages[0].place.thread, ThreadRef::Existing(9));
    assert_eq!(ws.touches[0].started_at, 100);
}

#[test]
fn a_mail_linking_two_threads_merges_them() {
    // b and c were filed apart (c's client kept only the root in References); a joins both.
    let mut known = Known::default();
    known.refs.insert((1, "b@x".into()), 5);
    known.refs.insert((1, "r@x".into()), 3);
    let a = mail("a@x", "ann@x.com", 100, "Re: Plan", &["b@x", "r@x"]);
    let ws = plan(&[item(a)], known, &OPTS);
    assert_eq!(ws.messages[0].place.thread, ThreadRef::Existing(3));
    assert_eq!(
        ws.merges,
        vec![ThreadMerge {
            from: 5,
            into: ThreadRef::Existing(3)
        }]
    );
    // Within one batch: two new threads become one, and only one is created.
    let items = vec![
        item(mail("c@x", "cy@x.com", 300, "Re: Plan", &["b@x"])),
        item(mail("d@x", "di@x.com", 400, "Re: Plan", &["r@x"])),
        item(mail("b@x", "bo@x.com", 200, "Re: Plan", &["r@x"])),
    ];
    let ws = plan(&items, Known::default(), &OPTS);
    assert_eq!(ws.threads.len(), 1);
    assert_eq!(ws.threads[0].message_count, 3);
    assert!(ws
        .messages
        .iter()
        .all(|m| m.place.thread == ThreadRef::New(0)));
    assert!(ws.refs.iter().all(|(_, _, t)| *t == ThreadRef::New(0)));
}

#[test]
fn subject_links_only_header_less_replies_within_the_window_either_side() {
    let mut known = Known::default();
    known
        .subjects
        .insert((1, "plan".into()), vec![stored_hit(7, 100 * DAY, false)]);
    let file = |p: Processed| plan(&[item(p)], known.clone(), &OPTS);
    let reply = |id: &str, date: i64| mail(id, "bob@x.com", date, "Re: Plan", &[]);
    assert_eq!(
        file(reply("b@x", 101 * DAY)).messages[0].place.thread,
        ThreadRef::Existing(7)
    );
    // Before the thread's activity, within the window: joins too.
    assert_eq!(
        file(reply("c@x", 95 * DAY)).messages[0].place.thread,
        ThreadRef::Existing(7)
    );
    // A year before or after: its own thread.
    assert_eq!(file(reply("d@x", 100 * DAY - 365 * DAY)).threads.len(), 1);
    assert_eq!(file(reply("e@x", 100 * DAY + 365 * DAY)).threads.len(), 1);
    // Not a reply.
    assert_eq!(
        file(mail("f@x", "bob@x.com", 101 * DAY, "Plan", &[]))
            .threads
            .len(),
        1
    );
    // A reply whose references point only to mail the group never saw: a stranger.
    let stranger = mail("g@x", "zoe@y.com", 101 * DAY, "Re: Plan", &["private@y"]);
    assert_eq!(file(stranger).threads.len(), 1);
}

#[test]
fn header_less_reply_filed_first_is_joined_by_its_thread_later() {
    let mut known = Known::default();
    known
        .subjects
        .insert((1, "plan".into()), vec![stored_hit(7, 101 * DAY, true)]);
    let original = mail("a@x", "ann@x.com", 100 * DAY, "Plan", &[]);
    let ws = plan(&[item(original)], known.clone(), &OPTS);
    assert_eq!(ws.messages[0].place.thread, ThreadRef::Existing(7));
    // But once that thread holds mail with headers, another conversation stays apart.
    known
        .subjects
        .get_mut(&(1, "plan".into()))
        .unwrap()
        .push(stored_hit(7, 100 * DAY, false));
    let other = mail("z@x", "zed@x.com", 100 * DAY, "Re: Plan", &["elsewhere@y"]);
    assert_eq!(plan(&[item(other)], known, &OPTS).threads.len(), 1);
}

#[test]
fn three_same_subject_conversations_in_one_week_stay_three_threads() {
    let items: Vec<BatchItem> = (0..3)
        .flat_map(|c| {
            let root = format!("private{c}@y");
            let first = format!("c{c}a@x");
            let second = format!("c{c}b@x");
            let at = c as i64 * DAY;
            vec![
                item(mail(&first, "ann@x.com", at, "Re: Launch", &[&root])),
                item(mail(
                    &second,
                    "bob@x.com",
                    at + 3600,
                    "Re: Launch",
                    &[&first, &root],
                )),
            ]
        })
        .collect();
    let ws = plan(&items, Known::default(), &OPTS);
    assert_eq!(ws.threads.len(), 3);
}

#[test]
fn duplicate_message_id_is_not_filed_twice() {
    let mut known = Known::default();
    known.messages.insert(
        (1, "a@x".into()),
        ExistingMessage {
            id: 1,
            thread_id: 1,
            reconstructed: false,
        },
    );
    let ws = plan(
        &[
            item(mail("a@x", "ann@x.com", 100, "Plan", &[])),
            item(mail("a@x", "ann@x.com", 100, "Plan", &[])),
        ],
        known,
        &OPTS,
    );
    assert!(ws.messages.is_empty() && ws.raws.is_empty());
    assert_eq!(
        ws.outcomes[1],
        ItemOutcome::Filed(vec![GroupOutcome::Duplicate { group_id: 1 }])
    );
}

#[test]
fn two_groups_get_one_thread_each() {
    let mut p = mail("a@x", "ann@x.com", 100, "Plan", &[]);
    p.routes.push(Route {
        group_id: 2,
        slug: "sales".into(),
        via: Via::To,
    });
    let ws = plan(&[item(p)], Known::default(), &OPTS);
    assert_eq!(ws.threads.len(), 2);
    assert_eq!(ws.messages.len(), 2);
    assert_eq!(ws.raws.len(), 1, "raw bytes stored once");
}

#[test]
fn reconstructions_are_created_then_replaced_by_originals() {
    let mut c = mail("c@x", "ann@x.com", 10_000, "Re: Plan", &["b@x", "a@x"]);
    c.reconstructed = OnceLock::from(vec![
        quoted("Ann", "ann@x.com", 1_000, "the plan"),
        quoted("Bob", "bob@x.com", 5_000 + 3600, "looks good"),
    ]);
    c.mail.references = vec!["a@x".into(), "b@x".into()];
    let ws = plan(&[item(c.clone())], Known::default(), &OPTS);
    assert_eq!(ws.messages.len(), 3);
    let rec: Vec<bool> = ws.messages.iter().map(|m| m.reconstructed).collect();
    assert_eq!(rec, [true, true, false]);
    assert_eq!(
        ws.messages[0].message_id, "a@x",
        "ids taken from References"
    );
    assert_eq!(ws.threads[0].started_at, 1_000);

    // In the same batch, the originals replace the pending reconstructions by id.
    let a = mail("a@x", "ann@x.com", 1_000, "Plan", &[]);
    let b = mail("b@x", "bob@x.com", 5_000, "Re: Plan", &["a@x"]);
    let ws = plan(&[item(c), item(a), item(b)], Known::default(), &OPTS);
    assert_eq!(ws.messages.len(), 3);
    assert!(ws.messages.iter().all(|m| !m.reconstructed));
    assert_eq!(ws.threads[0].message_count, 3);
    assert!(
        matches!(ws.outcomes[1], ItemOutcome::Filed(ref g) if matches!(g[0], GroupOutcome::Replaced { .. }))
    );
}

fn stored_reconstruction(id: MessageRowId, author: &str, date: i64, body: &str) -> Known {
    let mut known = Known::default();
    known.refs.insert((1, "a@x".into()), 9);
    known.reconstructions.insert(
        9,
        vec![Reconstruction {
            id,
            thread_id: 9,
            group_id: 1,
            message_id: "reconstructed.1.0@outloud.invalid".into(),
            author_email: author.into(),
            author_name: None,
            date,
            date_trust: DateTrust::UtcGuess,
            body: body.into(),
        }],
    );
    known
}

#[test]
fn stored_reconstruction_is_replaced_by_author_date_and_body() {
    let b = mail("b@x", "bob@x.com", 5_000, "Re: Plan", &["a@x"]);
    let body = b.clean.body.clone();
    // Shown an hour off (another zone) in the attribution, same text.
    let known = stored_reconstruction(77, "bob@x.com", 5_000 + 3600, &body);
    let ws = plan(&[item(b)], known, &OPTS);
    assert!(ws.messages.is_empty());
    assert_eq!(ws.replacements.len(), 1);
    assert_eq!(ws.replacements[0].0, 77);
    assert_eq!(ws.touches[0].added, 0);
}

#[test]
fn a_later_reply_by_the_same_author_does_not_replace_the_rebuilt_private_mail() {
    let known = stored_reconstruction(77, "bob@x.com", 5_000, "the private numbers were fine");
    let later = mail("b2@x", "bob@x.com", 5_000 + 2 * 3600, "Re: Plan", &["a@x"]);
    let ws = plan(&[item(later)], known, &OPTS);
    assert!(ws.replacements.is_empty(), "both stay");
    assert_eq!(ws.messages.len(), 1);
}

#[test]
fn a_slot_taken_by_content_is_not_overwritten_again_by_id() {
    // The rebuilt entry took the real id a1@x from References; a mail with the same author,
    // time and text but another id replaces it first, then the real a1@x arrives. Neither may
    // vanish: a1@x is filed as a message of its own.
    let mut known = stored_reconstruction(77, "bob@x.com", 5_000, "");
    known.reconstructions.get_mut(&9).unwrap()[0].message_id = "a1@x".into();
    known.messages.insert(
        (1, "a1@x".into()),
        ExistingMessage {
            id: 77,
            thread_id: 9,
            reconstructed: true,
        },
    );
    let copy = mail("copy@x", "bob@x.com", 5_000, "Re: Plan", &["a@x"]);
    let real = mail("a1@x", "bob@x.com", 5_000, "Re: Plan", &["a@x"]);
    let ws = plan(&[item(copy), item(real)], known, &OPTS);
    let filed = ws.replacements.len() + ws.messages.len();
    assert_eq!(filed, 2, "every mail lands somewhere: {ws:#?}");
    assert_eq!(ws.replacements.len(), 1);
}

#[test]
fn a_mail_matching_a_rebuilt_entry_of_a_same_subject_thread_joins_it() {
    // Its References point to mail the group never saw, but it is the original of an entry
    // rebuilt from a quote in the thread (References were cut short).
    let p = mail("p@x", "pat@x.com", 5_000, "Re: Plan", &["private@y"]);
    let body = p.clean.body.clone();
    let mut known = stored_reconstruction(77, "pat@x.com", 5_000, &body);
    known
        .subjects
        .insert((1, "plan".into()), vec![stored_hit(9, 6_000, false)]);
    let ws = plan(&[item(p)], known, &OPTS);
    assert_eq!(ws.replacements.len(), 1);
    assert!(ws.threads.is_empty());
}

#[test]
fn quoted_history_shared_with_a_thread_joins_it() {
    let mut known = stored_reconstruction(
        77,
        "pat@x.com",
        5_000,
        "numbers for the launch look fine to me",
    );
    known
        .subjects
        .insert((1, "plan".into()), vec![stored_hit(9, 6_000, false)]);
    let mut p = mail("q@x", "quinn@x.com", 7_000, "Re: Plan", &["private2@y"]);
    p.reconstructed = OnceLock::from(vec![quoted(
        "Pat",
        "pat@x.com",
        5_000,
        "Numbers for the launch look fine to me.",
    )]);
    let ws = plan(&[item(p)], known, &OPTS);
    assert_eq!(ws.messages[0].place.thread, ThreadRef::Existing(9));
}

#[test]
fn an_original_replacing_its_rebuilt_entry_by_id_still_merges_what_its_headers_reach() {
    // A reply quoting b@x started thread 5 with b@x rebuilt under its real id; the thread of
    // b@x's own parent is 3. When b@x arrives it replaces its entry and ties 5 and 3 together.
    let mut known = Known::default();
    known.messages.insert(
        (1, "b@x".into()),
        ExistingMessage {
            id: 70,
            thread_id: 5,
            reconstructed: true,
        },
    );
    known.refs.insert((1, "b@x".into()), 5);
    known.refs.insert((1, "a@x".into()), 3);
    let b = mail("b@x", "bob@x.com", 200, "Re: Plan", &["a@x"]);
    let ws = plan(&[item(b)], known, &OPTS);
    assert_eq!(ws.replacements.len(), 1);
    assert_eq!(ws.replacements[0].1.place.thread, ThreadRef::Existing(3));
    let merge = ThreadMerge {
        from: 5,
        into: ThreadRef::Existing(3),
    };
    assert_eq!(ws.merges, vec![merge]);
}

#[test]
fn a_quoted_time_after_the_quoting_mail_steps_back_whole_hours() {
    // "Envoyé : 13:29" read as UTC in a mail sent at 13:10 UTC: shown in a zone east of UTC.
    let mut c = mail(
        "c@x",
        "ann@x.com",
        13 * 3600 + 600,
        "Re: Plan",
        &["private@y"],
    );
    c.reconstructed = OnceLock::from(vec![quoted("Bob", "bob@x.com", 13 * 3600 + 29 * 60, "x")]);
    let ws = plan(&[item(c)], Known::default(), &OPTS);
    assert_eq!(ws.messages[0].date, 12 * 3600 + 29 * 60);
}

#[test]
fn merging_threads_keeps_one_copy_of_each_rebuilt_mail() {
    // Two replies each rebuilt Pat's private mail before a third mail tied their threads.
    let pat = quoted(
        "Pat",
        "pat@x.com",
        5_000,
        "the numbers for the launch look fine to me",
    );
    let mut r1 = mail("r1@x", "ann@x.com", 7_000, "Re: Plan", &["p@y"]);
    r1.reconstructed = OnceLock::from(vec![pat.clone()]);
    let mut r2 = mail("r2@x", "bob@x.com", 8_000, "Re: Plan", &["q@y"]);
    r2.reconstructed = OnceLock::from(vec![pat]);
    let tie = mail("t@x", "cy@x.com", 9_000, "Re: Plan", &["r1@x", "r2@x"]);
    let ws = plan(&[item(r1), item(r2), item(tie)], Known::default(), &OPTS);
    assert_eq!(ws.threads.len(), 1);
    let rebuilt = ws.messages.iter().filter(|m| m.reconstructed).count();
    assert_eq!(rebuilt, 1, "{:#?}", ws.messages);
    assert_eq!(ws.threads[0].message_count, 4);
}

#[test]
fn a_rebuilt_copy_of_a_published_mail_goes_when_their_threads_merge() {
    // Thread 3 holds Pat's mail; thread 5 was started by a reply that rebuilt it from its quote.
    let body = "the numbers for the launch look fine to me";
    let mut known = Known::default();
    known.refs.insert((1, "p@x".into()), 3);
    known.refs.insert((1, "r@x".into()), 5);
    known.published.insert(
        3,
        vec![Published {
            thread_id: 3,
            author_email: "pat@x.com".into(),
            author_name: None,
            date: 5_000,
            body: body.into(),
        }],
    );
    known.reconstructions.insert(
        5,
        vec![Reconstruction {
            id: 77,
            thread_id: 5,
            group_id: 1,
            message_id: "reconstructed.r.0@outloud.invalid".into(),
            author_email: "pat@x.com".into(),
            author_name: Some("Pat".into()),
            date: 5_000 + 3600,
            date_trust: DateTrust::UtcGuess,
            body: body.into(),
        }],
    );
    let tie = mail("t@x", "cy@x.com", 9_000, "Re: Plan", &["r@x", "p@x"]);
    let ws = plan(&[item(tie)], known, &OPTS);
    assert_eq!(ws.deletes, vec![77]);
    assert_eq!(ws.merges.len(), 1);
}

#[test]
fn a_thread_index_only_reply_joining_a_thread_rebuilds_what_it_quotes() {
    // Outlook-only mail: no References, so nothing says whether its quote is published.
    let mut known = Known::default();
    known.refs.insert((1, format!("{THREAD_INDEX_KEY}ROOT")), 9);
    let mut r = mail("r@x", "ann@x.com", 9_000, "RE: Plan", &[]);
    r.keys.thread_index_root = Some("ROOT".into());
    r.reconstructed = OnceLock::from(vec![quoted("Pat", "pat@x.com", 5_000, "private numbers")]);
    let ws = plan(&[item(r)], known, &OPTS);
    let rebuilt: Vec<_> = (ws.messages.iter())
        .filter(|m| m.reconstructed)
        .map(|m| (m.place.thread, m.author_email.as_str()))
        .collect();
    assert_eq!(rebuilt, [(ThreadRef::Existing(9), "pat@x.com")]);
}

#[test]
fn retained_raw_mail_is_purged_after_its_retention_from_now() {
    let day = PlanOptions {
        retracted_raw_secs: Some(DAY),
        ..OPTS
    };
    assert_eq!(day.purge_after(), Some(OPTS.now + DAY));
    let negative = PlanOptions {
        retracted_raw_secs: Some(-5),
        ..OPTS
    };
    assert_eq!(negative.purge_after(), Some(OPTS.now));
    assert_eq!(OPTS.purge_after(), None, "kept until purged by hand");
}

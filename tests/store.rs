//! One storage story, run against SQLite (a fresh file per test) and PostgreSQL (a fresh
//! database per test, dropped afterwards), through the shared harness in `common`.
//!
//! PostgreSQL: `postgres://postgres@127.0.0.1:5432/test` or `$OUTLOUD_TEST_PG`. When it is
//! unreachable the postgres tests fail, saying how to start it.
// Each story reads top to bottom, one step after another: splitting it would hide the order.
#![allow(clippy::too_many_lines)]

use std::sync::{Arc, Mutex};

#[macro_use]
mod common;

use common::{addresses, slug};

use outloud::core::plan::{
    Checkpoint, DateGuess, DateTrust, ExistingMessage, ItemOutcome, Known, Lookup, NewMessage,
    NewRaw, NewThread, PersonZone, Planned, Reconstruction, SkipRow, SubjectHit, SubjectQuery,
    ThreadMerge, ThreadRef, ThreadTouch, WriteSet,
};
use outloud::model::{Address, Attachment, Attachments, CleanBody, SkipReason, Via};
use outloud::store::{self, Store, StoreError};

// --- building write sets ------------------------------------------------------------------

fn raw(sha: &str, message_id: &str) -> NewRaw {
    NewRaw {
        sha256: sha.to_string(),
        message_id: message_id.to_string(),
        source: format!("import:test.mbox#{sha}"),
        force_groups: vec![],
        received_at: 1_700_000_000,
        bytes: Arc::new(
            format!("Message-ID: <{message_id}>\r\n\r\nbody of {sha}\r\n").into_bytes(),
        ),
    }
}

fn thread(
    group_id: i64,
    subject: &str,
    started_at: i64,
    last_activity: i64,
    count: i64,
) -> NewThread {
    NewThread {
        group_id,
        subject: subject.to_string(),
        subject_key: subject.to_lowercase(),
        started_at,
        last_activity,
        message_count: count,
    }
}

fn msg(
    group_id: i64,
    thread: ThreadRef,
    message_id: &str,
    sha: Option<&str>,
    date: i64,
) -> NewMessage {
    NewMessage {
        place: Planned { group_id, thread },
        raw_sha256: sha.map(str::to_string),
        message_id: message_id.to_string(),
        author_email: "ann@corp.example".to_string(),
        author_name: Some("Ann Author".to_string()),
        date,
        date_trust: DateTrust::Exact,
        subject: "Hello".to_string(),
        subject_key: "hello".to_string(),
        subject_link: false,
        clean: CleanBody {
            body: format!("body of {message_id}"),
            quoted: "> earlier".to_string(),
            signoff: "Best,".to_string(),
            signature: "Ann".to_string(),
            disclaimer: String::new(),
        },
        html: None,
        html_note: None,
        attachments: Attachments::default(),
        recipients: Default::default(),
        via: Via::Cc,
        reconstructed: false,
    }
}

fn subject(group: i64, from: i64, until: i64) -> SubjectQuery {
    SubjectQuery {
        group,
        key: "hello".into(),
        from,
        until,
        askers: vec![vec![]],
    }
}

fn hit(thread: i64, date: i64) -> SubjectHit {
    SubjectHit {
        thread,
        date,
        subject_link: false,
    }
}

fn reconstructed(group_id: i64, thread: ThreadRef, message_id: &str, date: i64) -> NewMessage {
    let mut m = msg(group_id, thread, message_id, None, date);
    m.reconstructed = true;
    (m.author_email, m.author_name) = ("bob@corp.example".to_string(), None);
    m.clean.body = "what bob wrote, rebuilt from a quote".to_string();
    m
}

/// A plan that ignores what the store knows.
fn fixed(ws: WriteSet) -> impl Fn(Known) -> WriteSet + Send + Sync {
    move |_| ws.clone()
}

async fn write(store: &dyn Store, ws: WriteSet) -> WriteSet {
    let done = store
        .ingest(&Lookup::default(), &fixed(ws.clone()), None)
        .await
        .expect("ingest");
    assert_eq!(done, ws, "ingest returns the write set it executed");
    done
}

/// What the store answers for `lookup` (the plan writes nothing).
async fn known(store: &dyn Store, lookup: Lookup) -> Known {
    let seen = Mutex::new(None);
    store
        .ingest(
            &lookup,
            &|k| {
                *seen.lock().unwrap() = Some(k);
                WriteSet::default()
            },
            None,
        )
        .await
        .expect("lookup");
    seen.into_inner().unwrap().expect("plan called")
}

async fn group(store: &dyn Store, name: &str) -> i64 {
    store
        .upsert_group(
            &slug(name),
            &name.to_uppercase(),
            &addresses(&[&format!("{name}@corp.example")]),
        )
        .await
        .expect("group")
        .id
}

/// The one thread of a group, as `(id, last_activity, message_count)`.
async fn only_thread(store: &dyn Store, group_id: i64) -> (i64, i64, i64) {
    let threads = store.threads(group_id, 10, 0).await.unwrap();
    assert_eq!(threads.len(), 1, "{threads:?}");
    (
        threads[0].id,
        threads[0].last_activity,
        threads[0].message_count,
    )
}

// --- the story ----------------------------------------------------------------------------

async fn migrate_twice_is_a_no_op(store: Arc<dyn Store>) {
    group(&*store, "eng").await;
    store.migrate().await.expect("second migrate");
    store.migrate().await.expect("third migrate");
    assert_eq!(
        store.groups().await.unwrap().len(),
        1,
        "data survives re-running migrations"
    );
}

async fn groups_crud_and_address_conflict(store: Arc<dyn Store>) {
    let s = &*store;
    let eng = s
        .upsert_group(
            &slug("eng"),
            "Engineering",
            &addresses(&[" Eng@Corp.Example", "eng-team@corp.example"]),
        )
        .await
        .unwrap();
    assert_eq!(eng.slug, "eng");
    assert_eq!(
        eng.addresses,
        vec!["eng-team@corp.example", "eng@corp.example"]
    );
    assert_eq!(s.groups().await.unwrap(), vec![eng.clone()]);

    // Update: same id, new name, address list replaced.
    let eng2 = s
        .upsert_group(
            &slug("eng"),
            "Engineering team",
            &addresses(&["eng@corp.example"]),
        )
        .await
        .unwrap();
    assert_eq!(eng2.id, eng.id);
    assert_eq!(eng2.name, "Engineering team");
    assert_eq!(s.groups().await.unwrap(), vec![eng2.clone()]);

    // An address of another group is refused, naming both.
    let err = s
        .upsert_group(
            &slug("ops"),
            "Operations",
            &addresses(&["ops@corp.example", "ENG@corp.example"]),
        )
        .await;
    match err {
        Err(StoreError::Invalid(m)) => {
            assert!(m.contains("eng@corp.example") && m.contains("eng"), "{m}")
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert_eq!(
        s.groups().await.unwrap().len(),
        1,
        "a refused upsert creates nothing"
    );

    // The address eng dropped is free again.
    let ops = s
        .upsert_group(
            &slug("ops"),
            "Operations",
            &addresses(&["eng-team@corp.example"]),
        )
        .await
        .unwrap();
    let all = s.groups().await.unwrap();
    assert_eq!(
        all.iter().map(|g| g.slug.as_str()).collect::<Vec<_>>(),
        vec!["eng", "ops"]
    );
    assert_eq!(all[1], ops);

    assert!(s.remove_group(&slug("ops")).await.unwrap());
    assert!(!s.remove_group(&slug("ops")).await.unwrap());
    assert_eq!(s.groups().await.unwrap(), vec![eng2]);
    // A group with no address is allowed (it receives only forced imports).
    let bare = s.upsert_group(&slug("bare"), "Bare", &[]).await.unwrap();
    assert!(bare.addresses.is_empty());
}

async fn new_thread_then_lookups(store: Arc<dyn Store>) {
    let s = &*store;
    let g = group(s, "eng").await;
    let other = group(s, "ops").await;
    let mut first = msg(g, ThreadRef::New(0), "m1@x", Some("sha1"), 1000);
    first.html = Some("<p>hi</p>".into());
    first.attachments = Attachments(vec![Attachment {
        filename: Some("plan.pdf".into()),
        content_type: "application/pdf".into(),
        size: 1234,
    }]);
    first.via = Via::To;
    let ws = WriteSet {
        raws: vec![raw("sha1", "m1@x"), raw("sha2", "m2@x")],
        people: vec![
            Address::new(Some("Ann Author"), "ann@corp.example"),
            Address::new(Some("Ann"), "ann@corp.example"),
        ],
        threads: vec![thread(g, "Hello", 1000, 2000, 2)],
        messages: vec![
            first.clone(),
            msg(g, ThreadRef::New(0), "m2@x", Some("sha2"), 2000),
        ],
        refs: vec![
            (g, "m1@x".into(), ThreadRef::New(0)),
            (g, "m2@x".into(), ThreadRef::New(0)),
            (g, "parent@x".into(), ThreadRef::New(0)),
        ],
        outcomes: vec![ItemOutcome::Filed(vec![]), ItemOutcome::Filed(vec![])],
        ..Default::default()
    };
    write(s, ws).await;
    let (tid, last, count) = only_thread(s, g).await;
    assert_eq!((last, count), (2000, 2));

    let k = known(
        s,
        Lookup {
            messages: vec![
                (g, "m1@x".into()),
                (g, "nope@x".into()),
                (other, "m1@x".into()),
            ],
            refs: vec![
                (g, "parent@x".into()),
                (g, "m2@x".into()),
                (other, "parent@x".into()),
                (g, "zzz".into()),
            ],
            subjects: vec![subject(g, 2000, 5000), subject(other, 0, 5000)],
            zones: Vec::new(),
            guesses: Vec::new(),
            held: Vec::new(),
            retracted: Vec::new(),
            authors: Vec::new(),
            posters: Vec::new(),
            pending: Vec::new(),
        },
    )
    .await;
    assert_eq!(k.messages.len(), 1);
    let m1 = k.messages[&(g, "m1@x".to_string())];
    assert_eq!((m1.thread_id, m1.reconstructed), (tid, false));
    assert_eq!(k.refs.len(), 2);
    assert_eq!(k.refs[&(g, "parent@x".to_string())], tid);
    assert_eq!(k.refs[&(g, "m2@x".to_string())], tid);
    assert_eq!(k.subjects.len(), 1);
    assert_eq!(
        k.subjects[&(g, "hello".to_string())],
        vec![hit(tid, 2000)],
        "published messages dated within the range"
    );
    assert!(k.reconstructions.is_empty());

    // Asked only for mails the refs do not file: not when the only asker has a known key,
    // but when another has none.
    let asked_by = |askers| Lookup {
        refs: vec![(g, "zzz".into()), (g, "parent@x".into())],
        subjects: vec![SubjectQuery {
            askers,
            ..subject(g, 2000, 5000)
        }],
        ..Default::default()
    };
    assert!(known(s, asked_by(vec![vec![0, 1]]))
        .await
        .subjects
        .is_empty());
    let k = known(s, asked_by(vec![vec![0, 1], vec![0]])).await;
    assert_eq!(k.subjects[&(g, "hello".to_string())], vec![hit(tid, 2000)]);

    // The range is inclusive; past both messages it finds nothing.
    let k = known(
        s,
        Lookup {
            subjects: vec![subject(g, 2001, 9000)],
            ..Default::default()
        },
    )
    .await;
    assert!(k.subjects.is_empty(), "{:?}", k.subjects);

    // A second thread with the same subject key: both are found, reconstructions never are.
    write(
        s,
        WriteSet {
            threads: vec![thread(g, "hello", 3000, 3000, 1)],
            messages: vec![
                NewMessage {
                    subject_link: true,
                    ..msg(g, ThreadRef::New(0), "m3@x", None, 3000)
                },
                reconstructed(g, ThreadRef::New(0), "r3@x", 2500),
            ],
            ..Default::default()
        },
    )
    .await;
    let k = known(
        s,
        Lookup {
            subjects: vec![subject(g, 0, 5000)],
            ..Default::default()
        },
    )
    .await;
    let mut found = k.subjects[&(g, "hello".to_string())].clone();
    found.sort_by_key(|h| h.date);
    assert_eq!(found.len(), 3, "the reconstruction is not a hit: {found:?}");
    assert_eq!(found[0], hit(tid, 1000));
    assert!(found[2].thread != tid && found[2].date == 3000 && found[2].subject_link);

    // Every field round-trips; messages come oldest first.
    let detail = s.thread(tid).await.unwrap().expect("thread");
    assert_eq!(detail.thread.subject, "Hello");
    assert_eq!(detail.thread.group_slug, "eng");
    assert_eq!(detail.thread.started_at, 1000);
    let ids: Vec<_> = detail
        .messages
        .iter()
        .map(|m| m.message_id.as_str())
        .collect();
    assert_eq!(ids, vec!["m1@x", "m2@x"]);
    let m = &detail.messages[0];
    assert_eq!(m.place.thread_id, tid);
    assert_eq!(m.place.group_id, g);
    assert_eq!(m.place.group_slug, "eng");
    assert_eq!(m.raw_sha256.as_deref(), Some("sha1"));
    assert_eq!(m.author_email, "ann@corp.example");
    assert_eq!(m.author_name.as_deref(), Some("Ann Author"));
    assert_eq!(m.date, 1000);
    assert_eq!(
        (m.subject.as_str(), m.clean.body.as_str()),
        ("Hello", "body of m1@x")
    );
    assert_eq!(
        (
            m.clean.quoted.as_str(),
            m.clean.signoff.as_str(),
            m.clean.signature.as_str()
        ),
        ("> earlier", "Best,", "Ann")
    );
    assert_eq!(m.clean.disclaimer, "");
    assert_eq!(m.html.as_deref(), Some("<p>hi</p>"));
    assert_eq!(m.attachments, first.attachments);
    assert_eq!(m.via, Via::To);
    assert!(!m.reconstructed);
    assert_eq!(detail.messages[1].html, None);
    assert_eq!(detail.messages[1].via, Via::Cc);
    assert!(detail.linked.is_empty());
}

async fn messages_with_equal_dates_keep_insert_order(store: Arc<dyn Store>) {
    let s = &*store;
    let g = group(s, "eng").await;
    write(
        s,
        WriteSet {
            threads: vec![thread(g, "Same time", 500, 500, 3)],
            messages: vec![
                msg(g, ThreadRef::New(0), "b@x", None, 500),
                msg(g, ThreadRef::New(0), "a@x", None, 500),
                msg(g, ThreadRef::New(0), "early@x", None, 100),
            ],
            ..Default::default()
        },
    )
    .await;
    let (tid, _, _) = only_thread(s, g).await;
    let detail = s.thread(tid).await.unwrap().unwrap();
    let ids: Vec<_> = detail
        .messages
        .iter()
        .map(|m| m.message_id.as_str())
        .collect();
    assert_eq!(ids, vec!["early@x", "b@x", "a@x"], "by date, then by id");
}

async fn reconstructions_replacement_and_touches(store: Arc<dyn Store>) {
    let s = &*store;
    let g = group(s, "eng").await;
    write(
        s,
        WriteSet {
            threads: vec![
                thread(g, "Plan", 100, 300, 2),
                thread(g, "Other", 100, 100, 1),
            ],
            messages: vec![
                reconstructed(g, ThreadRef::New(0), "orig@x", 100),
                msg(g, ThreadRef::New(0), "reply@x", Some("sha-reply"), 300),
                reconstructed(g, ThreadRef::New(1), "elsewhere@x", 100),
            ],
            refs: vec![
                (g, "orig@x".into(), ThreadRef::New(0)),
                (g, "reply@x".into(), ThreadRef::New(0)),
            ],
            ..Default::default()
        },
    )
    .await;
    let threads = s.threads(g, 10, 0).await.unwrap();
    let plan_id = threads.iter().find(|t| t.subject == "Plan").unwrap().id;
    let other_id = threads.iter().find(|t| t.subject == "Other").unwrap().id;

    // Found through refs: its reconstructions come along; the other thread's do not.
    let k = known(
        s,
        Lookup {
            messages: vec![(g, "orig@x".into())],
            refs: vec![(g, "reply@x".into())],
            ..Default::default()
        },
    )
    .await;
    let orig = k.messages[&(g, "orig@x".to_string())];
    assert_eq!(orig.thread_id, plan_id);
    assert!(orig.reconstructed);
    assert_eq!(k.reconstructions.len(), 1, "{:?}", k.reconstructions);
    assert_eq!(
        k.reconstructions[&plan_id],
        vec![Reconstruction {
            id: orig.id,
            thread_id: plan_id,
            group_id: g,
            message_id: "orig@x".into(),
            author_email: "bob@corp.example".into(),
            author_name: None,
            date: 100,
            date_trust: DateTrust::Exact,
            body: "what bob wrote, rebuilt from a quote".into(),
        }]
    );
    // The original arrives: the row is overwritten in place, the thread is touched (twice,
    // once with an older date that must not move last_activity back).
    let mut original = msg(
        g,
        ThreadRef::Existing(plan_id),
        "orig@x",
        Some("sha-orig"),
        90,
    );
    original.author_email = "bob@corp.example".into();
    original.author_name = Some("Bob".into());
    original.clean.body = "the real text".into();
    write(
        s,
        WriteSet {
            raws: vec![raw("sha-orig", "orig@x")],
            replacements: vec![(orig.id, original)],
            touches: vec![
                ThreadTouch {
                    id: plan_id,
                    started_at: 250,
                    last_activity: 250,
                    added: 0,
                },
                ThreadTouch {
                    id: plan_id,
                    started_at: 400,
                    last_activity: 400,
                    added: 1,
                },
                ThreadTouch {
                    id: other_id,
                    started_at: 50,
                    last_activity: 50,
                    added: 2,
                },
            ],
            messages: vec![msg(
                g,
                ThreadRef::Existing(plan_id),
                "late@x",
                Some("sha-late"),
                400,
            )],
            ..Default::default()
        },
    )
    .await;
    let detail = s.thread(plan_id).await.unwrap().unwrap();
    assert_eq!(
        (detail.thread.last_activity, detail.thread.message_count),
        (400, 3)
    );
    let first = &detail.messages[0];
    assert_eq!(first.place.id, orig.id, "replaced in place");
    assert!(!first.reconstructed);
    assert_eq!(first.clean.body, "the real text");
    assert_eq!(first.raw_sha256.as_deref(), Some("sha-orig"));
    assert_eq!(first.author_name.as_deref(), Some("Bob"));
    assert_eq!(first.date, 90);
    let other = s.thread(other_id).await.unwrap().unwrap();
    assert_eq!(
        (other.thread.last_activity, other.thread.message_count),
        (100, 3)
    );

    let k = known(
        s,
        Lookup {
            refs: vec![(g, "reply@x".into())],
            ..Default::default()
        },
    )
    .await;
    assert!(k.reconstructions.is_empty(), "{:?}", k.reconstructions);
    let k = known(
        s,
        Lookup {
            messages: vec![(g, "orig@x".into())],
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        k.messages[&(g, "orig@x".to_string())],
        ExistingMessage {
            id: orig.id,
            thread_id: plan_id,
            reconstructed: false
        }
    );
}

async fn merged_threads_move_messages_and_refs(store: Arc<dyn Store>) {
    let s = &*store;
    let g = group(s, "eng").await;
    write(
        s,
        WriteSet {
            threads: vec![
                thread(g, "Plan", 200, 200, 1),
                thread(g, "Plan", 100, 100, 1),
            ],
            messages: vec![
                msg(g, ThreadRef::New(0), "b@x", None, 200),
                msg(g, ThreadRef::New(1), "a@x", None, 100),
            ],
            refs: vec![
                (g, "b@x".into(), ThreadRef::New(0)),
                (g, "a@x".into(), ThreadRef::New(1)),
            ],
            ..Default::default()
        },
    )
    .await;
    let threads = s.threads(g, 10, 0).await.unwrap();
    let (keep, gone) = (
        threads[1].id.min(threads[0].id),
        threads[1].id.max(threads[0].id),
    );
    // A mail that links both: the newer thread moves into the older one within the batch,
    // together with a message filed into it by the same batch.
    write(
        s,
        WriteSet {
            messages: vec![msg(g, ThreadRef::Existing(keep), "c@x", None, 50)],
            refs: vec![(g, "c@x".into(), ThreadRef::Existing(keep))],
            merges: vec![ThreadMerge {
                from: gone,
                into: ThreadRef::Existing(keep),
            }],
            ..Default::default()
        },
    )
    .await;
    let (tid, last, count) = only_thread(s, g).await;
    assert_eq!((tid, last, count), (keep, 200, 3));
    let detail = s.thread(tid).await.unwrap().unwrap();
    assert_eq!(detail.thread.started_at, 50);
    let k = known(
        s,
        Lookup {
            refs: vec![(g, "a@x".into()), (g, "b@x".into())],
            ..Default::default()
        },
    )
    .await;
    assert!(k.refs.values().all(|t| *t == keep), "{:?}", k.refs);
}

async fn person_zones_keep_the_newest(store: Arc<dyn Store>) {
    let s = &*store;
    let zone = |offset, seen_at| {
        (
            "ann@corp.example".to_string(),
            PersonZone { offset, seen_at },
        )
    };
    let ann = vec![Address::new(Some("Ann"), "ann@corp.example")];
    let people = |zones| WriteSet {
        people: ann.clone(),
        zones,
        ..Default::default()
    };
    write(s, people(vec![zone(7200, 2000)])).await;
    write(s, people(vec![zone(3600, 1000)])).await;
    let asked = Lookup {
        zones: vec!["ann@corp.example".into(), "bob@corp.example".into()],
        ..Default::default()
    };
    let k = known(s, asked.clone()).await;
    assert_eq!(k.zones.len(), 1);
    assert_eq!(
        k.zones["ann@corp.example"],
        zone(7200, 2000).1,
        "an older one does not win"
    );
    write(s, people(vec![zone(-18000, 3000)])).await;
    assert_eq!(
        known(s, asked.clone()).await.zones["ann@corp.example"].offset,
        -18000
    );
    // Several readings in one batch, newest last: the last stands.
    write(s, people(vec![zone(3600, 4000), zone(19800, 4000)])).await;
    assert_eq!(
        known(s, asked).await.zones["ann@corp.example"],
        zone(19800, 4000).1
    );
}

async fn zone_guesses_are_kept_until_redated(store: Arc<dyn Store>) {
    let s = &*store;
    let g = group(s, "eng").await;
    let t = ThreadRef::New(0);
    let guessed = |id: &str, trust| NewMessage {
        date_trust: trust,
        ..reconstructed(g, t, id, 1000)
    };
    let guess = |id: &str, local, by: &str| {
        let by = by.to_string();
        (
            g,
            id.to_string(),
            DateGuess {
                local,
                shown_by: by,
            },
        )
    };
    write(
        s,
        WriteSet {
            threads: vec![thread(g, "Hello", 1000, 3000, 3)],
            messages: vec![
                guessed("r1@x", DateTrust::UtcGuess),
                guessed("r2@x", DateTrust::ZoneGuess),
                msg(g, t, "m@x", None, 3000),
            ],
            guesses: vec![
                guess("r1@x", 1000, "ann@corp.example"),
                guess("r2@x", 5000, "bob@corp.example"),
                // Only rebuilt entries keep a guess.
                guess("m@x", 3000, "ann@corp.example"),
            ],
            ..Default::default()
        },
    )
    .await;
    let guesses = guesses_for(s, &["ann@corp.example", "carl@corp.example"]).await;
    assert_eq!(guesses.len(), 1, "{guesses:?}");
    let (rec, g1) = &guesses[0];
    assert_eq!(
        (rec.message_id.as_str(), rec.date_trust, rec.date),
        ("r1@x", DateTrust::UtcGuess, 1000)
    );
    assert_eq!(
        g1,
        &DateGuess {
            local: 1000,
            shown_by: "ann@corp.example".into()
        }
    );
    // Read again in Ann's zone: no longer a guess.
    let redated = WriteSet {
        redates: vec![(rec.id, 1000 + 5 * 3600, DateTrust::ShownZone)],
        ..Default::default()
    };
    write(s, redated).await;
    assert!(guesses_for(s, &["ann@corp.example"]).await.is_empty());
    let bob = guesses_for(s, &["bob@corp.example"]).await;
    assert_eq!(bob.len(), 1);
    assert_eq!(bob[0].0.date_trust, DateTrust::ZoneGuess);
    assert_eq!(bob[0].1.local, 5000);
    // Redated to another guess by a later quote: the new guess replaces the old one.
    let again = WriteSet {
        redates: vec![(bob[0].0.id, 2000, DateTrust::UtcGuess)],
        guesses: vec![guess("r2@x", 2000, "dan@corp.example")],
        ..Default::default()
    };
    write(s, again).await;
    assert!(guesses_for(s, &["bob@corp.example"]).await.is_empty());
    assert_eq!(guesses_for(s, &["dan@corp.example"]).await[0].1.local, 2000);
}

/// The rebuilt entries the store holds dated by a guess for these people.
async fn guesses_for(store: &dyn Store, who: &[&str]) -> Vec<(Reconstruction, DateGuess)> {
    let asked = Lookup {
        guesses: who.iter().map(|w| w.to_string()).collect(),
        ..Default::default()
    };
    known(store, asked).await.guesses
}

async fn skips_and_raws_are_idempotent(store: Arc<dyn Store>) {
    let s = &*store;
    let mut forced = raw("sha-a", "a@x");
    forced.force_groups = vec!["eng".into(), "ops".into()];
    let skip = |sha: &str, reason| SkipRow {
        raw_sha256: sha.into(),
        message_id: format!("{sha}@x"),
        reason,
        detail: "because".into(),
    };
    let ws = WriteSet {
        raws: vec![forced.clone(), raw("sha-b", "b@x"), raw("sha-c", "c@x")],
        skips: vec![
            skip("sha-b", SkipReason::AutoReply),
            skip("sha-c", SkipReason::Bounce),
        ],
        ..Default::default()
    };
    write(s, ws.clone()).await;
    write(s, ws).await;
    write(
        s,
        WriteSet {
            raws: vec![raw("sha-d", "d@x")],
            skips: vec![skip("sha-d", SkipReason::AutoReply)],
            ..Default::default()
        },
    )
    .await;

    let raws = s.raws_after(0, 100).await.unwrap();
    let shas: Vec<_> = raws.iter().map(|r| r.sha256.as_str()).collect();
    assert_eq!(
        shas,
        vec!["sha-a", "sha-b", "sha-c", "sha-d"],
        "arrival order, no duplicates"
    );
    assert!(raws.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(raws[0].force_groups, vec!["eng", "ops"]);
    assert!(raws[1].force_groups.is_empty());
    assert_eq!(raws[0].bytes, *forced.bytes);
    assert_eq!(raws[0].source, forced.source);
    assert_eq!(raws[0].received_at, forced.received_at);
    let page = s.raws_after(raws[1].seq, 1).await.unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].sha256, "sha-c");
    assert!(s.raws_after(raws[3].seq, 10).await.unwrap().is_empty());

    let counts: Vec<_> = s
        .skip_counts()
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.reason, c.count))
        .collect();
    assert_eq!(
        counts,
        vec![(SkipReason::AutoReply, 2), (SkipReason::Bounce, 1)]
    );
}

async fn cross_posted_mail_links_threads(store: Arc<dyn Store>) {
    let s = &*store;
    let eng = group(s, "eng").await;
    let ops = group(s, "ops").await;
    write(
        s,
        WriteSet {
            raws: vec![raw("sha-x", "x@x")],
            threads: vec![
                thread(eng, "Outage", 10, 10, 1),
                thread(ops, "Outage", 10, 10, 1),
                thread(eng, "Lonely", 10, 10, 1),
            ],
            messages: vec![
                msg(eng, ThreadRef::New(0), "x@x", Some("sha-x"), 10),
                msg(ops, ThreadRef::New(1), "x@x", Some("sha-x"), 10),
                msg(eng, ThreadRef::New(2), "lonely@x", Some("sha-lonely"), 10),
            ],
            ..Default::default()
        },
    )
    .await;
    let eng_threads = s.threads(eng, 10, 0).await.unwrap();
    let eng_outage = eng_threads
        .iter()
        .find(|t| t.subject == "Outage")
        .unwrap()
        .id;
    let lonely = eng_threads
        .iter()
        .find(|t| t.subject == "Lonely")
        .unwrap()
        .id;
    let (ops_outage, _, _) = only_thread(s, ops).await;

    let linked = s.thread(eng_outage).await.unwrap().unwrap().linked;
    assert_eq!(linked.len(), 1);
    assert_eq!(
        (linked[0].thread_id, linked[0].group_slug.as_str()),
        (ops_outage, "ops")
    );
    assert_eq!(linked[0].subject, "Outage");
    let linked = s.thread(ops_outage).await.unwrap().unwrap().linked;
    assert_eq!(
        (linked[0].thread_id, linked[0].group_slug.as_str()),
        (eng_outage, "eng")
    );
    assert!(s.thread(lonely).await.unwrap().unwrap().linked.is_empty());
}

async fn checkpoint_commits_with_its_batch(store: Arc<dyn Store>) {
    let s = &*store;
    let g = group(s, "eng").await;
    assert_eq!(s.checkpoint("INBOX").await.unwrap(), None);
    let cp = |last_uid| Checkpoint {
        mailbox: "INBOX".into(),
        uidvalidity: u32::MAX,
        last_uid,
        lease_holder: None,
    };
    let ws = WriteSet {
        raws: vec![raw("sha1", "m1@x")],
        threads: vec![thread(g, "Hello", 10, 10, 1)],
        messages: vec![msg(g, ThreadRef::New(0), "m1@x", Some("sha1"), 10)],
        ..Default::default()
    };
    s.ingest(&Lookup::default(), &fixed(ws), Some(&cp(41)))
        .await
        .unwrap();
    assert_eq!(s.checkpoint("INBOX").await.unwrap(), Some(cp(41)));
    s.ingest(
        &Lookup::default(),
        &fixed(WriteSet::default()),
        Some(&cp(42)),
    )
    .await
    .unwrap();
    assert_eq!(s.checkpoint("INBOX").await.unwrap(), Some(cp(42)));
    assert_eq!(s.checkpoint("Other").await.unwrap(), None);

    // A batch that breaks the unique (group, Message-ID) rule fails as a whole: its raw,
    // its new thread and its checkpoint are all rolled back.
    let bad = WriteSet {
        raws: vec![raw("sha-new", "m2@x")],
        threads: vec![thread(g, "Dup", 20, 20, 1)],
        messages: vec![
            msg(g, ThreadRef::New(0), "m2@x", Some("sha-new"), 20),
            msg(g, ThreadRef::New(0), "m1@x", None, 20),
        ],
        ..Default::default()
    };
    let err = s
        .ingest(&Lookup::default(), &fixed(bad), Some(&cp(99)))
        .await;
    assert!(matches!(err, Err(StoreError::Db(_))), "{err:?}");
    assert_eq!(s.checkpoint("INBOX").await.unwrap(), Some(cp(42)));
    assert_eq!(s.raws_after(0, 10).await.unwrap().len(), 1);
    assert_eq!(s.threads(g, 10, 0).await.unwrap().len(), 1);

    // So does a plan naming a new thread it does not create.
    let bad = WriteSet {
        raws: vec![raw("sha-new", "m2@x")],
        messages: vec![msg(g, ThreadRef::New(3), "m2@x", Some("sha-new"), 20)],
        ..Default::default()
    };
    let err = s
        .ingest(&Lookup::default(), &fixed(bad), Some(&cp(99)))
        .await;
    assert!(matches!(err, Err(StoreError::Invalid(_))), "{err:?}");
    assert_eq!(s.checkpoint("INBOX").await.unwrap(), Some(cp(42)));
    assert_eq!(s.raws_after(0, 10).await.unwrap().len(), 1);

    // The store is usable after a rollback.
    s.ingest(
        &Lookup::default(),
        &fixed(WriteSet::default()),
        Some(&cp(43)),
    )
    .await
    .unwrap();
    assert_eq!(s.checkpoint("INBOX").await.unwrap(), Some(cp(43)));
}

async fn quarantine_is_idempotent(store: Arc<dyn Store>) {
    let s = &*store;
    assert!(s
        .quarantine("q1", "imap:INBOX/7", "no headers", b"garbage\x00\xff", 123)
        .await
        .unwrap());
    assert!(!s
        .quarantine("q1", "imap:INBOX/7", "no headers", b"garbage\x00\xff", 123)
        .await
        .unwrap());
    assert!(s
        .quarantine("q2", "import:x#2", "bad", b"", 124)
        .await
        .unwrap());
    let rows = s.quarantined().await.unwrap();
    assert_eq!(rows.len(), 2);
    let q = &rows[0];
    assert_eq!(
        (q.sha256.as_str(), q.source.as_str(), q.error.as_str()),
        ("q1", "imap:INBOX/7", "no headers")
    );
    assert_eq!((q.received_at, q.size), (123, 9));
    assert_eq!(
        s.quarantined_bytes(q.id).await.unwrap(),
        Some(b"garbage\x00\xff".to_vec())
    );
    assert_eq!(s.quarantined_bytes(rows[1].id).await.unwrap(), Some(vec![]));
    assert_eq!(s.quarantined_bytes(q.id + 1000).await.unwrap(), None);
}

async fn reading_apis(store: Arc<dyn Store>) {
    let s = &*store;
    let eng = group(s, "eng").await;
    let ops = group(s, "ops").await;
    let _empty = group(s, "zzz").await;
    write(
        s,
        WriteSet {
            threads: vec![
                thread(eng, "Old", 10, 100, 2),
                thread(eng, "New", 20, 300, 1),
                thread(eng, "Mid", 30, 200, 1),
                thread(ops, "Ops", 40, 50, 1),
            ],
            messages: vec![
                msg(eng, ThreadRef::New(0), "o1@x", None, 10),
                msg(eng, ThreadRef::New(0), "o2@x", None, 100),
                msg(eng, ThreadRef::New(1), "n1@x", None, 300),
                msg(eng, ThreadRef::New(2), "m1@x", None, 200),
                msg(ops, ThreadRef::New(3), "p1@x", None, 50),
            ],
            ..Default::default()
        },
    )
    .await;

    let subjects =
        |ts: Vec<store::ThreadSummary>| ts.into_iter().map(|t| t.subject).collect::<Vec<_>>();
    assert_eq!(
        subjects(s.threads(eng, 10, 0).await.unwrap()),
        vec!["New", "Mid", "Old"]
    );
    assert_eq!(
        subjects(s.threads(eng, 2, 1).await.unwrap()),
        vec!["Mid", "Old"]
    );
    assert!(s.threads(eng, 10, 3).await.unwrap().is_empty());

    let sums = s.group_summaries().await.unwrap();
    let brief: Vec<_> = sums
        .iter()
        .map(|g| {
            (
                g.group.slug.as_str(),
                g.thread_count,
                g.message_count,
                g.last_activity,
            )
        })
        .collect();
    assert_eq!(
        brief,
        vec![
            ("eng", 3, 4, Some(300)),
            ("ops", 1, 1, Some(50)),
            ("zzz", 0, 0, None)
        ]
    );
    assert_eq!(sums[0].group.addresses, vec!["eng@corp.example"]);

    let all = s.messages_after(0, 100).await.unwrap();
    assert_eq!(all.len(), 5);
    assert!(all.windows(2).all(|w| w[0].place.id < w[1].place.id));
    let page = s.messages_after(all[1].place.id, 2).await.unwrap();
    assert_eq!(
        page.iter().map(|m| m.place.id).collect::<Vec<_>>(),
        vec![all[2].place.id, all[3].place.id]
    );
    assert_eq!(all[4].place.group_slug, "ops");

    let threads = s.threads_after(0, 100).await.unwrap();
    assert_eq!(
        subjects(threads.clone()),
        vec!["Old", "New", "Mid", "Ops"],
        "id order"
    );
    assert_eq!(
        subjects(s.threads_after(threads[2].id, 100).await.unwrap()),
        vec!["Ops"]
    );
    assert_eq!(threads[3].group_slug, "ops");

    assert!(s.thread(threads[3].id + 1000).await.unwrap().is_none());
}

async fn reset_derived_keeps_raws_groups_and_checkpoints(store: Arc<dyn Store>) {
    let s = &*store;
    let g = group(s, "eng").await;
    let ws = WriteSet {
        raws: vec![raw("sha1", "m1@x"), raw("sha2", "m2@x")],
        people: vec![Address::new(Some("Ann"), "ann@corp.example")],
        threads: vec![thread(g, "Hello", 10, 10, 1)],
        messages: vec![msg(g, ThreadRef::New(0), "m1@x", Some("sha1"), 10)],
        refs: vec![(g, "m1@x".into(), ThreadRef::New(0))],
        skips: vec![SkipRow {
            raw_sha256: "sha2".into(),
            message_id: "m2@x".into(),
            reason: SkipReason::Loop,
            detail: String::new(),
        }],
        ..Default::default()
    };
    let cp = Checkpoint {
        mailbox: "INBOX".into(),
        uidvalidity: 7,
        last_uid: 2,
        lease_holder: None,
    };
    s.ingest(&Lookup::default(), &fixed(ws.clone()), Some(&cp))
        .await
        .unwrap();
    s.quarantine("q", "src", "err", b"x", 1).await.unwrap();

    s.reset_derived().await.unwrap();
    assert!(s.threads_after(0, 10).await.unwrap().is_empty());
    assert!(s.messages_after(0, 10).await.unwrap().is_empty());
    assert!(s.skip_counts().await.unwrap().is_empty());
    let k = known(
        s,
        Lookup {
            messages: vec![(g, "m1@x".into())],
            refs: vec![(g, "m1@x".into())],
            subjects: vec![subject(g, 0, 10_000)],
            zones: Vec::new(),
            guesses: Vec::new(),
            held: Vec::new(),
            retracted: Vec::new(),
            authors: Vec::new(),
            posters: Vec::new(),
            pending: Vec::new(),
        },
    )
    .await;
    assert_eq!(k, Known::default());
    assert_eq!(s.raws_after(0, 10).await.unwrap().len(), 2);
    assert_eq!(s.groups().await.unwrap().len(), 1);
    assert_eq!(s.quarantined().await.unwrap().len(), 1);
    assert_eq!(s.checkpoint("INBOX").await.unwrap(), Some(cp));

    // Reprocessing writes the same rows again (raws already there).
    write(s, ws).await;
    assert_eq!(s.messages_after(0, 10).await.unwrap().len(), 1);
    assert_eq!(s.raws_after(0, 10).await.unwrap().len(), 2);
}

async fn remove_group_cascades(store: Arc<dyn Store>) {
    let s = &*store;
    let eng = group(s, "eng").await;
    let ops = group(s, "ops").await;
    write(
        s,
        WriteSet {
            threads: vec![thread(eng, "E", 1, 1, 1), thread(ops, "O", 1, 1, 1)],
            messages: vec![
                msg(eng, ThreadRef::New(0), "e@x", None, 1),
                msg(ops, ThreadRef::New(1), "o@x", None, 1),
            ],
            refs: vec![
                (eng, "e@x".into(), ThreadRef::New(0)),
                (ops, "o@x".into(), ThreadRef::New(1)),
            ],
            ..Default::default()
        },
    )
    .await;
    assert!(s.remove_group(&slug("eng")).await.unwrap());
    assert_eq!(
        s.threads_after(0, 10)
            .await
            .unwrap()
            .iter()
            .map(|t| t.group_id)
            .collect::<Vec<_>>(),
        vec![ops]
    );
    assert_eq!(s.messages_after(0, 10).await.unwrap().len(), 1);
    let k = known(
        s,
        Lookup {
            refs: vec![(eng, "e@x".into()), (ops, "o@x".into())],
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        k.refs.keys().map(|(g, _)| *g).collect::<Vec<_>>(),
        vec![ops]
    );
    // The address is free again.
    s.upsert_group(
        &slug("eng2"),
        "Eng again",
        &addresses(&["eng@corp.example"]),
    )
    .await
    .unwrap();
}

/// More keys and rows than fit one statement chunk, with duplicates and a NUL character.
async fn large_batch(store: Arc<dyn Store>) {
    let s = &*store;
    let g = group(s, "eng").await;
    const N: usize = 1234;
    let mut ws = WriteSet::default();
    for i in 0..N {
        let id = format!("m{i}@x");
        let sha = format!("sha{i}");
        ws.raws.push(raw(&sha, &id));
        ws.people.push(Address::new(
            Some(&format!("P {}", i % 7)),
            &format!("p{}@x", i % 7),
        ));
        ws.threads
            .push(thread(g, &format!("Subject {i}"), i as i64, i as i64, 1));
        let mut m = msg(g, ThreadRef::New(i), &id, Some(&sha), i as i64);
        (m.author_email, m.author_name) = (format!("p{}@x", i % 7), None);
        m.subject_key = format!("subject {i}");
        if i == 5 {
            m.clean.body = "nul\0inside".into();
        }
        ws.messages.push(m);
        ws.refs.push((g, id.clone(), ThreadRef::New(i)));
        ws.refs.push((g, format!("parent{i}@x"), ThreadRef::New(i)));
    }
    ws.refs.push((g, "m0@x".into(), ThreadRef::New(1)));
    write(s, ws.clone()).await;

    let lookup = Lookup {
        messages: (0..N).map(|i| (g, format!("m{i}@x"))).collect(),
        refs: (0..N)
            .map(|i| (g, format!("parent{i}@x")))
            .chain([(g, "m0@x".to_string())])
            .collect(),
        subjects: (0..N)
            .map(|i| SubjectQuery {
                group: g,
                key: format!("subject {i}"),
                from: 0,
                until: N as i64,
                askers: vec![vec![]],
            })
            .collect(),
        zones: Vec::new(),
        guesses: Vec::new(),
        held: Vec::new(),
        retracted: Vec::new(),
        authors: Vec::new(),
        posters: Vec::new(),
        pending: Vec::new(),
    };
    let k = known(s, lookup).await;
    assert_eq!(
        (k.messages.len(), k.refs.len(), k.subjects.len()),
        (N, N + 1, N)
    );
    let t7 = k.messages[&(g, "m7@x".to_string())].thread_id;
    assert_eq!(k.refs[&(g, "parent7@x".to_string())], t7);
    assert_eq!(k.messages[&(g, "m7@x".to_string())].thread_id, t7);
    assert_eq!(k.subjects[&(g, "subject 7".to_string())], vec![hit(t7, 7)]);
    assert_eq!(
        k.refs[&(g, "m0@x".to_string())],
        k.messages[&(g, "m0@x".to_string())].thread_id,
        "first ref wins"
    );
    assert_eq!(s.raws_after(0, 10_000).await.unwrap().len(), N);

    let t5 = k.messages[&(g, "m5@x".to_string())].thread_id;
    let body = &s.thread(t5).await.unwrap().unwrap().messages[0].clean.body;
    assert_eq!(body.replace('\0', ""), "nulinside");
}

// --- replica leases -------------------------------------------------------------------------

async fn leases_acquire_renew_expire_release(store: Arc<dyn Store>) {
    let s = &*store;
    assert!(
        s.acquire_lease("imap/INBOX", "a", 60).await.unwrap(),
        "a free lease is taken"
    );
    assert!(
        !s.acquire_lease("imap/INBOX", "b", 60).await.unwrap(),
        "refused while a's lease runs"
    );
    assert!(
        s.acquire_lease("imap/INBOX", "a", 60).await.unwrap(),
        "the holder renews"
    );
    assert!(
        !s.acquire_lease("imap/INBOX", "b", 60).await.unwrap(),
        "still a's after renewal"
    );
    assert!(
        s.acquire_lease("imap/Other", "b", 60).await.unwrap(),
        "leases are per name"
    );

    // Release by someone else does nothing; by the holder frees it at once.
    s.release_lease("imap/INBOX", "b").await.unwrap();
    assert!(!s.acquire_lease("imap/INBOX", "b", 60).await.unwrap());
    s.release_lease("imap/INBOX", "a").await.unwrap();
    assert!(
        s.acquire_lease("imap/INBOX", "b", 60).await.unwrap(),
        "taken right after release"
    );
    assert!(!s.acquire_lease("imap/INBOX", "a", 60).await.unwrap());
    s.release_lease("imap/Nothing", "a").await.unwrap();

    // A lease with no time left (ttl 0 or negative) is expired: anyone may take it over.
    assert!(
        s.acquire_lease("imap/INBOX", "b", 0).await.unwrap(),
        "the holder may shorten its lease"
    );
    assert!(
        s.acquire_lease("imap/INBOX", "a", 60).await.unwrap(),
        "an expired lease is taken over"
    );
    assert!(!s.acquire_lease("imap/INBOX", "b", 60).await.unwrap());
    assert!(s.acquire_lease("imap/INBOX", "a", -5).await.unwrap());
    assert!(s.acquire_lease("imap/INBOX", "b", 60).await.unwrap());
}

/// Expiry by the database's clock, with a real (short) wait.
async fn lease_expires_with_time(store: Arc<dyn Store>) {
    let s = &*store;
    assert!(s.acquire_lease("imap/INBOX", "a", 1).await.unwrap());
    assert!(!s.acquire_lease("imap/INBOX", "b", 60).await.unwrap());
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert!(
        s.acquire_lease("imap/INBOX", "b", 60).await.unwrap(),
        "taken over after expiry"
    );
    assert!(!s.acquire_lease("imap/INBOX", "a", 60).await.unwrap());
}

async fn racing_replicas_one_wins(store: Arc<dyn Store>) {
    for round in 0..20 {
        let name = format!("imap/race{round}");
        let race = |holder: &'static str| {
            let (store, name) = (store.clone(), name.clone());
            tokio::spawn(async move { store.acquire_lease(&name, holder, 60).await.unwrap() })
        };
        let (a, b) = (race("a"), race("b"));
        let (a, b) = (a.await.unwrap(), b.await.unwrap());
        assert!(
            a ^ b,
            "round {round}: exactly one replica wins (a: {a}, b: {b})"
        );
    }
}

async fn ingest_is_fenced_by_the_lease(store: Arc<dyn Store>) {
    let s = &*store;
    let g = group(s, "eng").await;
    let cp = |holder: &str, last_uid| Checkpoint {
        mailbox: "imap/INBOX".into(),
        uidvalidity: 7,
        last_uid,
        lease_holder: Some(holder.to_string()),
    };
    let ws = WriteSet {
        raws: vec![raw("sha1", "m1@x")],
        threads: vec![thread(g, "Hello", 10, 10, 1)],
        messages: vec![msg(g, ThreadRef::New(0), "m1@x", Some("sha1"), 10)],
        ..Default::default()
    };
    let planned = std::sync::atomic::AtomicBool::new(false);
    let plan = |_: Known| {
        planned.store(true, std::sync::atomic::Ordering::SeqCst);
        ws.clone()
    };
    let nothing_written = || async {
        assert_eq!(s.checkpoint("imap/INBOX").await.unwrap(), None);
        assert!(s.raws_after(0, 10).await.unwrap().is_empty());
        assert!(s.messages_after(0, 10).await.unwrap().is_empty());
        assert!(s.threads_after(0, 10).await.unwrap().is_empty());
    };
    let lost = |r: Result<WriteSet, StoreError>, who: &str| match r {
        Err(StoreError::LeaseLost { name, holder }) => {
            assert_eq!((name.as_str(), holder.as_str()), ("imap/INBOX", who))
        }
        other => panic!("expected LeaseLost, got {other:?}"),
    };

    // No lease at all, someone else's lease, an expired lease of our own: all refused.
    lost(
        s.ingest(&Lookup::default(), &plan, Some(&cp("a", 1))).await,
        "a",
    );
    assert!(s.acquire_lease("imap/INBOX", "b", 60).await.unwrap());
    lost(
        s.ingest(&Lookup::default(), &plan, Some(&cp("a", 1))).await,
        "a",
    );
    s.release_lease("imap/INBOX", "b").await.unwrap();
    assert!(s.acquire_lease("imap/INBOX", "a", 0).await.unwrap());
    lost(
        s.ingest(&Lookup::default(), &plan, Some(&cp("a", 1))).await,
        "a",
    );
    assert!(
        !planned.load(std::sync::atomic::Ordering::SeqCst),
        "checked before planning"
    );
    nothing_written().await;

    // A lease on another mailbox does not count.
    assert!(s.acquire_lease("imap/Other", "a", 60).await.unwrap());
    lost(
        s.ingest(&Lookup::default(), &plan, Some(&cp("a", 1))).await,
        "a",
    );
    nothing_written().await;

    // Held: the batch commits with its checkpoint.
    assert!(s.acquire_lease("imap/INBOX", "a", 60).await.unwrap());
    s.ingest(&Lookup::default(), &plan, Some(&cp("a", 1)))
        .await
        .expect("ingest under the lease");
    let stored = s
        .checkpoint("imap/INBOX")
        .await
        .unwrap()
        .expect("checkpoint");
    assert_eq!((stored.uidvalidity, stored.last_uid), (7, 1));
    assert_eq!(s.messages_after(0, 10).await.unwrap().len(), 1);

    // Unfenced checkpoints (no lease_holder) are unaffected by leases.
    let free = Checkpoint {
        lease_holder: None,
        ..cp("x", 2)
    };
    s.ingest(&Lookup::default(), &fixed(WriteSet::default()), Some(&free))
        .await
        .unwrap();
    assert_eq!(
        s.checkpoint("imap/INBOX").await.unwrap().unwrap().last_uid,
        2
    );
}

story!(
    migrate_twice_is_a_no_op,
    groups_crud_and_address_conflict,
    new_thread_then_lookups,
    messages_with_equal_dates_keep_insert_order,
    reconstructions_replacement_and_touches,
    merged_threads_move_messages_and_refs,
    person_zones_keep_the_newest,
    zone_guesses_are_kept_until_redated,
    skips_and_raws_are_idempotent,
    cross_posted_mail_links_threads,
    checkpoint_commits_with_its_batch,
    quarantine_is_idempotent,
    reading_apis,
    reset_derived_keeps_raws_groups_and_checkpoints,
    remove_group_cascades,
    large_batch,
    leases_acquire_renew_expire_release,
    lease_expires_with_time,
    racing_replicas_one_wins,
    ingest_is_fenced_by_the_lease,
);

#[tokio::test]
async fn sqlite_in_memory_works() {
    let store = store::open("sqlite::memory:").await.unwrap();
    store.migrate().await.unwrap();
    group(&*store, "eng").await;
    assert_eq!(
        store.groups().await.unwrap().len(),
        1,
        "one connection keeps the database alive"
    );
}

#[tokio::test]
async fn sqlite_url_forms_and_unsupported_urls() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested.db");
    let store = store::open(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    assert!(path.exists(), "created when missing");
    assert!(matches!(
        store::open("mysql://x/y").await,
        Err(StoreError::UnsupportedUrl(_))
    ));
}

#[test]
fn database_name_is_swapped_in_urls() {
    use common::with_database;
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("postgres://u@h/test?sslmode=disable", "x"),
        "postgres://u@h/x?sslmode=disable"
    );
    assert_eq!(with_database("postgresql://u@h", "x"), "postgresql://u@h/x");
}

//! Selection and rendering on a fixed world: restraint, eligibility, ranking, and the rendered
//! mail compared with the snapshots under `snapshots/` (`UPDATE_SNAPSHOTS=1` rewrites them;
//! review the diff).

use std::collections::BTreeSet;

use super::render::{percent_encode, ItemLinks};
use super::*;

const DAY: i64 = 86_400;
/// Monday 7 December 2026 00:00 UTC.
const START: i64 = 1_796_601_600;
const PERIOD: Period = Period {
    start: START,
    end: START + 7 * DAY,
};
const NOW: i64 = START + 7 * DAY + 9 * 3600;

fn msg(email: &str, name: &str, date: i64, body: &str) -> CandidateMessage {
    CandidateMessage {
        author_email: email.into(),
        author_name: Some(name.into()),
        date,
        body: body.into(),
        reconstructed: false,
        automated: false,
    }
}

fn thread(id: i64, group: &str, subject: &str, messages: Vec<CandidateMessage>) -> Candidate {
    Candidate {
        thread_id: id,
        group_slug: group.into(),
        group_name: match group {
            "eng" => "Engineering".into(),
            other => other.to_uppercase(),
        },
        subject: subject.into(),
        started_at: messages.first().map_or(0, |m| m.date),
        last_activity: messages.last().map_or(0, |m| m.date),
        messages,
        withheld: false,
    }
}

const RUNNERS: &str = "Hi all,\n\nWe moved the CI build to the new runners this week. A full build takes 4 minutes now instead of 11.\n\nThe old runners go away on Friday, so please rebase open branches before then.\n\n";

fn world() -> Vec<Candidate> {
    vec![
        thread(
            1,
            "eng",
            "CI runners moved <fast>",
            vec![
                msg("ana@corp.example", "Ana Lima", START + DAY, RUNNERS),
                msg("bo@corp.example", "Bo Chen", START + 2 * DAY, "Great news — the flaky integration test on ARM is gone as well, we checked it twenty times yesterday."),
                msg("cy@corp.example", "Cy Park", START + 3 * DAY, "Does this also cover the nightly release builds? Those still seem to run on the old pool from what I see in the logs."),
            ],
        ),
        thread(
            2,
            "eng",
            "Lunch & learn: Rust async",
            vec![msg("dana@corp.example", "Dana Roy", START + 2 * DAY, "I'll give a lunch & learn on async Rust next Thursday at noon in room 4.12, bring your questions about tokio and cancellation.")],
        ),
        thread(
            3,
            "ops",
            "Pager rota for December",
            vec![
                msg("eve@corp.example", "Eve Stone", START + DAY, "The December pager rota is up on the wiki. Please swap shifts among yourselves and tell me by Wednesday so I can publish the final version."),
                msg("ana@corp.example", "Ana Lima", START + 4 * DAY, "Swapped with Bo for the 24th."),
            ],
        ),
        // Automated only: never shown.
        thread(
            4,
            "eng",
            "[JIRA] ENG-42 updated",
            vec![msg("jira@corp.example", "Jira", START + DAY, "Status changed from Open to In Progress by someone, with a long automated description that goes on and on and on.")],
        ),
        // Withheld by policy: never shown.
        Candidate {
            withheld: true,
            ..thread(5, "eng", "Reorg (confidential)", vec![msg("ana@corp.example", "Ana Lima", START + DAY, "Secret plans that are long enough to make an excerpt out of, if they were ever shown, which they must not be.")])
        },
        // Younger than the undo window: next time.
        thread(6, "eng", "Just posted", vec![msg("bo@corp.example", "Bo Chen", NOW - 60, "Posted a minute ago, could still be cancelled by its author within the undo window of the group.")]),
        // Activity before the period only.
        thread(7, "eng", "Old news", vec![msg("bo@corp.example", "Bo Chen", START - DAY, "Happened last week and is not news any more, long enough for an excerpt though, certainly.")]),
    ]
}

fn recipient() -> Recipient {
    Recipient {
        email: "zoe@corp.example".into(),
        name: Some("Zoe".into()),
        groups: BTreeSet::from(["eng".into(), "ops".into()]),
        ..Recipient::default()
    }
}

fn send(d: Decision) -> Selection {
    match d {
        Decision::Send(s) => s,
        Decision::Skip(s) => panic!("skipped: {s:?}"),
    }
}

fn ids(s: &Selection) -> Vec<i64> {
    s.items.iter().map(|i| i.thread_id).collect()
}

#[test]
fn eligible_threads_ranked_by_participants_then_replies() {
    let s = send(select(
        &recipient(),
        &world(),
        PERIOD,
        &Rules::default(),
        NOW,
    ));
    assert_eq!(ids(&s), [1, 3, 2]);
    assert!(s.first);
    let top = &s.items[0];
    assert_eq!(top.talking, ["Ana Lima", "Bo Chen", "Cy Park"]);
    assert_eq!((top.participants, top.replies), (3, 2));
    assert_eq!(top.excerpt_author, "Ana Lima");
    assert!(top.excerpt.concat().chars().count() >= 100);
    assert!(!top.excerpt.concat().contains("Hi all"));
}

#[test]
fn correspondents_rank_first() {
    let mut r = recipient();
    r.correspondents.insert("dana@corp.example".into());
    let s = send(select(&r, &world(), PERIOD, &Rules::default(), NOW));
    assert_eq!(ids(&s), [2, 1, 3]);
    assert_eq!(s.items[0].why.text(), "with Dana Roy whom you write to");
}

#[test]
fn restraint() {
    let rules = Rules::default();
    let w = world();
    let mut r = recipient();
    r.opted_out_all = true;
    assert_eq!(
        select(&r, &w, PERIOD, &rules, NOW),
        Decision::Skip(Skip::OptedOut)
    );
    let mut r = recipient();
    r.opted_out_groups = r.groups.clone();
    assert_eq!(
        select(&r, &w, PERIOD, &rules, NOW),
        Decision::Skip(Skip::NoGroups)
    );
    let mut r = recipient();
    r.last_active_at = Some(START + 3 * DAY);
    assert!(matches!(
        select(&r, &w, PERIOD, &rules, NOW),
        Decision::Skip(Skip::RecentlyActive { .. })
    ));
    r.last_active_at = Some(START - 2 * DAY);
    assert!(matches!(
        select(&r, &w, PERIOD, &rules, NOW),
        Decision::Send(_)
    ));
    let mut r = recipient();
    r.quiet_streak = 4;
    r.digests_sent = 4;
    assert_eq!(
        select(&r, &w, PERIOD, &rules, NOW),
        Decision::Skip(Skip::Dormant { streak: 4 })
    );
    // Users chose their digest: dormancy is for non-users.
    r.is_user = true;
    assert!(matches!(
        select(&r, &w, PERIOD, &rules, NOW),
        Decision::Send(Selection { first: false, .. })
    ));
    // Opted out of one group: only the other's threads.
    let mut r = recipient();
    r.opted_out_groups.insert("eng".into());
    assert_eq!(ids(&send(select(&r, &w, PERIOD, &rules, NOW))), [3]);
    // Nothing happened: no mail.
    let quiet = Period {
        start: PERIOD.end + 7 * DAY,
        end: PERIOD.end + 14 * DAY,
    };
    assert_eq!(
        select(&recipient(), &w, quiet, &rules, NOW + 14 * DAY),
        Decision::Skip(Skip::NothingNew)
    );
}

#[test]
fn at_most_featured_plus_more() {
    let many: Vec<Candidate> = (0..30)
        .map(|i| {
            thread(
                100 + i,
                "eng",
                &format!("Thread {i}"),
                vec![msg("ana@corp.example", "Ana", START + DAY + i, RUNNERS)],
            )
        })
        .collect();
    let s = send(select(&recipient(), &many, PERIOD, &Rules::default(), NOW));
    assert_eq!(s.items.len(), 10);
    assert_eq!(s.items.iter().filter(|i| i.featured).count(), 5);
    // Same rank otherwise: the most recent first.
    assert_eq!(s.items[0].thread_id, 129);
}

fn context(s: &Selection) -> RenderContext {
    RenderContext {
        site_name: "Corp outloud".into(),
        operator: "IT (it@corp.example)".into(),
        period_label: "week of 7 December 2026".into(),
        links: s
            .items
            .iter()
            .map(|i| ItemLinks {
                url: format!("https://outloud.corp.example/d/c/tok123/{}", i.thread_id),
                reply_to: format!("outloud+r-rt{}@corp.example", i.thread_id),
            })
            .collect(),
        unsubscribe_url: "https://outloud.corp.example/d/u/unsub456".into(),
        settings_url: Some("https://outloud.corp.example/settings".into()),
        group_names: vec!["Engineering".into(), "OPS".into()],
    }
}

fn snapshot(name: &str, actual: &str) {
    let path = format!(
        "{}/src/core/digest/snapshots/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "{name} differs from its snapshot (UPDATE_SNAPSHOTS=1 to rewrite):\n{actual}"
    );
}

#[test]
fn rendered_digest_matches_snapshots() {
    let s = send(select(
        &recipient(),
        &world(),
        PERIOD,
        &Rules::default(),
        NOW,
    ));
    let r = render(&s, &context(&s)).unwrap();
    assert_eq!(
        r.subject,
        "CI runners moved <fast> and 2 more in your groups"
    );
    snapshot("first.html", &r.html);
    snapshot("first.txt", &r.text);
    // Escaped in HTML, plain in text; every link in the text part.
    assert!(r.html.contains("CI runners moved &lt;fast&gt;"));
    assert!(r.text.contains("CI runners moved <fast>"));
    for l in &context(&s).links {
        assert!(r.text.contains(&l.url) && r.text.contains(&l.reply_to));
        assert!(r.html.contains(&l.url) && r.html.contains(&l.reply_to));
    }
    assert!(r.text.contains("https://outloud.corp.example/d/u/unsub456"));
    assert!(r.text.contains("You get this digest because"));
    // Word-engine safe: no flex, grid or floats.
    for bad in ["display:flex", "display: flex", "grid", "float:"] {
        assert!(!r.html.contains(bad), "{bad}");
    }
    let mut later = s.clone();
    later.first = false;
    let r = render(&later, &context(&later)).unwrap();
    assert!(!r.text.contains("You get this digest because"));
}

/// A bidi override in a subject, a name or an excerpt cannot reorder the digest's own words
/// ("and 2 more", the link labels): each such string is isolated, in the subject line and in
/// both parts.
#[test]
fn bidi_overrides_in_mail_text_are_isolated() {
    let mut s = send(select(
        &recipient(),
        &world(),
        PERIOD,
        &Rules::default(),
        NOW,
    ));
    let top = &mut s.items[0];
    top.subject = "Pay \u{202e}won 0001$".into();
    top.talking[0] = "Bob \u{202e}nimdA".into();
    top.excerpt_author = "Bob \u{202e}nimdA".into();
    top.excerpt[0] = "\u{202e}gpj.exe".into();
    let r = render(&s, &context(&s)).unwrap();
    let subject = "\u{2068}Pay \u{202e}won 0001$\u{2069}";
    let name = "\u{2068}Bob \u{202e}nimdA\u{2069}";
    assert!(
        r.subject.starts_with(&format!("{subject} and ")),
        "{}",
        r.subject
    );
    for (part, body) in [("text", &r.text), ("html", &r.html)] {
        assert!(body.contains(subject), "{part}: {body}");
        assert!(body.contains(name), "{part}: {body}");
        assert!(
            body.contains("\u{2068}\u{202e}gpj.exe\u{2069}"),
            "{part}: {body}"
        );
        // No override stands outside an isolate.
        let outside = body.split('\u{2068}').next().unwrap();
        assert!(!outside.contains('\u{202e}'), "{part}");
    }
}

/// A subject of one 500-character word (the stored cap) cannot widen the mail past its
/// column: the cells holding subjects, names and excerpts break long words.
#[test]
fn long_words_wrap_in_the_html_part() {
    let mut s = send(select(
        &recipient(),
        &world(),
        PERIOD,
        &Rules::default(),
        NOW,
    ));
    let word = "W".repeat(500);
    for item in &mut s.items {
        item.subject = word.clone();
    }
    let r = render(&s, &context(&s)).unwrap();
    let cells: Vec<&str> = r.html.split("<td ").filter(|c| c.contains(&word)).collect();
    assert!(!cells.is_empty());
    for cell in cells {
        let style = &cell[..cell.find('>').unwrap()];
        assert!(style.contains("overflow-wrap:anywhere"), "{style}");
    }
    assert!(r.subject.chars().count() < 150, "{}", r.subject);
}

#[test]
fn mailto_subjects_are_percent_encoded() {
    assert_eq!(percent_encode("Re: a&b ü"), "Re%3A%20a%26b%20%C3%BC");
}

//! Realistic raw mails from common clients, languages and failure modes, run through
//! parse → classify → route → thread keys.
use std::path::PathBuf;

use outloud::core::classify::{classify, OwnIdentity};
use outloud::core::parse::parse;
use outloud::core::route::{route, GroupDirectory};
use outloud::core::thread_keys::{clean_subject, thread_keys};
use outloud::model::{GroupEntry, ParsedMail, SkipReason, SkipRule, Via};

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mail")
}

fn load(name: &str) -> ParsedMail {
    let raw = std::fs::read(fixture_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    parse(&raw).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn dir() -> GroupDirectory {
    GroupDirectory::new(vec![
        GroupEntry {
            id: 1,
            slug: "eng".into(),
            name: "Engineering".into(),
            addresses: vec!["eng@corp.example".into()],
        },
        GroupEntry {
            id: 2,
            slug: "sales".into(),
            name: "Sales".into(),
            addresses: vec!["sales@corp.example".into()],
        },
    ])
}

fn own() -> OwnIdentity {
    OwnIdentity {
        addresses: vec!["outloud@corp.example".into()],
        loop_marker: "corp-outloud-1".into(),
        bounce_address: None,
    }
}

struct Case {
    file: &'static str,
    subject: &'static str,
    from: &'static str,
    date: i64,
    text_has: &'static [&'static str],
    skip: Option<SkipReason>,
    routes: &'static [(&'static str, Via)],
}

const CASES: &[Case] = &[
    Case {
        file: "gmail_reply.eml",
        subject: "Re: Q3 launch plan",
        from: "bob.smith@gmail.com",
        date: 1_709_647_331,
        text_has: &[
            "Let's ship the beta on Friday",
            "On Tue, Mar 5, 2024 at 2:30 PM Alice",
            "> Comments welcome.",
        ],
        skip: None,
        routes: &[("eng", Via::Cc)],
    },
    Case {
        file: "outlook_desktop_reply.eml",
        subject: "RE: Q3 launch plan",
        from: "carol.jones@corp.example",
        date: 1_709_650_028,
        text_has: &[
            "I’ve reviewed the plan – two concerns:",
            "-----Original Message-----",
            "Sent: Tuesday, March 5, 2024 2:30 PM",
        ],
        skip: None,
        routes: &[("eng", Via::Cc)],
    },
    Case {
        file: "outlook_web_reply.eml",
        subject: "Re: Q3 launch plan",
        from: "dave.miller@corp.example",
        date: 1_709_651_443,
        text_has: &[
            "I can take it.",
            "________________________________\nFrom: Carol Jones",
        ],
        skip: None,
        routes: &[("eng", Via::Cc)],
    },
    Case {
        file: "apple_mail_reply.eml",
        subject: "Re: Q3 launch plan",
        from: "erin.w@corp.example",
        date: 1_709_652_002,
        text_has: &[
            "+1 from me.",
            "> On 5 Mar 2024, at 15:10, Dave Miller <dave.miller@corp.example> wrote:",
        ],
        skip: None,
        routes: &[("eng", Via::Cc)],
    },
    Case {
        file: "thunderbird_flowed.eml",
        subject: "Re: Q3 launch plan",
        from: "frank@corp.example",
        date: 1_709_712_765,
        text_has: &[
            "later. Comments welcome.",
            "The load tests for the new ingest path finished overnight and the p99 latency stayed",
            "\n-- \nFrank Berg",
        ],
        skip: None,
        routes: &[("eng", Via::To)],
    },
    Case {
        file: "iphone_reply.eml",
        subject: "Re: Q3 launch plan",
        from: "grace.h@corp.example",
        date: 1_709_729_911,
        text_has: &[
            "Support is staffed",
            "Sent from my iPhone",
            "> On Mar 5, 2024, at 9:30 AM",
        ],
        skip: None,
        routes: &[("eng", Via::Cc)],
    },
    Case {
        file: "android_gmail_reply.eml",
        subject: "Re: Go/no-go meeting",
        from: "hiro.tanaka@gmail.com",
        date: 1_709_702_469,
        text_has: &[
            "Thursday morning",
            "On Wed, 6 Mar 2024, 14:05 Alice Example, <alice@corp.example> wrote:",
        ],
        skip: None,
        routes: &[("eng", Via::Cc)],
    },
    Case {
        file: "german_latin1.eml",
        subject: "AW: Änderung der Planung",
        from: "joerg.mueller@partner.example",
        date: 1_709_712_898,
        text_has: &[
            "Viele Grüße\nJörg Müller",
            "Gesendet: Dienstag, 5. März 2024 14:30",
            "Betreff: Änderung",
        ],
        skip: None,
        routes: &[("eng", Via::To)],
    },
    Case {
        file: "french_cp1252.eml",
        subject: "RE: Réunion de lancement – ordre du jour",
        from: "elodie.durand@corp.example",
        date: 1_709_715_797,
        text_has: &[
            "Voici l’ordre du jour",
            "• Budget",
            "Envoyé : mardi 5 mars 2024 14:30",
            "Objet : Réunion",
        ],
        skip: None,
        routes: &[("eng", Via::To)],
    },
    Case {
        file: "spanish_utf8.eml",
        subject: "RV: Presupuesto revisado – tercer trimestre",
        from: "lucia.fernandez@corp.example",
        date: 1_709_721_600,
        text_has: &["Os reenvío el presupuesto", "escribió:"],
        skip: None,
        routes: &[("eng", Via::To)],
    },
    Case {
        file: "dutch_reply.eml",
        subject: "Antw: Demo verplaatsen",
        from: "jan.devries@partner.example",
        date: 1_709_722_800,
        text_has: &[
            "Met vriendelijke groet",
            "schreef Alice Example <alice@corp.example>:",
        ],
        skip: None,
        routes: &[("eng", Via::Cc)],
    },
    Case {
        file: "polish_iso88592.eml",
        subject: "Odp: Spotkanie zespołu - środa",
        from: "lukasz.w@corp.example",
        date: 1_709_727_300,
        text_has: &[
            "przenosimy na środę",
            "Łukasz Wiśniewski",
            "Alice Example pisze:",
        ],
        skip: None,
        routes: &[("eng", Via::To)],
    },
    Case {
        file: "japanese_iso2022jp.eml",
        subject: "Re: 会議の件",
        from: "hiro.tanaka@corp.example",
        date: 1_709_771_400,
        text_has: &["会議の件、承知しました。", "よろしくお願いします。"],
        skip: None,
        routes: &[("eng", Via::To)],
    },
    Case {
        file: "japanese_shiftjis.eml",
        subject: "返信: 見積もりの件",
        from: "taro.yamada@client.example",
        date: 1_709_775_900,
        text_has: &["お世話になっております。", "金額は問題ありません。"],
        skip: None,
        routes: &[("sales", Via::To)],
    },
    Case {
        file: "chinese_gb2312.eml",
        subject: "回复: 项目进度",
        from: "wang.wei@corp.example",
        date: 1_709_799_600,
        text_has: &["项目进度已更新", "王伟"],
        skip: None,
        routes: &[("eng", Via::To)],
    },
    Case {
        file: "html_only.eml",
        subject: "Re: Release notes 4.2",
        from: "ivan.petrov@corp.example",
        date: 1_709_809_871,
        text_has: &[
            "the release notes for 4.2 are ready for review: wiki page (https://wiki.corp.example/rn-4.2).",
            "> Who owns the release notes?",
        ],
        skip: None,
        routes: &[("eng", Via::To)],
    },
    Case {
        file: "attachments.eml",
        subject: "Q3 launch plan (slides + architecture diagram)",
        from: "alice@corp.example",
        date: 1_709_884_800,
        text_has: &["attached are the slides"],
        skip: None,
        routes: &[("eng", Via::To)],
    },
    Case {
        file: "broken_mime.eml",
        subject: "Re: Größenänderung – Planung",
        from: "bjorn@legacy.example",
        date: 1_709_895_600,
        text_has: &["The resize is scheduled for Monday."],
        skip: None,
        routes: &[("eng", Via::To)],
    },
    Case {
        file: "auto_reply.eml",
        subject: "Out of office: Re: Q3 launch plan",
        from: "bob.smith@gmail.com",
        date: 1_709_971_201,
        text_has: &["on vacation"],
        skip: Some(SkipReason::AutoReply),
        routes: &[("eng", Via::To)],
    },
    Case {
        file: "exchange_oof.eml",
        subject: "Automatic reply: Q3 launch plan (slides + architecture diagram)",
        from: "carol.jones@corp.example",
        date: 1_709_974_801,
        text_has: &["please contact Dave Miller."],
        skip: Some(SkipReason::AutoReply),
        routes: &[("eng", Via::To)],
    },
    Case {
        file: "dsn_bounce.eml",
        subject: "Undelivered Mail Returned to Sender",
        from: "mailer-daemon@mx1.corp.example",
        date: 1_709_884_805,
        text_has: &["could not\nbe delivered"],
        skip: Some(SkipReason::Bounce),
        routes: &[("eng", Via::To)],
    },
    Case {
        file: "exchange_ndr_de.eml",
        subject: "Unzustellbar: Launch retro notes",
        from: "postmaster@corp.example",
        date: 1_710_151_200,
        text_has: &["nicht zugestellt"],
        skip: Some(SkipReason::Bounce),
        routes: &[("eng", Via::To)],
    },
    Case {
        file: "bcc_copy.eml",
        subject: "Proposal for the Q3 pilot",
        from: "alice@corp.example",
        date: 1_709_915_400,
        text_has: &["Dear Kim,"],
        skip: None,
        routes: &[("sales", Via::Bcc)],
    },
    Case {
        file: "plus_addressing.eml",
        subject: "[eng] Launch retro notes",
        from: "alice@corp.example",
        date: 1_710_176_700,
        text_has: &["two incidents"],
        skip: None,
        routes: &[("eng", Via::Cc)],
    },
    Case {
        file: "google_groups_post.eml",
        subject: "[eng-announce] Maintenance window next Sunday",
        from: "kim.lee@client.example",
        date: 1_710_162_070,
        text_has: &["patched next Sunday"],
        skip: None,
        routes: &[("eng", Via::Bcc)],
    },
    Case {
        file: "outloud_loop.eml",
        subject: "New post in Engineering: Q3 launch plan",
        from: "outloud@corp.example",
        date: 1_710_180_000,
        text_has: &["posted in Engineering"],
        skip: Some(SkipReason::Loop),
        routes: &[("eng", Via::To)],
    },
    Case {
        file: "outloud_other_instance.eml",
        subject: "New post in Platform (EU): Token rotation",
        from: "outloud@eu.corp.example",
        date: 1_710_759_600,
        text_has: &["posted in Platform (EU)"],
        skip: Some(SkipReason::Loop),
        routes: &[("eng", Via::To)],
    },
    Case {
        file: "gmail_vacation.eml",
        subject: "Re: Release notes 3.4",
        from: "priya.natarajan.dev@gmail.com",
        date: 1_710_752_527,
        text_has: &["travelling until 25 March"],
        skip: Some(SkipReason::AutoReply),
        routes: &[("eng", Via::To)],
    },
    Case {
        file: "exchange_online_oof.eml",
        subject: "Automatic reply: Release notes 3.4",
        from: "sophie.laurent@vendor.example",
        date: 1_710_753_269,
        text_has: &["out of the office until 20 March"],
        skip: Some(SkipReason::AutoReply),
        routes: &[("eng", Via::To)],
    },
    Case {
        file: "noreply_notification.eml",
        subject: "Build failed in Jenkins: backend-main #4182",
        from: "noreply@ci.corp.example",
        date: 1_710_753_604,
        text_has: &["BUILD FAILURE"],
        skip: Some(SkipReason::AutoReply),
        routes: &[("eng", Via::To)],
    },
    Case {
        file: "forward_rfc822_tnef.eml",
        subject: "FW: Vendor contract renewal",
        from: "dave.miller@corp.example",
        date: 1_710_234_000,
        text_has: &["we need a decision by Friday"],
        skip: None,
        routes: &[("eng", Via::To)],
    },
];

#[test]
fn every_fixture_has_a_case() {
    let mut files: Vec<String> = std::fs::read_dir(fixture_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".eml"))
        .collect();
    files.sort();
    let mut cased: Vec<String> = CASES.iter().map(|c| c.file.to_string()).collect();
    cased.sort();
    assert_eq!(files, cased);
    assert!(files.len() >= 20);
}

#[test]
fn fixtures_parse_classify_route() {
    let dir = dir();
    let own = own();
    for c in CASES {
        let m = load(c.file);
        let f = c.file;
        assert_eq!(m.subject, c.subject, "{f}: subject");
        assert_eq!(
            m.from.as_ref().map(|a| a.email.as_str()),
            Some(c.from),
            "{f}: from"
        );
        assert_eq!(m.date, Some(c.date), "{f}: date");
        assert!(!m.message_id_synthetic, "{f}: message id");
        assert!(!m.message_id.contains(['<', '>']), "{f}: {}", m.message_id);
        for want in c.text_has {
            assert!(
                m.text.contains(want),
                "{f}: text lacks {want:?}:\n{}",
                m.text
            );
        }
        assert!(!m.text.contains('\r'), "{f}: CR left in text");
        assert!(
            !m.text.contains('\u{fffd}'),
            "{f}: undecodable text:\n{}",
            m.text
        );
        assert!(!m.subject.contains('\u{fffd}'), "{f}: undecodable subject");
        assert_eq!(
            classify(&m, &own).map(|s| s.reason()),
            c.skip,
            "{f}: classify"
        );
        let got: Vec<(&str, Via)> = route(&m, &dir)
            .iter()
            .map(|r| (dir_slug(&dir, r.group_id), r.via))
            .collect();
        assert_eq!(got, c.routes, "{f}: routes");
        // Every stage copes with every fixture.
        let _ = thread_keys(&m);
    }
}

fn dir_slug(dir: &GroupDirectory, id: i64) -> &str {
    dir.groups()
        .iter()
        .find(|g| g.id == id)
        .map(|g| g.slug.as_str())
        .unwrap()
}

#[test]
fn names_decoded() {
    let name = |f: &str| load(f).from.and_then(|a| a.name).unwrap_or_default();
    assert_eq!(name("german_latin1.eml"), "Jörg Müller");
    assert_eq!(name("french_cp1252.eml"), "Élodie Durand");
    assert_eq!(name("spanish_utf8.eml"), "Lucía Fernández");
    assert_eq!(name("polish_iso88592.eml"), "Łukasz Wiśniewski");
    assert_eq!(name("japanese_iso2022jp.eml"), "田中 浩");
    assert_eq!(name("japanese_shiftjis.eml"), "山田 太郎");
    assert_eq!(name("chinese_gb2312.eml"), "王伟");
    assert_eq!(
        name("broken_mime.eml"),
        "Björn Åström",
        "raw 8-bit Latin-1 header"
    );
    assert_eq!(name("dsn_bounce.eml"), "Mail Delivery System");
    let m = load("outlook_desktop_reply.eml");
    assert_eq!(
        m.to[0].name.as_deref(),
        Some("Alice Example"),
        "Outlook's 'quoted' name"
    );
}

#[test]
fn bodies_plain_vs_html() {
    let m = load("gmail_reply.eml");
    assert!(!m.text_from_html);
    assert!(m.html.as_deref().unwrap().contains("gmail_quote"));
    let m = load("html_only.eml");
    assert!(m.text_from_html);
    assert!(!m.text.contains("font-family"), "{}", m.text);
    // Links keep their target inline rather than losing it.
    assert!(
        m.text
            .contains("wiki page (https://wiki.corp.example/rn-4.2)"),
        "{}",
        m.text
    );
    let m = load("thunderbird_flowed.eml");
    assert_eq!(m.html, None);
    // Flowed paragraphs are joined back into one line each.
    assert!(
        m.text
            .lines()
            .any(|l| l.starts_with("The load tests") && l.ends_with("ready for the beta.")),
        "{}",
        m.text
    );
}

#[test]
fn attachments_listed() {
    let m = load("attachments.eml");
    let got: Vec<(Option<&str>, &str, u64)> = m
        .attachments
        .iter()
        .map(|a| (a.filename.as_deref(), a.content_type.as_str(), a.size))
        .collect();
    assert_eq!(
        got,
        vec![
            (Some("Q3 Launch Plan.pdf"), "application/pdf", 77),
            (Some("architecture diagram übersicht.png"), "image/png", 53),
        ]
    );
    let m = load("forward_rfc822_tnef.eml");
    let names: Vec<_> = m
        .attachments
        .iter()
        .map(|a| (a.filename.as_deref(), a.content_type.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            (Some("Vendor contract renewal.eml"), "message/rfc822"),
            (Some("winmail.dat"), "application/ms-tnef"),
        ]
    );
    assert!(
        m.attachments[0].size > 100 && m.attachments[0].size < 400,
        "{:?}",
        m.attachments[0]
    );
    let m = load("broken_mime.eml");
    assert_eq!(m.attachments.len(), 1);
    assert_eq!(m.attachments[0].filename.as_deref(), Some("quota.csv"));
    assert!(load("gmail_reply.eml").attachments.is_empty());
}

#[test]
fn skip_details_name_the_signal() {
    let own = own();
    let skip = |f: &str| {
        let s = classify(&load(f), &own).unwrap();
        (s.rule, s.detail)
    };
    let auto_generated = (
        SkipRule::AutoSubmitted,
        "Auto-Submitted: auto-generated".into(),
    );
    assert_eq!(
        skip("auto_reply.eml"),
        (
            SkipRule::AutoSubmitted,
            "Auto-Submitted: auto-replied".into()
        )
    );
    assert_eq!(
        skip("gmail_vacation.eml"),
        (
            SkipRule::AutoSubmitted,
            "Auto-Submitted: auto-replied".into()
        )
    );
    assert_eq!(skip("exchange_oof.eml"), auto_generated);
    assert_eq!(skip("exchange_online_oof.eml"), auto_generated);
    let (rule, detail) = skip("dsn_bounce.eml");
    assert_eq!(rule, SkipRule::DeliveryStatus);
    assert!(detail.contains("delivery-status"), "{detail}");
    let (rule, detail) = skip("exchange_ndr_de.eml");
    assert_eq!(rule, SkipRule::DaemonSender);
    assert!(detail.contains("postmaster@corp.example"), "{detail}");
    assert_eq!(
        skip("noreply_notification.eml"),
        (
            SkipRule::NoreplySender,
            "From: noreply@ci.corp.example".into()
        )
    );
    assert_eq!(
        skip("outloud_loop.eml"),
        (
            SkipRule::LoopHeader,
            "X-Outloud-Loop: corp-outloud-1".into()
        )
    );
    assert_eq!(
        skip("outloud_other_instance.eml"),
        (
            SkipRule::LoopHeader,
            "X-Outloud-Loop: eu-outloud (another outloud instance)".into()
        )
    );
}

#[test]
fn outloud_mail_is_skipped_without_any_identity_configured() {
    // Neither addresses nor a marker: the header alone tells outloud's mail apart (the demo
    // config has neither matching its sample notification).
    let none = OwnIdentity::default();
    for f in ["outloud_loop.eml", "outloud_other_instance.eml"] {
        let s = classify(&load(f), &none).unwrap();
        assert_eq!(
            (s.reason(), s.rule),
            (SkipReason::Loop, SkipRule::LoopHeader),
            "{f}"
        );
    }
}

/// Mail delivered by list servers and Exchange distribution lists: what people wrote is
/// published, auto-replies sent through the list are skipped by the rule that marks them.
struct ListCase {
    file: &'static str,
    from: &'static str,
    /// The rule that skips it, and the signal it names; `None`: published.
    skip: Option<(SkipRule, &'static str)>,
    /// The list sign the parser saw (`None` for an Exchange distribution list: it adds none).
    list: Option<&'static str>,
    routes: &'static [(&'static str, Via)],
}

const LIST_CASES: &[ListCase] = &[
    ListCase {
        file: "google_groups_post.eml",
        from: "rosa.martin@partner.example",
        skip: None,
        list: Some("X-BeenThere"),
        routes: &[("eng", Via::Bcc)],
    },
    ListCase {
        file: "google_groups_vacation.eml",
        from: "tom.becker.eng@gmail.com",
        skip: Some((SkipRule::AutoSubmitted, "Auto-Submitted: auto-replied")),
        list: Some("X-BeenThere"),
        routes: &[("eng", Via::Bcc)],
    },
    ListCase {
        file: "mailman2_post.eml",
        from: "pnovak@university.example",
        skip: None,
        list: Some("Sender: eng-list-admin@lists.example.org"),
        routes: &[("eng", Via::Bcc)],
    },
    ListCase {
        file: "mailman2_vacation.eml",
        from: "jlee@university.example",
        skip: Some((SkipRule::AutoSubmitted, "Auto-Submitted: auto-replied")),
        list: Some("Sender: eng-list-admin@lists.example.org"),
        routes: &[("eng", Via::Bcc)],
    },
    ListCase {
        file: "mailman3_post.eml",
        from: "lena.vogt@corp-partner.example",
        skip: None,
        list: Some("X-Mailman-Version"),
        routes: &[("eng", Via::Bcc)],
    },
    ListCase {
        file: "mailman3_vacation.eml",
        from: "mark.devries@supplier.example",
        skip: Some((SkipRule::AutoSubmitted, "Auto-Submitted: auto-generated")),
        list: Some("X-Mailman-Version"),
        routes: &[("eng", Via::Bcc)],
    },
    ListCase {
        file: "ezmlm_post.eml",
        from: "marta@hackers.example",
        skip: None,
        list: Some("Mailing-List"),
        routes: &[("eng", Via::Bcc)],
    },
    ListCase {
        file: "ezmlm_vacation.eml",
        from: "sam.miller@bigcorp.example",
        skip: Some((
            SkipRule::OutOfOfficeSubject,
            "Subject starts with \"out of office autoreply:\"",
        )),
        list: Some("Mailing-List"),
        routes: &[("eng", Via::Bcc)],
    },
    ListCase {
        file: "majordomo_post.eml",
        from: "ravi@cs.example.edu",
        skip: None,
        list: Some("Sender: owner-perf-l@lists.example.edu"),
        routes: &[("eng", Via::Bcc)],
    },
    ListCase {
        file: "exchange_dl_post.eml",
        from: "hannah.weber@corp.example",
        skip: None,
        list: None,
        routes: &[("eng", Via::To)],
    },
    ListCase {
        file: "exchange_dl_vacation.eml",
        from: "jonas.keller@corp.example",
        skip: Some((SkipRule::AutoSubmitted, "Auto-Submitted: auto-generated")),
        list: None,
        routes: &[("eng", Via::To)],
    },
];

#[test]
fn every_list_fixture_has_a_case() {
    let mut files: Vec<String> = std::fs::read_dir(fixture_dir().join("lists"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".eml"))
        .collect();
    files.sort();
    let mut cased: Vec<String> = LIST_CASES.iter().map(|c| c.file.to_string()).collect();
    cased.sort();
    assert_eq!(files, cased);
}

#[test]
fn list_mail_people_wrote_is_published_and_auto_replies_are_not() {
    let dir = dir();
    for c in LIST_CASES {
        let f = c.file;
        let m = load(&format!("lists/{f}"));
        assert_eq!(
            m.from.as_ref().map(|a| a.email.as_str()),
            Some(c.from),
            "{f}: from"
        );
        assert!(m.date.is_some(), "{f}: date");
        assert_eq!(m.signals.list.as_deref(), c.list, "{f}: list sign");
        // Even with no identity configured, and whatever Precedence the list stamped.
        for own in [own(), OwnIdentity::default()] {
            let got = classify(&m, &own);
            let got = got.as_ref().map(|s| (s.rule, s.detail.as_str()));
            assert_eq!(got, c.skip, "{f}: classify");
        }
        let routes: Vec<(&str, Via)> = route(&m, &dir)
            .iter()
            .map(|r| (dir_slug(&dir, r.group_id), r.via))
            .collect();
        assert_eq!(routes, c.routes, "{f}: routes");
        assert!(!m.text.trim().is_empty(), "{f}: text");
    }
}

#[test]
fn outlook_thread_index_roots_match_across_a_conversation() {
    let desktop = thread_keys(&load("outlook_desktop_reply.eml"));
    let web = thread_keys(&load("outlook_web_reply.eml"));
    assert!(desktop.thread_index_root.is_some());
    assert_eq!(desktop.thread_index_root, web.thread_index_root);
    let german = thread_keys(&load("german_latin1.eml"));
    assert!(german.thread_index_root.is_some());
    assert_ne!(german.thread_index_root, desktop.thread_index_root);
    assert_eq!(
        thread_keys(&load("gmail_reply.eml")).thread_index_root,
        None
    );
}

#[test]
fn thread_keys_from_fixtures() {
    let k = thread_keys(&load("outlook_web_reply.eml"));
    assert_eq!(
        k.parents,
        vec![
            "DB9PR01MB8321A1B2C3D4E5F6A7B8C9D0E1F2A@DB9PR01MB8321.eurprd01.prod.exchangelabs.com",
            "AM0PR02MB5123F0E1D2C3B4A5968778695A4B3C2@AM0PR02MB5123.eurprd02.prod.exchangelabs.com",
        ]
    );
    assert_eq!(k.subject_key, "q3 launch plan");
    assert!(k.looks_like_reply);
    for (f, key) in [
        ("german_latin1.eml", "änderung der planung"),
        ("french_cp1252.eml", "réunion de lancement – ordre du jour"),
        (
            "spanish_utf8.eml",
            "presupuesto revisado – tercer trimestre",
        ),
        ("dutch_reply.eml", "demo verplaatsen"),
        ("polish_iso88592.eml", "spotkanie zespołu - środa"),
        ("japanese_iso2022jp.eml", "会議の件"),
        ("japanese_shiftjis.eml", "見積もりの件"),
        ("chinese_gb2312.eml", "项目进度"),
        ("plus_addressing.eml", "launch retro notes"),
        ("forward_rfc822_tnef.eml", "vendor contract renewal"),
    ] {
        let k = thread_keys(&load(f));
        assert_eq!(k.subject_key, key, "{f}");
        assert!(k.looks_like_reply || f == "plus_addressing.eml", "{f}");
    }
    let fresh = thread_keys(&load("attachments.eml"));
    assert!(!fresh.looks_like_reply);
    assert!(fresh.parents.is_empty());
    assert_eq!(
        clean_subject(&load("german_latin1.eml").subject),
        "Änderung der Planung"
    );
}

#[test]
fn envelope_and_lists() {
    let m = load("bcc_copy.eml");
    assert_eq!(m.envelope_to, vec!["sales@corp.example"]);
    assert!(m.to.iter().all(|a| a.email != "sales@corp.example"));
    let m = load("plus_addressing.eml");
    assert_eq!(m.cc[0].email, "eng+launch@corp.example");
    let m = load("google_groups_post.eml");
    assert_eq!(m.signals.precedence.as_deref(), Some("list"));
    assert_eq!(
        m.signals.list_id.as_deref(),
        Some("<eng-announce.googlegroups.com>")
    );
}

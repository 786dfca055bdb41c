//! Whatever bytes arrive, the pure stages answer without panicking: arbitrary bytes, real
//! fixtures damaged the ways transfers damage mail (truncation, flipped bytes, spliced pieces),
//! and header soup assembled from the fields that matter.
use std::path::PathBuf;
use std::sync::LazyLock;

use outloud::core::classify::{classify, OwnIdentity};
use outloud::core::parse::parse;
use outloud::core::route::{route, GroupDirectory};
use outloud::core::thread_keys::{clean_subject, thread_keys};
use outloud::model::GroupEntry;
use proptest::prelude::*;

static FIXTURES: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mail");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    paths.sort();
    paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
});

static DIR: LazyLock<GroupDirectory> = LazyLock::new(|| {
    GroupDirectory::new(vec![
        GroupEntry {
            id: 1,
            slug: "eng".into(),
            name: "Eng".into(),
            addresses: vec!["eng@corp.example".into()],
        },
        GroupEntry {
            id: 2,
            slug: "sales".into(),
            name: "Sales".into(),
            addresses: vec!["sales@corp.example".into()],
        },
    ])
});

static OWN: LazyLock<OwnIdentity> = LazyLock::new(|| OwnIdentity {
    addresses: vec!["outloud@corp.example".into()],
    loop_marker: "corp-outloud-1".into(),
    bounce_address: None,
});

/// Run every pure stage we own and check the invariants later stages rely on.
fn run_stages(raw: &[u8]) {
    let Ok(m) = parse(raw) else { return };
    assert_eq!(m.raw_sha256.len(), 64);
    assert!(!m.message_id.is_empty());
    assert!(!m.text.contains(['\r', '\0']), "text keeps CR or NUL");
    assert!(
        !m.subject.contains(['\r', '\n', '\0']),
        "subject not one line"
    );
    assert!(m
        .from
        .iter()
        .chain(&m.to)
        .chain(&m.cc)
        .all(|a| a.email == a.email.to_ascii_lowercase()));
    let _ = classify(&m, &OWN);
    let routes = route(&m, &DIR);
    assert!(routes.len() <= 2);
    let keys = thread_keys(&m);
    assert!(!keys.parents.contains(&m.message_id));
    let _ = clean_subject(&m.subject);
}

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(prop::sample::Index),
    Flip(prop::sample::Index, u8),
    /// Insert a slice of another fixture (or of this one) somewhere.
    Splice {
        at: prop::sample::Index,
        from: prop::sample::Index,
        start: prop::sample::Index,
        len: usize,
    },
    Delete(prop::sample::Index, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<prop::sample::Index>().prop_map(Mutation::Truncate),
        (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (
            any::<prop::sample::Index>(),
            any::<prop::sample::Index>(),
            any::<prop::sample::Index>(),
            0..400usize
        )
            .prop_map(|(at, from, start, len)| Mutation::Splice {
                at,
                from,
                start,
                len
            }),
        (any::<prop::sample::Index>(), 0..200usize).prop_map(|(i, n)| Mutation::Delete(i, n)),
    ]
}

fn apply(mut raw: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        if raw.is_empty() {
            break;
        }
        match m {
            Mutation::Truncate(i) => raw.truncate(i.index(raw.len())),
            Mutation::Flip(i, b) => {
                let i = i.index(raw.len());
                raw[i] ^= b;
            }
            Mutation::Splice {
                at,
                from,
                start,
                len,
            } => {
                let src = &FIXTURES[from.index(FIXTURES.len())];
                let s = start.index(src.len());
                let piece: Vec<u8> = src[s..(s + len).min(src.len())].to_vec();
                let at = at.index(raw.len());
                raw.splice(at..at, piece);
            }
            Mutation::Delete(i, n) => {
                let i = i.index(raw.len());
                let end = (i + n).min(raw.len());
                raw.drain(i..end);
            }
        }
    }
    raw
}

/// Header fields the stages look at, with values that are plausible, hostile or both.
fn header_line() -> impl Strategy<Value = String> {
    let names = prop::sample::select(vec![
        "Message-ID",
        "In-Reply-To",
        "References",
        "Thread-Index",
        "Subject",
        "From",
        "To",
        "Cc",
        "Delivered-To",
        "X-Original-To",
        "Envelope-To",
        "Date",
        "Auto-Submitted",
        "Precedence",
        "X-Auto-Response-Suppress",
        "Return-Path",
        "X-Outloud-Loop",
        "List-Id",
        "Mailing-List",
        "Sender",
        "X-Autoreply",
        "Content-Type",
        "Content-Transfer-Encoding",
        "Content-Disposition",
        "MIME-Version",
    ]);
    let values = prop::sample::select(vec![
        "<a@x>",
        "<",
        ">",
        "<>",
        "<<a@b>>",
        "a@b, <c@d>",
        "=?utf-8?B?w5w=?=",
        "=?x-bogus?Q?=FF?=",
        "=?ISO-2022-JP?B?GyRCRURDZhsoQg==?=",
        "eng+x@corp.example",
        "\"Eng\" <ENG@corp.example>",
        "Group: a@b, c@d;",
        "multipart/mixed; boundary=b",
        "multipart/alternative; boundary=\"\"",
        "multipart/report; report-type=delivery-status; boundary=z",
        "text/html; charset=gb2312",
        "text/plain; format=flowed; delsp=yes",
        "message/rfc822",
        "base64",
        "quoted-printable",
        "Tue, 5 Mar 2024 14:30:00 +0100",
        "Mon, 99 Foo 99999 99:99:99 +9999",
        "AdpvBnE4mQ==",
        "auto-replied",
        "bulk",
        "All",
        "",
        " ",
        "\u{fffd}\u{0}",
        "attachment; filename*=UTF-8''%FF%FE",
    ]);
    (
        names,
        values,
        prop::collection::vec(values_strategy(), 0..3),
    )
        .prop_map(|(n, v, extra)| format!("{n}: {v}{}", extra.concat()))
}

fn values_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\r\n\t".to_string()),
        Just(" ".to_string()),
        "[ -~]{0,12}".prop_map(|s| s),
        Just("\r\n--b\r\n".to_string()),
    ]
}

fn header_soup() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec(header_line(), 0..12),
        prop::sample::select(vec!["\r\n", "\n"]),
        prop::collection::vec(
            prop::sample::select(vec![
                "--b",
                "--b--",
                "--z",
                "Content-Type: text/plain",
                "Content-Type: text/html",
                "<blockquote>",
                "<div>",
                "> quoted",
                "-- ",
                "=E2=80=AF",
                "=\r",
                "plain words",
                "\u{0}",
                "Content-Type: message/rfc822",
            ]),
            0..24,
        ),
    )
        .prop_map(|(headers, eol, body)| {
            let mut s = headers.join(eol);
            s.push_str(eol);
            s.push_str(eol);
            s.push_str(&body.join(eol));
            s.into_bytes()
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_bytes(raw in prop::collection::vec(any::<u8>(), 0..2048)) {
        run_stages(&raw);
    }

    #[test]
    fn mutated_fixtures(
        which in any::<prop::sample::Index>(),
        muts in prop::collection::vec(mutation(), 1..6),
    ) {
        let raw = FIXTURES[which.index(FIXTURES.len())].clone();
        run_stages(&apply(raw, &muts));
    }

    #[test]
    fn header_soups(raw in header_soup()) {
        run_stages(&raw);
    }
}

#[test]
fn every_fixture_whole_and_every_prefix() {
    // Exhaustive truncation of each fixture at every line end: the likeliest real damage.
    for f in FIXTURES.iter() {
        run_stages(f);
        for (i, _) in f.iter().enumerate().filter(|(_, &b)| b == b'\n') {
            run_stages(&f[..i]);
            run_stages(&f[..=i]);
        }
    }
}

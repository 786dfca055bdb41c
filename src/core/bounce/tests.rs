//! Bounces in the shapes real servers send them (Postfix, Exchange Online, Gmail, Exim,
//! qmail): `tests/fixtures/bounces/`.
use super::*;
use crate::core::classify::classify;
use crate::core::parse::parse;
use crate::model::{SkipReason, SkipRule};

fn own() -> OwnIdentity {
    OwnIdentity {
        addresses: vec!["outloud@corp.example".into()],
        loop_marker: "outloud".into(),
        bounce_address: Some("bounces@corp.example".into()),
    }
}

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bounces")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The rule classify skips it with, and what the bounce reader makes of it.
fn read(raw: &[u8]) -> (SkipRule, Option<Bounce>) {
    let mail = parse(raw).unwrap();
    let skip = classify(&mail, &own()).expect("a bounce is never published");
    assert_eq!(skip.reason(), SkipReason::Bounce, "{skip:?}");
    (skip.rule, read_bounce(raw, &mail, &own()))
}

fn one(b: &Bounce) -> &BouncedRecipient {
    assert_eq!(b.recipients.len(), 1, "{b:?}");
    &b.recipients[0]
}

#[test]
fn postfix_user_unknown_is_hard_and_names_its_delivery() {
    let (rule, b) = read(&fixture("postfix-user-unknown.eml"));
    assert_eq!(rule, SkipRule::DeliveryStatus);
    let b = b.expect("ours");
    assert_eq!(b.token.as_deref(), Some("k7x2m4q9c3d5f6g7h8j9"));
    assert_eq!(
        b.message_id.as_deref(),
        Some("outloud.p3q4r5s6t7u2v3w4x5y6@corp.example")
    );
    let r = one(&b);
    assert_eq!(r.address, "dana@partner.example");
    assert_eq!(
        (r.action.as_str(), r.status.as_deref()),
        ("failed", Some("5.1.1"))
    );
    assert_eq!(r.severity, Some(Severity::Hard));
    let diag = r.diagnostic.as_deref().unwrap();
    assert!(
        diag.starts_with("smtp; 550 5.1.1") && diag.contains("virtual mailbox table"),
        "{diag}"
    );
    assert_eq!(b.severity(), Some(Severity::Hard));
}

#[test]
fn postfix_sender_field_gives_the_token_when_the_envelope_does_not() {
    let raw = String::from_utf8(fixture("postfix-user-unknown.eml")).unwrap();
    // Delivered to a plain mailbox (the return path was rewritten on the way in).
    let raw = raw
        .replace(
            "Delivered-To: bounces+k7x2m4q9c3d5f6g7h8j9@",
            "Delivered-To: postmaster@",
        )
        .replace("To: bounces+k7x2m4q9c3d5f6g7h8j9@", "To: postmaster@");
    let (_, b) = read(raw.as_bytes());
    assert_eq!(b.unwrap().token.as_deref(), Some("k7x2m4q9c3d5f6g7h8j9"));
}

#[test]
fn exchange_online_ndr_is_matched_by_the_returned_message_id() {
    let (rule, b) = read(&fixture("exchange-online-recipient-not-found.eml"));
    assert_eq!(rule, SkipRule::DeliveryStatus);
    let b = b.expect("ours");
    assert_eq!(b.token, None, "sent to the From address, not a return path");
    assert_eq!(
        b.message_id.as_deref(),
        Some("outloud.a2b3c4d5e6f7g8h9j2k3@corp.example")
    );
    let r = one(&b);
    assert_eq!(r.address, "erik.old@corp.example");
    assert_eq!(r.status.as_deref(), Some("5.1.10"));
    assert_eq!(r.severity, Some(Severity::Hard));
}

#[test]
fn gmail_dsn_token_survives_upper_case_and_names_the_mail() {
    let (rule, b) = read(&fixture("gmail-address-not-found.eml"));
    assert_eq!(rule, SkipRule::DeliveryStatus);
    let b = b.expect("ours");
    assert_eq!(b.token.as_deref(), Some("q2w3e4r5t6y7u8i9o2p3"));
    assert_eq!(
        b.message_id.as_deref(),
        Some("outloud.z9y8x7w6v5u4t3s2r2q3@corp.example")
    );
    let r = one(&b);
    assert_eq!(r.address, "frida.nowhere@gmail.com");
    assert_eq!(r.severity, Some(Severity::Hard));
}

#[test]
fn delayed_is_not_a_failure() {
    let (_, b) = read(&fixture("postfix-delayed.eml"));
    let b = b.expect("ours");
    let r = one(&b);
    assert_eq!(
        (r.action.as_str(), r.status.as_deref()),
        ("delayed", Some("4.4.1"))
    );
    assert_eq!(r.severity, None);
    assert_eq!(b.severity(), None);
}

#[test]
fn a_4xx_failure_is_soft() {
    let (_, b) = read(&fixture("exim-mailbox-full.eml"));
    let b = b.expect("ours");
    assert_eq!(b.token.as_deref(), Some("m4b5x6f7u8l9l2a3b4c5"));
    let r = one(&b);
    assert_eq!(r.address, "hana@partner.example");
    assert_eq!(r.severity, Some(Severity::Soft));
}

#[test]
fn a_plain_text_bounce_at_the_return_path_counts_by_its_codes() {
    let (rule, b) = read(&fixture("qmail-plain-failure.eml"));
    assert_eq!(rule, SkipRule::DaemonSender);
    let b = b.expect("ours");
    assert_eq!(b.token.as_deref(), Some("q1m2a3i4l5p6l7a8i9n2"));
    let r = one(&b);
    assert_eq!(
        (r.status.as_deref(), r.severity),
        (Some("5.1.1"), Some(Severity::Hard))
    );
    let soft = String::from_utf8(fixture("qmail-plain-failure.eml"))
        .unwrap()
        .replace("(#5.1.1)", "(#4.2.2)");
    let (_, b) = read(soft.as_bytes());
    assert_eq!(b.unwrap().severity(), Some(Severity::Soft));
}

#[test]
fn someone_elses_bounce_is_not_ours() {
    let raw = String::from_utf8(fixture("postfix-user-unknown.eml"))
        .unwrap()
        .replace(
            "bounces+k7x2m4q9c3d5f6g7h8j9@corp.example",
            "alice@corp.example",
        )
        .replace("outloud.p3q4r5s6t7u2v3w4x5y6@", "CAF3x9@mail.gmail.com.");
    let (rule, b) = read(raw.as_bytes());
    assert_eq!(rule, SkipRule::DeliveryStatus);
    assert_eq!(b, None);
}

#[test]
fn an_auto_reply_to_the_return_path_is_an_auto_reply() {
    let raw = "From: Erik <erik@partner.example>\r\nTo: bounces+abc123@corp.example\r\n\
        Subject: Automatic reply: Your mail to eng\r\nAuto-Submitted: auto-replied\r\n\
        Message-ID: <oof1@partner.example>\r\n\r\nI am away.\r\n";
    let mail = parse(raw.as_bytes()).unwrap();
    assert_eq!(
        classify(&mail, &own()).unwrap().reason(),
        SkipReason::AutoReply
    );
    let other = "From: Erik <erik@partner.example>\r\nTo: bounces+ABC123@Corp.Example\r\n\
        Subject: hello\r\nMessage-ID: <x1@partner.example>\r\n\r\nWho is this?\r\n";
    let mail = parse(other.as_bytes()).unwrap();
    let skip = classify(&mail, &own()).unwrap();
    assert_eq!(
        (skip.rule, skip.reason()),
        (SkipRule::ReturnPath, SkipReason::Bounce)
    );
}

#[test]
fn field_groups_unfold_and_split_on_blank_lines() {
    let g = fields("A: 1\r\nB: two\r\n  lines\r\n\r\n\r\nC: 3\r\n");
    assert_eq!(g.len(), 2);
    assert_eq!(g[0][1], ("b".into(), "two lines".into()));
    assert_eq!(
        typed_address("rfc822; <Dana@Partner.Example>"),
        "dana@partner.example"
    );
    assert_eq!(
        enhanced_codes("said: 550 5.1.1 <x>: no (#5.1.1). 4.2.2"),
        vec!["5.1.1", "4.2.2"]
    );
}

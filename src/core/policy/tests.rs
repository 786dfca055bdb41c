use super::*;
use crate::core::parse::parse;
use crate::core::route::{route, GroupDirectory};
use crate::model::GroupEntry;

const BLOCKED: &str = "3a2e9c1f-7b4d-4e8a-9f61-2c5d8e0b7a14";

/// The configuration the corpus is labelled for.
fn corpus_config() -> PolicyConfig {
    PolicyConfig {
        enabled: true,
        trusted_authserv_ids: vec!["mx.corp.example".into(), "mx.google.com".into()],
        trust_unnamed_results: true,
        allowed_domains: vec!["corp.example".into()],
        unauthenticated: Unauthenticated::Hold,
        blocked_labels: vec![BLOCKED.into()],
        subject_tags: vec!["[confidential]".into(), "[private]".into()],
        header_patterns: vec![
            HeaderPattern::parse("X-Classification: (?i)^(secret|restricted)").unwrap(),
        ],
        hold_bcc_only: true,
        outsiders: Outsiders::Hold,
        hold_first_post: false,
        undo_windows: Vec::new(),
        retracted_raw_days: None,
    }
}

fn dir() -> GroupDirectory {
    GroupDirectory::new(vec![GroupEntry {
        id: 1,
        slug: "eng".into(),
        name: "Engineering".into(),
        addresses: vec!["eng@corp.example".into()],
    }])
}

fn decide_raw(raw: &[u8], cfg: &PolicyConfig) -> Decision {
    let mail = parse(raw).expect("corpus mail parses");
    let routes = route(&mail, &dir());
    decide(raw, &mail, &routes, cfg)
}

/// (split, file, expected action, expected rule) from labels.tsv.
fn labels() -> Vec<(String, String, String, String)> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/policy");
    let text = std::fs::read_to_string(format!("{root}/labels.tsv")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let split = f[0].split('/').next().unwrap().to_string();
            (
                split,
                format!("{root}/{}.eml", f[0]),
                f[1].into(),
                f[2].into(),
            )
        })
        .collect()
}

/// Score of one split: (right action, right rule, total), printing every miss.
fn score(split: &str) -> (usize, usize, usize) {
    let cfg = corpus_config();
    let (mut action_ok, mut rule_ok, mut total) = (0, 0, 0);
    for (s, file, action, rule) in labels().into_iter().filter(|l| l.0 == split) {
        let _ = s;
        let d = decide_raw(&std::fs::read(&file).unwrap(), &cfg);
        total += 1;
        let got_action = match d.action {
            Action::Publish => "publish",
            Action::Hold => "hold",
        };
        action_ok += usize::from(got_action == action);
        rule_ok += usize::from(d.rule.as_str() == rule);
        if got_action != action || d.rule.as_str() != rule {
            println!(
                "{split} MISS {file}: want {action}/{rule}, got {got_action}/{} ({})",
                d.rule.as_str(),
                d.reason
            );
        }
    }
    println!("{split}: action {action_ok}/{total}, rule {rule_ok}/{total}");
    (action_ok, rule_ok, total)
}

#[test]
fn corpus_dev_split_all_right() {
    let (a, r, n) = score("dev");
    assert!(n >= 20);
    assert_eq!(
        (a, r),
        (n, n),
        "the dev split is what the rules are tuned on"
    );
}

/// The held-back split: reported, and must not regress below what it scored when first run.
#[test]
fn corpus_test_split_score() {
    let (a, r, n) = score("test");
    assert!(n >= 15);
    println!("held-back test split: action accuracy {a}/{n}, rule accuracy {r}/{n}");
    assert!(a + 1 >= n, "held-back split regressed: {a}/{n}");
}

#[test]
fn every_decision_names_rule_and_reason() {
    let cfg = corpus_config();
    for (_, file, _, _) in labels() {
        let d = decide_raw(&std::fs::read(&file).unwrap(), &cfg);
        assert!(!d.reason.is_empty(), "{file}");
    }
}

#[test]
fn policy_off_publishes_but_says_what_it_would_hold() {
    let mut cfg = corpus_config();
    cfg.enabled = false;
    cfg.unauthenticated = Unauthenticated::Trust;
    let raw = b"From: a@corp.example\r\nTo: eng@corp.example\r\nSensitivity: Private\r\nSubject: x\r\n\r\nbody\r\n";
    let d = decide_raw(raw, &cfg);
    assert_eq!((d.action, d.rule), (Action::Publish, Rule::PolicyOff));
    assert!(d.reason.contains("Sensitivity: Private"), "{}", d.reason);
}

#[test]
fn unauthenticated_trust_publishes_internal_mail() {
    let mut cfg = corpus_config();
    cfg.unauthenticated = Unauthenticated::Trust;
    let raw = b"From: a@corp.example\r\nTo: eng@corp.example\r\nSubject: x\r\n\r\nbody\r\n";
    assert_eq!(decide_raw(raw, &cfg).rule, Rule::Published);
    // An untrusted server's word changes nothing either way.
    let raw = b"Authentication-Results: evil.example; dmarc=fail header.from=corp.example\r\nFrom: a@corp.example\r\nTo: eng@corp.example\r\nSubject: x\r\n\r\nbody\r\n";
    assert_eq!(decide_raw(raw, &cfg).rule, Rule::Published);
}

#[test]
fn outsiders_masked_by_config() {
    let mut cfg = corpus_config();
    cfg.outsiders = Outsiders::Mask;
    cfg.unauthenticated = Unauthenticated::Trust;
    let raw = b"From: a@corp.example\r\nTo: eng@corp.example, Carol <carol@customer.example>\r\nSubject: x\r\n\r\nbody\r\n";
    let d = decide_raw(raw, &cfg);
    assert_eq!(d.action, Action::Publish);
    assert_eq!(d.mask, vec!["carol@customer.example".to_string()]);
}

#[test]
fn purview_labels_parse() {
    let v = "MSIP_Label_ABC_Enabled=true; MSIP_Label_ABC_Name=Secret; MSIP_Label_ABC_ContentBits=12;MSIP_Label_def_Enabled=false";
    let l = confidential::labels(v);
    assert_eq!(l.len(), 2);
    assert_eq!(
        (l[0].guid.as_str(), l[0].enabled, l[0].content_bits),
        ("abc", true, Some(12))
    );
    assert!(!l[1].enabled);
}

#[test]
fn header_pattern_errors_name_the_problem() {
    assert!(HeaderPattern::parse("no colon")
        .unwrap_err()
        .contains("Header-Name: regex"));
    assert!(HeaderPattern::parse("X-A: (")
        .unwrap_err()
        .contains("bad regular expression"));
    assert!(HeaderPattern::parse(": x")
        .unwrap_err()
        .contains("not a header name"));
}

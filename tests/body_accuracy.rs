//! Accuracy of `clean_body` on the labelled fixtures in `tests/fixtures/bodies/<case>/`.
//!
//! Each case holds `input.txt` (plus an empty `from_html` marker when the text is html2text
//! output, generated from `input.html`), `expected.txt` (the body, exactly) and optionally
//! `expected_signoff.txt`, `expected_signature.txt`, `expected_disclaimer.txt`. The category
//! is the case name up to the first `-`. Run with `--nocapture` to see the table and the misses.
// The report prints one table in one place; splitting it would scatter it.
#![allow(clippy::too_many_lines)]
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use outloud::core::clean_body::clean_body;
use outloud::model::CleanBody;

/// Exact-body floor: what the current rules reach on the fixtures, minus a little.
const BODY_FLOOR: f64 = 0.97;
/// Floor for the optional sign-off/signature/disclaimer expectations.
const PARTS_FLOOR: f64 = 0.95;

struct Case {
    name: String,
    input: String,
    from_html: bool,
    /// Written after the rules, to measure how they generalise: marker file `holdout`, holding
    /// the batch number (empty = 1). 0 = written before the code.
    holdout: u8,
    expected: String,
    parts: Vec<(&'static str, String)>,
}

fn cases(kind: &str) -> Vec<Case> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(kind);
    let mut dirs: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .flatten()
        .map(|d| d.path())
        .filter(|p| p.join("input.txt").exists())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|d| {
            let read = |f: &str| fs::read_to_string(d.join(f)).ok();
            let mut parts = Vec::new();
            for part in ["signoff", "signature", "disclaimer"] {
                if let Some(t) = read(&format!("expected_{part}.txt")) {
                    parts.push((part, t));
                }
            }
            Case {
                name: d.file_name().unwrap().to_string_lossy().into_owned(),
                input: read("input.txt").unwrap(),
                from_html: d.join("from_html").exists(),
                holdout: read("holdout").map_or(0, |t| t.trim().parse().unwrap_or(1)),
                expected: read("expected.txt").unwrap_or_default(),
                parts,
            }
        })
        .collect()
}

/// Trailing spaces and the file's final newline do not count.
fn norm(s: &str) -> String {
    s.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
        .trim_matches('\n')
        .to_string()
}

fn part<'a>(c: &'a CleanBody, name: &str) -> &'a str {
    match name {
        "signoff" => &c.signoff,
        "signature" => &c.signature,
        _ => &c.disclaimer,
    }
}

#[test]
fn body_accuracy() {
    let cases = cases("bodies");
    assert!(
        cases.len() >= 80,
        "expected at least 80 body fixtures, found {}",
        cases.len()
    );
    let mut per_cat: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let (mut ok, mut parts_ok, mut parts_total) = (0, 0, 0);
    let mut batches: BTreeMap<u8, (usize, usize)> = BTreeMap::new();
    let mut misses = Vec::new();
    for case in &cases {
        let got = clean_body(&case.input, case.from_html);
        let cat = case.name.split('-').next().unwrap().to_string();
        let hit = norm(&got.body) == norm(&case.expected);
        let e = per_cat.entry(cat).or_default();
        e.1 += 1;
        let b = batches.entry(case.holdout).or_default();
        b.1 += 1;
        b.0 += usize::from(hit);
        if hit {
            e.0 += 1;
            ok += 1;
        } else {
            misses.push(format!(
                "--- {} body\n  expected: {:?}\n  got:      {:?}",
                case.name,
                norm(&case.expected),
                norm(&got.body)
            ));
        }
        for (name, want) in &case.parts {
            parts_total += 1;
            if norm(part(&got, name)) == norm(want) {
                parts_ok += 1;
            } else {
                misses.push(format!(
                    "--- {} {name}\n  expected: {:?}\n  got:      {:?}",
                    case.name,
                    norm(want),
                    norm(part(&got, name))
                ));
            }
        }
    }
    println!("\nbody exact match by category:");
    for (cat, (hit, all)) in &per_cat {
        println!(
            "  {cat:<12} {hit:>3}/{all:<3} {:>5.1}%",
            100.0 * *hit as f64 / *all as f64
        );
    }
    let total = ok as f64 / cases.len() as f64;
    let parts = parts_ok as f64 / parts_total.max(1) as f64;
    println!(
        "  {:<12} {ok:>3}/{:<3} {:>5.1}%",
        "TOTAL",
        cases.len(),
        100.0 * total
    );
    for (batch, (hit, all)) in &batches {
        let what = if *batch == 0 {
            "written before the code".to_string()
        } else {
            format!("held-out batch {batch}")
        };
        println!("  {what:<24} {hit:>3}/{all}");
    }
    println!(
        "sign-off/signature/disclaimer: {parts_ok}/{parts_total} {:.1}%",
        100.0 * parts
    );
    for m in &misses {
        println!("{m}");
    }
    assert!(
        total >= BODY_FLOOR,
        "body accuracy {:.1}% below floor",
        100.0 * total
    );
    assert!(
        parts >= PARTS_FLOOR,
        "parts accuracy {:.1}% below floor",
        100.0 * parts
    );
}

/// Nothing is lost: every non-blank input line is in exactly one of the five parts.
#[test]
fn nothing_lost_on_any_fixture() {
    for kind in ["bodies", "quotes"] {
        for case in cases(kind) {
            let got = clean_body(&case.input, case.from_html);
            let visible = |l: &&str| {
                !l.trim_matches(|c: char| c.is_whitespace() || matches!(c, '\u{200b}' | '\u{feff}'))
                    .is_empty()
            };
            let mut want: Vec<&str> = case
                .input
                .lines()
                .map(str::trim_end)
                .filter(visible)
                .collect();
            let mut have: Vec<&str> = [
                &got.body,
                &got.quoted,
                &got.signoff,
                &got.signature,
                &got.disclaimer,
            ]
            .iter()
            .flat_map(|p| p.lines())
            .map(str::trim_end)
            .filter(visible)
            .collect();
            want.sort_unstable();
            have.sort_unstable();
            assert_eq!(want, have, "{kind}/{}: lines lost or duplicated", case.name);
        }
    }
}

/// Throughput over all fixtures; prints mails per second, asserts nothing about time.
/// `cargo test --release --test body_accuracy -- --ignored --nocapture throughput`
#[test]
#[ignore]
fn throughput() {
    let cases = cases("bodies");
    let rounds = 200;
    let start = std::time::Instant::now();
    let mut bytes = 0;
    for _ in 0..rounds {
        for case in &cases {
            let c = clean_body(&case.input, case.from_html);
            bytes += c.body.len();
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let n = rounds * cases.len();
    println!(
        "clean_body: {n} mails in {secs:.3}s = {:.0} mails/s ({bytes} body bytes)",
        n as f64 / secs
    );
    let start = std::time::Instant::now();
    let quoted: Vec<String> = cases
        .iter()
        .map(|c| clean_body(&c.input, c.from_html).quoted)
        .collect();
    let mut mails = 0;
    for _ in 0..rounds {
        for q in &quoted {
            mails += outloud::core::quote_history::reconstruct(q, Default::default()).len();
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "reconstruct: {} quotes in {secs:.3}s = {:.0}/s ({mails} mails)",
        n,
        n as f64 / secs
    );
}

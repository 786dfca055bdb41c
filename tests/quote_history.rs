//! `quote_history::reconstruct` on the fixtures in `tests/fixtures/quotes/<case>/`: the whole
//! mail (`input.txt`, `from_html` marker for html2text output) goes through `clean_body`, its
//! quoted part through `reconstruct`, and the result is compared with `expected.json`: a list,
//! oldest first, of `{name, email, date (RFC 3339 or null), subject, body}`. An optional
//! `date_offset` file holds the quoting mail's Date-header zone (`+0100`); zone-less times in
//! the quote are read in it (without the file: UTC).
use std::fs;
use std::path::{Path, PathBuf};

use outloud::core::clean_body::clean_body;
use outloud::core::quote_history::{reconstruct, QuoteContext};
use serde_json::Value;

/// Share of cases whose every rebuilt mail matches in author, date, subject and body.
const FLOOR: f64 = 0.95;

fn case_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/quotes");
    let mut dirs: Vec<PathBuf> = fs::read_dir(root)
        .unwrap()
        .flatten()
        .map(|d| d.path())
        .filter(|p| p.join("expected.json").exists())
        .collect();
    dirs.sort();
    dirs
}

/// `+0100` / `-0530` → seconds east of UTC.
fn date_offset(dir: &Path) -> Option<i32> {
    let text = fs::read_to_string(dir.join("date_offset")).ok()?;
    let t = text.trim();
    let sign = if t.starts_with('-') { -1 } else { 1 };
    let digits = t.trim_start_matches(['+', '-']);
    let (h, m): (i32, i32) = (digits[..2].parse().ok()?, digits[2..4].parse().ok()?);
    Some(sign * (h * 3600 + m * 60))
}

fn opt_str(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

#[test]
fn reconstruct_fixtures() {
    let dirs = case_dirs();
    assert!(dirs.len() >= 12, "expected at least 12 quote fixtures");
    let (mut ok, mut mails_ok, mut mails_total) = (0, 0, 0);
    let (mut hold_ok, mut hold_total) = (0, 0);
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy();
        let input = fs::read_to_string(dir.join("input.txt")).unwrap();
        let from_html = dir.join("from_html").exists();
        let expected: Vec<Value> =
            serde_json::from_str(&fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
        let ctx = QuoteContext {
            date_offset_secs: date_offset(dir),
            date: None,
        };
        let got = reconstruct(&clean_body(&input, from_html).quoted, ctx);
        let mut case_ok = got.len() == expected.len();
        for (i, want) in expected.iter().enumerate() {
            mails_total += 1;
            let want_date = want["date"]
                .as_str()
                .map(|d| chrono::DateTime::parse_from_rfc3339(d).unwrap().timestamp());
            let Some(have) = got.get(i) else {
                println!("--- {name} #{i}: missing, want {want}");
                case_ok = false;
                continue;
            };
            let same = have.author.name == opt_str(&want["name"])
                && have.author.email == want["email"].as_str().unwrap_or_default()
                && have.date == want_date
                && have.subject == opt_str(&want["subject"])
                && have.body == want["body"].as_str().unwrap_or_default();
            if same {
                mails_ok += 1;
            } else {
                case_ok = false;
                println!("--- {name} #{i}\n  want: {want}\n  got:  {have:?}");
            }
        }
        if got.len() > expected.len() {
            println!(
                "--- {name}: {} extra mails: {:?}",
                got.len() - expected.len(),
                &got[expected.len()..]
            );
        }
        ok += usize::from(case_ok);
        // `holdout` marks cases written after the code, to measure generalisation.
        if dir.join("holdout").exists() {
            hold_total += 1;
            hold_ok += usize::from(case_ok);
        }
    }
    let rate = ok as f64 / dirs.len() as f64;
    println!(
        "\nquote history: {ok}/{} cases exact ({:.1}%), {mails_ok}/{mails_total} mails",
        dirs.len(),
        100.0 * rate
    );
    println!("  of which held out (written after the code): {hold_ok}/{hold_total}");
    assert!(
        rate >= FLOOR,
        "quote-history accuracy {:.1}% below floor",
        100.0 * rate
    );
}

//! Throughput of each stage over one mbox, to compare `outloud import` with its floor.
//!
//!     cargo bench --bench pipeline -- PATH.mbox      (bench/import.sh generates one)
//!
//! Prints mails/s for: reading and splitting the mbox; mail-parser alone (the parse-only
//! floor); outloud's parse stage; the whole pure pipeline (parse → classify → route → thread
//! keys → clean body → quote history). Each pass runs over every mail in memory; the best of
//! three passes is reported.

use std::time::Instant;

use outloud::core::pipeline::{process, Options};
use outloud::core::route::GroupDirectory;
use outloud::model::GroupEntry;

fn best_of<F: FnMut() -> usize>(mut f: F) -> (usize, f64) {
    let mut best = f64::MAX;
    let mut n = 0;
    for _ in 0..3 {
        let t = Instant::now();
        n = std::hint::black_box(f());
        best = best.min(t.elapsed().as_secs_f64());
    }
    (n, best)
}

// One measurement per stage, in pipeline order: the report reads as the pipeline does.
#[allow(clippy::too_many_lines)]
fn main() {
    let path = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .unwrap_or_else(|| {
            // `cargo test --all-targets` runs this too, with no arguments: nothing to measure then.
            eprintln!("usage: cargo bench --bench pipeline -- PATH.mbox   (see bench/import.sh)");
            std::process::exit(0)
        });
    let path = std::path::PathBuf::from(path);
    let (n, secs) = best_of(|| {
        outloud::mailbox_files::open(&path)
            .expect("open mbox")
            .filter_map(Result::ok)
            .count()
    });
    report("read + split mbox", n, secs);
    let mails: Vec<Vec<u8>> = outloud::mailbox_files::open(&path)
        .unwrap()
        .filter_map(Result::ok)
        .map(|m| m.bytes)
        .collect();
    let bytes: usize = mails.iter().map(Vec::len).sum();
    println!("{} mails, {:.1} MB", mails.len(), bytes as f64 / 1e6);

    let parser = mail_parser::MessageParser::default();
    let (n, secs) = best_of(|| {
        mails
            .iter()
            .filter(|m| parser.parse(m.as_slice()).is_some())
            .count()
    });
    report("mail-parser alone (floor)", n, secs);

    let (n, secs) = best_of(|| {
        mails
            .iter()
            .filter(|m| outloud::core::parse::parse(m).is_ok())
            .count()
    });
    report("core::parse", n, secs);

    let parsed: Vec<_> = mails
        .iter()
        .filter_map(|m| outloud::core::parse::parse(m).ok())
        .collect();
    let (n, secs) = best_of(|| {
        // black_box: the result is unused, so the work must not be optimised away.
        parsed.iter().fold(0, |n, p| {
            std::hint::black_box(outloud::core::clean_body::clean_body(
                &p.text,
                p.text_from_html,
            ));
            n + 1
        })
    });
    report("  of which core::clean_body", n, secs);
    let cleaned: Vec<_> = parsed
        .iter()
        .map(|p| outloud::core::clean_body::clean_body(&p.text, p.text_from_html))
        .collect();
    let (n, secs) = best_of(|| {
        cleaned.iter().fold(0, |n, c| {
            let rebuilt = outloud::core::quote_history::reconstruct(&c.quoted, Default::default());
            std::hint::black_box(rebuilt);
            n + 1
        })
    });
    report("  of which core::quote_history", n, secs);
    let (n, secs) = best_of(|| {
        parsed
            .iter()
            .filter_map(|p| p.html.as_deref())
            .map(outloud::core::sanitize::sanitize_html)
            .count()
    });
    report("  of which sanitize (HTML mails)", n, secs);

    let dir = GroupDirectory::new(vec![
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
    ]);
    let opts = Options::default();
    let (n, secs) = best_of(|| {
        mails
            .iter()
            .filter(|m| process(m, &dir, &opts).is_ok())
            .count()
    });
    report("whole pure pipeline (1 thread)", n, secs);
}

fn report(what: &str, n: usize, secs: f64) {
    println!(
        "{what:<32} {n:>7} mails {secs:>8.3} s {:>10.0} mails/s",
        n as f64 / secs
    );
}

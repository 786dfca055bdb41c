//! Regenerates `input.txt` of HTML-only body and quote fixtures from their `input.html`, exactly
//! as the parser renders HTML-only mail (`outloud::core::parse::html_body_text`: html2text with
//! the parser's decorator, then the body normalisation), so the fixtures hold real output
//! instead of hand-written guesses. Ignored by default because it writes into the source tree:
//! `cargo test --test gen_html_fixtures -- --ignored`.
use std::fs;
use std::path::Path;

#[test]
#[ignore]
fn regenerate_html_fixture_inputs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for kind in ["bodies", "quotes"] {
        let Ok(dirs) = fs::read_dir(root.join(kind)) else {
            continue;
        };
        for dir in dirs.flatten() {
            let html_path = dir.path().join("input.html");
            let Ok(html) = fs::read_to_string(&html_path) else {
                continue;
            };
            let text = outloud::core::parse::html_body_text(&html);
            fs::write(dir.path().join("input.txt"), text).expect("write input.txt");
            fs::write(dir.path().join("from_html"), "").expect("write marker");
            println!("{}", dir.path().display());
        }
    }
}

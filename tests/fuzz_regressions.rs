//! Every input the fuzzer found a panic with (tests/fixtures/fuzz/, saved by scripts/fuzz.sh)
//! and the hand-made hostile shapes beside them go through every pure stage again
//! (`core::exercise::exercise_all`, what the fuzzer runs): none may panic. See docs/SECURITY.md.

use outloud::core::exercise::exercise_all as exercise;

#[test]
fn fuzzer_findings_and_hostile_shapes_do_not_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    let mut ran = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| exercise(&bytes));
        assert!(outcome.is_ok(), "{} panics the pipeline", path.display());
        ran += 1;
    }
    assert!(ran > 0, "no inputs in {}", dir.display());
}

/// Shapes built here rather than stored: deep nesting of every kind the stages recurse on.
#[test]
fn generated_hostile_shapes_do_not_panic() {
    let head = "From: a@x.example\r\nTo: eng@corp.example\r\nSubject: s\r\n";
    let shapes = [
        // Quote levels far beyond any client.
        format!(
            "{head}\r\n{}",
            (1..400)
                .map(|i| format!(
                    "{} On Mon, Mar 3, 2025 at 10:02 AM P{i} <p{i}@x.com> wrote:\n",
                    ">".repeat(i)
                ))
                .collect::<String>()
        ),
        // MIME nesting.
        format!(
            "{head}Content-Type: multipart/mixed; boundary=b0\r\n\r\n{}",
            (0..200)
                .map(|i| format!(
                    "--b{i}\r\nContent-Type: multipart/mixed; boundary=b{}\r\n\r\n",
                    i + 1
                ))
                .collect::<String>()
        ),
        // HTML nesting past every bound, HTML-only.
        format!(
            "{head}Content-Type: text/html\r\n\r\n{}x",
            "<blockquote>".repeat(5000)
        ),
        // Encoded words without end.
        format!(
            "From: a@x.example\r\nTo: eng@corp.example\r\nSubject: {}\r\n\r\nx",
            "=?utf-8?q?a?= ".repeat(5000)
        ),
    ];
    // The same shapes with bidi controls and right-to-left text in every header the digest,
    // search and reply surfaces show.
    let bidi = format!(
        "From: =?utf-8?b?2LTZhNmI2YUg4oCu?= <a@x.example>\r\nTo: eng@corp.example\r\n\
         Subject: =?utf-8?b?4oCuUGF5IOKBpyQxMDAw?=\r\n\r\n\u{202e}{}\r\n",
        "\u{2067}x ".repeat(2000)
    );
    let shapes: Vec<String> = shapes.into_iter().chain([bidi]).collect();
    for (i, raw) in shapes.iter().enumerate() {
        let outcome = std::panic::catch_unwind(|| exercise(raw.as_bytes()));
        assert!(outcome.is_ok(), "shape {i} panics the pipeline");
    }
}

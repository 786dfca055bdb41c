//! What hostile HTML costs the pipeline now that the HTML stage is bounded (issue 9):
//!
//!     cargo bench --bench hostile
//!
//! - the 1.1 MB mail of 100,000 nested `<div>`s (beyond the depth bound: degraded to the
//!   linear text converter, its HTML not kept);
//! - the worst mails the bounds still accept, deep and wide, through both HTML5 tree builders
//!   (ammonia, html2text);
//! - the unbounded sanitiser on 5,000 to 20,000 nested `<div>`s, to show the growth the
//!   bounds cut off (the 100,000 case took about 30 s before).
//!
//! The best of three runs is reported. Results: docs/BENCHMARKS.md.

use std::time::Instant;

use outloud::core::html_shape;
use outloud::core::pipeline::exercise;

fn best_of<F: FnMut()>(mut f: F) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    best
}

fn html_mail(html: &str) -> Vec<u8> {
    format!(
        "From: a@x.example\r\nTo: eng@corp.example\r\nSubject: s\r\nMessage-ID: <b@x>\r\n\
         Content-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"
    )
    .into_bytes()
}

fn nested(depth: usize) -> String {
    "<div>".repeat(depth) + "text" + &"</div>".repeat(depth)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        // `cargo test --all-targets` runs bench targets too (without `--bench`): nothing to
        // measure then.
        return;
    }
    let deep = html_mail(&nested(100_000));
    let secs = best_of(|| {
        std::hint::black_box(exercise(&deep));
    });
    println!(
        "100,000 nested divs ({:.1} MB), whole pipeline: {:>8.1} ms",
        deep.len() as f64 / 1e6,
        secs * 1e3
    );

    // The worst shapes the bounds accept: deep (blocks of 500 nested divs up to the tags ×
    // depth budget) and wide (100,000 tags, 40 deep).
    let deep_blocks = nested(500).repeat(html_shape::MAX_WORK / 500 / 1000);
    let wide =
        ("<div>".repeat(39) + &"<p><b>x</b></p>".repeat(1_220) + &"</div>".repeat(39)).repeat(20);
    for (what, html) in [("deep", deep_blocks), ("wide", wide)] {
        let shape = html_shape::check(&html).expect("within the bounds");
        let mail = html_mail(&html);
        let secs = best_of(|| {
            std::hint::black_box(exercise(&mail));
        });
        println!(
            "worst accepted, {what} ({:.2} MB, {} tags, depth {}): {:>8.1} ms",
            mail.len() as f64 / 1e6,
            shape.tags,
            shape.depth,
            secs * 1e3
        );
    }

    for depth in [5_000, 10_000, 20_000] {
        let html = nested(depth);
        let secs = best_of(|| {
            std::hint::black_box(outloud::core::sanitize::sanitize_html(&html));
        });
        println!(
            "unbounded sanitiser, {depth:>6} nested divs:        {:>8.1} ms",
            secs * 1e3
        );
    }
}

//! Properties of `clean_body` / `reconstruct` on generated mails built from the kinds of lines
//! real mail is made of (quotes, attributions, header blocks, closings, signatures, footnotes).
use outloud::core::clean_body::clean_body;
use outloud::core::quote_history::reconstruct;
use proptest::prelude::*;

const LINES: &[&str] = &[
    "",
    "",
    "Hi Anna,",
    "The deploy is done, error rate is back to normal.",
    "Thanks for the report, I'll look.",
    "> quoted line",
    ">",
    "> > deeper quoted line",
    ">> On Mon, Mar 3, 2025 at 10:02 AM Bob <bob@x.com> wrote:",
    "On Mon, Mar 3, 2025 at 10:02 AM Anna Smith <anna@x.com> wrote:",
    "On Mon, Mar 3, 2025 at 10:02 AM Anna Smith <",
    "anna@x.com> wrote:",
    "Am 03.03.25 um 10:02 schrieb Markus Weber:",
    "-----Original Message-----",
    "________________________________",
    "From: Anna Smith <anna@x.com>",
    "Sent: Monday, March 3, 2025 10:02 AM",
    "To: Tom <tom@y.com>",
    "Subject: Re: deploy",
    "---------- Forwarded message ---------",
    "Best regards,",
    "Thanks,",
    "Viele Grüße",
    "よろしくお願いします。",
    "Anna",
    "- Alex",
    "Anna Smith",
    "Senior Engineer | Acme GmbH",
    "T: +49 30 1234567",
    "-- ",
    "--",
    "Sent from my iPhone",
    "P.S. one more thing",
    "This email is confidential and intended solely for the addressee. If you received it in error, delete it.",
    "──────────",
    "[1]: https://example.com",
    "See [the PR][1].",
    "    indented code > with arrow",
    "\u{feff}",
    "佐藤",
];

fn mail() -> impl Strategy<Value = (String, bool)> {
    (
        prop::collection::vec(prop::sample::select(LINES), 0..60),
        any::<bool>(),
    )
        .prop_map(|(lines, html)| (lines.join("\n"), html))
}

fn visible(l: &&str) -> bool {
    !l.trim_matches(|c: char| c.is_whitespace() || matches!(c, '\u{200b}' | '\u{feff}'))
        .is_empty()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn every_line_lands_in_exactly_one_part((text, html) in mail()) {
        let c = clean_body(&text, html);
        let mut want: Vec<&str> = text.lines().map(str::trim_end).filter(visible).collect();
        let mut have: Vec<&str> = [&c.body, &c.quoted, &c.signoff, &c.signature, &c.disclaimer]
            .iter()
            .flat_map(|p| p.lines())
            .map(str::trim_end)
            .filter(visible)
            .collect();
        want.sort_unstable();
        have.sort_unstable();
        prop_assert_eq!(want, have);
        // Parts never start or end with blank lines.
        for p in [&c.body, &c.quoted, &c.signoff, &c.signature, &c.disclaimer] {
            prop_assert!(!p.starts_with('\n') && !p.ends_with('\n'));
        }
    }

    #[test]
    fn reconstruct_is_total((text, html) in mail()) {
        let c = clean_body(&text, html);
        for m in reconstruct(&c.quoted, Default::default()) {
            prop_assert!(m.author.name.is_some() || !m.author.email.is_empty());
            prop_assert_eq!(m.author.email.clone(), m.author.email.to_lowercase());
        }
        // Arbitrary text must not panic either.
        let _ = reconstruct(&text, Default::default());
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}", html in any::<bool>()) {
        let c = clean_body(&text, html);
        let _ = reconstruct(&c.quoted, Default::default());
    }
}

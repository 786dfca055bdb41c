//! A mail as a list of segments (the author's paragraphs, each with its role, and cited
//! earlier mail), rendered the way each client renders it: the text/plain part (wrapping,
//! format=flowed, quote prefixes, header blocks) and the HTML part (Gmail's gmail_quote,
//! Apple's blockquote type=cite, Outlook's Word HTML and reply header, …).

use crate::attrib::Attribution;
use crate::clients::Client;
use crate::mime::html_escape;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Body,
    Signoff,
    Signature,
    Footer,
    Disclaimer,
}

#[derive(Debug, Clone)]
pub struct Para {
    pub role: Role,
    /// Lines as typed; `[[label|url]]` marks a link.
    pub lines: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Cite {
    pub attr: Option<Attribution>,
    /// The cited mail's plain text, unprefixed.
    pub plain: String,
    /// The cited mail's HTML (body content).
    pub html: String,
    /// `>`-prefixed in plain text (false: below a header block, Outlook style).
    pub prefixed: bool,
}

#[derive(Debug, Clone)]
pub enum Seg {
    Para(Para),
    Cite(Cite),
}

/// Replace `[[label|url]]` links: `plain` gives the client's plain rendering.
fn links(line: &str, render: &dyn Fn(&str, &str) -> String) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find("[[") {
        let Some(end) = rest[start..].find("]]") else {
            break;
        };
        out.push_str(&rest[..start]);
        let inner = &rest[start + 2..start + end];
        let (label, url) = inner.split_once('|').unwrap_or((inner, inner));
        out.push_str(&render(label, url));
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}

pub fn plain_link(client: Client, label: &str, url: &str) -> String {
    if client.is_outlook() {
        format!("{label}<{url}>")
    } else if client == Client::Mutt {
        format!("{label} ({url})")
    } else {
        format!("{label} <{url}>")
    }
}

fn html_line(line: &str) -> String {
    // Escape everything but the link markup, then turn the markup into anchors.
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find("[[") {
        let Some(end) = rest[start..].find("]]") else {
            break;
        };
        out.push_str(&html_escape(&rest[..start]));
        let inner = &rest[start + 2..start + end];
        let (label, url) = inner.split_once('|').unwrap_or((inner, inner));
        out.push_str(&format!(
            "<a href=\"{}\">{}</a>",
            html_escape(url),
            html_escape(label)
        ));
        rest = &rest[start + end + 2..];
    }
    out.push_str(&html_escape(rest));
    out
}

/// Word-wrap at `width` columns, breaking at spaces only.
pub fn wrap(line: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for word in line.split(' ') {
        let len = cur.chars().count();
        if !cur.is_empty() && len + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut cur));
        } else if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    out.push(cur);
    out
}

/// RFC 3676: soft line breaks end in a space; lines starting with space, `>` or `From ` are
/// space-stuffed.
fn flowed(line: &str, width: usize) -> Vec<String> {
    let pieces = wrap(line, width);
    let n = pieces.len();
    pieces
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let stuffed = if p.starts_with(' ') || p.starts_with('>') || p.starts_with("From ") {
                format!(" {p}")
            } else {
                p
            };
            if i + 1 < n {
                format!("{stuffed} ")
            } else {
                stuffed
            }
        })
        .collect()
}

/// The plain lines of one paragraph as the client sends them.
pub fn para_plain(client: Client, p: &Para) -> Vec<String> {
    let render = |l: &str, u: &str| plain_link(client, l, u);
    let mut out = Vec::new();
    for raw in &p.lines {
        let line = links(raw, &render);
        match client.wrap_width() {
            Some(w) if client == Client::Thunderbird => out.extend(flowed(&line, w)),
            Some(w) => out.extend(wrap(&line, w)),
            None => out.push(line),
        }
    }
    out
}

/// The same paragraph as the reader sees it after format=flowed is undone.
pub fn para_visible(client: Client, p: &Para) -> Vec<String> {
    if client == Client::Thunderbird {
        let render = |l: &str, u: &str| plain_link(client, l, u);
        return p.lines.iter().map(|l| links(l, &render)).collect();
    }
    para_plain(client, p)
}

fn quote_line(client: Client, line: &str) -> String {
    let line = line.trim_end();
    if line.is_empty() {
        return ">".to_string();
    }
    let nested = line.starts_with('>');
    match client {
        Client::AppleMail | Client::IosMail => format!("> {line}"),
        _ if nested => format!(">{line}"),
        _ => format!("> {line}"),
    }
}

fn cite_plain(client: Client, c: &Cite) -> Vec<String> {
    let mut out = Vec::new();
    let body: Vec<&str> = c.plain.trim_end().lines().collect();
    if let Some(a) = &c.attr {
        if c.prefixed && client == Client::AppleMail && !a.block {
            // Apple Mail on the Mac: the attribution is the first line of the quote.
            out.extend(a.lines.iter().map(|l| quote_line(client, l)));
            out.push(">".to_string());
        } else {
            out.extend(a.lines.iter().cloned());
            if !matches!(client, Client::Thunderbird | Client::Mutt) || a.block {
                out.push(String::new());
            }
        }
    }
    for l in body {
        out.push(if c.prefixed {
            quote_line(client, l)
        } else if client == Client::Thunderbird {
            // Unquoted lines inside a flowed part must not end in a soft-break space.
            l.trim_end().to_string()
        } else {
            l.to_string()
        });
    }
    out
}

/// The text/plain part.
pub fn render_plain(client: Client, segs: &[Seg]) -> String {
    let mut blocks: Vec<Vec<String>> = Vec::new();
    for s in segs {
        blocks.push(match s {
            Seg::Para(p) => para_plain(client, p),
            Seg::Cite(c) => cite_plain(client, c),
        });
    }
    let mut out = blocks
        .iter()
        .map(|b| b.join("\n"))
        .collect::<Vec<_>>()
        .join("\n\n");
    out.push('\n');
    out
}

/// The author's body as the reader sees it in the text/plain part: body paragraphs only,
/// one blank line between them.
pub fn expected_plain(client: Client, segs: &[Seg]) -> String {
    segs.iter()
        .filter_map(|s| match s {
            Seg::Para(p) if p.role == Role::Body => Some(para_visible(client, p).join("\n")),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn para_html(client: Client, p: &Para) -> String {
    let lines: Vec<String> = p.lines.iter().map(|l| html_line(l)).collect();
    match client {
        Client::OutlookDesktop | Client::OutlookMac | Client::OutlookPlain => lines
            .iter()
            .map(|l| format!("<p class=\"MsoNormal\">{l}<o:p></o:p></p>\n"))
            .collect(),
        Client::OutlookWeb | Client::OutlookMobile => lines
            .iter()
            .map(|l| {
                format!("<div class=\"elementToProof\" style=\"font-family: Aptos, Aptos_EmbeddedFont, Aptos_MSFontService, Calibri, Helvetica, sans-serif; font-size: 12pt; color: rgb(0, 0, 0);\">{l}</div>\n")
            })
            .collect(),
        Client::Thunderbird | Client::Mutt => format!("<p>{}</p>\n", lines.join("<br>\n")),
        Client::Samsung | Client::IosMail => lines
            .iter()
            .map(|l| format!("<div dir=\"auto\">{l}</div>\n"))
            .collect(),
        _ => lines.iter().map(|l| format!("<div>{l}</div>\n")).collect(),
    }
}

fn blank_html(client: Client) -> &'static str {
    match client {
        Client::OutlookDesktop | Client::OutlookMac | Client::OutlookPlain => {
            "<p class=\"MsoNormal\"><o:p>&nbsp;</o:p></p>\n"
        }
        Client::OutlookWeb | Client::OutlookMobile => "<div class=\"elementToProof\"><br></div>\n",
        Client::Thunderbird | Client::Mutt => "",
        Client::Samsung | Client::IosMail => "<div dir=\"auto\"><br></div>\n",
        _ => "<div><br></div>\n",
    }
}

fn plain_to_html(text: &str) -> String {
    let mut out = String::from("<div>");
    for l in text.trim_end().lines() {
        out.push_str(&html_escape(l));
        out.push_str("<br>\n");
    }
    out.push_str("</div>\n");
    out
}

fn cite_html(client: Client, c: &Cite) -> String {
    let inner = if c.html.is_empty() {
        plain_to_html(&c.plain)
    } else {
        c.html.clone()
    };
    let Some(a) = &c.attr else {
        return format!("<blockquote type=\"cite\">{inner}</blockquote>\n");
    };
    if a.block || !c.prefixed {
        // Outlook, Samsung and forwards: header block, then the earlier mail, not indented.
        return format!("{}{inner}", a.html);
    }
    match client {
        Client::GmailWeb | Client::GmailMobile => format!(
            "<br><div class=\"gmail_quote gmail_quote_container\">{}<blockquote class=\"gmail_quote\" style=\"margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex\">\n{inner}</blockquote></div>\n",
            a.html
        ),
        Client::AppleMail => format!(
            "<div><br><blockquote type=\"cite\"><div>{}</div><br class=\"Apple-interchange-newline\">{inner}</blockquote></div>\n",
            a.html
        ),
        Client::IosMail => format!(
            "<div dir=\"ltr\"><br><blockquote type=\"cite\">{}</blockquote></div><blockquote type=\"cite\"><div dir=\"ltr\">{inner}</div></blockquote>\n",
            a.html
        ),
        _ => format!("{}<blockquote type=\"cite\">\n{inner}</blockquote>\n", a.html),
    }
}

/// The HTML body content (without the document wrapper).
pub fn render_html(client: Client, segs: &[Seg]) -> String {
    let mut out = String::new();
    for (i, s) in segs.iter().enumerate() {
        if i > 0 && matches!(s, Seg::Para(_)) {
            out.push_str(blank_html(client));
        }
        match s {
            Seg::Para(p) => out.push_str(&para_html(client, p)),
            Seg::Cite(c) => out.push_str(&cite_html(client, c)),
        }
    }
    out
}

/// The whole HTML document a client sends around its body content.
pub fn html_document(client: Client, inner: &str, charset: &str) -> String {
    match client {
        Client::OutlookDesktop | Client::OutlookMac | Client::OutlookPlain => format!(
            "<html xmlns:v=\"urn:schemas-microsoft-com:vml\" xmlns:o=\"urn:schemas-microsoft-com:office:office\" xmlns:w=\"urn:schemas-microsoft-com:office:word\" xmlns:m=\"http://schemas.microsoft.com/office/2004/12/omml\" xmlns=\"http://www.w3.org/TR/REC-html40\">\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset={charset}\">\n<meta name=\"Generator\" content=\"Microsoft Word 15 (filtered medium)\">\n<style><!--\np.MsoNormal, li.MsoNormal, div.MsoNormal\n\t{{margin:0cm;\n\tfont-size:11.0pt;\n\tfont-family:\"Calibri\",sans-serif;}}\n--></style>\n</head>\n<body lang=\"EN-US\" link=\"#0563C1\" vlink=\"#954F72\" style=\"word-wrap:break-word\">\n<div class=\"WordSection1\">\n{inner}</div>\n</body>\n</html>\n"
        ),
        Client::OutlookWeb | Client::OutlookMobile => format!(
            "<html>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset={charset}\">\n<style type=\"text/css\" style=\"display:none;\"> P {{margin-top:0;margin-bottom:0;}} </style>\n</head>\n<body dir=\"ltr\">\n{inner}</body>\n</html>\n"
        ),
        Client::GmailWeb | Client::GmailMobile => format!("<div dir=\"ltr\">{inner}</div>\n"),
        Client::AppleMail | Client::IosMail => format!(
            "<html><head><meta http-equiv=\"content-type\" content=\"text/html; charset={charset}\"></head><body style=\"overflow-wrap: break-word; -webkit-nbsp-mode: space; line-break: after-white-space;\">{inner}</body></html>"
        ),
        _ => format!(
            "<!DOCTYPE html>\n<html>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset={charset}\">\n</head>\n<body>\n{inner}</body>\n</html>\n"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping() {
        assert_eq!(wrap("aaa bbb ccc", 7), vec!["aaa bbb", "ccc"]);
        assert_eq!(flowed("aaa bbb From x", 7), vec!["aaa bbb ", " From x"]);
    }
}

//! A mail body as the author's client lays it out: new text, quoted history, trailer; as plain
//! text and as HTML. Plus the transfer encodings.

use super::mime;
use super::text::Client;

/// How the earlier mail appears in a reply.
pub(crate) enum QuoteStyle {
    /// Attribution line, then `> ` lines, below the new text (Gmail, Thunderbird top-posting).
    Prefixed,
    /// Attribution inside the quote, as Apple Mail does.
    AppleInside,
    /// Attribution and `> ` lines above the new text (bottom-posting).
    Bottom,
    /// Header block and the earlier text without `>` (Outlook, forwards).
    Unindented,
}

pub(crate) struct Quote {
    pub(crate) style: QuoteStyle,
    pub(crate) head: String,
    pub(crate) text: String,
}

pub(crate) struct Body {
    pub(crate) own: String,
    pub(crate) quote: Option<Quote>,
    /// Text after the quote (a disclaimer added by the mail server).
    pub(crate) after: String,
}

impl Body {
    pub(crate) fn plain(&self) -> String {
        let mut out = String::new();
        match &self.quote {
            None => out.push_str(&self.own),
            Some(q) => match q.style {
                QuoteStyle::Prefixed => out.push_str(&format!(
                    "{}\n\n{}\n{}",
                    self.own,
                    q.head,
                    prefixed(&q.text, ">")
                )),
                QuoteStyle::AppleInside => out.push_str(&format!(
                    "{}\n\n> {}\n> \n{}",
                    self.own,
                    q.head,
                    prefixed(&q.text, "> ")
                )),
                QuoteStyle::Bottom => out.push_str(&format!(
                    "{}\n{}\n\n{}",
                    q.head,
                    prefixed(&q.text, ">"),
                    self.own
                )),
                QuoteStyle::Unindented => {
                    out.push_str(&format!("{}\n\n{}\n\n{}", self.own, q.head, q.text))
                }
            },
        }
        if !self.after.is_empty() {
            out.push_str(&format!("\n\n{}", self.after));
        }
        while out.ends_with('\n') {
            out.pop();
        }
        out.push('\n');
        out
    }

    pub(crate) fn html(&self, client: Client) -> String {
        let own = mime::html_lines(&self.own);
        let quote = match &self.quote {
            None => String::new(),
            Some(q) => {
                let text = mime::html_lines(&q.text);
                let head = mime::html_escape(&q.head).replace('\n', "<br>\n");
                match (client, &q.style) {
                    (Client::Outlook, _) | (_, QuoteStyle::Unindented) => format!(
                        "<hr style=\"display:inline-block;width:98%\" tabindex=\"-1\">\n\
                         <div id=\"divRplyFwdMsg\" dir=\"ltr\"><font face=\"Calibri, sans-serif\" \
                         style=\"font-size:11pt\" color=\"#000000\">{head}</font>\n<div>&nbsp;</div></div>\n{text}"
                    ),
                    (Client::Gmail, _) => format!(
                        "<br><div class=\"gmail_quote\"><div dir=\"ltr\" class=\"gmail_attr\">{head}<br></div>\n\
                         <blockquote class=\"gmail_quote\" style=\"margin:0px 0px 0px 0.8ex;\
                         border-left:1px solid rgb(204,204,204);padding-left:1ex\">\n{text}</blockquote></div>\n"
                    ),
                    _ => format!("<div><br><blockquote type=\"cite\"><div>{head}</div>\n{text}</blockquote></div>\n"),
                }
            }
        };
        let after = if self.after.is_empty() {
            String::new()
        } else {
            mime::html_lines(&self.after)
        };
        let (open, close) = match client {
            Client::Outlook => (
                "<html>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\n\
                 <style type=\"text/css\" style=\"display:none;\"> P {margin-top:0;margin-bottom:0;} </style>\n\
                 </head>\n<body dir=\"ltr\">\n<div style=\"font-family: Aptos, Calibri, Helvetica, sans-serif; \
                 font-size: 12pt; color: rgb(0, 0, 0);\" class=\"elementToProof\">\n",
                "</div>\n</body>\n</html>\n",
            ),
            Client::Gmail => ("<div dir=\"ltr\">\n", "</div>\n"),
            _ => (
                "<html><head><meta http-equiv=\"content-type\" content=\"text/html; charset=utf-8\"></head>\
                 <body style=\"overflow-wrap: break-word;\">\n",
                "</body></html>\n",
            ),
        };
        format!("{open}{own}{quote}{after}{close}")
    }
}

/// Quote `text` line by line: `>` before lines already quoted, `mark` + space otherwise.
pub(crate) fn prefixed(text: &str, empty_mark: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 10);
    for line in text.lines() {
        if line.is_empty() {
            out.push_str(empty_mark);
        } else if line.starts_with('>') {
            out.push('>');
            out.push_str(line);
        } else {
            out.push_str("> ");
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Enc {
    SevenBit,
    EightBit,
    QuotedPrintable,
    Base64,
}

impl Enc {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Enc::SevenBit => "7bit",
            Enc::EightBit => "8bit",
            Enc::QuotedPrintable => "quoted-printable",
            Enc::Base64 => "base64",
        }
    }

    pub(crate) fn apply(self, text: &str) -> String {
        match self {
            Enc::SevenBit | Enc::EightBit => text.to_string(),
            Enc::QuotedPrintable => {
                let mut s = mime::quoted_printable(text);
                if !s.ends_with('\n') {
                    s.push('\n');
                }
                s
            }
            Enc::Base64 => mime::base64_body(text.as_bytes()),
        }
    }
}

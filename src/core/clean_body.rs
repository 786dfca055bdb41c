//! Stage 5: split the author's new text from quoted history, sign-off, signature and disclaimer.
use crate::model::CleanBody;

/// `from_html` says the text came from html2text (HTML-only mail), whose quoting looks different.
pub fn clean_body(text: &str, from_html: bool) -> CleanBody {
    let _ = (text, from_html);
    todo!("clean_body")
}

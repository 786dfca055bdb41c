//! A comment or post written on the web view, as mail: who it goes to, its threading headers,
//! the copy mailed out (From "NAME via outloud", Reply-To the author) and the copy outloud
//! files (From the author, to the group), both with the same Message-ID of outloud's own: the
//! mailed copy coming back through the group mailbox is then skipped as outloud's own mail,
//! and is a duplicate of the filed one anyway. Pure; `web::write` queues and stores.

use super::compose::{compose, ComposeError, Draft, Person, Sender};
use crate::model::Address;

/// Longest comment or post accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 20_000;
/// References carried at most: the first message and the latest ones (RFC 5322 section
/// 3.6.4 lets a client trim the middle).
const MAX_REFERENCES: usize = 12;
/// Participants mailed at most (besides the group address).
const MAX_RECIPIENTS: usize = 50;

/// One message of the thread being answered, oldest first.
#[derive(Debug, Clone)]
pub struct ThreadMessage<'a> {
    pub message_id: &'a str,
    pub author_email: &'a str,
    pub author_name: Option<&'a str>,
    pub reconstructed: bool,
    /// The mail's To and Cc as stored.
    pub recipients: &'a [Address],
}

/// What the web form gives.
#[derive(Debug, Clone)]
pub struct Written<'a> {
    pub author: &'a Person,
    /// The thread's subject (a reply) or the new post's.
    pub subject: &'a str,
    pub text: &'a str,
    /// The group's address the mail goes to.
    pub group_address: &'a str,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WriteError {
    #[error("the text is empty")]
    Empty,
    #[error("the text is longer than {MAX_TEXT_CHARS} characters")]
    TooLong,
    #[error("a new post needs a subject")]
    NoSubject,
}

/// The text as it will be sent: line ends unified, trailing space trimmed; refused when empty
/// or too long.
pub fn clean_text(text: &str) -> Result<String, WriteError> {
    let t = text.replace("\r\n", "\n").replace('\r', "\n");
    let t = t.trim_end().trim_start_matches('\n');
    if t.trim().is_empty() {
        return Err(WriteError::Empty);
    }
    if t.chars().count() > MAX_TEXT_CHARS {
        return Err(WriteError::TooLong);
    }
    Ok(format!("{t}\n"))
}

/// `Re: SUBJECT`, without stacking prefixes.
pub fn reply_subject(subject: &str) -> String {
    let s = subject.trim();
    let lower = s.to_lowercase();
    if lower.starts_with("re:") || lower.starts_with("aw:") || lower.starts_with("sv:") {
        s.to_string()
    } else if s.is_empty() {
        "Re: (no subject)".to_string()
    } else {
        format!("Re: {s}")
    }
}

/// The thread's email participants: its authors and everyone its mails went to (To and Cc),
/// in the order they appear, each address once with the first name given for it; not
/// `excluded` addresses (outloud's own, the groups'), nor unknown reconstructed authors.
pub fn participants(thread: &[ThreadMessage<'_>], excluded: &[String]) -> Vec<Address> {
    let mut out: Vec<Address> = Vec::new();
    for m in thread {
        let author = Address::new(m.author_name, m.author_email);
        for a in std::iter::once(&author).chain(m.recipients) {
            let email = a.email.trim().to_ascii_lowercase();
            if !email.contains('@') || excluded.iter().any(|o| o.eq_ignore_ascii_case(&email)) {
                continue;
            }
            match out.iter_mut().find(|o| o.email == email) {
                // A name given later fills one not given first.
                Some(seen) if seen.name.is_none() => seen.name = a.name.clone(),
                Some(_) => {}
                None => out.push(Address::new(a.name.as_deref(), &email)),
            }
        }
    }
    out
}

/// Who a reply is mailed to: the group address, then the thread's [`participants`] but the
/// writer, at most [`MAX_RECIPIENTS`] of them.
pub fn recipients(
    w: &Written<'_>,
    thread: &[ThreadMessage<'_>],
    excluded: &[String],
) -> Vec<String> {
    let group = w.group_address.to_ascii_lowercase();
    let others: Vec<String> = participants(thread, excluded)
        .into_iter()
        .map(|a| a.email)
        .filter(|a| *a != w.author.email && *a != group)
        .take(MAX_RECIPIENTS)
        .collect();
    std::iter::once(group).chain(others).collect()
}

/// In-Reply-To (the latest received message) and References (the first and the latest).
pub fn threading(thread: &[ThreadMessage<'_>]) -> (Option<String>, Vec<String>) {
    let ids: Vec<String> = thread
        .iter()
        .filter(|m| !m.message_id.is_empty())
        .map(|m| m.message_id.to_string())
        .collect();
    let parent = thread
        .iter()
        .rev()
        .find(|m| !m.reconstructed && !m.message_id.is_empty())
        .map(|m| m.message_id.to_string())
        .or_else(|| ids.last().cloned());
    let refs = if ids.len() <= MAX_REFERENCES {
        ids
    } else {
        let mut r = vec![ids[0].clone()];
        r.extend_from_slice(&ids[ids.len() - (MAX_REFERENCES - 1)..]);
        r
    };
    (parent, refs)
}

/// The draft mailed out for a reply to `thread` (empty `thread`: a new post); `excluded` as
/// for [`participants`].
pub fn draft(
    w: &Written<'_>,
    thread: &[ThreadMessage<'_>],
    excluded: &[String],
) -> Result<Draft, WriteError> {
    let text = clean_text(w.text)?;
    let (in_reply_to, references) = threading(thread);
    let subject = if thread.is_empty() {
        let s = w.subject.trim();
        if s.is_empty() {
            return Err(WriteError::NoSubject);
        }
        s.to_string()
    } else {
        reply_subject(w.subject)
    };
    Ok(Draft {
        to: recipients(w, thread, excluded),
        subject,
        text,
        in_reply_to,
        references,
        // Written by a person: responders may answer it.
        auto_submitted: false,
        on_behalf_of: Some(w.author.clone()),
        reply_to: None,
    })
}

/// The copy outloud files: the same mail as the author wrote it (From the author, To the
/// group), with the mailed copy's Message-ID and date.
pub fn archived(
    w: &Written<'_>,
    sent: &Draft,
    message_id: &str,
    date: i64,
    loop_marker: &str,
) -> Result<Vec<u8>, ComposeError> {
    let as_author = Sender {
        from: w.author.email.clone(),
        from_name: w.author.name.clone().unwrap_or_default(),
        message_id_domain: String::new(),
        bounce_address: String::new(),
        loop_marker: loop_marker.to_string(),
    };
    let filed = Draft {
        to: vec![w.group_address.to_string()],
        on_behalf_of: None,
        reply_to: None,
        ..sent.clone()
    };
    compose(&as_author, &filed, message_id, date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ann() -> Person {
        Person {
            name: Some("Ann Lee".into()),
            email: "ann@corp.example".into(),
        }
    }

    fn m(
        message_id: &'static str,
        author_email: &'static str,
        reconstructed: bool,
        recipients: &'static [Address],
    ) -> ThreadMessage<'static> {
        ThreadMessage {
            message_id,
            author_email,
            author_name: None,
            reconstructed,
            recipients,
        }
    }

    fn thread() -> Vec<ThreadMessage<'static>> {
        vec![
            m("a@x", "Bo@Corp.Example", true, &[]),
            m("b@x", "ann@corp.example", false, &[]),
            m("c@x", "cy@partner.example", false, &[]),
            m("d@x", "outloud@corp.example", false, &[]),
            m("e@x", "", true, &[]),
        ]
    }

    #[test]
    fn participants_are_authors_and_everyone_in_to_and_cc() {
        let to = [
            Address::new(Some("Eng"), "eng@corp.example"),
            Address::new(Some("Dee D"), "Dee@Corp.Example"),
            Address::new(None, "outloud@corp.example"),
        ];
        let cc = [
            Address::new(Some("Ann L"), "ann@corp.example"),
            Address::new(Some("Eve"), "eve@partner.example"),
        ];
        let mut t: Vec<ThreadMessage<'_>> = thread();
        t[1].recipients = &to;
        t[2].recipients = &cc;
        t[2].author_name = Some("Cy");
        let excluded = [
            "outloud@corp.example".to_string(),
            "eng@corp.example".into(),
        ];
        let p = participants(&t, &excluded);
        let emails: Vec<&str> = p.iter().map(|a| a.email.as_str()).collect();
        assert_eq!(
            emails,
            [
                "bo@corp.example",
                "ann@corp.example",
                "dee@corp.example",
                "cy@partner.example",
                "eve@partner.example"
            ]
        );
        assert_eq!(p[1].name.as_deref(), Some("Ann L"));
        assert_eq!(p[2].name.as_deref(), Some("Dee D"));
        assert_eq!(p[3].name.as_deref(), Some("Cy"));
        let a = ann();
        let w = Written {
            author: &a,
            subject: "Launch",
            text: "ok",
            group_address: "eng@corp.example",
        };
        // The same list is mailed, but the writer.
        assert_eq!(
            recipients(&w, &t, &excluded),
            [
                "eng@corp.example",
                "bo@corp.example",
                "dee@corp.example",
                "cy@partner.example",
                "eve@partner.example"
            ]
        );
    }

    #[test]
    fn a_reply_goes_to_the_group_and_the_other_participants_threaded() {
        let a = ann();
        let w = Written {
            author: &a,
            subject: "Launch",
            text: "Sounds good.\r\n\r\n",
            group_address: "eng@corp.example",
        };
        let d = draft(&w, &thread(), &["outloud@corp.example".into()]).unwrap();
        assert_eq!(
            d.to,
            vec!["eng@corp.example", "bo@corp.example", "cy@partner.example"]
        );
        assert_eq!(d.subject, "Re: Launch");
        assert_eq!(d.text, "Sounds good.\n");
        assert_eq!(
            d.in_reply_to.as_deref(),
            Some("d@x"),
            "the latest received mail"
        );
        assert_eq!(d.references, vec!["a@x", "b@x", "c@x", "d@x", "e@x"]);
        assert!(!d.auto_submitted);
        assert_eq!(d.on_behalf_of, Some(a.clone()));
    }

    #[test]
    fn mailed_and_filed_copies_share_the_message_id() {
        let a = ann();
        let w = Written {
            author: &a,
            subject: "Re: Launch",
            text: "Yes",
            group_address: "eng@corp.example",
        };
        let d = draft(&w, &thread(), &[]).unwrap();
        assert_eq!(d.subject, "Re: Launch");
        let sender = Sender {
            from: "outloud@corp.example".into(),
            from_name: "outloud".into(),
            message_id_domain: "corp.example".into(),
            bounce_address: "bounces@corp.example".into(),
            loop_marker: "outloud".into(),
        };
        let sent = String::from_utf8(
            compose(&sender, &d, "outloud.t1@corp.example", 1_800_000_000).unwrap(),
        )
        .unwrap();
        assert!(
            sent.contains("From: \"Ann Lee via outloud\" <outloud@corp.example>"),
            "{sent}"
        );
        assert!(
            sent.contains("Reply-To: \"Ann Lee\" <ann@corp.example>"),
            "{sent}"
        );
        assert!(sent.contains("In-Reply-To: <d@x>"), "{sent}");
        assert!(
            sent.contains("Message-ID: <outloud.t1@corp.example>"),
            "{sent}"
        );
        let filed = String::from_utf8(
            archived(&w, &d, "outloud.t1@corp.example", 1_800_000_000, "outloud").unwrap(),
        )
        .unwrap();
        assert!(
            filed.contains("From: \"Ann Lee\" <ann@corp.example>"),
            "{filed}"
        );
        assert!(filed.contains("To: eng@corp.example"), "{filed}");
        assert!(
            filed.contains("Message-ID: <outloud.t1@corp.example>"),
            "{filed}"
        );
    }

    #[test]
    fn bad_text_is_refused() {
        let a = ann();
        let mut w = Written {
            author: &a,
            subject: "",
            text: " \n\t",
            group_address: "eng@corp.example",
        };
        assert_eq!(draft(&w, &thread(), &[]), Err(WriteError::Empty));
        let long = "x".repeat(MAX_TEXT_CHARS + 1);
        w.text = &long;
        assert_eq!(draft(&w, &thread(), &[]), Err(WriteError::TooLong));
        w.text = "hello";
        assert_eq!(
            draft(&w, &[], &[]),
            Err(WriteError::NoSubject),
            "a new post needs a subject"
        );
    }

    #[test]
    fn long_threads_keep_the_first_and_latest_references() {
        let ids: Vec<String> = (0..30).map(|i| format!("m{i}@x")).collect();
        let t: Vec<ThreadMessage<'_>> = ids
            .iter()
            .map(|id| ThreadMessage {
                message_id: id,
                author_email: "a@x.example",
                author_name: None,
                reconstructed: false,
                recipients: &[],
            })
            .collect();
        let (parent, refs) = threading(&t);
        assert_eq!(parent.as_deref(), Some("m29@x"));
        assert_eq!(refs.len(), 12);
        assert_eq!(refs[0], "m0@x");
        assert_eq!(refs[11], "m29@x");
    }
}

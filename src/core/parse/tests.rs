use super::*;

fn p(s: &str) -> ParsedMail {
    parse(s.as_bytes()).unwrap()
}

#[test]
fn empty_and_garbage() {
    assert_eq!(parse(b""), Err(ParseError::Empty));
    assert_eq!(parse(b" \r\n\t\n"), Err(ParseError::Empty));
    let r = parse(&[0u8, 159, 146, 150, 255, 0, 1]);
    assert!(matches!(r, Err(ParseError::NotAMail(_))), "{r:?}");
    assert!(matches!(
        parse(b"just some text\nwith lines\n"),
        Err(ParseError::NotAMail(_))
    ));
}

#[test]
fn basic_fields() {
    let m = p("Message-ID: <abc@x.example>\r\n\
        In-Reply-To: <p1@x.example>\r\n\
        References: <r0@x.example>\r\n <p1@x.example>\r\n\
        Thread-Index: AdQ1Zm9v\r\n YmFy\r\n\
        Subject: =?UTF-8?B?w5xiZXIgZGVuIFBsYW4=?=\r\n\
        From: =?ISO-8859-1?Q?J=F6rg_M=FCller?= <Joerg.Mueller@Corp.Example>\r\n\
        To: Eng <ENG@corp.example>, bob@corp.example\r\n\
        Cc: Team: carol@corp.example, dave@corp.example;, erin@corp.example\r\n\
        Delivered-To: Sales@Corp.Example\r\n\
        X-Original-To: <eng+x@corp.example>\r\n\
        Date: Tue, 05 Mar 2024 14:30:00 +0100\r\n\
        Content-Type: text/plain; charset=utf-8\r\n\r\n\
        Hello team\r\n\r\n-- \r\nJörg\r\n");
    assert_eq!(m.message_id, "abc@x.example");
    assert!(!m.message_id_synthetic);
    assert_eq!(m.in_reply_to, vec!["p1@x.example"]);
    assert_eq!(m.references, vec!["r0@x.example", "p1@x.example"]);
    assert_eq!(m.thread_index.as_deref(), Some("AdQ1Zm9vYmFy"));
    assert_eq!(m.subject, "Über den Plan");
    let from = m.from.unwrap();
    assert_eq!(from.email, "joerg.mueller@corp.example");
    assert_eq!(from.name.as_deref(), Some("Jörg Müller"));
    let to: Vec<&str> = m.to.iter().map(|a| a.email.as_str()).collect();
    assert_eq!(to, vec!["eng@corp.example", "bob@corp.example"]);
    let cc: Vec<&str> = m.cc.iter().map(|a| a.email.as_str()).collect();
    assert_eq!(
        cc,
        vec![
            "carol@corp.example",
            "dave@corp.example",
            "erin@corp.example"
        ]
    );
    assert_eq!(
        m.envelope_to,
        vec!["sales@corp.example", "eng+x@corp.example"]
    );
    assert_eq!(m.date, Some(1_709_645_400));
    assert_eq!(m.date_offset_secs, Some(3600));
    assert_eq!(m.text, "Hello team\n\n-- \nJörg");
    assert!(!m.text_from_html);
    assert_eq!(m.html, None);
    assert_eq!(m.raw_sha256.len(), 64);
}

#[test]
fn synthetic_message_id_is_stable() {
    let raw = "Subject: no id\r\nFrom: a@b.example\r\n\r\nbody\r\n";
    let a = p(raw);
    assert!(a.message_id_synthetic);
    assert_eq!(a.message_id, format!("{}@outloud.invalid", a.raw_sha256));
    assert_eq!(p(raw).message_id, a.message_id);
    assert!(p("Message-ID: <>\r\nSubject: x\r\n\r\nb").message_id_synthetic);
}

#[test]
fn date_offset_west_of_utc() {
    let m = p("Subject: x\r\nDate: Mon, 3 Mar 2025 09:05:00 -0330\r\n\r\nb");
    assert_eq!(m.date_offset_secs, Some(-(3 * 3600 + 30 * 60)));
    assert_eq!(m.date, Some(1_741_005_300));
}

#[test]
fn bad_date_is_none() {
    assert_eq!(p("Subject: x\r\nDate: yesterday-ish\r\n\r\nb").date, None);
    assert_eq!(
        p("Subject: x\r\nDate: yesterday-ish\r\n\r\nb").date_offset_secs,
        None
    );
    assert_eq!(p("Subject: x\r\n\r\nb").date, None);
}

#[test]
fn html_only_becomes_text() {
    let m = p(
        "Subject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
        <p>Looks great&nbsp;to me</p><div>On Mon, Alice wrote:</div>\
        <blockquote>Ship it?</blockquote>",
    );
    assert!(m.text_from_html);
    assert!(m.text.contains("Looks great to me"), "{}", m.text);
    assert!(m.text.contains("> Ship it?"), "{}", m.text);
    assert!(m.html.as_deref().unwrap().contains("<blockquote>"));
}

#[test]
fn alternative_prefers_plain_keeps_html() {
    let m = p(
        "Subject: x\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n\
        --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain words\r\n\
        --b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>html words</p>\r\n--b--\r\n",
    );
    assert_eq!(m.text, "plain words");
    assert!(!m.text_from_html);
    assert_eq!(m.html.as_deref(), Some("<p>html words</p>"));
    assert!(m.attachments.is_empty());
}

#[test]
fn empty_plain_alternative_uses_html() {
    let m = p(
        "Subject: x\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n\
        --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\r\n\
        --b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>html words</p>\r\n--b--\r\n",
    );
    assert_eq!(m.text, "html words");
    assert!(m.text_from_html);
}

#[test]
fn format_flowed_is_unflowed() {
    let m = p(
        "Subject: x\r\nContent-Type: text/plain; charset=utf-8; format=flowed\r\n\r\n\
        A long line that was \r\nwrapped by the client.\r\n\r\n> quoted and \r\n> wrapped\r\n",
    );
    assert_eq!(
        m.text,
        "A long line that was wrapped by the client.\n\n> quoted and wrapped"
    );
}

#[test]
fn signals() {
    let m = p(
        "Return-Path: <>\r\nAuto-Submitted: Auto-Replied; owner-email=\"x@y\"\r\n\
        Precedence: Bulk\r\nX-Auto-Response-Suppress: All\r\nX-Outloud-Loop: corp-1\r\n\
        List-Id: Eng <eng.corp.example>\r\n\
        Content-Type: multipart/report; report-type=Delivery-Status; boundary=z\r\n\r\n\
        --z\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--z--\r\n",
    );
    let s = &m.signals;
    assert!(s.null_return_path);
    assert_eq!(s.auto_submitted.as_deref(), Some("auto-replied"));
    assert_eq!(s.precedence.as_deref(), Some("bulk"));
    // X-Auto-Response-Suppress asks others not to auto-reply: no auto-reply marker.
    assert_eq!(s.autoreply_header, None);
    assert_eq!(s.outloud_loop.as_deref(), Some("corp-1"));
    assert_eq!(s.list_id.as_deref(), Some("Eng <eng.corp.example>"));
    assert_eq!(s.list.as_deref(), Some("List-ID"));
    assert_eq!(s.content_type.as_deref(), Some("multipart/report"));
    assert_eq!(s.report_type.as_deref(), Some("delivery-status"));
    let plain = p("Return-Path: <alice@x>\r\nSubject: x\r\n\r\nb");
    assert_eq!(plain.signals, crate::model::Signals::default());
}

#[test]
fn list_signs_and_loop_header() {
    let list = |h: &str| p(&format!("{h}\r\nSubject: x\r\n\r\nb")).signals.list;
    assert_eq!(
        list("Mailing-List: contact eng-help@lists.example; run by ezmlm").as_deref(),
        Some("Mailing-List")
    );
    assert_eq!(
        list("Delivered-To: mailing list eng@lists.example").as_deref(),
        Some("Delivered-To: mailing list eng@lists.example")
    );
    assert_eq!(
        list("X-Google-Group-Id: 358814495539").as_deref(),
        Some("X-Google-Group-Id")
    );
    assert_eq!(
        list("LIST-POST: <mailto:eng@lists.example>").as_deref(),
        Some("List-Post")
    );
    assert_eq!(
        list("Sender: owner-eng@lists.example").as_deref(),
        Some("Sender: owner-eng@lists.example")
    );
    // Newsletters must carry List-Unsubscribe (RFC 8058); on its own it is no list server.
    assert_eq!(list("List-Unsubscribe: <mailto:u@news.example>"), None);
    assert_eq!(list("Delivered-To: eng@corp.example"), None);
    assert_eq!(list("Sender: alice@corp.example"), None);
    let kw = |v: &str| {
        p(&format!("Auto-Submitted: {v}\r\n\r\nb"))
            .signals
            .auto_submitted
    };
    assert_eq!(
        kw("auto-replied (vacation)").as_deref(),
        Some("auto-replied")
    );
    assert_eq!(kw("No (a person wrote this)").as_deref(), Some("no"));
    assert_eq!(
        kw("(odd) auto-generated").as_deref(),
        Some("auto-generated")
    );
    let m = p("X-Outloud-Loop:\r\nX-Autoreply: yes\r\nSubject: x\r\n\r\nb");
    assert_eq!(m.signals.outloud_loop.as_deref(), Some(""));
    assert_eq!(
        m.signals.autoreply_header.as_deref(),
        Some("X-Autoreply: yes")
    );
}

#[test]
fn attachments_listed_inline_images_not() {
    let m = p("Subject: x\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n\
        --m\r\nContent-Type: multipart/related; boundary=r\r\n\r\n\
        --r\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>hi</p><img src=\"cid:logo@x\">\r\n\
        --r\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Disposition: inline; filename=\"image001.png\"\r\n\
        Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--r--\r\n\
        --m\r\nContent-Type: application/pdf; name=\"Plan Q3.pdf\"\r\n\
        Content-Disposition: attachment; filename=\"Plan Q3.pdf\"\r\n\
        Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--m--\r\n");
    assert_eq!(m.attachments.len(), 1, "{:?}", m.attachments);
    let a = &m.attachments[0];
    assert_eq!(a.filename.as_deref(), Some("Plan Q3.pdf"));
    assert_eq!(a.content_type, "application/pdf");
    assert_eq!(a.size, 9);
    assert_eq!(m.text, "hi");
}

#[test]
fn nul_bytes_removed() {
    let m = p("Subject: a\0b\r\nFrom: \"X\0Y\" <x@y.example>\r\n\r\nbo\0dy");
    assert_eq!(m.subject, "ab");
    assert_eq!(m.text, "body");
}

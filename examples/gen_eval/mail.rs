//! One step of a plot becomes one mail: client and posting style, the author's text, the
//! quote of the parent, headers as the client writes them, MIME, and the ground truth.

use outloud::seeded::SeededRng;

use crate::attrib::{self, Quoted, Writer};
use crate::clients::{self, Client, Posting};
use crate::compose::{self, Arrange, Content, Greet};
use crate::dates;
use crate::mime::{self, TextPart};
use crate::people::{Lang, Person};
use crate::plots::{Plan, Refs, Step};
use crate::render::{self, Role, Seg};

/// Where an earlier mail's attribution appears inside a mail.
#[derive(Debug, Clone)]
pub struct QuoteOcc {
    pub mail: usize,
    pub depth: usize,
    pub has_date: bool,
    pub has_address: bool,
    pub explicit: bool,
    /// UTC offset the attribution's time is printed in.
    pub shown_offset: i32,
    pub style: String,
    pub wrapped: bool,
}

#[derive(Debug, Clone)]
pub struct Mail {
    pub conv: usize,
    pub author: usize,
    pub client: Client,
    pub style: Posting,
    pub lang: Lang,
    pub in_group: bool,
    pub date: i64,
    pub date_offset: i32,
    pub message_id: String,
    pub subject: String,
    pub to: Vec<(String, String)>,
    pub cc: Vec<(String, String)>,
    /// The References this mail sent.
    pub references: Vec<String>,
    pub thread_index: Option<Vec<u8>>,
    pub plain: String,
    pub html: String,
    pub html_only: bool,
    pub body: String,
    /// The author's body paragraphs as readers see them (for interleaved answers).
    pub body_paras: Vec<String>,
    pub quoted: Vec<QuoteOcc>,
    pub charset: &'static str,
    pub transfer: &'static str,
    pub raw: Vec<u8>,
    pub arrival: i64,
    pub tags: Vec<String>,
}

/// What the builder needs besides the step.
pub struct Ctx<'a> {
    pub roster: &'a [Person],
    pub plan: &'a Plan,
    pub conv: usize,
    /// Mail index of each earlier step of this conversation.
    pub step_mails: &'a [usize],
    pub mails: &'a [Mail],
    /// (name, address) of the conversation's group.
    pub group: (&'a str, &'a str),
    /// The topic's answer has been written already.
    pub answered: bool,
}

fn addr(p: &Person) -> (String, String) {
    (p.display.clone(), p.email.clone())
}

fn pick_client(rng: &mut SeededRng, me: &Person, s: &Step) -> Client {
    match me.mobile {
        Some(m) if !s.desk_only && !s.forward && rng.gen_bool(0.3) => m,
        _ => me.desk,
    }
}

type AddrList = Vec<(String, String)>;

/// Recipients: the first mail goes to the others; a reply goes to the parent's author with
/// everyone else in Cc (reply all), plus the group when the group is in.
fn recipients(cx: &Ctx, s: &Step, me: &Person, parent: Option<&Mail>) -> (AddrList, AddrList) {
    let group = (cx.group.0.to_string(), cx.group.1.to_string());
    let people: Vec<&Person> = cx.plan.people.iter().map(|&i| &cx.roster[i]).collect();
    let (mut to, mut cc): (Vec<_>, Vec<_>) = match (parent, s.forward) {
        (Some(p), false) => {
            let pa = &cx.roster[p.author];
            let mut to = vec![addr(pa)];
            if pa.email == me.email {
                to = p.to.clone();
            }
            let cc =
                p.to.iter()
                    .chain(p.cc.iter())
                    .filter(|(_, e)| *e != me.email && !to.iter().any(|(_, t)| t == e))
                    .cloned()
                    .collect();
            (to, cc)
        }
        _ => {
            let n = if s.in_group { people.len() } else { 2 };
            let to = people
                .iter()
                .take(n)
                .filter(|p| p.email != me.email)
                .map(|p| addr(p))
                .collect();
            (to, vec![])
        }
    };
    cc.retain(|(_, e)| *e != group.1);
    to.retain(|(_, e)| *e != group.1);
    if s.in_group {
        if s.group_in_to {
            to.insert(0, group);
        } else {
            cc.push(group);
        }
    }
    if to.is_empty() {
        to = std::mem::take(&mut cc);
    }
    (to, cc)
}

/// Build the mail for step `si`.
pub fn build(rng: &mut SeededRng, cx: &Ctx, si: usize) -> Mail {
    let s = &cx.plan.steps[si];
    let me = &cx.roster[cx.plan.people[s.author]];
    let parent = s
        .parent
        .map(|p| (&cx.mails[cx.step_mails[p]], cx.step_mails[p]));
    let client = pick_client(rng, me, s);
    let date = match parent {
        // Quick answers go out at once; later ones wait for the author's working hours.
        Some((p, _)) if s.delay < 3600 => p.date + s.delay,
        Some((p, _)) => working_hours(rng, me, p.date + s.delay),
        None => cx.plan.start,
    };
    let date_offset = if clients::date_in_utc(client, rng) {
        0
    } else {
        me.zone.offset_at(date)
    };
    let style = match parent {
        None => Posting::None,
        Some(_) if s.forward => Posting::Forward,
        Some((p, _)) if p.body_paras.is_empty() => Posting::Top,
        Some(_) => client.posting(rng),
    };
    let html_only = !client.plain_only()
        && style != Posting::Interleaved
        && rng.gen_bool(client.html_only_rate());
    let (to, cc) = recipients(cx, s, me, parent.map(|p| p.0));
    let subject = match parent {
        None => cx.plan.subject.clone(),
        Some((p, _)) if s.forward => clients::forward_subject(client, me.ui, &p.subject),
        Some((p, _)) => clients::reply_subject(client, me.ui, &p.subject),
    };
    let (segs, quoted) = segments(rng, cx, (s, me), client, style, parent, &to);
    let mut tags = Vec::new();
    tag_segments(&segs, &mut tags);
    if s.adds_group {
        tags.push("adds-group".into());
    }
    let body = if html_only {
        expected_from_html(client, &segs)
    } else {
        render::expected_plain(client, &segs)
    };
    let mid_domain = me.email.split('@').nth(1).unwrap_or("corp.example");
    let message_id = clients::message_id(rng, client, mid_domain, date);
    let (references, in_reply_to) = threading(s, parent.map(|p| p.0), client, rng);
    let thread_index =
        client
            .is_outlook()
            .then(|| match parent.and_then(|(p, _)| p.thread_index.as_ref()) {
                Some(ti) => clients::thread_index_child(ti, rng),
                None => clients::thread_index_root(rng, date),
            });
    let mut mail = Mail {
        conv: cx.conv,
        author: cx.plan.people[s.author],
        client,
        style,
        lang: cx.plan.lang,
        in_group: s.in_group,
        date,
        date_offset,
        message_id,
        subject,
        to,
        cc,
        references,
        thread_index,
        plain: render::render_plain(client, &segs),
        html: render::render_html(client, &segs),
        html_only,
        body,
        body_paras: visible_body_paras(client, &segs),
        quoted,
        charset: "utf-8",
        transfer: "8bit",
        raw: Vec::new(),
        arrival: date + s.delivery,
        tags,
    };
    mail.raw = raw_mail(rng, &mut mail, me, in_reply_to, cx);
    mail
}

/// The author's text and the quote, arranged for the posting style.
fn segments(
    rng: &mut SeededRng,
    cx: &Ctx,
    (s, me): (&Step, &Person),
    client: Client,
    style: Posting,
    parent: Option<(&Mail, usize)>,
    to: &[(String, String)],
) -> (Vec<Seg>, Vec<QuoteOcc>) {
    let content = Content {
        lang: cx.plan.lang,
        topic: cx.plan.topic,
        first: parent.is_none(),
        greet: greeting(rng, cx, s, parent.map(|p| p.0), to),
        add_group: s.adds_group.then_some(cx.group.1),
        forward: s.forward,
        answered: cx.answered,
    };
    let android = client == Client::Samsung || rng.gen_bool(0.3);
    let (tail, disclaimer) = compose::tail(rng, me, client, cx.plan.lang, android);
    match parent {
        None => {
            let body = compose::body_paras(rng, me, &content);
            let a = Arrange {
                body,
                tail,
                disclaimer,
                disclaimer_at_end: false,
            };
            (compose::arrange(style, a, None), Vec::new())
        }
        Some(p) => quote_parent(rng, cx, me, client, style, p, &content, (tail, disclaimer)),
    }
}

/// Body paragraphs long enough to be quoted piecewise by an interleaved answer.
fn visible_body_paras(client: Client, segs: &[Seg]) -> Vec<String> {
    segs.iter()
        .filter_map(|sg| match sg {
            Seg::Para(p) if p.role == Role::Body => {
                Some(render::para_visible(client, p).join("\n"))
            }
            _ => None,
        })
        .filter(|t| t.chars().count() > 30)
        .collect()
}

/// Move a time outside 07:30–20:00 local (or on a weekend) to the next working morning.
fn working_hours(rng: &mut SeededRng, me: &Person, t: i64) -> i64 {
    let mut t = t;
    for _ in 0..4 {
        let (c, _) = me.zone.local(t);
        let minute = c.hh * 60 + c.mm;
        if c.wd < 5 && (450..1200).contains(&minute) {
            return t;
        }
        // Jump to 08:xx the next day (or today, if before the morning).
        let to_midnight = i64::from(24 * 60 - minute) * 60 - i64::from(c.ss);
        let skip = if minute < 450 {
            to_midnight - 86_400
        } else {
            to_midnight
        };
        t += skip + 8 * 3600 + rng.gen_range(0..5400);
    }
    t
}

fn greeting(
    rng: &mut SeededRng,
    cx: &Ctx,
    s: &Step,
    parent: Option<&Mail>,
    to: &[(String, String)],
) -> Greet {
    let x: f64 = rng.random();
    let call_of = |email: &str| {
        cx.roster
            .iter()
            .find(|p| p.email == email)
            .map(|p| p.call.clone())
    };
    if s.in_group && (s.adds_group || parent.is_none()) && x < 0.5 {
        return Greet::All;
    }
    if x < 0.25 {
        return Greet::None;
    }
    let target = match parent {
        Some(p) => cx.roster[p.author].email.clone(),
        None => to
            .iter()
            .find(|(_, e)| *e != cx.group.1)
            .map(|(_, e)| e.clone())
            .unwrap_or_default(),
    };
    match call_of(&target) {
        Some(c) => Greet::One(c),
        None => Greet::All,
    }
}

/// The attribution the replying client writes (a few Thunderbird users set "#1 wrote:",
/// without a date).
fn reply_attribution(
    rng: &mut SeededRng,
    writer: &Writer,
    q: &Quoted,
    style: Posting,
) -> attrib::Attribution {
    let mut attr = if style == Posting::Forward {
        attrib::forward_header(rng, writer, q)
    } else {
        attrib::attribution(rng, writer, q)
    };
    if writer.client == Client::Thunderbird && style != Posting::Forward && rng.gen_bool(0.06) {
        let name = if q.name.is_empty() { q.email } else { q.name };
        attr.lines = vec![format!("{name} wrote:")];
        attr.html = format!(
            "<div class=\"moz-cite-prefix\">{}</div>",
            crate::mime::html_escape(&attr.lines[0])
        );
        attr.has_date = false;
    }
    attr
}

#[allow(clippy::too_many_arguments)]
fn quote_parent(
    rng: &mut SeededRng,
    cx: &Ctx,
    me: &Person,
    client: Client,
    style: Posting,
    (p, parent_index): (&Mail, usize),
    content: &Content,
    (tail, disclaimer): (Vec<render::Para>, Option<render::Para>),
) -> (Vec<Seg>, Vec<QuoteOcc>) {
    let pa = &cx.roster[p.author];
    let writer = Writer {
        client,
        ui: me.ui,
        zone: me.zone,
        same_org: pa.email.split('@').nth(1) == me.email.split('@').nth(1),
    };
    let q = Quoted {
        name: &pa.display,
        email: &pa.email,
        when: p.date,
        date_offset: p.date_offset,
        to: &p.to,
        cc: &p.cc,
        subject: &p.subject,
    };
    let attr = reply_attribution(rng, &writer, &q, style);
    let occ = QuoteOcc {
        mail: parent_index,
        depth: 1,
        has_date: attr.has_date,
        has_address: attr.has_address,
        explicit: attr.explicit_offset,
        // mutt prints the quoted mail's own offset; everyone else their local time.
        shown_offset: if attr.explicit_offset && client == Client::Mutt {
            p.date_offset
        } else {
            me.zone.offset_at(p.date)
        },
        style: attr.style.clone(),
        wrapped: !attr.block && attr.lines.len() > 1,
    };
    if style == Posting::Interleaved {
        let n = p.body_paras.len().clamp(1, 3);
        let answers = compose::fragments(rng, content, n);
        let mut t = tail;
        t.extend(disclaimer);
        let segs = compose::interleave(attr, &p.body_paras, answers, t);
        return (segs, vec![occ]);
    }
    let mut quoted = vec![occ];
    quoted.extend(p.quoted.iter().map(|o| QuoteOcc {
        depth: o.depth + 1,
        ..o.clone()
    }));
    let prefixed = match style {
        Posting::Forward => matches!(client, Client::AppleMail | Client::IosMail),
        _ => !client.header_block_quote(),
    };
    let cited = if style == Posting::Forward && client == Client::Mutt {
        format!("{}\n\n{}", p.plain.trim_end(), attrib::mutt_forward_end())
    } else {
        p.plain.clone()
    };
    let q = compose::cite(Some(attr), &cited, &p.html, prefixed);
    let body = compose::body_paras(rng, me, content);
    let a = Arrange {
        body,
        tail,
        disclaimer,
        disclaimer_at_end: client.is_outlook() && rng.gen_bool(0.5),
    };
    (compose::arrange(style, a, Some(q)), quoted)
}

fn tag_segments(segs: &[Seg], tags: &mut Vec<String>) {
    for s in segs {
        if let Seg::Para(p) = s {
            let t = match p.role {
                Role::Signoff => "signoff",
                Role::Signature => "signature",
                Role::Footer => "phone-footer",
                Role::Disclaimer => "disclaimer",
                Role::Body if p.lines[0].starts_with("P.") || p.lines[0].starts_with("PS") => "ps",
                Role::Body if p.lines.iter().any(|l| l.contains("[[")) => "link",
                Role::Body => continue,
            };
            if !tags.iter().any(|x| x == t) {
                tags.push(t.to_string());
            }
        }
    }
}

/// The reader's view of an HTML-only body: the parser's own rendering of the body paragraphs
/// alone, blank-line runs collapsed (how the body is defined).
fn expected_from_html(client: Client, segs: &[Seg]) -> String {
    let body: Vec<Seg> = segs
        .iter()
        .filter(|s| matches!(s, Seg::Para(p) if p.role == Role::Body))
        .cloned()
        .collect();
    let doc = render::html_document(client, &render::render_html(client, &body), "utf-8");
    let raw = format!(
        "From: x@corp.example\nMessage-ID: <x@corp.example>\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{doc}"
    );
    let parsed = outloud::core::parse::parse(raw.as_bytes()).expect("body HTML parses");
    normalise_body(&parsed.text)
}

/// Trailing whitespace removed, lines with nothing visible blank, blank runs collapsed, no
/// blank lines at either end.
pub fn normalise_body(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        let visible = line.chars().any(|c| {
            !c.is_whitespace() && !matches!(c, '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{feff}')
        });
        let l = if visible {
            line.trim_end().to_string()
        } else {
            String::new()
        };
        if l.is_empty() && out.last().is_none_or(|x| x.is_empty()) {
            continue;
        }
        out.push(l);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

/// (References, In-Reply-To) as the client sends them.
fn threading(
    s: &Step,
    parent: Option<&Mail>,
    client: Client,
    rng: &mut SeededRng,
) -> (Vec<String>, Option<String>) {
    let Some(p) = parent else {
        return (Vec::new(), None);
    };
    if s.forward {
        return (Vec::new(), None);
    }
    let mut chain = p.references.clone();
    chain.push(p.message_id.clone());
    let refs = match s.refs {
        Refs::Full if client == Client::Samsung && rng.gen_bool(0.4) => Refs::InReplyToOnly,
        r => r,
    };
    match refs {
        Refs::Full => (chain, Some(p.message_id.clone())),
        Refs::InReplyToOnly => (Vec::new(), Some(p.message_id.clone())),
        Refs::Trimmed => {
            let trimmed = if chain.len() > 2 {
                vec![chain[0].clone(), chain[chain.len() - 1].clone()]
            } else {
                chain
            };
            (trimmed, Some(p.message_id.clone()))
        }
        Refs::None => (Vec::new(), None),
    }
}

fn header_list(list: &[(String, String)], charset: &str, b: bool) -> Vec<String> {
    list.iter()
        .map(|(n, e)| mime::mailbox(n, e, charset, b))
        .collect()
}

fn raw_mail(
    rng: &mut SeededRng,
    m: &mut Mail,
    me: &Person,
    in_reply_to: Option<String>,
    cx: &Ctx,
) -> Vec<u8> {
    let (want_cs, want_te) = clients::encoding(m.client, m.lang, rng);
    let cs = mime::settle_charset(
        &format!("{}{}{}", m.plain, m.html, m.subject),
        want_cs,
        m.client == Client::Mutt,
    );
    let te = if cs == "us-ascii" { "7bit" } else { want_te };
    m.charset = cs;
    m.transfer = te;
    let h = headers(rng, m, me, in_reply_to, cx);
    let plain = TextPart {
        subtype: "plain",
        text: m.plain.clone(),
        charset: cs,
        transfer: te,
        flowed: m.client == Client::Thunderbird,
    };
    let html = TextPart {
        subtype: "html",
        text: render::html_document(m.client, &m.html, cs),
        charset: cs,
        transfer: te,
        flowed: false,
    };
    let parts = if m.html_only {
        vec![html]
    } else if m.client.plain_only() || m.client == Client::Thunderbird && rng.gen_bool(0.5) {
        vec![plain]
    } else {
        vec![plain, html]
    };
    mime::assemble(rng, &h, &parts)
}

/// The header lines, in the part's charset (encoded words: Q for Latin charsets, else B).
fn headers(
    rng: &mut SeededRng,
    m: &Mail,
    me: &Person,
    in_reply_to: Option<String>,
    cx: &Ctx,
) -> Vec<String> {
    let cs = m.charset;
    let b = !matches!(
        cs.to_ascii_lowercase().as_str(),
        "iso-8859-1" | "windows-1252" | "iso-8859-2"
    );
    let mut h: Vec<String> = Vec::new();
    if m.in_group {
        let domain = me.email.split('@').nth(1).unwrap_or("");
        h.push(format!("Return-Path: <{}>", me.email));
        h.push(format!("Delivered-To: {}", cx.group.1));
        h.push(format!(
            "Received: from smtp.{domain} (smtp.{domain} [192.0.2.{}])\n\tby mx.corp.example with ESMTPS id {:x}\n\tfor <{}>; {}",
            rng.gen_range(2..250),
            rng.random::<u32>(),
            cx.group.1,
            dates::rfc5322(m.arrival, 0, false)
        ));
    }
    h.push(format!(
        "From: {}",
        mime::mailbox(&me.display, &me.email, cs, b)
    ));
    h.push(mime::fold_list("To", &header_list(&m.to, cs, b)));
    if !m.cc.is_empty() {
        h.push(mime::fold_list("Cc", &header_list(&m.cc, cs, b)));
    }
    h.push(format!(
        "Subject: {}",
        mime::unstructured(&m.subject, cs, b)
    ));
    let pad_day = m.client == Client::Thunderbird;
    h.push(format!(
        "Date: {}",
        dates::rfc5322(m.date, m.date_offset, pad_day)
    ));
    h.push(format!("Message-ID: <{}>", m.message_id));
    if let Some(irt) = in_reply_to {
        h.push(format!("In-Reply-To: <{irt}>"));
    }
    if !m.references.is_empty() {
        let ids: Vec<String> = m.references.iter().map(|r| format!("<{r}>")).collect();
        h.push(format!("References: {}", ids.join("\n ")));
    }
    if let Some(ti) = &m.thread_index {
        let topic = clients::base_subject(&m.subject);
        h.push(format!(
            "Thread-Topic: {}",
            mime::unstructured(topic, cs, b)
        ));
        h.push(format!("Thread-Index: {}", mime::base64(ti)));
    }
    for (k, v) in clients::identity_headers(m.client, me.ui) {
        h.push(format!("{k}: {v}"));
    }
    h
}

//! What the author writes in one mail — greeting, paragraphs, closing and name, P.S.,
//! signature, phone footer, disclaimer — and how it is arranged around the quoted mail for
//! each posting style (top, bottom, interleaved, forward).

use outloud::seeded::{SeededRng, SliceSeeded};

use crate::attrib::Attribution;
use crate::clients::{self, Client, Posting};
use crate::lang::{self, Bank};
use crate::people::{Lang, Person};
use crate::render::{Cite, Para, Role, Seg};

/// Whom the greeting addresses.
pub enum Greet {
    None,
    One(String),
    All,
}

/// What the author's own text is about.
pub struct Content<'a> {
    pub lang: Lang,
    pub topic: usize,
    /// The conversation's first mail.
    pub first: bool,
    pub greet: Greet,
    /// The group address, when this mail adds the group.
    pub add_group: Option<&'a str>,
    pub forward: bool,
    /// The topic's answer was already used in this conversation.
    pub answered: bool,
}

fn para(role: Role, text: &str) -> Para {
    Para {
        role,
        lines: text.split('\n').map(str::to_string).collect(),
    }
}

fn fwd_note(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "FYI, see the thread below. Can someone from the team pick this up?",
        Lang::De => {
            "Zur Info, siehe den Verlauf unten. Kann sich jemand aus dem Team darum kümmern?"
        }
        Lang::Fr => {
            "Pour info, voir l'échange ci-dessous. Quelqu'un de l'équipe peut-il s'en charger ?"
        }
        Lang::Es => {
            "Para vuestra información, ver el hilo de abajo. ¿Alguien del equipo puede encargarse?"
        }
        Lang::Pt => "Para conhecimento, veja a conversa abaixo. Alguém do time pode assumir?",
        Lang::Nl => "Ter info, zie de mails hieronder. Kan iemand uit het team dit oppakken?",
        Lang::Pl => "Do wiadomości, wątek poniżej. Czy ktoś z zespołu może się tym zająć?",
        Lang::Ru => "Для информации, переписка ниже. Кто-нибудь из команды может этим заняться?",
        Lang::Ja => "ご参考までに、以下のやり取りを転送します。どなたか対応をお願いできますか。",
    }
}

/// The body paragraphs (role Body): greeting, text, the line adding the group.
pub fn body_paras(rng: &mut SeededRng, me: &Person, c: &Content) -> Vec<Para> {
    let b: &Bank = lang::bank(c.lang);
    let mut out = Vec::new();
    let greeting = match &c.greet {
        Greet::None => None,
        Greet::One(name) => b.greet_one.choose(rng).map(|g| g.replace("{name}", name)),
        Greet::All => b.greet_all.choose(rng).map(|g| g.to_string()),
    };
    let mut text: Vec<String> = Vec::new();
    if let Some(g) = c.add_group {
        text.push(b.add_group.choose(rng).unwrap().replace("{group}", g));
    }
    let topic = &b.topics[c.topic % b.topics.len()];
    if c.forward {
        text.push(fwd_note(c.lang).to_string());
    } else if c.first {
        text.push(topic.1.to_string());
        if rng.gen_bool(0.25) {
            text.push(b.generic.choose(rng).unwrap().to_string());
        }
    } else if !c.answered && rng.gen_bool(0.7) {
        text.push(topic.2.to_string());
        if rng.gen_bool(0.25) {
            text.push(b.generic.choose(rng).unwrap().to_string());
        }
    } else if rng.gen_bool(0.3) {
        text.push(b.short.choose(rng).unwrap().to_string());
    } else {
        text.push(b.generic.choose(rng).unwrap().to_string());
    }
    if let Some(g) = greeting {
        if c.lang == Lang::Ja {
            out.push(para(Role::Body, &g));
            out.push(para(Role::Body, &lang::ja_intro(&me.sign)));
        } else if rng.gen_bool(0.2) && !text[0].contains('\n') {
            // Greeting and first line without a blank line between them.
            let first = text.remove(0);
            out.push(para(Role::Body, &format!("{g}\n{first}")));
        } else {
            out.push(para(Role::Body, &g));
        }
    }
    out.extend(text.iter().map(|t| para(Role::Body, t)));
    out
}

/// One answer per quoted paragraph, for an interleaved reply.
pub fn fragments(rng: &mut SeededRng, c: &Content, n: usize) -> Vec<Para> {
    let b = lang::bank(c.lang);
    let topic = &b.topics[c.topic % b.topics.len()];
    let mut pool: Vec<&str> = b.generic.iter().chain(b.short.iter()).copied().collect();
    pool.shuffle(rng);
    let mut out = Vec::new();
    if !c.answered {
        out.push(para(Role::Body, topic.2));
    }
    for p in pool {
        if out.len() >= n {
            break;
        }
        out.push(para(Role::Body, p));
    }
    out
}

/// Closing and name, P.S., signature, footer; and the disclaimer, if any, separately.
pub fn tail(
    rng: &mut SeededRng,
    me: &Person,
    client: Client,
    lang: Lang,
    android: bool,
) -> (Vec<Para>, Option<Para>) {
    let b = lang::bank(lang);
    let mut out = Vec::new();
    let mobile = client.is_mobile();
    let name = match me.name_line {
        0 => Some(me.sign.clone()),
        1 => Some(me.full.clone()),
        2 if lang != Lang::Ja => Some(format!("{}.", me.sign.chars().next().unwrap_or('X'))),
        _ => None,
    };
    let closing = me
        .closing
        .filter(|_| !mobile || rng.gen_bool(0.5))
        .map(|i| b.closings[i % b.closings.len()]);
    match (closing, &name) {
        (Some(cl), Some(n)) if rng.gen_bool(0.25) => {
            out.push(para(Role::Signoff, cl));
            out.push(para(Role::Signoff, n));
        }
        (Some(cl), Some(n)) => out.push(para(Role::Signoff, &format!("{cl}\n{n}"))),
        (Some(cl), None) => out.push(para(Role::Signoff, cl)),
        (None, Some(n)) if rng.gen_bool(0.4) => out.push(para(Role::Signoff, n)),
        _ => {}
    }
    if !out.is_empty() && rng.gen_bool(0.06) {
        out.push(para(Role::Body, b.ps.choose(rng).unwrap()));
    }
    if let Some((plain, _)) = clients::footer(client, me.ui, android) {
        out.push(para(Role::Footer, &plain));
    }
    if me.has_signature && !mobile {
        out.push(Para {
            role: Role::Signature,
            lines: signature(me, me.dash_signature || client == Client::GmailWeb),
        });
    }
    let disclaimer = (me.has_disclaimer && !mobile).then(|| {
        let d = lang::bank(me.lang).disclaimers;
        let text = if me.email.ends_with("initech.example") {
            d[d.len() - 1]
        } else {
            d[0]
        };
        para(Role::Disclaimer, text)
    });
    (out, disclaimer)
}

/// A signature block in the person's language and habits.
fn signature(me: &Person, dash: bool) -> Vec<String> {
    let mut lines = Vec::new();
    if dash {
        lines.push("-- ".to_string());
    }
    let domain = me.email.split('@').nth(1).unwrap_or("corp.example");
    if me.lang == Lang::Ja {
        let rule = "━━━━━━━━━━━━━━━━━━━━".to_string();
        lines.push(rule.clone());
        lines.push(me.company.to_string());
        lines.push(format!("{} {}", me.title, me.full));
        lines.push(format!("TEL: {}", me.phone));
        lines.push(format!("E-mail: {}", me.email));
        lines.push(rule);
        return lines;
    }
    lines.push(me.full.clone());
    lines.push(format!("{} | {}", me.title, me.company));
    lines.push(format!("{} | {}", me.phone, me.email));
    if me.full.len().is_multiple_of(2) {
        lines.push(format!("www.{domain}"));
    }
    lines
}

/// A cited earlier mail.
pub fn cite(attr: Option<Attribution>, plain: &str, html: &str, prefixed: bool) -> Seg {
    Seg::Cite(Cite {
        attr,
        plain: plain.to_string(),
        html: html.to_string(),
        prefixed,
    })
}

/// Arrange own text and the quote for a posting style.
pub struct Arrange {
    pub body: Vec<Para>,
    pub tail: Vec<Para>,
    pub disclaimer: Option<Para>,
    /// Server-appended disclaimer: below the quoted history.
    pub disclaimer_at_end: bool,
}

pub fn arrange(style: Posting, a: Arrange, quote: Option<Seg>) -> Vec<Seg> {
    let own = |v: Vec<Para>| v.into_iter().map(Seg::Para).collect::<Vec<_>>();
    let mut segs = Vec::new();
    match (style, quote) {
        (Posting::Bottom, Some(q)) => {
            segs.push(q);
            segs.extend(own(a.body));
            segs.extend(own(a.tail));
            segs.extend(a.disclaimer.map(Seg::Para));
        }
        (_, Some(q)) => {
            segs.extend(own(a.body));
            segs.extend(own(a.tail));
            if !a.disclaimer_at_end {
                segs.extend(a.disclaimer.clone().map(Seg::Para));
            }
            segs.push(q);
            if a.disclaimer_at_end {
                segs.extend(a.disclaimer.map(Seg::Para));
            }
        }
        (_, None) => {
            segs.extend(own(a.body));
            segs.extend(own(a.tail));
            segs.extend(a.disclaimer.map(Seg::Para));
        }
    }
    segs
}

/// Interleaved: each quoted paragraph of the parent followed by an answer.
pub fn interleave(
    attr: Attribution,
    parent_paras: &[String],
    answers: Vec<Para>,
    tail: Vec<Para>,
) -> Vec<Seg> {
    let mut segs = Vec::new();
    let mut attr = Some(attr);
    for (i, ans) in answers.into_iter().enumerate() {
        let quoted = parent_paras
            .get(i)
            .cloned()
            .unwrap_or_else(|| parent_paras.last().cloned().unwrap_or_default());
        segs.push(cite(attr.take(), &quoted, "", true));
        segs.push(Seg::Para(ans));
    }
    segs.extend(tail.into_iter().map(Seg::Para));
    segs
}

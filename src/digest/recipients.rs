//! The round's people → [`Recipient`]s: audience groups, choices, user or not, activity,
//! correspondents and digest history. Pure: what the store read goes in, recipients come out.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::core::digest::audience::Pattern;
use crate::core::digest::{is_automated_sender, Recipient};
use crate::store::digest::{DigestInputs, PersonFacts};

/// Every person who could get a digest, by address; addresses outloud must never write to
/// (group addresses, its own, machine senders) are left out. `exclude` is outloud's own.
pub fn recipients(inputs: &DigestInputs, exclude: &[String]) -> Vec<Recipient> {
    let group_addresses: HashSet<&str> = inputs
        .group_addresses
        .iter()
        .map(|(a, _)| a.as_str())
        .collect();
    let audiences: Vec<(String, Pattern)> = (inputs.audiences.iter())
        .filter_map(|a| Some((a.group_slug.clone(), Pattern::parse(&a.pattern).ok()?)))
        .collect();
    let posted: HashMap<&str, i64> = inputs
        .posters
        .iter()
        .map(|(e, d)| (e.as_str(), *d))
        .collect();
    let mut contacts: HashMap<&str, BTreeSet<String>> = HashMap::new();
    for (a, b) in &inputs.contacts {
        contacts.entry(a).or_default().insert(b.clone());
        contacts.entry(b).or_default().insert(a.clone());
    }
    // The latest choice per (person, group or all).
    let mut choices: HashMap<&str, BTreeMap<Option<&str>, &str>> = HashMap::new();
    for c in &inputs.choices {
        (choices.entry(c.email.as_str()).or_default())
            .insert(c.group_slug.as_deref(), c.choice.as_str());
    }
    let none = BTreeMap::new();
    let sent: HashMap<&str, i64> = inputs
        .sent_counts
        .iter()
        .map(|(e, n)| (e.as_str(), *n))
        .collect();
    let streaks = streaks(inputs);
    let named = named_only(inputs, &audiences);
    let mut out = Vec::new();
    for p in inputs.people.iter().chain(&named) {
        let email = p.email.as_str();
        if group_addresses.contains(email)
            || exclude.iter().any(|x| x.eq_ignore_ascii_case(email))
            || is_automated_sender(email)
        {
            continue;
        }
        let in_audience: BTreeSet<String> = (audiences.iter())
            .filter(|(_, pat)| pat.matches(email))
            .map(|(g, _)| g.clone())
            .collect();
        let mine = choices.get(email).unwrap_or(&none);
        let chose = |g: Option<&str>| mine.get(&g).copied();
        let posted_at = posted.get(email).copied();
        let is_user = posted_at.is_some() || p.signed_in_at.is_some();
        let (groups, opted_out_groups) = groups_of(in_audience, is_user, mine);
        if groups.is_empty() {
            continue;
        }
        out.push(Recipient {
            email: p.email.clone(),
            name: p.name.clone(),
            groups,
            is_user,
            last_active_at: posted_at.max(p.signed_in_at),
            correspondents: contacts.get(email).cloned().unwrap_or_default(),
            digests_sent: sent
                .get(email)
                .copied()
                .unwrap_or(0)
                .try_into()
                .unwrap_or(u32::MAX),
            quiet_streak: streaks.get(email).map_or(0, |s| s.0),
            opted_out_all: chose(None) == Some("out"),
            opted_out_groups,
        });
    }
    out
}

/// The groups whose digest a person gets, and those they opted out of: a non-user gets their
/// audience groups, a user those they chose (all of their audience groups with "in" for all).
fn groups_of(
    in_audience: BTreeSet<String>,
    is_user: bool,
    mine: &BTreeMap<Option<&str>, &str>,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut groups = if !is_user || mine.get(&None) == Some(&"in") {
        in_audience
    } else {
        BTreeSet::new()
    };
    let mut opted_out = BTreeSet::new();
    for (g, c) in mine {
        match (g, *c) {
            (Some(g), "in") => {
                groups.insert(g.to_string());
            }
            (Some(g), "out") => {
                opted_out.insert(g.to_string());
            }
            _ => {}
        }
    }
    (groups, opted_out)
}

/// Addresses named in an audience are people too, seen in mail or not: those not in `people`.
fn named_only(inputs: &DigestInputs, audiences: &[(String, Pattern)]) -> Vec<PersonFacts> {
    let known: HashSet<&str> = inputs.people.iter().map(|p| p.email.as_str()).collect();
    let mut named: Vec<PersonFacts> = Vec::new();
    for (_, pat) in audiences {
        if let Pattern::Address(a) = pat {
            if !known.contains(a.as_str()) && !named.iter().any(|p| &p.email == a) {
                named.push(PersonFacts {
                    email: a.clone(),
                    name: None,
                    signed_in_at: None,
                });
            }
        }
    }
    named
}

/// Per person: sent digests in a row, newest first, with no human click and no reply.
fn streaks(inputs: &DigestInputs) -> HashMap<&str, (u32, bool)> {
    let mut streaks: HashMap<&str, (u32, bool)> = HashMap::new();
    for s in &inputs.sent {
        let e = streaks.entry(s.email.as_str()).or_insert((0, false));
        if !e.1 {
            if s.acted != 0 {
                e.1 = true;
            } else {
                e.0 += 1;
            }
        }
    }
    streaks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::digest::{AudienceRow, ChoiceRow, SentRow};

    fn person(e: &str) -> PersonFacts {
        PersonFacts {
            email: e.into(),
            name: None,
            signed_in_at: None,
        }
    }

    #[test]
    #[allow(clippy::too_many_lines)] // one world, set up and checked in order
    fn audiences_users_choices_and_streaks() {
        let inputs = DigestInputs {
            people: [
                "ana@corp.example",
                "bo@corp.example",
                "cy@corp.example",
                "eng@corp.example",
                "noreply@corp.example",
                "dana@partner.example",
            ]
            .into_iter()
            .map(person)
            .collect(),
            posters: vec![("bo@corp.example".into(), 100)],
            audiences: vec![
                AudienceRow {
                    group_slug: "eng".into(),
                    pattern: "*@corp.example".into(),
                    source: "config".into(),
                },
                AudienceRow {
                    group_slug: "ops".into(),
                    pattern: "dana@partner.example".into(),
                    source: "cli".into(),
                },
            ],
            group_addresses: vec![("eng@corp.example".into(), "eng".into())],
            contacts: vec![("ana@corp.example".into(), "bo@corp.example".into())],
            choices: vec![
                ChoiceRow {
                    email: "cy@corp.example".into(),
                    group_slug: None,
                    choice: "out".into(),
                },
                ChoiceRow {
                    email: "bo@corp.example".into(),
                    group_slug: Some("ops".into()),
                    choice: "in".into(),
                },
            ],
            sent: vec![
                SentRow {
                    email: "ana@corp.example".into(),
                    period_start: 3,
                    acted: 0,
                },
                SentRow {
                    email: "ana@corp.example".into(),
                    period_start: 2,
                    acted: 0,
                },
                SentRow {
                    email: "ana@corp.example".into(),
                    period_start: 1,
                    acted: 1,
                },
                SentRow {
                    email: "ana@corp.example".into(),
                    period_start: 0,
                    acted: 0,
                },
            ],
            sent_counts: vec![("ana@corp.example".into(), 4)],
            ..Default::default()
        };
        let r = recipients(&inputs, &["outloud@corp.example".into()]);
        let by: HashMap<&str, &Recipient> = r.iter().map(|r| (r.email.as_str(), r)).collect();
        // Group addresses and machine senders never get one.
        assert!(!by.contains_key("eng@corp.example") && !by.contains_key("noreply@corp.example"));
        let ana = by["ana@corp.example"];
        assert!(!ana.is_user);
        assert_eq!(ana.groups, BTreeSet::from(["eng".to_string()]));
        assert_eq!((ana.digests_sent, ana.quiet_streak), (4, 2));
        assert!(ana.correspondents.contains("bo@corp.example"));
        // A user gets only what they chose.
        let bo = by["bo@corp.example"];
        assert!(bo.is_user);
        assert_eq!(bo.groups, BTreeSet::from(["ops".to_string()]));
        assert_eq!(bo.last_active_at, Some(100));
        assert!(by["cy@corp.example"].opted_out_all);
        assert_eq!(
            by["dana@partner.example"].groups,
            BTreeSet::from(["ops".to_string()])
        );
    }
}

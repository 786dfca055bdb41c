//! The declared group mapping (`[[groups]]` of the config file) against the database: exactly
//! what `outloud apply` would change, and what is wrong with it, before anything is written.
//! Pure: the CLI prints the plan (`--dry-run`) or executes it.

use std::collections::BTreeMap;
use std::fmt;

use crate::model::GroupEntry;

mod edit;
pub use edit::{
    address_problem, check, group_exists, known_group, parse_address, parse_pattern, parse_slug,
    two_groups, Edit, Problem, Request, MAX_NAME_CHARS,
};

/// A group as the file declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    pub slug: String,
    pub name: String,
    /// Lower-cased.
    pub addresses: Vec<String>,
}

/// One change to the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    AddGroup {
        slug: String,
        name: String,
        addresses: Vec<String>,
    },
    Rename {
        slug: String,
        from: String,
        to: String,
    },
    AddAddress {
        slug: String,
        address: String,
    },
    RemoveAddress {
        slug: String,
        address: String,
    },
    /// Only with `--prune`: the group and everything filed in it.
    RemoveGroup {
        slug: String,
    },
    /// A `[digest] audiences` entry new to the database.
    AddAudience {
        slug: String,
        pattern: String,
    },
    /// A stored entry from the file (source `config`) the file no longer declares. Entries
    /// added by the CLI or a directory import are not the file's and stay.
    RemoveAudience {
        slug: String,
        pattern: String,
    },
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::AddGroup {
                slug,
                name,
                addresses,
            } => write!(f, "+ group {slug} {name:?}: {}", addresses.join(", ")),
            Change::Rename { slug, from, to } => {
                write!(f, "~ group {slug}: name {from:?} -> {to:?}")
            }
            Change::AddAddress { slug, address } => write!(f, "+ address {address} -> {slug}"),
            Change::RemoveAddress { slug, address } => {
                write!(f, "- address {address} (from {slug})")
            }
            Change::RemoveGroup { slug } => {
                write!(
                    f,
                    "- group {slug} (and every thread and message filed in it)"
                )
            }
            Change::AddAudience { slug, pattern } => write!(f, "+ audience {slug}: {pattern}"),
            Change::RemoveAudience { slug, pattern } => {
                write!(f, "- audience {slug}: {pattern}")
            }
        }
    }
}

/// What applying the file does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyPlan {
    pub changes: Vec<Change>,
    /// Stored groups the file does not declare, kept (without `--prune`).
    pub only_in_database: Vec<String>,
    /// What to fix before anything is applied; empty when the plan can run.
    pub problems: Vec<String>,
}

/// The plan from `stored` to `declared`.
pub fn diff(declared: &[Declared], stored: &[GroupEntry], prune: bool) -> ApplyPlan {
    let mut plan = ApplyPlan::default();
    let stored_by: BTreeMap<&str, &GroupEntry> =
        stored.iter().map(|g| (g.slug.as_str(), g)).collect();
    // Who would own each address afterwards: declared groups, plus stored ones kept.
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    for d in declared {
        for a in &d.addresses {
            if let Some(other) = owner.insert(a.clone(), d.slug.clone()) {
                if other != d.slug {
                    plan.problems.push(format!(
                        "address {a} would publish to two groups: {other} and {} (declare it once)",
                        d.slug
                    ));
                }
            }
        }
    }
    for d in declared {
        match stored_by.get(d.slug.as_str()) {
            None => plan.changes.push(Change::AddGroup {
                slug: d.slug.clone(),
                name: d.name.clone(),
                addresses: d.addresses.clone(),
            }),
            Some(s) => {
                if s.name != d.name {
                    plan.changes.push(Change::Rename {
                        slug: d.slug.clone(),
                        from: s.name.clone(),
                        to: d.name.clone(),
                    });
                }
                for a in d.addresses.iter().filter(|a| !s.addresses.contains(a)) {
                    plan.changes.push(Change::AddAddress {
                        slug: d.slug.clone(),
                        address: a.clone(),
                    });
                }
                for a in s.addresses.iter().filter(|a| !d.addresses.contains(a)) {
                    plan.changes.push(Change::RemoveAddress {
                        slug: d.slug.clone(),
                        address: a.clone(),
                    });
                }
            }
        }
    }
    for s in stored
        .iter()
        .filter(|s| !declared.iter().any(|d| d.slug == s.slug))
    {
        if prune {
            plan.changes.push(Change::RemoveGroup {
                slug: s.slug.clone(),
            });
            continue;
        }
        plan.only_in_database.push(s.slug.clone());
        for a in &s.addresses {
            if let Some(d) = owner.get(a) {
                plan.problems.push(format!(
                    "address {a} is declared for group {d} but the database has it on group {} \
                     (not in the file): remove it there with `outloud group add {} --address …`, \
                     or apply with --prune",
                    s.slug, s.slug
                ));
            }
        }
    }
    plan
}

/// The audience entries the file declares (`(slug, pattern)`) against those stored from it
/// (source `config`): the changes, and the entries naming a group that neither the file nor
/// the database has (`groups`: every slug there will be).
pub fn diff_audiences(
    declared: &[(String, String)],
    stored: &[(String, String)],
    groups: &[String],
) -> (Vec<Change>, Vec<String>) {
    let mut changes = Vec::new();
    let mut problems = Vec::new();
    for (i, (slug, pattern)) in declared.iter().enumerate() {
        if !groups.contains(slug) {
            problems.push(format!(
                "digest.audiences[{i}]: \"{slug}:{pattern}\" names group {slug}, which is neither \
                 declared in [[groups]] nor in the database"
            ));
        } else if !stored.contains(&(slug.clone(), pattern.clone()))
            && !declared[..i].contains(&(slug.clone(), pattern.clone()))
        {
            changes.push(Change::AddAudience {
                slug: slug.clone(),
                pattern: pattern.clone(),
            });
        }
    }
    for (slug, pattern) in stored.iter().filter(|e| !declared.contains(e)) {
        changes.push(Change::RemoveAudience {
            slug: slug.clone(),
            pattern: pattern.clone(),
        });
    }
    (changes, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(id: i64, slug: &str, name: &str, addresses: &[&str]) -> GroupEntry {
        GroupEntry {
            id,
            slug: slug.into(),
            name: name.into(),
            addresses: addresses.iter().map(|a| a.to_string()).collect(),
        }
    }

    fn declared(slug: &str, name: &str, addresses: &[&str]) -> Declared {
        Declared {
            slug: slug.into(),
            name: name.into(),
            addresses: addresses.iter().map(|a| a.to_string()).collect(),
        }
    }

    #[test]
    fn exactly_the_difference() {
        let db = [
            stored(1, "eng", "Eng", &["eng@corp.example", "old@corp.example"]),
            stored(2, "legacy", "Legacy", &["legacy@corp.example"]),
        ];
        let file = [
            declared(
                "eng",
                "Engineering",
                &["eng@corp.example", "engineering@corp.example"],
            ),
            declared("ops", "Ops", &["ops@corp.example"]),
        ];
        let plan = diff(&file, &db, false);
        let lines: Vec<String> = plan.changes.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "~ group eng: name \"Eng\" -> \"Engineering\"",
                "+ address engineering@corp.example -> eng",
                "- address old@corp.example (from eng)",
                "+ group ops \"Ops\": ops@corp.example",
            ]
        );
        assert_eq!(plan.only_in_database, ["legacy"]);
        assert!(plan.problems.is_empty());
        let pruned = diff(&file, &db, true);
        assert_eq!(
            pruned.changes.last().unwrap().to_string(),
            "- group legacy (and every thread and message filed in it)"
        );
        // Applied: nothing left to do.
        let after = [
            stored(
                1,
                "eng",
                "Engineering",
                &["eng@corp.example", "engineering@corp.example"],
            ),
            stored(3, "ops", "Ops", &["ops@corp.example"]),
        ];
        assert_eq!(diff(&file, &after, false), ApplyPlan::default());
    }

    #[test]
    fn validation_names_what_to_fix() {
        let db = [stored(2, "legacy", "Legacy", &["shared@corp.example"])];
        let file = [
            declared("eng", "Eng", &["eng@corp.example", "shared@corp.example"]),
            declared("ops", "Ops", &["eng@corp.example"]),
        ];
        let plan = diff(&file, &db, false);
        assert_eq!(plan.problems.len(), 2, "{:?}", plan.problems);
        assert!(
            plan.problems[0].contains("eng@corp.example would publish to two groups: eng and ops")
        );
        assert!(plan.problems[1].contains(
            "shared@corp.example is declared for group eng but the database has it on group legacy"
        ));
        assert!(
            diff(&file[..1], &db, true).problems.is_empty(),
            "--prune resolves it"
        );
    }

    #[test]
    fn audiences_exactly_the_difference_and_unknown_groups_named() {
        let e = |s: &str, p: &str| (s.to_string(), p.to_string());
        let declared = [
            e("eng", "*@corp.example"),
            e("ops", "ann@corp.example"),
            e("nope", "*@x.example"),
        ];
        let stored = [e("eng", "*@corp.example"), e("eng", "old@corp.example")];
        let groups = ["eng".to_string(), "ops".to_string()];
        let (changes, problems) = diff_audiences(&declared, &stored, &groups);
        let lines: Vec<String> = changes.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "+ audience ops: ann@corp.example",
                "- audience eng: old@corp.example"
            ]
        );
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].starts_with("digest.audiences[2]: \"nope:*@x.example\" names group nope"),
            "{}",
            problems[0]
        );
    }
}

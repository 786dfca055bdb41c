//! Who sent it: the From domain must be allowed, and the sender authenticated by the results a
//! trusted server wrote.
//!
//! Only `Authentication-Results` whose authserv-id is configured are read (RFC 8601 §5: any
//! other copy may be anyone's); the border MTA must remove copies claiming its own id from
//! incoming mail, as OpenDKIM/OpenDMARC and Exchange Online do. Within the trusted headers the
//! topmost result of a method counts first (it was added last, nearest to us). Accepted:
//! DMARC pass; or DKIM pass with `header.d` (or `header.i`'s domain) aligned with the From
//! domain; or SPF pass with `smtp.mailfrom` aligned. An explicit DMARC fail holds whatever
//! else passed. Alignment is relaxed (RFC 7489 §3.1): the two domains share an organizational
//! domain — here the allowed domain both are equal to or under, since outloud carries no public
//! suffix list and only allowed domains may publish anyway.
//! `ARC-Authentication-Results` and `Authentication-Results-Original` are never read: outloud
//! does not evaluate ARC chains.

use super::auth_results::{parse, AuthResults, MethodResult};
use super::headers::RawHeader;
use super::{allowed_root, domain_of, Decision, PolicyConfig, Rule, Unauthenticated};
use crate::model::ParsedMail;

/// `Ok(how the sender was accepted)`, or the hold.
pub fn check(
    headers: &[RawHeader],
    mail: &ParsedMail,
    cfg: &PolicyConfig,
) -> Result<String, Decision> {
    let Some(from) = mail.from.as_ref() else {
        return Err(Decision::hold(
            Rule::SenderDomain,
            "the mail has no From address",
        ));
    };
    let Some(domain) = domain_of(&from.email) else {
        return Err(Decision::hold(
            Rule::SenderDomain,
            format!("From {:?} has no domain", from.email),
        ));
    };
    let Some(root) = allowed_root(domain, cfg) else {
        return Err(Decision::hold(
            Rule::SenderDomain,
            format!(
                "sender domain {domain} is not an allowed domain ({})",
                cfg.allowed_domains.join(", ")
            ),
        ));
    };
    let trusted = trusted_results(headers, cfg);
    if trusted.is_empty() {
        return match cfg.unauthenticated {
            Unauthenticated::Trust => Ok(format!(
                "no trusted Authentication-Results; internal mail from {domain} trusted by config"
            )),
            Unauthenticated::Hold => Err(Decision::hold(
                Rule::NoAuthResults,
                format!(
                    "no Authentication-Results from a trusted server ({}) for mail from {domain}",
                    ids(cfg)
                ),
            )),
        };
    }
    judge(&trusted, root, cfg)
}

fn ids(cfg: &PolicyConfig) -> String {
    if cfg.trusted_authserv_ids.is_empty() {
        "none configured".into()
    } else {
        cfg.trusted_authserv_ids.join(", ")
    }
}

/// The trusted headers' results, topmost header first, each with who wrote it.
fn trusted_results(headers: &[RawHeader], cfg: &PolicyConfig) -> Vec<(String, MethodResult)> {
    let mut out = Vec::new();
    let all = super::headers::all(headers, "Authentication-Results");
    for (n, value) in all.enumerate() {
        // A header that does not parse is no one's word: ignored like an untrusted one.
        let Ok(AuthResults {
            authserv_id,
            results,
        }) = parse(value)
        else {
            continue;
        };
        let by = match authserv_id {
            Some(id) if cfg.trusted_authserv_ids.contains(&id) => id,
            // Exchange Online's own header has no id; only the topmost one can be its.
            None if cfg.trust_unnamed_results && n == 0 => "Exchange Online".to_string(),
            _ => continue,
        };
        out.extend(results.into_iter().map(|r| (by.clone(), r)));
    }
    out
}

fn aligned(domain: &str, root: &str, cfg: &PolicyConfig) -> bool {
    allowed_root(domain.trim_start_matches('@'), cfg) == Some(root)
}

/// The domain a result authenticated: DKIM's `header.d` or `header.i`, SPF's `smtp.mailfrom`
/// (an address or a bare domain), DMARC's `header.from`.
fn authenticated_domain(r: &MethodResult) -> Option<&str> {
    let v = match r.method.as_str() {
        "dkim" => r.prop("header.d").or_else(|| r.prop("header.i")),
        "spf" => r.prop("smtp.mailfrom").or_else(|| r.prop("smtp.helo")),
        "dmarc" => r.prop("header.from"),
        _ => None,
    }?;
    Some(domain_of(v).unwrap_or(v)).filter(|d| !d.is_empty() && *d != "none")
}

fn describe(by: &str, r: &MethodResult) -> String {
    let what = authenticated_domain(r)
        .map(|d| format!(" ({d})"))
        .unwrap_or_default();
    format!("{}={}{what} by {by}", r.method, r.result)
}

fn judge(
    trusted: &[(String, MethodResult)],
    root: &str,
    cfg: &PolicyConfig,
) -> Result<String, Decision> {
    let first = |m: &str| trusted.iter().find(|(_, r)| r.method == m);
    if let Some((by, r)) = first("dmarc") {
        let is_aligned = authenticated_domain(r).is_none_or(|d| aligned(d, root, cfg));
        match r.result.as_str() {
            "pass" if is_aligned => return Ok(describe(by, r)),
            "fail" | "reject" | "quarantine" => {
                return Err(Decision::hold(
                    Rule::SenderAuth,
                    format!("sender not authenticated: {}", describe(by, r)),
                ))
            }
            _ => {}
        }
    }
    for method in ["dkim", "spf"] {
        let pass = trusted.iter().find(|(_, r)| {
            r.method == method
                && r.result == "pass"
                && authenticated_domain(r).is_some_and(|d| aligned(d, root, cfg))
        });
        if let Some((by, r)) = pass {
            return Ok(format!("{} aligned with From", describe(by, r)));
        }
    }
    let seen: Vec<String> = trusted
        .iter()
        .filter(|(_, r)| matches!(r.method.as_str(), "dmarc" | "dkim" | "spf"))
        .map(|(by, r)| describe(by, r))
        .collect();
    let seen = if seen.is_empty() {
        "no DMARC, DKIM or SPF result".to_string()
    } else {
        seen.join(", ")
    };
    Err(Decision::hold(
        Rule::SenderAuth,
        format!("sender not authenticated: no DMARC pass and no DKIM or SPF pass aligned with {root}: {seen}"),
    ))
}

//! The addresses and links a digest carries, and reading them back. Tokens are outloud's
//! random 20-character tokens (lower-case letters and digits, ~103 bits).

/// The click redirect for one item: counts the click, then sends the reader to the thread.
pub fn click_url(base: &str, token: &str, thread_id: i64) -> String {
    format!("{base}/d/c/{token}/{thread_id}")
}

/// The one-click unsubscribe page (GET shows a button, POST unsubscribes: RFC 8058).
pub fn unsubscribe_url(base: &str, token: &str) -> String {
    format!("{base}/d/u/{token}")
}

/// Where a thread's page is.
pub fn thread_url(base: &str, thread_id: i64) -> String {
    format!("{base}/t/{thread_id}")
}

/// The reply address of an item: the group's address plus-tagged `r-TOKEN`, so the reply
/// reaches the watched mailbox of that group and names the (recipient, thread) it answers.
pub fn reply_address(group_address: &str, token: &str) -> String {
    match group_address.rsplit_once('@') {
        Some((local, domain)) => format!("{local}+r-{token}@{domain}"),
        None => format!("{group_address}+r-{token}"),
    }
}

/// The reply token in an address made by [`reply_address`] (any case), if any.
pub fn reply_token(address: &str) -> Option<String> {
    let (local, _) = address.trim().rsplit_once('@')?;
    let (_, tag) = local.rsplit_once('+')?;
    let token = tag
        .get(..2)
        .filter(|p| p.eq_ignore_ascii_case("r-"))
        .map(|_| &tag[2..])?;
    (!token.is_empty() && token.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| token.to_ascii_lowercase())
}

/// The `List-Unsubscribe` header value: the one-click URL, then a mailto for clients that only
/// send mail (its address is the bounce mailbox tagged `uTOKEN`, which outloud watches).
pub fn list_unsubscribe(base: &str, token: &str, bounce_address: &str) -> String {
    let mailto = crate::core::compose::verp_address(bounce_address, &format!("u{token}"));
    format!(
        "<{}>, <mailto:{mailto}?subject=unsubscribe>",
        unsubscribe_url(base, token)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_addresses_round_trip() {
        let a = reply_address("eng@corp.example", "abc123");
        assert_eq!(a, "eng+r-abc123@corp.example");
        assert_eq!(
            reply_token("ENG+R-ABC123@corp.example").as_deref(),
            Some("abc123")
        );
        assert_eq!(reply_token("eng@corp.example"), None);
        assert_eq!(reply_token("eng+x-abc@corp.example"), None);
        assert_eq!(reply_token("eng+r-@corp.example"), None);
        assert_eq!(
            list_unsubscribe("https://o.example", "tok", "bounces@corp.example"),
            "<https://o.example/d/u/tok>, <mailto:bounces+utok@corp.example?subject=unsubscribe>"
        );
    }
}

/// What becomes of a reply sent to an item's reply address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyVerdict {
    /// A comment on this thread.
    Publish { thread_id: i64 },
    /// Not published; the sender is told this reason.
    Refuse(RefuseReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefuseReason {
    /// No such token (mistyped or forged).
    UnknownToken,
    /// Sent from an address other than the digest's recipient.
    OtherSender,
    /// Older than the reply window.
    Expired,
    /// The thread is gone (or withheld by policy).
    Withheld,
}

impl RefuseReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RefuseReason::UnknownToken => "unknown_token",
            RefuseReason::OtherSender => "other_sender",
            RefuseReason::Expired => "expired",
            RefuseReason::Withheld => "withheld",
        }
    }

    /// One sentence for the sender.
    pub fn explain(self) -> &'static str {
        match self {
            RefuseReason::UnknownToken => "the reply address it was sent to is not one outloud gave out (it may have been changed or copied incompletely)",
            RefuseReason::OtherSender => "that reply address belongs to the person the digest was sent to, and this reply came from another address",
            RefuseReason::Expired => "the reply address of a digest works for 90 days, and this one is older",
            RefuseReason::Withheld => "the thread it answers is no longer published",
        }
    }
}

/// The token's (recipient, thread, issued at) if known, the reply's sender, and now → verdict.
pub fn judge_reply(
    bound: Option<(&str, i64, i64)>,
    sender: &str,
    thread_exists: bool,
    now: i64,
    max_age_secs: i64,
) -> ReplyVerdict {
    let Some((recipient, thread_id, issued)) = bound else {
        return ReplyVerdict::Refuse(RefuseReason::UnknownToken);
    };
    if !recipient.eq_ignore_ascii_case(sender.trim()) {
        ReplyVerdict::Refuse(RefuseReason::OtherSender)
    } else if now - issued > max_age_secs {
        ReplyVerdict::Refuse(RefuseReason::Expired)
    } else if !thread_exists {
        ReplyVerdict::Refuse(RefuseReason::Withheld)
    } else {
        ReplyVerdict::Publish { thread_id }
    }
}

#[cfg(test)]
mod verdict_tests {
    use super::*;

    #[test]
    fn replies_are_judged() {
        let b = Some(("zoe@corp.example", 7, 1000));
        let day = 86_400;
        assert_eq!(
            judge_reply(b, "Zoe@corp.example", true, 2000, 90 * day),
            ReplyVerdict::Publish { thread_id: 7 }
        );
        assert_eq!(
            judge_reply(b, "eve@corp.example", true, 2000, 90 * day),
            ReplyVerdict::Refuse(RefuseReason::OtherSender)
        );
        assert_eq!(
            judge_reply(b, "zoe@corp.example", true, 1000 + 91 * day, 90 * day),
            ReplyVerdict::Refuse(RefuseReason::Expired)
        );
        assert_eq!(
            judge_reply(b, "zoe@corp.example", false, 2000, 90 * day),
            ReplyVerdict::Refuse(RefuseReason::Withheld)
        );
        assert_eq!(
            judge_reply(None, "zoe@corp.example", true, 2000, 90 * day),
            ReplyVerdict::Refuse(RefuseReason::UnknownToken)
        );
    }
}

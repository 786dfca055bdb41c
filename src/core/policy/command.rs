//! Commands an author mails in reply to their own post. `RETRACT` alone as the reply's text
//! (quoted history, signature and sign-off aside) retracts the post it replies to, if the
//! reply's sender is that post's author and policy lets the reply through (an authenticated
//! sender of an allowed domain). `CANCEL` alone stops a post waiting out its group's undo
//! window (the author replies to the notice outloud sent, or to the post); after the window it
//! retracts the published post like `RETRACT`.

/// Whether the whole text (blank lines aside) is `word`, in any case, maybe with `.` or `!`.
fn is_bare(body: &str, word: &str) -> bool {
    let mut lines = body.lines().map(str::trim).filter(|l| !l.is_empty());
    let Some(first) = lines.next() else {
        return false;
    };
    first
        .trim_end_matches(['.', '!'])
        .eq_ignore_ascii_case(word)
        && lines.next().is_none()
}

/// The Message-ID a `RETRACT` reply retracts: its In-Reply-To (else its last Reference).
pub fn retract_target(body: &str, in_reply_to: &[String], references: &[String]) -> Option<String> {
    if !is_bare(body, "retract") {
        return None;
    }
    in_reply_to.first().or_else(|| references.last()).cloned()
}

/// The Message-IDs a `CANCEL` reply may name, nearest first: its In-Reply-To, then its
/// References from the last. A reply to outloud's notice names the notice first and the post
/// among its References. Empty when the text is not a bare `CANCEL`.
pub fn cancel_targets(body: &str, in_reply_to: &[String], references: &[String]) -> Vec<String> {
    if !is_bare(body, "cancel") {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for id in in_reply_to.iter().chain(references.iter().rev()) {
        if !out.contains(id) {
            out.push(id.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_bare_retract_reply() {
        let parent = vec!["p@corp.example".to_string()];
        assert_eq!(
            retract_target("RETRACT\n", &parent, &[]).as_deref(),
            Some("p@corp.example")
        );
        assert_eq!(
            retract_target("\n  retract. \n\n", &[], &parent).as_deref(),
            Some("p@corp.example")
        );
        assert_eq!(
            retract_target("RETRACT", &[], &[]),
            None,
            "nothing to retract"
        );
        assert_eq!(retract_target("Please retract this", &parent, &[]), None);
        assert_eq!(retract_target("RETRACT\nand also this", &parent, &[]), None);
        assert_eq!(retract_target("", &parent, &[]), None);
    }

    #[test]
    fn cancel_names_the_notice_then_the_post() {
        let irt = vec!["notice@outloud".to_string()];
        let refs = vec![
            "post@corp.example".to_string(),
            "notice@outloud".to_string(),
        ];
        assert_eq!(
            cancel_targets("Cancel!\n", &irt, &refs),
            vec![
                "notice@outloud".to_string(),
                "post@corp.example".to_string()
            ]
        );
        assert!(cancel_targets("cancel the meeting", &irt, &refs).is_empty());
        assert!(cancel_targets("CANCEL", &[], &[]).is_empty());
    }
}

//! Unsubscribing by mail: the `mailto:` of a digest's `List-Unsubscribe` (RFC 2369) is the
//! return path tagged `u` + the digest's token (`bounces+uTOKEN@…`). A mail arriving there is
//! skipped by the classifier (outloud's return path, or an auto-reply rule for clients that
//! mark it machine mail); before the batch is planned, [`apply`] finds the digest by its token
//! and records an opt-out from all digests (`via = "mailto"`), exactly as the one-click POST
//! does. The token is the credential, as in the https link: the sender's address is logged,
//! not checked (a forwarding or alias address is fine). The mail stays skipped, now under
//! rule `digest_unsubscribe`, so the skip table says what happened to it.

use std::sync::Arc;

use crate::core::compose::verp_token;
use crate::core::pipeline::Outcome;
use crate::core::plan::BatchItem;
use crate::model::{SkipReason, SkipRule};
use crate::store::digest::{Choice, NewChoice};
use crate::store::{Store, StoreError};

/// The digest token in `address` when it is `bounce_address` tagged `uTOKEN`.
pub fn unsubscribe_token(address: &str, bounce_address: &str) -> Option<String> {
    let tag = verp_token(address, bounce_address)?;
    tag.strip_prefix('u')
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// Records an opt-out for every skipped mail in `items` sent to a digest's unsubscribe
/// address, and files it under rule `digest_unsubscribe`. Mail outloud sent itself (loops) and
/// delivery reports matched to a delivery are left alone: no person asked for anything.
pub async fn apply(
    store: &Arc<dyn Store>,
    bounce_address: Option<&str>,
    items: &mut [BatchItem],
    now: i64,
) -> Result<(), StoreError> {
    let Some(bounce_address) = bounce_address else {
        return Ok(());
    };
    for item in items.iter_mut() {
        let Outcome::Skip {
            mail,
            rule,
            detail,
            bounce,
        } = &mut item.outcome
        else {
            continue;
        };
        if rule.reason() == SkipReason::Loop || bounce.is_some() {
            continue;
        }
        let to = (mail.envelope_to.iter()).chain(mail.to.iter().map(|a| &a.email));
        let Some(token) = to
            .into_iter()
            .find_map(|a| unsubscribe_token(a, bounce_address))
        else {
            continue;
        };
        let Some(send) = store.digest_send_by_token(&token).await? else {
            continue;
        };
        let sender = mail
            .from
            .as_ref()
            .map(|a| a.email.clone())
            .unwrap_or_default();
        store
            .set_digest_choice(&NewChoice {
                email: send.email.clone(),
                group: None,
                choice: Choice::Out,
                via: "mailto".into(),
                send_id: Some(send.id),
                at: now,
            })
            .await?;
        tracing::info!(
            send_id = send.id,
            email = %send.email,
            sender = %sender,
            "digest unsubscribe by mail"
        );
        *rule = SkipRule::DigestUnsubscribe;
        *detail = format!(
            "digest unsubscribe by mail for {} (from {sender})",
            send.email
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_u_tagged_return_paths_carry_a_token() {
        let t = |a| super::unsubscribe_token(a, "bounces@corp.example");
        assert_eq!(t("bounces+uabc123@corp.example").as_deref(), Some("abc123"));
        assert_eq!(t("BOUNCES+UABC123@Corp.Example").as_deref(), Some("abc123"));
        assert_eq!(t("bounces+u@corp.example"), None);
        assert_eq!(t("bounces@corp.example"), None);
        assert_eq!(t("eng+uabc123@corp.example"), None);
    }
}

//! `/pending`: a signed-in author's posts waiting out their group's undo window (`[[groups]]
//! undo_minutes`), each with a Cancel button — the web twin of replying `CANCEL`
//! (docs/POLICY.md). Same store path as the reply ([`PolicyStore::cancel_pending`]): the post is
//! set `cancelled` and never published, audited as `web:ADDRESS`; one the undo worker
//! published meanwhile is retracted instead. Only the post's own sender (by the address they
//! signed in with) may; admins reject pending posts on `/admin/held/ID`.
//!
//! [`PolicyStore::cancel_pending`]: crate::store::policy::PolicyStore::cancel_pending

use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use minijinja::value::Serde;
use serde::Deserialize;

use super::auth::{csrf_ok, csrf_refused, Me};
use super::html::PageError;
use super::AppState;
use crate::core::plan::PendingCancel;
use crate::core::policy::Rule;
use crate::store::policy::{AuditRow, Cancelled, HeldEntry, HeldState};

pub(crate) const PATH: &str = "/pending";

#[derive(Deserialize, Default)]
pub(crate) struct PendingQuery {
    /// What the last cancel did: `cancelled` or `retracted`.
    done: Option<String>,
}

/// `GET /pending`: the viewer's posts waiting, soonest first.
pub(crate) async fn list(
    State(st): State<AppState>,
    me: Me,
    Query(q): Query<PendingQuery>,
) -> Response {
    let r = async {
        let v = me.signed_in("see your posts waiting")?;
        let posts = st.store.pending_from(&v.email).await?;
        let done = q.done.filter(|d| d == "cancelled" || d == "retracted");
        let ctx = context! { posts => Serde(posts), csrf => &v.csrf, done };
        st.render("pending.html", ctx).await
    }
    .await;
    st.respond(r)
}

#[derive(Deserialize)]
pub(crate) struct CancelForm {
    csrf: String,
}

/// `POST /pending/{id}/cancel`: stop the viewer's post #id.
pub(crate) async fn cancel(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    Form(f): Form<CancelForm>,
) -> Response {
    if !csrf_ok(&me, &f.csrf) {
        return csrf_refused();
    }
    let r = async {
        let email = &me.signed_in("cancel your post")?.email;
        let not_yours = || PageError::NotFound(format!("There is no post #{id} of yours waiting."));
        let (entry, _) = st.store.held_one(id).await?.ok_or_else(not_yours)?;
        if !entry.sender.eq_ignore_ascii_case(email) {
            return Err(not_yours());
        }
        // An approved post is one the undo worker published since the page was shown: the
        // author still asked to stop it (as a late CANCEL reply does).
        if !matches!(entry.state, HeldState::Pending | HeldState::Approved) {
            return Err(decided(&entry));
        }
        let now = st.auth.clock.now();
        let cancel = PendingCancel {
            held_id: id,
            actor: format!("web:{email}"),
            at: now,
            purge_after: Some(now + st.auth.retracted_raw_days.max(0) * 86_400),
        };
        let audit = AuditRow {
            at: now,
            actor: cancel.actor.clone(),
            action: "cancelled".into(),
            rule: Some(Rule::UndoWindow.as_str().into()),
            message_id: Some(entry.message_id.clone()),
            detail: format!("held #{id} cancelled in its undo window on the web"),
        };
        let done = match st.store.cancel_pending(&cancel, &audit).await? {
            Cancelled::Stopped => "cancelled",
            Cancelled::Retracted => "retracted",
            Cancelled::Unchanged => {
                return Err(PageError::BadRequest(format!(
                    "Post #{id} is no longer waiting: a moderator decided it meanwhile."
                )))
            }
        };
        tracing::info!(held = id, actor = %cancel.actor, done, "pending post cancelled on the web");
        Ok(Redirect::to(&format!("{PATH}?done={done}")).into_response())
    }
    .await;
    st.respond(r)
}

fn decided(entry: &HeldEntry) -> PageError {
    PageError::BadRequest(format!(
        "Post #{} is no longer waiting: it was {} already.",
        entry.id,
        entry.state.as_str()
    ))
}

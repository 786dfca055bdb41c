//! `POST /t/{id}/retract`: a signed-in author retracts their own post from its thread page —
//! the web twin of replying `RETRACT` (docs/POLICY.md). Same code path as `outloud retract`
//! and the admin page ([`crate::moderation::retract`]): the post is gone from every surface,
//! never filed again, and its raw mail is kept `policy.retracted_raw_days`. Only the post's
//! own author (by the address they signed in with) may; a reconstructed entry is nobody's.

use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::auth::{csrf_ok, csrf_refused, Me};
use super::html::PageError;
use super::AppState;
use crate::store::policy::RetractTarget;

#[derive(Deserialize)]
pub(crate) struct RetractMineForm {
    csrf: String,
    message_id: String,
}

pub(crate) async fn retract_mine(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    Form(f): Form<RetractMineForm>,
) -> Response {
    if !csrf_ok(&me, &f.csrf) {
        return csrf_refused();
    }
    let r = async {
        let email = me.signed_in("retract your post")?.email.clone();
        let not_found = || PageError::NotFound(format!("There is no post {} here.", f.message_id));
        let detail = st.store.thread(id).await?.ok_or_else(not_found)?;
        let post = (detail.messages.iter())
            .find(|m| m.message_id == f.message_id && !m.reconstructed)
            .ok_or_else(not_found)?;
        if !post.author_email.eq_ignore_ascii_case(&email) {
            return Err(PageError::BadRequest(
                "Only its author can retract a post (or an admin, from the admin pages).".into(),
            ));
        }
        let (now, days) = (st.auth.clock.now(), st.auth.retracted_raw_days);
        let target = RetractTarget::Message(post.message_id.clone());
        let actor = format!("web:{email}");
        let done = crate::moderation::retract(st.store.as_ref(), target, &actor, now, days)
            .await?
            .ok_or_else(not_found)?;
        tracing::info!(message_id = %f.message_id, %actor, "retracted by its author on the web");
        let groups = st.store.groups().await?;
        let slug = (groups.iter()).find(|g| g.id == detail.thread.group_id);
        let to = match slug {
            Some(g) if done.threads_deleted > 0 => format!("/g/{}", g.slug),
            _ => format!("/t/{id}"),
        };
        Ok(Redirect::to(&to).into_response())
    }
    .await;
    st.respond(r)
}

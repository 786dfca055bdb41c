//! `/settings`: the signed-in person's own page: digest preference, open sessions (revocable),
//! personal API tokens (made here, shown once, revocable).

use axum::extract::{Form, State};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use minijinja::value::Serde;
use serde::Deserialize;

use super::{csrf_ok, csrf_refused, random_token, Me, Viewer};
use crate::store::accounts::token_hash;
use crate::web::html::PageError;
use crate::web::AppState;

/// What a visitor who is not signed in is asked to sign in for.
const SIGN_IN_TO: &str = "see your settings";

async fn page(st: &AppState, v: &Viewer, new_token: Option<String>) -> Result<Response, PageError> {
    let now = st.auth.clock.now();
    let account = st.store.account(&v.email).await?;
    let sessions = st.store.sessions(&v.email, now).await?;
    let tokens = st.store.api_tokens(&v.email).await?;
    let followed = st.store.followed(&v.email).await?;
    let groups: Vec<_> = (st.store.groups().await?.into_iter())
        .filter(|g| followed.contains(&g.id))
        .map(|g| context! { slug => g.slug, name => g.name })
        .collect();
    let ctx = context! {
        groups,
        account => Serde(account), sessions => Serde(sessions), tokens => Serde(tokens),
        current_session => v.session_id, new_token, csrf => &v.csrf,
    };
    st.render("settings.html", ctx).await
}

/// `GET /settings`.
pub(crate) async fn show(State(st): State<AppState>, me: Me) -> Response {
    let r = async {
        let v = me.signed_in(SIGN_IN_TO)?;
        page(&st, v, None).await
    }
    .await;
    st.respond(r)
}

/// Every form of the page: its CSRF token first, then the signed-in person, then `change`'s
/// answer (or the error page).
async fn post(
    st: &AppState,
    me: &Me,
    csrf: &str,
    change: impl AsyncFnOnce(&Viewer) -> Result<Response, PageError>,
) -> Response {
    if !csrf_ok(me, csrf) {
        return csrf_refused();
    }
    let r = async { change(me.signed_in(SIGN_IN_TO)?).await }.await;
    st.respond(r)
}

/// Back to the page, after a change.
fn back() -> Result<Response, PageError> {
    Ok(Redirect::to("/settings").into_response())
}

#[derive(Deserialize)]
pub(crate) struct DigestForm {
    csrf: String,
    digest: Option<String>,
}

/// `POST /settings/digest`: the digest choice (a checkbox: absent means off).
pub(crate) async fn digest(
    State(st): State<AppState>,
    me: Me,
    Form(f): Form<DigestForm>,
) -> Response {
    post(&st, &me, &f.csrf, async |v| {
        let wanted = f.digest.is_some();
        st.store.set_digest_opt_in(&v.email, wanted).await?;
        // The digest round reads choices as a log, the last one winning (docs/DIGESTS.md).
        let choice = crate::store::digest::NewChoice {
            email: v.email.clone(),
            group: None,
            choice: match wanted {
                true => crate::store::digest::Choice::In,
                false => crate::store::digest::Choice::Out,
            },
            via: "web".into(),
            send_id: None,
            at: st.auth.clock.now(),
        };
        st.store.set_digest_choice(&choice).await?;
        back()
    })
    .await
}

#[derive(Deserialize)]
pub(crate) struct IdForm {
    csrf: String,
    id: i64,
}

/// `POST /settings/sessions/revoke`: sign a session out (this one too, if chosen).
pub(crate) async fn revoke_session(
    State(st): State<AppState>,
    me: Me,
    Form(f): Form<IdForm>,
) -> Response {
    post(&st, &me, &f.csrf, async |v| {
        st.store
            .revoke_session(&v.email, f.id, st.auth.clock.now())
            .await?;
        back()
    })
    .await
}

#[derive(Deserialize)]
pub(crate) struct TokenForm {
    csrf: String,
    label: String,
}

/// `POST /settings/tokens`: a new personal API token, shown once on the page that answers.
pub(crate) async fn create_token(
    State(st): State<AppState>,
    me: Me,
    Form(f): Form<TokenForm>,
) -> Response {
    post(&st, &me, &f.csrf, async |v| {
        let label = f.label.trim();
        let label = if label.is_empty() { "API token" } else { label };
        let label: String = label.chars().take(100).collect();
        let token = random_token();
        let now = st.auth.clock.now();
        st.store
            .create_api_token(&v.email, &label, &token_hash(&token), now)
            .await?;
        page(&st, v, Some(token)).await
    })
    .await
}

/// `POST /settings/tokens/revoke`.
pub(crate) async fn revoke_token(
    State(st): State<AppState>,
    me: Me,
    Form(f): Form<IdForm>,
) -> Response {
    post(&st, &me, &f.csrf, async |v| {
        st.store
            .revoke_api_token(&v.email, f.id, st.auth.clock.now())
            .await?;
        back()
    })
    .await
}

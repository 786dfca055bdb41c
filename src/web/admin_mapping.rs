//! `/admin/groups`: the mapping for the admins named in `web.admins` — every group with its
//! addresses and its digest audience, and forms to create a group and to add or remove an
//! address or an audience entry. Server-rendered, no script. Every change is checked by
//! [`check`] (what the CLI and the config file say too; the message goes next to the field)
//! and written with its audit line in one transaction ([`Store::edit_mapping`]).
//!
//! [`Store::edit_mapping`]: crate::store::Store::edit_mapping

use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use minijinja::context;
use minijinja::value::Serde;
use serde::{Deserialize, Serialize};

use super::admin::admin;
use super::auth::{csrf_ok, csrf_refused, Me, Viewer};
use super::html::PageError;
use super::AppState;
use crate::core::mapping::{check, Edit, Problem, Request};
use crate::store::policy::AuditRow;
use crate::store::StoreError;

pub(crate) const PATH: &str = "/admin/groups";

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(PATH, get(show).post(create))
        .route("/admin/groups/{slug}/addresses", post(add_address))
        .route(
            "/admin/groups/{slug}/addresses/remove",
            post(remove_address),
        )
        .route("/admin/groups/{slug}/audience", post(add_audience))
        .route(
            "/admin/groups/{slug}/audience/remove",
            post(remove_audience),
        )
}

/// A refused change, shown next to the field of the form it came from.
#[derive(Debug, Clone, Serialize)]
struct FieldError {
    /// Which form: `create`, `address:SLUG`, `audience:SLUG`, `remove:SLUG`.
    form: String,
    field: &'static str,
    message: String,
    /// What was typed, by field, put back in the fields.
    values: std::collections::BTreeMap<&'static str, String>,
    /// The group of a form about one group (the page's summary links to it).
    slug: Option<String>,
}

#[derive(Serialize)]
struct GroupView {
    slug: String,
    name: String,
    addresses: Vec<String>,
    audience: Vec<AudienceView>,
    declared: bool,
}

#[derive(Serialize)]
struct AudienceView {
    pattern: String,
    source: String,
}

/// How an audience entry came in, in words.
fn source_label(source: &str) -> String {
    match source {
        "config" => "config file, [digest] audiences",
        "cli" => "command line",
        "directory" => "directory import",
        crate::store::mapping::WEB_SOURCE => "admin page",
        other => other,
    }
    .to_string()
}

#[derive(Deserialize, Default)]
pub(crate) struct ShowQuery {
    saved: Option<String>,
}

/// `GET /admin/groups`.
async fn show(State(st): State<AppState>, me: Me, Query(q): Query<ShowQuery>) -> Response {
    let v = match admin(&me, PATH) {
        Ok(v) => v,
        Err(no) => return no.response(&st),
    };
    let r = page(&st, v, q.saved, None).await;
    st.respond(r)
}

async fn page(
    st: &AppState,
    v: &Viewer,
    saved: Option<String>,
    error: Option<FieldError>,
) -> Result<Response, PageError> {
    let groups = st.store.groups().await?;
    let audiences = st.store.audiences().await?;
    let declared = &st.auth.declared_groups;
    let views: Vec<GroupView> = groups
        .into_iter()
        .map(|g| GroupView {
            audience: (audiences.iter())
                .filter(|a| a.group_slug == g.slug)
                .map(|a| AudienceView {
                    pattern: a.pattern.clone(),
                    source: source_label(&a.source),
                })
                .collect(),
            declared: declared.contains(&g.slug),
            slug: g.slug,
            name: g.name,
            addresses: g.addresses,
        })
        .collect();
    // Only a group that exists is named in the notice (the query string is anyone's).
    let saved = saved.filter(|s| views.iter().any(|g| &g.slug == s));
    let status = match error {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    let ctx = context! {
        groups => Serde(views), csrf => &v.csrf, saved, error => Serde(error),
        any_declared => !declared.is_empty(),
    };
    let mut res = st.render("admin_groups.html", ctx).await?;
    *res.status_mut() = status;
    Ok(res)
}

#[derive(Deserialize)]
pub(crate) struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    address: String,
}

/// `POST /admin/groups`: a new group with its first address.
async fn create(State(st): State<AppState>, me: Me, Form(f): Form<CreateForm>) -> Response {
    let req = Request::CreateGroup {
        slug: &f.slug,
        name: &f.name,
        address: &f.address,
    };
    let typed = |field: &str| match field {
        "slug" => f.slug.clone(),
        "name" => f.name.clone(),
        _ => f.address.clone(),
    };
    change(&st, &me, &f.csrf, "create".into(), req, &typed).await
}

#[derive(Deserialize)]
pub(crate) struct AddressForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    address: String,
}

#[derive(Deserialize)]
pub(crate) struct PatternForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pattern: String,
}

/// `POST /admin/groups/SLUG/addresses`.
async fn add_address(
    State(st): State<AppState>,
    me: Me,
    Path(slug): Path<String>,
    Form(f): Form<AddressForm>,
) -> Response {
    let req = Request::AddAddress {
        slug: &slug,
        address: &f.address,
    };
    let form = format!("address:{slug}");
    change(&st, &me, &f.csrf, form, req, &|_| f.address.clone()).await
}

/// `POST /admin/groups/SLUG/addresses/remove`.
async fn remove_address(
    State(st): State<AppState>,
    me: Me,
    Path(slug): Path<String>,
    Form(f): Form<AddressForm>,
) -> Response {
    let req = Request::RemoveAddress {
        slug: &slug,
        address: &f.address,
    };
    let form = format!("remove:{slug}");
    change(&st, &me, &f.csrf, form, req, &|_| String::new()).await
}

/// `POST /admin/groups/SLUG/audience`.
async fn add_audience(
    State(st): State<AppState>,
    me: Me,
    Path(slug): Path<String>,
    Form(f): Form<PatternForm>,
) -> Response {
    let req = Request::AddAudience {
        slug: &slug,
        pattern: &f.pattern,
    };
    let form = format!("audience:{slug}");
    change(&st, &me, &f.csrf, form, req, &|_| f.pattern.clone()).await
}

/// `POST /admin/groups/SLUG/audience/remove`.
async fn remove_audience(
    State(st): State<AppState>,
    me: Me,
    Path(slug): Path<String>,
    Form(f): Form<PatternForm>,
) -> Response {
    let req = Request::RemoveAudience {
        slug: &slug,
        pattern: &f.pattern,
    };
    let form = format!("remove:{slug}");
    change(&st, &me, &f.csrf, form, req, &|_| String::new()).await
}

/// Admin, CSRF, [`check`], then the change and its audit line in one transaction; on success
/// back to the page (303), else the page again with the message next to the field (422).
async fn change(
    st: &AppState,
    me: &Me,
    csrf: &str,
    form: String,
    req: Request<'_>,
    typed: &(dyn Fn(&str) -> String + Sync),
) -> Response {
    let v = match admin(me, PATH) {
        Ok(v) => v,
        Err(no) => return no.response(st),
    };
    if !csrf_ok(me, csrf) {
        return csrf_refused();
    }
    let r = async {
        let stored = st.store.groups().await?;
        let refused = |p: Problem| FieldError {
            slug: form.split_once(':').map(|(_, s)| s.to_string()),
            form: form.clone(),
            field: p.field,
            values: ["slug", "name", "address", "pattern"]
                .into_iter()
                .map(|f| (f, typed(f)))
                .collect(),
            message: p.message,
        };
        let edit = match check(req, &stored) {
            Ok(e) => e,
            Err(p) => return page(st, v, None, Some(refused(p))).await,
        };
        match write(st, v, &edit).await? {
            Ok(()) => {
                let slug = edit.slug().as_str();
                let to = format!("{PATH}?saved={slug}#g-{slug}");
                Ok(Redirect::to(&to).into_response())
            }
            Err(p) => page(st, v, None, Some(refused(p))).await,
        }
    }
    .await;
    st.respond(r)
}

/// The change and its audit line (actor `web:ADDRESS`). A change that changes nothing, or that
/// another admin's change made impossible since the check, is a [`Problem`] for the form.
async fn write(st: &AppState, v: &Viewer, edit: &Edit) -> Result<Result<(), Problem>, PageError> {
    let audit = AuditRow {
        at: st.auth.clock.now(),
        actor: format!("web:{}", v.email),
        action: edit.action().into(),
        rule: None,
        message_id: None,
        detail: format!("web: {edit}"),
    };
    let field = match edit {
        Edit::CreateGroup { .. } => "slug",
        Edit::AddAddress { .. } | Edit::RemoveAddress { .. } => "address",
        Edit::AddAudience { .. } | Edit::RemoveAudience { .. } => "pattern",
    };
    match st.store.edit_mapping(edit, &audit).await {
        Ok(true) => Ok(Ok(())),
        Ok(false) => {
            let message = match edit {
                Edit::AddAudience { slug, pattern } => {
                    format!("{pattern} is already in the audience of group {slug}")
                }
                Edit::RemoveAudience { slug, pattern } => {
                    format!("{pattern} is not in the audience of group {slug}")
                }
                _ => "nothing to change: someone else made this change already".into(),
            };
            Ok(Err(Problem { field, message }))
        }
        Err(StoreError::Invalid(message)) => Ok(Err(Problem { field, message })),
        Err(e) => Err(e.into()),
    }
}

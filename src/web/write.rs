//! Writing from the web back into email: a comment on a thread page, a new post on a group
//! page. Each is filed at once as a message (via `web`, its raw mail kept with source `web:`
//! so `outloud reprocess` rebuilds it) and mailed through the outbox to the group address and
//! the thread's participants, in one transaction ([`crate::core::web_reply`] composes both
//! copies).

use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::auth::{csrf_ok, csrf_refused, Me};
use super::html::PageError;
use super::AppState;
use crate::core::compose::Person;
use crate::core::pipeline::WEB_SOURCE;
use crate::core::web_reply::{archived, draft, ThreadMessage, WriteError, Written};
use crate::ingest::{Ingestor, MailResult, RawMail};
use crate::model::GroupEntry;
use crate::store::ThreadDetail;

#[derive(Deserialize)]
pub(crate) struct CommentForm {
    csrf: String,
    text: String,
}

#[derive(Deserialize)]
pub(crate) struct PostForm {
    csrf: String,
    subject: String,
    text: String,
}

fn author(me: &Me) -> Result<Person, PageError> {
    let v = me.signed_in("write")?;
    Ok(Person {
        name: v.name.clone(),
        email: v.email.clone(),
    })
}

fn address(group: &GroupEntry) -> Result<&str, PageError> {
    group.addresses.first().map(String::as_str).ok_or_else(|| {
        PageError::BadRequest(format!("Group #{} has no address to mail to.", group.slug))
    })
}

fn refused(e: WriteError) -> PageError {
    let m = match e {
        WriteError::Empty => "Write something first.".to_string(),
        WriteError::NoSubject => "A new post needs a subject.".to_string(),
        WriteError::TooLong => format!("{e}: shorten it, or send it by mail."),
    };
    PageError::BadRequest(m)
}

/// `POST /t/{id}/comment`.
pub(crate) async fn comment(
    State(st): State<AppState>,
    me: Me,
    Path(id): Path<i64>,
    Form(f): Form<CommentForm>,
) -> Response {
    if !csrf_ok(&me, &f.csrf) {
        return csrf_refused();
    }
    let r = async {
        let person = author(&me)?;
        let not_found = || PageError::NotFound(format!("There is no thread {id}."));
        let detail = st.store.thread(id).await?.ok_or_else(not_found)?;
        let groups = st.store.groups().await?;
        let group = (groups.iter())
            .find(|g| g.id == detail.thread.group_id)
            .ok_or_else(not_found)?;
        let thread = thread_messages(&detail);
        let w = Written {
            author: &person,
            subject: &detail.thread.subject,
            text: &f.text,
            group_address: address(group)?,
        };
        let thread_id = publish(&st, &w, &thread, &groups, group).await?;
        let thread_id = thread_id.unwrap_or(id);
        // The page says so in a live region (screen readers announce it).
        Ok(Redirect::to(&format!("/t/{thread_id}?posted=1#posted")).into_response())
    }
    .await;
    st.respond(r)
}

/// `POST /g/{slug}/post`: a new thread.
pub(crate) async fn post(
    State(st): State<AppState>,
    me: Me,
    Path(slug): Path<String>,
    Form(f): Form<PostForm>,
) -> Response {
    if !csrf_ok(&me, &f.csrf) {
        return csrf_refused();
    }
    let r = async {
        let person = author(&me)?;
        let groups = st.store.groups().await?;
        let group = (groups.iter().find(|g| g.slug == slug))
            .ok_or_else(|| PageError::NotFound(format!("There is no group #{slug}.")))?;
        let w = Written {
            author: &person,
            subject: &f.subject,
            text: &f.text,
            group_address: address(group)?,
        };
        let to = match publish(&st, &w, &[], &groups, group).await? {
            Some(t) => format!("/t/{t}"),
            None => format!("/g/{slug}"),
        };
        Ok(Redirect::to(&to).into_response())
    }
    .await;
    st.respond(r)
}

/// A thread's messages as [`crate::core::web_reply`] reads them.
pub(crate) fn thread_messages(detail: &ThreadDetail) -> Vec<ThreadMessage<'_>> {
    (detail.messages.iter())
        .map(|m| ThreadMessage {
            message_id: &m.message_id,
            author_email: &m.author_email,
            author_name: m.author_name.as_deref(),
            reconstructed: m.reconstructed,
            recipients: &m.recipients,
        })
        .collect()
}

/// Addresses that are no participant: outloud's own and every group's.
pub(crate) fn not_participants(st: &AppState, groups: &[GroupEntry]) -> Vec<String> {
    let own = st.auth.ingest.pipeline.own.addresses.iter().cloned();
    own.chain(groups.iter().flat_map(|g| g.addresses.iter().cloned()))
        .collect()
}

/// File the written mail and queue its mailed copy in one transaction; the thread it joined.
async fn publish(
    st: &AppState,
    w: &Written<'_>,
    thread: &[ThreadMessage<'_>],
    groups: &[GroupEntry],
    group: &GroupEntry,
) -> Result<Option<i64>, PageError> {
    let auth = &st.auth;
    let d = draft(w, thread, &not_participants(st, groups)).map_err(refused)?;
    let now = auth.clock.now();
    let internal = |what: &str, e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "web: {what} failed");
        PageError::Internal
    };
    let mail = crate::outbox::queue_draft(&auth.sender, &d, "comment", now)
        .map_err(|e| internal("composing a comment", &e))?;
    let marker = &auth.sender.loop_marker;
    let filed = archived(w, &d, &mail.message_id, now, marker)
        .map_err(|e| internal("composing a comment", &e))?;
    let ingestor = Ingestor::new(st.store.clone(), auth.ingest.clone())
        .await
        .map_err(|e| internal("loading groups", &e))?;
    let raw = RawMail {
        bytes: filed,
        source: format!("{WEB_SOURCE}{}", w.author.email),
        force_groups: vec![group.slug.clone()],
    };
    let batch = ingestor
        .process(vec![raw])
        .await
        .map_err(|e| internal("processing a comment", &e))?;
    // Policy's confidentiality checks (subject tags, header patterns) apply to what is written
    // here too: refused before anything is stored or mailed, audited (docs/POLICY.md).
    if let Some((rule, reason)) = batch.first_hold() {
        let line = crate::store::policy::AuditRow {
            at: now,
            actor: format!("web:{}", w.author.email),
            action: "refused".into(),
            rule: Some(rule.to_string()),
            message_id: Some(mail.message_id.clone()),
            detail: format!("written on the web, not posted: {reason}"),
        };
        st.store.append_audit(&[line]).await?;
        return Err(PageError::BadRequest(format!(
            "Not posted: {reason} ({rule}). Nothing was stored or sent; change it and send again."
        )));
    }
    let reports = ingestor
        .store_batch_with_mail(batch, None, now, std::slice::from_ref(&mail))
        .await
        .map_err(|e| internal("storing a comment", &e))?;
    match reports.first().map(|r| &r.result) {
        Some(MailResult::Published { .. }) => {}
        other => {
            let e = format!("{other:?}");
            return Err(internal("filing a comment", &e));
        }
    }
    let found = st.store.message_thread(&mail.message_id, group.id).await?;
    Ok(found)
}

#[derive(Deserialize)]
pub(crate) struct FollowForm {
    csrf: String,
    on: String,
}

/// `POST /g/{slug}/follow`: follow (`on=1`) or unfollow (`on=0`) a group.
pub(crate) async fn follow(
    State(st): State<AppState>,
    me: Me,
    Path(slug): Path<String>,
    Form(f): Form<FollowForm>,
) -> Response {
    if !csrf_ok(&me, &f.csrf) {
        return csrf_refused();
    }
    let r = async {
        let person = author(&me)?;
        let groups = st.store.groups().await?;
        let group = (groups.iter().find(|g| g.slug == slug))
            .ok_or_else(|| PageError::NotFound(format!("There is no group #{slug}.")))?;
        let on = f.on == "1";
        let now = st.auth.clock.now();
        st.store.follow(&person.email, group.id, on, now).await?;
        Ok(Redirect::to(&format!("/g/{slug}")).into_response())
    }
    .await;
    st.respond(r)
}

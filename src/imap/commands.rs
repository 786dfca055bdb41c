//! The IMAP commands the watcher issues, as plain functions over a [`Session`]: each one
//! bounded by the step timeout and reading its responses to the end, with errors that name the
//! account. No decisions here: which UIDs and which folders is the watcher's business.

use futures::StreamExt;

use super::connect::{step, Account, Capabilities, ImapError, Session, STEP_TIMEOUT};
use super::decide::uid_set;

/// `UID FETCH` the given (sorted) UIDs' full bodies without setting \Seen, consuming the
/// response stream mail by mail. UID order; UIDs expunged meanwhile are simply absent.
pub async fn fetch_bodies(
    session: &mut Session,
    account: &Account,
    uids: &[u32],
) -> Result<Vec<(u32, Vec<u8>)>, ImapError> {
    fetch_each(
        session,
        account,
        uids,
        "(UID BODY.PEEK[])",
        "fetching mail",
        |f| f.body().map(<[u8]>::to_vec),
    )
    .await
}

/// `UID FETCH uids (UID RFC822.SIZE)`: sizes in UID order, to bound a batch's memory before
/// fetching bodies. UIDs expunged meanwhile are absent.
pub async fn fetch_sizes(
    session: &mut Session,
    account: &Account,
    uids: &[u32],
) -> Result<Vec<(u32, u32)>, ImapError> {
    fetch_each(
        session,
        account,
        uids,
        "(UID RFC822.SIZE)",
        "asking for mail sizes",
        |f| f.size,
    )
    .await
}

/// Run one `UID FETCH` and keep `pick`'s value for each asked-for UID, in UID order, once
/// each. Responses without the item (unsolicited FETCHes for flag changes) are ignored; each
/// response must arrive within the step timeout.
async fn fetch_each<T>(
    session: &mut Session,
    account: &Account,
    uids: &[u32],
    items: &str,
    what: &str,
    pick: impl Fn(&async_imap::types::Fetch) -> Option<T>,
) -> Result<Vec<(u32, T)>, ImapError> {
    let mut stream = step(account, what, session.uid_fetch(uid_set(uids), items)).await?;
    let mut out = Vec::with_capacity(uids.len());
    loop {
        match tokio::time::timeout(STEP_TIMEOUT, stream.next()).await {
            Err(_) => {
                return Err(ImapError::Timeout {
                    account: account.clone(),
                    what: what.into(),
                })
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => return Err(ImapError::from_imap(account, what, e)),
            Ok(Some(Ok(f))) => {
                if let (Some(uid), Some(value)) = (f.uid, pick(&f)) {
                    if uids.binary_search(&uid).is_ok() {
                        out.push((uid, value));
                    }
                }
            }
        }
    }
    drop(stream);
    out.sort_by_key(|(uid, _)| *uid);
    out.dedup_by_key(|(uid, _)| *uid);
    Ok(out)
}

/// `UID SEARCH`, as a sorted list.
pub async fn search(
    session: &mut Session,
    account: &Account,
    what: &str,
    query: String,
) -> Result<Vec<u32>, ImapError> {
    let found = step(account, what, session.uid_search(query)).await?;
    let mut v: Vec<u32> = found.into_iter().collect();
    v.sort_unstable();
    Ok(v)
}

/// `UID STORE uids +FLAGS.SILENT (flags)`.
pub async fn add_flags(
    session: &mut Session,
    account: &Account,
    uids: &[u32],
    flags: &str,
) -> Result<(), ImapError> {
    let what = "setting flags";
    let stream = step(
        account,
        what,
        session.uid_store(uid_set(uids), format!("+FLAGS.SILENT ({flags})")),
    )
    .await?;
    drain(account, what, stream).await
}

/// `CREATE folder`; false when it exists already (or the server refuses for another reason,
/// which the MOVE that follows will then report).
pub async fn create_folder(
    session: &mut Session,
    account: &Account,
    folder: &str,
) -> Result<bool, ImapError> {
    let what = format!("creating {folder:?}");
    match tokio::time::timeout(STEP_TIMEOUT, session.create(folder)).await {
        Err(_) => Err(ImapError::Timeout {
            account: account.clone(),
            what,
        }),
        Ok(Ok(())) => Ok(true),
        Ok(Err(async_imap::error::Error::No(_))) => Ok(false),
        Ok(Err(e)) => Err(ImapError::from_imap(account, &what, e)),
    }
}

/// Move mail to `folder`: `UID MOVE` when the server has it; else COPY, \Deleted and
/// `UID EXPUNGE` of just these UIDs (a plain EXPUNGE would also remove mail someone else marked
/// deleted). False when the server has neither MOVE nor UIDPLUS: the originals then stay
/// marked \Deleted until the next expunge.
pub async fn move_uids(
    session: &mut Session,
    account: &Account,
    caps: Capabilities,
    uids: &[u32],
    folder: &str,
) -> Result<bool, ImapError> {
    let what = format!("moving mail to {folder:?}");
    let set = uid_set(uids);
    if caps.mv {
        step(account, &what, session.uid_mv(&set, folder)).await?;
        return Ok(true);
    }
    // async-imap quotes the mailbox name (COPY, like MOVE, since 0.11.2).
    step(account, &what, session.uid_copy(&set, folder)).await?;
    add_flags(session, account, uids, "\\Deleted").await?;
    if !caps.uidplus {
        return Ok(false);
    }
    let stream = step(account, &what, session.uid_expunge(&set)).await?;
    drain(account, &what, stream).await?;
    Ok(true)
}

/// Read a response stream to its end (the tagged OK), each item within the step timeout.
async fn drain<T>(
    account: &Account,
    what: &str,
    stream: impl futures::Stream<Item = Result<T, async_imap::error::Error>>,
) -> Result<(), ImapError> {
    let mut stream = std::pin::pin!(stream);
    loop {
        match tokio::time::timeout(STEP_TIMEOUT, stream.next()).await {
            Err(_) => {
                return Err(ImapError::Timeout {
                    account: account.clone(),
                    what: what.into(),
                })
            }
            Ok(None) => return Ok(()),
            Ok(Some(Err(e))) => return Err(ImapError::from_imap(account, what, e)),
            Ok(Some(Ok(_))) => {}
        }
    }
}

//! One mapping change ([`Edit`](crate::core::mapping::Edit): a group created, an address or an
//! audience entry added or removed) and its audit line, in one transaction: the admin pages
//! and the CLI. One implementation for both backends, as a macro over the store type, the
//! database type, the placeholder rewrite, the audit writer and the transaction opener (as
//! [`digest_store_impl`](crate::store::digest::digest_store_impl) does).
//!
//! The caller checks the edit first ([`check`](crate::core::mapping::check)) for a message
//! next to the form field; the checks here repeat what two admins at once could break (an
//! address or a slug taken between the check and the write) and answer `Invalid` in the
//! check's words. On PostgreSQL two transactions may both pass those checks before either
//! commits: the inserts say `ON CONFLICT DO NOTHING` and read the owner again, so the later
//! one gets the same answer rather than a unique violation.

/// What an audience entry added from the web is recorded as (`audiences.source`).
pub const WEB_SOURCE: &str = "web";

/// `audiences.source` of an entry added by `actor`: `web` for an admin page's `web:ADDRESS`,
/// else `cli`.
pub fn audience_source(actor: &str) -> &'static str {
    match actor.starts_with("web:") {
        true => WEB_SOURCE,
        false => "cli",
    }
}

macro_rules! mapping_store_impl {
    ($store:ty, $db:ty, $sql:path, $insert_audit:path, $begin:ident) => {
        impl $store {
            pub(crate) async fn edit_mapping_impl(
                &self,
                edit: &$crate::core::mapping::Edit,
                audit: &$crate::store::policy::AuditRow,
            ) -> $crate::store::Result<bool> {
                use $crate::core::mapping::Edit;
                use $crate::store::StoreError;
                let mut tx = self.$begin().await?;
                let slug = edit.slug().as_str();
                let group_id: Option<i64> = sqlx::query_scalar::<$db, i64>(sqlx::AssertSqlSafe(
                    $sql("SELECT id FROM groups WHERE slug = ?"),
                ))
                .bind(slug)
                .fetch_optional(&mut *tx)
                .await?;
                let changed = match (edit, group_id) {
                    (Edit::CreateGroup { name, address, .. }, None) => {
                        mapping_store_impl!(@create $db, $sql, &mut *tx, slug, name, address, audit.at)
                    }
                    (Edit::CreateGroup { .. }, Some(_)) => {
                        return Err(StoreError::Invalid($crate::core::mapping::group_exists(slug)))
                    }
                    (_, None) => {
                        return Err(StoreError::Invalid(format!("there is no group {slug}")))
                    }
                    (Edit::AddAddress { address, .. }, Some(id)) => {
                        mapping_store_impl!(@add $db, $sql, &mut *tx, id, slug, address)
                    }
                    (_, Some(id)) => {
                        mapping_store_impl!(@small $db, $sql, &mut *tx, id, edit, audit)
                    }
                };
                if !changed {
                    tx.rollback().await?;
                    return Ok(false);
                }
                $insert_audit(&mut tx, std::slice::from_ref(audit)).await?;
                tx.commit().await?;
                Ok(true)
            }
        }
    };
    // A new group with its first address; the address must be free. A slug or an address
    // another admin's change took meanwhile (on PostgreSQL both transactions may pass the
    // check before either commits) is found by the insert itself and answered in the check's
    // words: no unique violation, no 500.
    (@create $db:ty, $sql:path, $conn:expr, $slug:expr, $name:expr, $address:expr, $at:expr) => {{
        let conn = $conn;
        let id: Option<i64> = sqlx::query_scalar::<$db, i64>(sqlx::AssertSqlSafe($sql(
            "INSERT INTO groups (slug, name, created_at) VALUES (?, ?, ?) \
             ON CONFLICT (slug) DO NOTHING RETURNING id",
        )))
        .bind($slug)
        .bind($name.as_str())
        .bind($at)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(id) = id else {
            return Err($crate::store::StoreError::Invalid(
                $crate::core::mapping::group_exists($slug),
            ));
        };
        mapping_store_impl!(@add $db, $sql, &mut *conn, id, $slug, $address)
    }};
    // An address for group `id`: false when it has it already, `Invalid` when another has
    // (also when another transaction committed it first: the insert waits for it).
    (@add $db:ty, $sql:path, $conn:expr, $id:expr, $slug:expr, $address:expr) => {{
        let conn = $conn;
        let added = sqlx::query::<$db>(sqlx::AssertSqlSafe($sql(
            "INSERT INTO group_addresses (address, group_id) VALUES (?, ?) \
             ON CONFLICT (address) DO NOTHING",
        )))
        .bind($address.as_str())
        .bind($id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        let owner: Option<(i64, String)> = match added {
            0 => sqlx::query_as::<$db, (i64, String)>(sqlx::AssertSqlSafe($sql(
                "SELECT g.id, g.slug FROM group_addresses ga \
                 JOIN groups g ON g.id = ga.group_id WHERE ga.address = ?",
            )))
            .bind($address.as_str())
            .fetch_optional(&mut *conn)
            .await?,
            _ => None,
        };
        match owner {
            Some((o, _)) if o == $id => false,
            Some((_, other)) => {
                return Err($crate::store::common::address_conflict(
                    $address.as_str(),
                    &other,
                    $slug,
                ));
            }
            None => added > 0,
        }
    }};
    // Removing an address (never the last), adding or removing an audience entry.
    (@small $db:ty, $sql:path, $conn:expr, $id:expr, $edit:expr, $audit:expr) => {{
        use $crate::core::mapping::Edit;
        let q = |s: &str| sqlx::AssertSqlSafe($sql(s));
        let conn = $conn;
        let (sql, value) = match $edit {
            Edit::RemoveAddress { address, slug } => {
                let left: i64 = sqlx::query_scalar::<$db, i64>(q(
                    "SELECT COUNT(*) FROM group_addresses WHERE group_id = ? AND address <> ?",
                ))
                .bind($id)
                .bind(address.as_str())
                .fetch_one(&mut *conn)
                .await?;
                if left == 0 {
                    return Err($crate::store::StoreError::Invalid(format!(
                        "{address} is the last address of group {slug}"
                    )));
                }
                (
                    "DELETE FROM group_addresses WHERE group_id = ? AND address = ?",
                    address.to_string(),
                )
            }
            Edit::AddAudience { pattern, .. } => (
                "INSERT INTO audiences (group_id, pattern, source, created_at) \
                 VALUES (?, ?, ?, ?) ON CONFLICT (group_id, pattern) DO NOTHING",
                pattern.as_str(),
            ),
            Edit::RemoveAudience { pattern, .. } => (
                "DELETE FROM audiences WHERE group_id = ? AND pattern = ?",
                pattern.as_str(),
            ),
            Edit::CreateGroup { .. } | Edit::AddAddress { .. } => unreachable!("handled above"),
        };
        let mut query = sqlx::query::<$db>(q(sql)).bind($id).bind(value);
        if matches!($edit, Edit::AddAudience { .. }) {
            let source = $crate::store::mapping::audience_source(&$audit.actor);
            query = query.bind(source).bind($audit.at);
        }
        query.execute(&mut *conn).await?.rows_affected() > 0
    }};
}

pub(crate) use mapping_store_impl;

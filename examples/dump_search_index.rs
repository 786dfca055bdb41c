//! dump_search_index: the contents of a SQLite database's full-text index, one line per term
//! occurrence (message id, column, position, term), in that order; for bench/import_same.sh.
//!
//! ```text
//! cargo run --release --example dump_search_index -- PATH/outloud.db > index.txt
//! ```
//!
//! The FTS5 table is contentless, so its text cannot be selected back; `fts5vocab` lists every
//! term instance instead. This goes through outloud's own (bundled) SQLite: the system `sqlite3`
//! may be too old to open the table (`contentless_delete` needs SQLite 3.43).

use std::io::Write;
use std::process::ExitCode;

use futures::TryStreamExt;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Row};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: dump_search_index DATABASE");
        return ExitCode::from(2);
    };
    match dump(&path).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dump_search_index: {path}: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn dump(path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await?;
    sqlx::query("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, message_search, instance)")
        .execute(&mut conn)
        .await?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut rows = sqlx::query(
        "SELECT doc, col, \"offset\", term FROM temp.vocab ORDER BY doc, col, \"offset\", term",
    )
    .fetch(&mut conn);
    while let Some(row) = rows.try_next().await? {
        let (doc, col, offset, term): (i64, String, i64, String) = (
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
        );
        writeln!(out, "{doc}\t{col}\t{offset}\t{term}")?;
    }
    out.flush()?;
    Ok(())
}

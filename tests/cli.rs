//! The `outloud` binary as a user runs it: import with a malformed mail in the middle,
//! the summary, the quarantine, idempotent re-import, export, reprocess, and config errors
//! that name the key.

use std::path::Path;
use std::process::{Command, Output};

fn outloud(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_outloud"))
        .current_dir(dir)
        .env_remove("OUTLOUD_CONFIG")
        .env_remove("RUST_LOG")
        .args(["--config", "outloud.toml"])
        .args(args)
        .output()
        .expect("run outloud")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const CONFIG: &str = r#"
[database]
url = "sqlite:var/outloud.db"
[[groups]]
slug = "eng"
name = "Engineering"
addresses = ["eng@corp.example"]
"#;

fn mail(id: &str, subject: &str, to: &str) -> String {
    format!(
        "From: Anna <anna@corp.example>\nTo: {to}\nSubject: {subject}\nMessage-ID: <{id}>\nDate: Mon, 3 Mar 2025 10:00:00 +0000\n\nHello {subject}.\n"
    )
}

#[test]
fn import_quarantines_bad_mail_and_summarises() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("outloud.toml"), CONFIG).unwrap();
    let mbox = format!(
        "From anna@corp.example Mon Mar  3 10:00:00 2025\n{}\nFrom junk Mon Mar  3 10:00:00 2025\n\u{1}\u{2}\u{3} not a mail at all\n\nFrom anna@corp.example Mon Mar  3 10:00:00 2025\n{}\nFrom anna@corp.example Mon Mar  3 10:00:00 2025\n{}",
        mail("one@x", "first", "eng@corp.example"),
        mail("two@x", "second", "Eng+Notes@Corp.Example"),
        mail("three@x", "private", "bob@corp.example"),
    );
    std::fs::write(d.join("a.mbox"), mbox).unwrap();

    let o = outloud(d, &["import", "a.mbox"]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("read 4, imported 2, duplicates 0, skipped 1, quarantined 1"),
        "{out}"
    );
    assert!(out.contains("no_group: 1"), "{out}");
    assert!(
        out.contains("skipped by rule: no_group (no group address): 1"),
        "{out}"
    );

    let o = outloud(d, &["quarantine", "list"]);
    let out = text(&o);
    assert!(
        out.contains("a.mbox#2"),
        "quarantine names where the mail came from: {out}"
    );
    let o = outloud(d, &["quarantine", "show", "1"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("not a mail at all"));

    let o = outloud(d, &["import", "--json", "a.mbox"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["imported"], 0);
    assert_eq!(v["duplicates"], 2);
    assert_eq!(v["skipped_by_rule"]["no_group"], 1);

    let o = outloud(d, &["group", "list"]);
    assert!(
        text(&o).contains("eng") && text(&o).contains("2 threads"),
        "{}",
        text(&o)
    );

    let o = outloud(d, &["export"]);
    let jsonl = String::from_utf8_lossy(&o.stdout).to_string();
    assert_eq!(
        jsonl
            .lines()
            .filter(|l| l.contains("\"type\":\"message\""))
            .count(),
        2
    );

    let o = outloud(d, &["reprocess"]);
    assert!(o.status.success(), "{}", text(&o));
    let again = outloud(d, &["export"]);
    let lines = |s: &str| {
        s.lines()
            .filter(|l| l.contains("\"type\":\"message\""))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        lines(&String::from_utf8_lossy(&again.stdout)),
        lines(&jsonl),
        "reprocess rebuilds the same messages"
    );
}

#[test]
fn list_mail_is_imported_and_auto_replies_counted_by_rule() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("outloud.toml"), CONFIG).unwrap();
    let lists = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mail/lists");
    let mut files: Vec<String> = std::fs::read_dir(&lists)
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().into_owned())
        .filter(|p| p.ends_with(".eml"))
        .collect();
    files.sort();
    let args: Vec<&str> = ["import", "--no-progress"]
        .into_iter()
        .chain(files.iter().map(String::as_str))
        .collect();
    let o = outloud(d, &args);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    // Six posts people wrote through Google Groups, Mailman 2 and 3, ezmlm, Majordomo and an
    // Exchange distribution list; five auto-replies sent through them.
    assert!(
        out.contains("read 11, imported 6, duplicates 0, skipped 5, quarantined 0"),
        "{out}"
    );
    assert!(out.contains("skipped by reason: auto_reply: 5"), "{out}");
    assert!(
        out.contains(
            "skipped by rule: auto_reply (Auto-Submitted): 4, auto_reply (out-of-office subject): 1"
        ),
        "{out}"
    );
}

#[test]
fn unreadable_path_is_reported_and_the_rest_imported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("outloud.toml"), CONFIG).unwrap();
    std::fs::write(
        d.join("one.eml"),
        mail("one@x", "first", "eng@corp.example"),
    )
    .unwrap();
    let o = outloud(d, &["import", "missing.mbox", "one.eml"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(
        out.contains("missing.mbox") && out.contains("imported 1"),
        "{out}"
    );
}

#[test]
fn config_errors_name_the_key_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("outloud.toml"),
        "[threading]\nsubject_window_days = -3\n",
    )
    .unwrap();
    let o = outloud(d, &["check-config"]);
    let out = text(&o);
    assert!(!o.status.success());
    assert!(
        out.contains("outloud.toml") && out.contains("threading.subject_window_days"),
        "{out}"
    );

    std::fs::write(d.join("outloud.toml"), "[databse]\nurl = \"sqlite:x.db\"\n").unwrap();
    let out = text(&outloud(d, &["check-config"]));
    assert!(
        out.contains("outloud.toml") && out.contains("databse"),
        "{out}"
    );

    std::fs::write(d.join("outloud.toml"), CONFIG).unwrap();
    let o = outloud(d, &["import", "--group", "nope", "x.mbox"]);
    assert!(text(&o).contains("unknown group \"nope\""), "{}", text(&o));
}

#[test]
fn check_accounts_for_every_stored_mail_and_names_the_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("outloud.toml"), CONFIG).unwrap();
    let mbox = format!(
        "From anna@corp.example Mon Mar  3 10:00:00 2025\n{}\nFrom anna@corp.example Mon Mar  3 10:00:00 2025\n{}",
        mail("one@x", "first", "eng@corp.example"),
        mail("three@x", "private", "bob@corp.example"),
    );
    std::fs::write(d.join("a.mbox"), mbox).unwrap();
    assert!(outloud(d, &["import", "a.mbox"]).status.success());
    let o = outloud(d, &["check"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("checked 2 stored mails: every one is accounted for"),
        "{}",
        text(&o)
    );

    // Lose the published message behind outloud's back: check names it and fails.
    let db = d.join("var/outloud.db");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite:{}", db.display()))
            .await
            .unwrap();
        sqlx::query("DELETE FROM messages WHERE message_id = 'one@x'")
            .execute(&mut c)
            .await
            .unwrap();
    });
    let o = outloud(d, &["check"]);
    let out = text(&o);
    assert!(!o.status.success(), "{out}");
    assert!(out.contains("<one@x>"), "{out}");
    assert!(
        out.contains("no published message in group(s) eng"),
        "{out}"
    );
    assert!(out.contains("1 not accounted for"), "{out}");
}

#[test]
fn check_config_lists_everything_run_would_stop_at() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let config = format!(
        "{CONFIG}[web]\nbind = \"{}\"\n[[mailboxes]]\nname = \"corp\"\nhost = \"127.0.0.1\"\ntls = \"none\"\nuser = \"u\"\npassword_env = \"OUTLOUD_CLI_TEST_PASSWORD\"\n",
        taken.local_addr().unwrap()
    );
    std::fs::write(d.join("outloud.toml"), config).unwrap();
    let o = outloud(d, &["check-config"]);
    let out = text(&o);
    assert!(!o.status.success(), "{out}");
    assert!(out.contains("2 problems"), "{out}");
    assert!(
        out.contains("key `mailboxes[0].password_env`")
            && out.contains("OUTLOUD_CLI_TEST_PASSWORD is not set"),
        "{out}"
    );
    assert!(out.contains("key `web.bind`"), "{out}");
    assert!(
        !d.join("var").exists(),
        "check-config creates no database: {out}"
    );

    drop(taken);
    let o = Command::new(env!("CARGO_BIN_EXE_outloud"))
        .current_dir(d)
        .env_remove("OUTLOUD_CONFIG")
        .env("OUTLOUD_CLI_TEST_PASSWORD", "secret")
        .args(["--config", "outloud.toml", "check-config"])
        .output()
        .unwrap();
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("configuration OK"), "{out}");
    assert!(out.contains("mailbox corp"), "{out}");
}

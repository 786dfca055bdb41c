//! The `outloud` binary as a user runs it: import with a malformed mail in the middle,
//! the summary, the quarantine, idempotent re-import, export, reprocess, search, and config
//! errors that name the key.

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
fn search_finds_what_import_and_reprocess_stored() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("outloud.toml"), CONFIG).unwrap();
    let mbox = format!(
        "From anna@corp.example Mon Mar  3 10:00:00 2025\n{}\nFrom anna@corp.example Mon Mar  3 10:00:00 2025\n{}",
        mail("one@x", "first", "eng@corp.example"),
        mail("two@x", "Zażółć", "eng@corp.example"),
    );
    std::fs::write(d.join("a.mbox"), mbox).unwrap();
    assert!(outloud(d, &["import", "a.mbox"]).status.success());
    for _ in 0..2 {
        let o = outloud(d, &["search", "HELLO", "first"]);
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{}", text(&o));
        assert!(
            out.contains("#eng  Anna  *first*  (/t/") && out.contains("*Hello* *first*."),
            "{out}"
        );
        assert!(text(&o).contains("1 hit"), "{}", text(&o));
        let o = outloud(d, &["search", "zazolc"]);
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("*Zażółć*"),
            "{}",
            text(&o)
        );
        // Reprocess rebuilds the index with the messages: the same hits again.
        assert!(outloud(d, &["reprocess"]).status.success());
    }
    let o = outloud(d, &["search", "--json", "--author", "anna@corp.example"]);
    let hits: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(hits.as_array().unwrap().len(), 2, "{hits}");
    let o = outloud(d, &["search", "--from", "March 3rd", "hello"]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("--from") && text(&o).contains("YYYY-MM-DD"),
        "{}",
        text(&o)
    );
    let o = outloud(d, &["search", "--group", "ops", "hello"]);
    assert!(
        !o.status.success() && text(&o).contains("no group"),
        "{}",
        text(&o)
    );
}

#[test]
fn list_mail_is_imported_and_auto_replies_counted_by_rule() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The list posters are outside corp.example: policy (on by default) holds their posts,
    // shown at the end; with it off they are published and only the skip rules act.
    let open = format!("{CONFIG}[policy]\nenabled = false\n");
    std::fs::write(d.join("outloud.toml"), open).unwrap();
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

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("outloud.toml"), CONFIG).unwrap();
    let o = outloud(d, &args);
    let out = text(&o);
    assert!(
        out.contains("read 11, imported 1, duplicates 0, skipped 5, quarantined 0")
            && out.contains("held for a moderator by rule: sender_domain: 5"),
        "{out}"
    );
    let o = outloud(d, &["held", "list"]);
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(stdout.lines().count(), 5, "{}", text(&o));
    assert!(text(&o).contains("sender_domain"), "{}", text(&o));
    let o = outloud(d, &["check"]);
    assert!(
        o.status.success(),
        "held mail is accounted for: {}",
        text(&o)
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

/// `outloud ARGS` in `dir`, killed (and the test failed) if it runs over a minute: a FIFO
/// opened by mistake would block it forever.
fn outloud_bounded(dir: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_outloud"))
        .current_dir(dir)
        .env_remove("OUTLOUD_CONFIG")
        .env_remove("RUST_LOG")
        .args(["--config", "outloud.toml"])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run outloud");
    let end = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > end {
            let _ = child.kill();
            panic!("outloud {args:?} still running after a minute");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn mboxo_without_blank_lines_is_read_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("outloud.toml"), CONFIG).unwrap();
    // 20 mails, no blank line before their `From ` lines: one mail to the reader.
    let mbox: String = (0..20)
        .map(|i| {
            format!(
                "From anna@corp.example Mon Mar  3 10:{i:02}:00 2025\n{}",
                mail(&format!("m{i}@x"), &format!("mail {i}"), "eng@corp.example")
            )
        })
        .collect();
    std::fs::write(d.join("old.mbox"), mbox).unwrap();
    let o = outloud(d, &["import", "old.mbox"]);
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("read 1,"), "{out}");
    assert!(
        out.contains("warning: old.mbox: 19 lines shaped like a \"From \" separator"),
        "{out}"
    );
    let json = outloud(d, &["import", "--json", "old.mbox"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["warnings"].as_array().map(Vec::len), Some(1), "{v}");
}

#[test]
fn fifos_devices_and_broken_links_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("outloud.toml"), CONFIG).unwrap();
    assert!(Command::new("mkfifo")
        .arg(d.join("pipe.mbox"))
        .status()
        .unwrap()
        .success());
    std::os::unix::fs::symlink(d.join("nowhere.mbox"), d.join("broken.mbox")).unwrap();
    std::fs::create_dir_all(d.join("Maildir/cur")).unwrap();
    std::fs::create_dir_all(d.join("Maildir/new")).unwrap();
    std::fs::write(
        d.join("Maildir/cur/1.eml"),
        mail("one@x", "first", "eng@corp.example"),
    )
    .unwrap();
    assert!(Command::new("mkfifo")
        .arg(d.join("Maildir/new/2"))
        .status()
        .unwrap()
        .success());
    for (path, what) in [
        ("pipe.mbox", "a named pipe (FIFO)"),
        ("/dev/null", "a character device"),
        ("broken.mbox", "a broken symbolic link"),
        ("Maildir", "a named pipe (FIFO)"),
    ] {
        let o = outloud_bounded(d, &["import", path]);
        let out = text(&o);
        assert_eq!(o.status.code(), Some(2), "{path}: {out}");
        assert!(out.contains(what), "{path}: {out}");
        assert!(out.contains("not a regular file"), "{path}: {out}");
    }
    // The Maildir's real mail was imported beside the refused FIFO.
    let out = text(&outloud(d, &["group", "list"]));
    assert!(out.contains("1 thread"), "{out}");
}

/// `outloud apply --dry-run` prints exactly what the file changes and writes nothing; `apply`
/// makes it so and logs it; a conflict with a group only in the database is named.
#[test]
fn apply_dry_run_shows_exactly_the_difference() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let before = "[database]\nurl = \"sqlite:var/outloud.db\"\n[[groups]]\nslug = \"eng\"\nname = \"Eng\"\naddresses = [\"eng@corp.example\", \"old@corp.example\"]\n[[groups]]\nslug = \"legacy\"\naddresses = [\"legacy@corp.example\"]\n";
    std::fs::write(d.join("outloud.toml"), before).unwrap();
    assert!(outloud(d, &["migrate"]).status.success());
    let after = "[database]\nurl = \"sqlite:var/outloud.db\"\n[[groups]]\nslug = \"eng\"\nname = \"Engineering\"\naddresses = [\"eng@corp.example\", \"engineering@corp.example\"]\n[[groups]]\nslug = \"ops\"\nname = \"Ops\"\naddresses = [\"ops@corp.example\"]\n";
    std::fs::write(d.join("outloud.toml"), after).unwrap();
    let expected = "~ group eng: name \"Eng\" -> \"Engineering\"\n\
        + address engineering@corp.example -> eng\n\
        - address old@corp.example (from eng)\n\
        + group ops \"Ops\": ops@corp.example\n\
        = group legacy is only in the database (kept; --prune removes it)\n\
        dry run: 4 change(s), nothing written\n";
    for _ in 0..2 {
        let o = outloud(d, &["apply", "--dry-run"]);
        assert!(o.status.success(), "{}", text(&o));
        assert_eq!(String::from_utf8_lossy(&o.stdout), expected);
    }
    let o = outloud(d, &["apply", "--dry-run", "--prune"]);
    assert!(
        text(&o).contains("- group legacy (and every thread and message filed in it)\n"),
        "{}",
        text(&o)
    );
    let o = outloud(d, &["apply"]);
    assert!(text(&o).contains("applied 4 change(s)"), "{}", text(&o));
    let o = outloud(d, &["apply", "--dry-run"]);
    assert!(text(&o).contains("nothing to change"), "{}", text(&o));
    let o = outloud(d, &["audit", "list", "--action", "group_changed"]);
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(stdout.lines().count(), 4, "{}", text(&o));

    // The file now claims legacy's address for ops: named, nothing applied.
    let clash = after.replace("ops@corp.example", "legacy@corp.example");
    std::fs::write(d.join("outloud.toml"), clash).unwrap();
    let o = outloud(d, &["apply", "--dry-run"]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("address legacy@corp.example is declared for group ops but the database has it on group legacy"),
        "{}",
        text(&o)
    );
}

/// `outloud group add` and `outloud audience add|remove` check as the admin page does, in the
/// same words, and audience changes go to the audit log with the change.
#[test]
fn mapping_commands_check_like_the_admin_page_and_audit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("outloud.toml"), CONFIG).unwrap();
    let o = outloud(d, &["group", "add", "ops", "--address", "ENG@corp.example"]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains(
            "address: eng@corp.example would publish to two groups: it is already an address of group eng"
        ),
        "{}",
        text(&o)
    );
    let o = outloud(
        d,
        &["group", "add", "ops", "--address", "eng+ops@corp.example"],
    );
    assert!(text(&o).contains("by plus-addressing"), "{}", text(&o));
    for (args, says) in [
        (
            ["audience", "add", "eng", "*@corp"],
            "pattern: \"*@corp\" is not an address or a \"*@domain\" pattern",
        ),
        (
            ["audience", "add", "nope", "a@corp.example"],
            "slug: there is no group nope",
        ),
        (
            ["audience", "remove", "eng", "a@corp.example"],
            "a@corp.example is not in the audience of eng",
        ),
    ] {
        let o = outloud(d, &args);
        assert!(!o.status.success(), "{args:?}");
        assert!(text(&o).contains(says), "{args:?}: {}", text(&o));
    }
    let o = outloud(d, &["audience", "add", "eng", "*@Corp.Example"]);
    assert!(
        text(&o).contains("added *@corp.example in the audience of eng"),
        "{}",
        text(&o)
    );
    let o = outloud(d, &["audience", "list"]);
    assert!(
        text(&o).contains("*@corp.example") && text(&o).contains("cli"),
        "{}",
        text(&o)
    );
    assert!(outloud(d, &["audience", "remove", "eng", "*@corp.example"])
        .status
        .success());
    let o = outloud(d, &["audit", "list", "--action", "audience_changed"]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(out.lines().count(), 2, "{}", text(&o));
    assert!(
        out.contains("cli: + audience *@corp.example -> eng"),
        "{out}"
    );
    assert!(
        out.contains("cli: - audience *@corp.example (from eng)"),
        "{out}"
    );
}

/// `[digest] audiences` are part of the declared mapping: `apply --dry-run` shows which entries
/// the file adds and which it no longer declares, `apply` makes it so, and an entry naming a
/// group nobody declares is named with its key.
#[test]
fn apply_dry_run_shows_audience_changes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let groups = "[database]\nurl = \"sqlite:var/outloud.db\"\n[[groups]]\nslug = \"eng\"\naddresses = [\"eng@corp.example\"]\n";
    let before = format!(
        "{groups}[digest]\naudiences = [\"eng:*@corp.example\", \"eng:old@corp.example\"]\n"
    );
    std::fs::write(d.join("outloud.toml"), before).unwrap();
    // Any command applies the file on start: the two entries are stored.
    assert!(outloud(d, &["migrate"]).status.success());
    let after = format!(
        "{groups}[[groups]]\nslug = \"ops\"\nname = \"Ops\"\naddresses = [\"ops@corp.example\"]\n\
         [digest]\naudiences = [\"eng:*@corp.example\", \"ops:CTO@corp.example\"]\n"
    );
    std::fs::write(d.join("outloud.toml"), &after).unwrap();
    let expected = "+ group ops \"Ops\": ops@corp.example\n\
        + audience ops: cto@corp.example\n\
        - audience eng: old@corp.example\n\
        dry run: 3 change(s), nothing written\n";
    let o = outloud(d, &["apply", "--dry-run"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), expected);
    let o = outloud(d, &["apply"]);
    assert!(text(&o).contains("applied 3 change(s)"), "{}", text(&o));
    let o = outloud(d, &["apply", "--dry-run"]);
    assert!(text(&o).contains("nothing to change"), "{}", text(&o));
    let list = text(&outloud(d, &["audience", "list"]));
    assert!(
        list.contains("cto@corp.example") && !list.contains("old@corp.example"),
        "{list}"
    );

    let unknown = after.replace("ops:CTO", "nope:CTO");
    std::fs::write(d.join("outloud.toml"), unknown).unwrap();
    let o = outloud(d, &["apply", "--dry-run"]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("digest.audiences[1]: \"nope:cto@corp.example\" names group nope"),
        "{}",
        text(&o)
    );
}

/// A mail from outloud to `to`, queued at `now`.
fn queued_mail(to: &str, subject: &str, now: i64) -> outloud::core::compose::Outgoing {
    let sender = outloud::core::compose::Sender {
        from: "outloud@corp.example".into(),
        from_name: "outloud".into(),
        message_id_domain: "corp.example".into(),
        bounce_address: "bounces@corp.example".into(),
        loop_marker: "outloud-tests".into(),
    };
    let draft = outloud::core::compose::Draft {
        to: vec![to.into()],
        subject: subject.into(),
        text: format!("{subject}\n"),
        in_reply_to: None,
        references: vec![],
        auto_submitted: true,
        on_behalf_of: None,
        reply_to: None,
    };
    outloud::outbox::queue_draft(&sender, &draft, "test", now).unwrap()
}

/// What a sender leaves behind: a mail the server refused for good (550 to RCPT TO, a hard
/// bounce against `gone@x.example`), then one still queued. Their delivery ids.
async fn seed_outbox(url: &str, now: i64) -> (i64, i64) {
    use outloud::core::bounce::Severity;
    use outloud::core::delivery::Failure;
    use outloud::store::outbox::{ClaimRequest, DeliveryEnd, DeliveryState};
    let store = outloud::store::open(url).await.unwrap();
    store.migrate().await.unwrap();
    let mail = [queued_mail("gone@x.example", "refused", now)];
    let refused = store.enqueue(&mail).await.unwrap()[0].deliveries[0].1;
    let req = ClaimRequest {
        holder: "cli-test".into(),
        now,
        limit: 10,
        lease_secs: 60,
        only: None,
    };
    assert_eq!(store.claim_deliveries(&req).await.unwrap().len(), 1);
    store.start_attempt(refused, "cli-test", now).await.unwrap();
    let end = DeliveryEnd {
        at: now,
        attempted: true,
        outcome: "undeliverable".into(),
        code: Some(550),
        reply: "RCPT TO: 5.1.1 no such user here".into(),
        state: DeliveryState::Failed,
        next_attempt_at: None,
        failure: Some(Failure::Undeliverable),
        bounce: Some(Severity::Hard),
    };
    store
        .finish_delivery(refused, "cli-test", &end)
        .await
        .unwrap();
    let mail = [queued_mail("waits@x.example", "waits", now)];
    (
        refused,
        store.enqueue(&mail).await.unwrap()[0].deliveries[0].1,
    )
}

/// `outloud outbox list|retry|cancel` and `outloud bounces list|clear` as an admin runs them:
/// a queued mail cancelled, the failed one and the cancelled one queued again, a hard bounce
/// listed with its score and cleared.
#[test]
fn outbox_and_bounces_commands_list_retry_cancel_and_clear() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("var")).unwrap();
    std::fs::write(d.join("outloud.toml"), CONFIG).unwrap();
    let url = format!("sqlite:{}", d.join("var/outloud.db").display());
    let now = chrono::Utc::now().timestamp();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (refused, waits) = rt.block_on(seed_outbox(&url, now));
    let run = |args: &[&str]| {
        let o = outloud(d, args);
        assert!(o.status.success(), "{args:?}: {}", text(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let state_of = |id: i64| {
        let v: serde_json::Value =
            serde_json::from_str(&run(&["outbox", "list", "--json"])).unwrap();
        let rows = v.as_array().unwrap();
        let row = rows.iter().find(|r| r["delivery"]["id"] == id).unwrap();
        row["delivery"]["state"].as_str().unwrap().to_string()
    };

    let list = run(&["outbox", "list"]);
    assert!(
        list.contains("gone@x.example") && list.contains("waits@x.example"),
        "{list}"
    );
    assert!(
        list.contains("[undeliverable] RCPT TO: 5.1.1 no such user here"),
        "{list}"
    );
    let failed = run(&["outbox", "list", "--state", "failed"]);
    assert!(
        failed.contains("gone@x.example") && !failed.contains("waits@"),
        "{failed}"
    );

    // Only a queued or retrying delivery can be cancelled.
    let (w, r) = (waits.to_string(), refused.to_string());
    let out = run(&["outbox", "cancel", &w, &r]);
    assert!(out.starts_with("1 of 2 deliveries cancelled"), "{out}");
    assert!(out.contains("only queued or retrying deliveries"), "{out}");
    assert_eq!(state_of(waits), "cancelled");
    assert_eq!(state_of(refused), "failed");
    let out = run(&["outbox", "retry", &w, &r]);
    assert!(out.starts_with("2 of 2 deliveries queued again"), "{out}");
    assert_eq!(
        (state_of(waits), state_of(refused)),
        ("queued".into(), "queued".into())
    );

    // The 550 counted 2 against the address: listed, not yet stopped (that is at 4).
    let v: serde_json::Value = serde_json::from_str(&run(&["bounces", "list", "--json"])).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
    assert_eq!(
        (
            &v[0]["address"],
            &v[0]["score"],
            &v[0]["hard"],
            &v[0]["stopped"]
        ),
        (
            &"gone@x.example".into(),
            &2.into(),
            &1.into(),
            &false.into()
        ),
        "{v}"
    );
    let listed = run(&["bounces", "list"]);
    assert!(
        listed.contains("gone@x.example") && listed.contains("score 2 (0 soft, 1 hard)"),
        "{listed}"
    );
    let out = run(&["bounces", "clear", "Gone@X.example"]);
    assert_eq!(out.trim(), "cleared 1 bounces of gone@x.example");
    assert_eq!(run(&["bounces", "list"]).trim(), "no bouncing addresses");
}

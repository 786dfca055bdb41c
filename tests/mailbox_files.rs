//! mailbox_files against real files in temporary directories.

use std::fs;
use std::path::Path;

use outloud::mailbox_files::{
    detect, open, FileError, MailKind, MboxWriter, ProgressUnit, RawItem,
};

fn mail(n: usize) -> String {
    format!(
        "From: Person {n} <p{n}@corp.example>\nTo: eng@corp.example\nSubject: mail {n}\n\
         Message-ID: <{n}@corp.example>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n\nBody {n}\n"
    )
}

fn items(path: &Path) -> Vec<RawItem> {
    open(path).unwrap().map(Result::unwrap).collect()
}

fn texts(path: &Path) -> Vec<String> {
    items(path)
        .into_iter()
        .map(|i| String::from_utf8(i.bytes).unwrap())
        .collect()
}

#[test]
fn maildir_cur_then_new_sorted_skipping_tmp_and_dotfiles() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("Mail");
    for sub in ["cur", "new", "tmp"] {
        fs::create_dir_all(md.join(sub)).unwrap();
    }
    fs::write(md.join("new/200.b"), mail(4)).unwrap();
    fs::write(md.join("new/100.a"), mail(3)).unwrap();
    fs::write(md.join("cur/2.x:2,S"), mail(2)).unwrap();
    fs::write(md.join("cur/1.x:2,S"), mail(1)).unwrap();
    fs::write(md.join("cur/.hidden"), "junk").unwrap();
    fs::write(md.join("tmp/partial"), "half a mail").unwrap();
    // Maildir++ subfolder, after the root.
    for sub in ["cur", "new"] {
        fs::create_dir_all(md.join(".Archive").join(sub)).unwrap();
    }
    fs::write(md.join(".Archive/cur/9.y:2,S"), mail(5)).unwrap();

    assert_eq!(detect(&md).unwrap(), MailKind::Maildir);
    let got = items(&md);
    let want: Vec<String> = (1..=5).map(mail).collect();
    let got_texts: Vec<String> = got
        .iter()
        .map(|i| String::from_utf8(i.bytes.clone()).unwrap())
        .collect();
    assert_eq!(got_texts, want);
    assert_eq!(got[0].origin, md.join("cur/1.x:2,S").display().to_string());
    assert_eq!(
        got[4].origin,
        md.join(".Archive/cur/9.y:2,S").display().to_string()
    );
}

#[test]
fn maildir_with_only_new() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("new")).unwrap();
    fs::write(dir.path().join("new/1"), mail(1)).unwrap();
    let mut src = open(dir.path()).unwrap();
    assert_eq!(src.kind(), MailKind::Maildir);
    assert_eq!(src.progress().total, 1);
    assert_eq!(src.progress().unit, ProgressUnit::Files);
    assert!(src.next().unwrap().is_ok());
    assert!(src.next().is_none());
}

#[test]
fn eml_file_and_eml_directory() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("b.eml");
    fs::write(&one, mail(2)).unwrap();
    fs::write(dir.path().join("a.EML"), mail(1)).unwrap();
    fs::write(dir.path().join("notes.txt"), "not mail").unwrap();

    assert_eq!(detect(&one).unwrap(), MailKind::Eml);
    let got = items(&one);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].origin, one.display().to_string());

    assert_eq!(detect(dir.path()).unwrap(), MailKind::EmlDir);
    assert_eq!(texts(dir.path()), [mail(1), mail(2)]);
}

#[test]
fn header_file_without_extension_is_eml() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("message");
    fs::write(&path, format!("Return-Path: <p@corp.example>\n{}", mail(1))).unwrap();
    assert_eq!(detect(&path).unwrap(), MailKind::Eml);
}

#[test]
fn mboxrd_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("archive.mbox");
    let content = "From a@corp.example Mon Jan  1 10:00:00 2024\nSubject: 1\n\n>From quoted\n>>From deeper\n\n\
                   From b@corp.example Mon Jan  1 11:00:00 2024\nSubject: 2\n\nbye";
    fs::write(&path, content).unwrap();
    let mut src = open(&path).unwrap();
    assert_eq!(src.kind(), MailKind::Mbox);
    let got: Vec<RawItem> = src.by_ref().map(Result::unwrap).collect();
    assert_eq!(got[0].bytes, b"Subject: 1\n\nFrom quoted\n>From deeper\n");
    assert_eq!(got[1].bytes, b"Subject: 2\n\nbye");
    assert_eq!(got[1].origin, format!("{}#2", path.display()));
    let p = src.progress();
    assert_eq!(
        (p.done, p.total, p.unit),
        (
            content.len() as u64,
            content.len() as u64,
            ProgressUnit::Bytes
        )
    );
}

/// mboxo escapes only `From ` and never unescapes: read with the mboxrd rule, a literal
/// `>From ` body line loses its `>` (documented), everything else is intact.
#[test]
fn mboxo_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old");
    let content =
        "From a Mon Jan  1 10:00:00 2024\r\nSubject: 1\r\n\r\n>From escaped\r\nplain\r\n\r\n\
                   From b Mon Jan  1 11:00:00 2024\r\nSubject: 2\r\n\r\n";
    fs::write(&path, content).unwrap();
    assert_eq!(
        texts(&path),
        [
            "Subject: 1\r\n\r\nFrom escaped\r\nplain\r\n",
            "Subject: 2\r\n"
        ]
    );
}

#[test]
fn empty_file_has_no_messages() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.mbox");
    fs::write(&path, "").unwrap();
    assert_eq!(detect(&path).unwrap(), MailKind::Mbox);
    assert!(items(&path).is_empty());
}

#[test]
fn written_mbox_reads_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.mbox");
    let mut msgs: Vec<Vec<u8>> = (0..500).map(|n| mail(n).into_bytes()).collect();
    msgs.push(b"Subject: tricky\r\n\r\nFrom me\r\n>From you\r\n\r\nFrom x\r\n".to_vec());
    msgs.push(b"Subject: no newline\n\nFrom end".to_vec());
    let mut w = MboxWriter::create(&path).unwrap();
    for m in &msgs {
        w.write_message(m).unwrap();
    }
    assert_eq!(w.count(), msgs.len() as u64);
    w.finish().unwrap();

    let back: Vec<Vec<u8>> = items(&path).into_iter().map(|i| i.bytes).collect();
    let last = msgs.last_mut().unwrap();
    last.push(b'\n'); // the one documented change: a final line break is added
    assert_eq!(back, msgs);
    let head = fs::read_to_string(&path).unwrap();
    assert!(
        head.starts_with("From p0@corp.example Mon Jan  1 10:00:00 2024\n"),
        "{head:.80}"
    );
}

#[test]
fn missing_path_names_it() {
    let err = open(Path::new("/nonexistent/x.mbox")).err().unwrap();
    assert_eq!(
        err.to_string(),
        "cannot read /nonexistent/x.mbox: no such file or directory"
    );
    assert!(matches!(err, FileError::Read { .. }));
}

#[test]
fn unrecognised_inputs_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    fs::write(&text, "hello there\nnot a mail\n").unwrap();
    let err = open(&text).err().unwrap();
    assert_eq!(
        err.to_string(),
        format!("{}: not an mbox, Maildir or .eml file", text.display())
    );

    let mbox = dir.path().join("bad.mbox");
    fs::write(&mbox, "Subject: no envelope line\n\nbody\n").unwrap();
    let err = open(&mbox).err().unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "{}: not an mbox: no \"From \" line at the start",
            mbox.display()
        )
    );

    let empty = dir.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let err = open(&empty).err().unwrap();
    assert!(matches!(err, FileError::UnrecognisedDir { .. }), "{err}");
    assert!(err.to_string().starts_with(&empty.display().to_string()));
}

#[test]
fn unreadable_maildir_file_is_reported_and_iteration_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("cur")).unwrap();
    fs::write(dir.path().join("cur/1"), mail(1)).unwrap();
    fs::write(dir.path().join("cur/2"), mail(2)).unwrap();
    let mut src = open(dir.path()).unwrap();
    // Listed, then gone before it is read (a mail client moved it).
    fs::remove_file(dir.path().join("cur/1")).unwrap();
    let first = src.next().unwrap().unwrap_err();
    assert!(first.to_string().starts_with("cannot read "), "{first}");
    assert!(
        first
            .to_string()
            .ends_with("cur/1: no such file or directory"),
        "{first}"
    );
    assert_eq!(src.next().unwrap().unwrap().bytes, mail(2).as_bytes());
    assert!(src.next().is_none());
}

#[cfg(unix)]
#[test]
fn permission_denied_names_the_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret.mbox");
    fs::write(&path, "From a\nS: 1\n").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).unwrap();
    if fs::read(&path).is_ok() {
        return; // running as root: permissions are not enforced
    }
    let err = open(&path).err().unwrap();
    assert_eq!(
        err.to_string(),
        format!("cannot read {}: permission denied", path.display())
    );
}

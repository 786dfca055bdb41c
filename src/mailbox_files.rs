//! Reading and writing mail files: mbox (read as mboxrd), Maildir (with Maildir++ subfolders),
//! single `.eml` files and directories of `.eml` files.
//!
//! Synchronous std I/O on purpose: this is an adapter, and the importer runs it on a blocking
//! thread. Everything streams: an mbox is read line by line through a large buffer, a Maildir
//! one file at a time, so memory stays at one message however big the input.
//!
//! ```no_run
//! use outloud::mailbox_files::open;
//! for item in open(std::path::Path::new("archive.mbox"))? {
//!     let item = item?; // item.bytes: one raw RFC 5322 mail; item.origin: "archive.mbox#7"
//! }
//! # Ok::<(), outloud::mailbox_files::FileError>(())
//! ```

mod dir;
mod mbox;

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

pub use mbox::{envelope_of, Envelope, MboxReader, MboxWriter};

/// One raw mail as found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawItem {
    pub bytes: Vec<u8>,
    /// Where it came from: `path/to/archive.mbox#7` (7th message, counting from 1) or the path
    /// of the Maildir / `.eml` file.
    pub origin: String,
}

/// What a path holds, as [`detect`] sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    Mbox,
    /// A directory with `cur/` and/or `new/` (plus any Maildir++ `.Folder` subdirectories).
    Maildir,
    /// One mail in one file.
    Eml,
    /// A directory of `*.eml` files.
    EmlDir,
}

impl MailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::Mbox => "mbox",
            MailKind::Maildir => "Maildir",
            MailKind::Eml => ".eml file",
            MailKind::EmlDir => "directory of .eml files",
        }
    }
}

/// Errors name the path in every message, since an import may touch many files.
///
/// The I/O error is part of the message rather than a `source()` so that error chains do not
/// print it twice.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read {}: {}", path.display(), io_reason(err))]
    Read { path: PathBuf, err: io::Error },
    #[error("cannot write {}: {}", path.display(), io_reason(err))]
    Write { path: PathBuf, err: io::Error },
    #[error("{}: not an mbox, Maildir or .eml file", path.display())]
    Unrecognised { path: PathBuf },
    #[error("{}: not an mbox: no \"From \" line at the start", path.display())]
    NotMbox { path: PathBuf },
    #[error("{}: not a Maildir (no cur/ or new/) and holds no .eml files", path.display())]
    UnrecognisedDir { path: PathBuf },
    /// A FIFO would block the reader forever, a device (`/dev/null`) reads as an empty mbox,
    /// a broken link as nothing: each is refused by name rather than read or skipped.
    #[error("{}: {what}, not a regular file or directory: not read", path.display())]
    NotRegular { path: PathBuf, what: &'static str },
}

impl FileError {
    /// The path the error is about.
    pub fn path(&self) -> &Path {
        match self {
            FileError::Read { path, .. }
            | FileError::Write { path, .. }
            | FileError::Unrecognised { path }
            | FileError::NotMbox { path }
            | FileError::UnrecognisedDir { path }
            | FileError::NotRegular { path, .. } => path,
        }
    }

    pub(crate) fn read(path: &Path) -> impl FnOnce(io::Error) -> FileError + '_ {
        move |err| FileError::Read {
            path: path.to_path_buf(),
            err,
        }
    }

    pub(crate) fn write(path: &Path) -> impl FnOnce(io::Error) -> FileError + '_ {
        move |err| FileError::Write {
            path: path.to_path_buf(),
            err,
        }
    }
}

/// "Permission denied (os error 13)" → "permission denied": the path already says where.
fn io_reason(err: &io::Error) -> String {
    let text = err.to_string();
    let text = match text.rfind(" (os error ") {
        Some(i) if text.ends_with(')') => text[..i].to_string(),
        _ => text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => text,
    }
}

/// How far a [`MailSource`] has got, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
    pub unit: ProgressUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressUnit {
    Bytes,
    Files,
}

/// Buffer for mbox reading: large enough that a 40 MB file takes a few hundred reads.
const MBOX_BUFFER: usize = 256 * 1024;

/// The mails in a path, in a deterministic order. See [`open`].
pub struct MailSource {
    kind: MailKind,
    inner: Inner,
}

enum Inner {
    Mbox {
        reader: MboxReader<BufReader<File>>,
        total: u64,
    },
    Files(dir::FileList),
}

impl MailSource {
    pub fn kind(&self) -> MailKind {
        self.kind
    }

    /// What the importer should pass on about how the source was read: for an mbox, `From `
    /// lines shaped like separators that were read as text (no blank line before them), which
    /// is what an mboxo file written without blank separator lines looks like.
    pub fn warning(&self) -> Option<String> {
        let Inner::Mbox { reader, .. } = &self.inner else {
            return None;
        };
        let n = reader.unseparated_from_lines();
        (n > 0).then(|| {
            format!(
                "{}: {n} line{s} shaped like a \"From \" separator {were} not taken as message \
                 boundaries (no blank line before {them}), so {n} mail{s} may have been read as \
                 part of the one before; {m} mail{ms} read. If this is an mbox written without \
                 blank lines between messages, add them (a blank line before each \"From \" \
                 separator) and import it again",
                reader.label(),
                s = if n == 1 { "" } else { "s" },
                were = if n == 1 { "was" } else { "were" },
                them = if n == 1 { "it" } else { "them" },
                m = reader.messages(),
                ms = if reader.messages() == 1 { "" } else { "s" },
            )
        })
    }

    pub fn progress(&self) -> Progress {
        match &self.inner {
            Inner::Mbox { reader, total } => Progress {
                done: reader.bytes_read(),
                total: *total,
                unit: ProgressUnit::Bytes,
            },
            Inner::Files(list) => {
                let (done, total) = list.progress();
                Progress {
                    done,
                    total,
                    unit: ProgressUnit::Files,
                }
            }
        }
    }
}

impl Iterator for MailSource {
    type Item = Result<RawItem, FileError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.inner {
            Inner::Mbox { reader, .. } => reader.next(),
            Inner::Files(list) => list.next(),
        }
    }
}

/// Detect what `path` holds and iterate over its mails.
///
/// - Maildir: every file in `cur/` then `new/`, each sorted by name, then the same for each
///   Maildir++ subfolder (`.Name/`) in name order. Dotfiles and `tmp/` are skipped.
/// - Directory of `.eml` files: those files, sorted by name.
/// - `.eml` file: one item.
/// - mbox: one item per message, streamed; see [`MboxReader`] for the exact rules. An empty
///   file is an mbox with no messages.
///
/// A Maildir or `.eml` file that cannot be read yields an `Err` and iteration goes on with the
/// next file; an mbox read error ends the iteration.
pub fn open(path: &Path) -> Result<MailSource, FileError> {
    let kind = detect(path)?;
    open_as(path, kind)
}

/// Like [`open`] with the kind already known (e.g. forced on the command line).
pub fn open_as(path: &Path, kind: MailKind) -> Result<MailSource, FileError> {
    regular_or_dir(path)?;
    let inner = match kind {
        MailKind::Mbox => {
            let file = File::open(path).map_err(FileError::read(path))?;
            let total = file.metadata().map_err(FileError::read(path))?.len();
            let reader = MboxReader::new(BufReader::with_capacity(MBOX_BUFFER, file), path);
            Inner::Mbox { reader, total }
        }
        MailKind::Maildir => Inner::Files(dir::maildir(path)?),
        MailKind::EmlDir => Inner::Files(dir::eml_dir(path)?),
        MailKind::Eml => Inner::Files(dir::FileList::new(vec![path.to_path_buf()])),
    };
    Ok(MailSource { kind, inner })
}

/// Decide what `path` holds without reading more than its first few kilobytes.
pub fn detect(path: &Path) -> Result<MailKind, FileError> {
    let meta = regular_or_dir(path)?;
    if meta.is_dir() {
        if path.join("cur").is_dir() || path.join("new").is_dir() {
            return Ok(MailKind::Maildir);
        }
        if dir::has_eml(path)? {
            return Ok(MailKind::EmlDir);
        }
        return Err(FileError::UnrecognisedDir {
            path: path.to_path_buf(),
        });
    }
    if has_extension(path, "eml") {
        return Ok(MailKind::Eml);
    }
    let head = read_head(path)?;
    // Leading blank lines are tolerated by the mbox reader, so skip them here too.
    let start = head
        .iter()
        .position(|b| !matches!(b, b'\r' | b'\n'))
        .unwrap_or(head.len());
    let first = first_line(&head[start..]);
    if head[start..].is_empty() {
        // Empty (or blank-only) file: an mbox with nothing in it, which is what an mbox
        // export of an empty folder looks like.
        return Ok(MailKind::Mbox);
    }
    if first.starts_with(b"From ") {
        return Ok(MailKind::Mbox);
    }
    if has_extension(path, "mbox") || has_extension(path, "mbx") {
        return Err(FileError::NotMbox {
            path: path.to_path_buf(),
        });
    }
    if looks_like_header(first) {
        return Ok(MailKind::Eml);
    }
    Err(FileError::Unrecognised {
        path: path.to_path_buf(),
    })
}

/// The metadata of `path` if it is a regular file or a directory (after links); otherwise
/// [`FileError::NotRegular`] saying what it is, before anything opens it.
pub(crate) fn regular_or_dir(path: &Path) -> Result<std::fs::Metadata, FileError> {
    use std::os::unix::fs::FileTypeExt;
    let not_regular = |what| FileError::NotRegular {
        path: path.to_path_buf(),
        what,
    };
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() || m.is_dir() => Ok(m),
        Ok(m) => {
            let t = m.file_type();
            Err(not_regular(if t.is_fifo() {
                "a named pipe (FIFO)"
            } else if t.is_char_device() {
                "a character device"
            } else if t.is_block_device() {
                "a block device"
            } else if t.is_socket() {
                "a socket"
            } else {
                "a special file"
            }))
        }
        Err(_) if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) => {
            Err(not_regular("a broken symbolic link"))
        }
        Err(e) => Err(FileError::read(path)(e)),
    }
}

fn has_extension(path: &Path, ext: &str) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

fn read_head(path: &Path) -> Result<Vec<u8>, FileError> {
    let file = File::open(path).map_err(FileError::read(path))?;
    let mut head = Vec::with_capacity(4096);
    file.take(4096)
        .read_to_end(&mut head)
        .map_err(FileError::read(path))?;
    Ok(head)
}

fn first_line(bytes: &[u8]) -> &[u8] {
    match bytes.iter().position(|&b| b == b'\n') {
        Some(i) => &bytes[..i],
        None => bytes,
    }
}

/// `Name: value` with an RFC 5322 field name (printable ASCII, no colon or space).
fn looks_like_header(line: &[u8]) -> bool {
    match line.iter().position(|&b| b == b':') {
        Some(colon) if colon > 0 => line[..colon].iter().all(|&b| (33..=126).contains(&b)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_reason_is_short_and_lower_case() {
        let err = io::Error::from_raw_os_error(13);
        let e = FileError::Read {
            path: "/x/y.mbox".into(),
            err,
        };
        assert_eq!(e.to_string(), "cannot read /x/y.mbox: permission denied");
        let err = io::Error::other("Disk on fire");
        assert_eq!(io_reason(&err), "disk on fire");
    }

    #[test]
    fn header_lines() {
        assert!(looks_like_header(b"Return-Path: <a@b>"));
        assert!(looks_like_header(b"X-Mailer:x"));
        assert!(!looks_like_header(b"From a@b Mon Jan  1 00:00:00 2024"));
        assert!(!looks_like_header(b": nothing"));
        assert!(!looks_like_header(b"Hello world: no"));
        assert!(!looks_like_header(b"plain text"));
    }
}

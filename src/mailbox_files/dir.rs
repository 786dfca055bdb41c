//! One-mail-per-file sources: Maildir (and Maildir++ subfolders), directories of `.eml` files.
//!
//! Directories are listed up front (names only, sorted for a deterministic order); each file is
//! read only when the iterator reaches it.

use std::fs;
use std::path::{Path, PathBuf};

use super::{FileError, RawItem};

/// A list of files, read one at a time.
pub(super) struct FileList {
    files: Vec<PathBuf>,
    next: usize,
}

impl FileList {
    pub(super) fn new(files: Vec<PathBuf>) -> Self {
        FileList { files, next: 0 }
    }

    pub(super) fn progress(&self) -> (u64, u64) {
        (self.next as u64, self.files.len() as u64)
    }
}

impl Iterator for FileList {
    type Item = Result<RawItem, FileError>;

    fn next(&mut self) -> Option<Self::Item> {
        let path = self.files.get(self.next)?;
        self.next += 1;
        // A file that vanished (a mail client moved it from new/ to cur/ meanwhile) is reported
        // like any other unreadable file; the caller decides whether that is fatal. A FIFO,
        // device or broken link is refused by name before anything opens it.
        if let Err(e) = super::regular_or_dir(path).and_then(|m| {
            if m.is_dir() {
                Err(FileError::NotRegular {
                    path: path.clone(),
                    what: "a directory",
                })
            } else {
                Ok(())
            }
        }) {
            return Some(Err(e));
        }
        Some(
            fs::read(path)
                .map(|bytes| RawItem {
                    bytes,
                    origin: path.display().to_string(),
                })
                .map_err(FileError::read(path)),
        )
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.files.len() - self.next;
        (left, Some(left))
    }
}

/// Files of a Maildir: `cur/` then `new/` of the root, then of each Maildir++ subfolder.
pub(super) fn maildir(root: &Path) -> Result<FileList, FileError> {
    let mut files = Vec::new();
    push_maildir(root, &mut files)?;
    // Maildir++ keeps subfolders as `.Name` (nested as `.Parent.Child`) directories in the root.
    for sub in sorted_entries(root)? {
        let is_folder = sub
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.len() > 1 && n.starts_with('.') && n != "..");
        if is_folder && sub.is_dir() && (sub.join("cur").is_dir() || sub.join("new").is_dir()) {
            push_maildir(&sub, &mut files)?;
        }
    }
    Ok(FileList::new(files))
}

fn push_maildir(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), FileError> {
    for sub in ["cur", "new"] {
        let sub = dir.join(sub);
        if !sub.is_dir() {
            continue;
        }
        for path in sorted_entries(&sub)? {
            // Everything but subdirectories is listed: what is not a regular file is reported
            // when reached, not skipped without a word.
            if !is_hidden(&path) && !path.is_dir() {
                files.push(path);
            }
        }
    }
    Ok(())
}

/// The `*.eml` files directly in `dir`, sorted by name.
pub(super) fn eml_dir(dir: &Path) -> Result<FileList, FileError> {
    let files = sorted_entries(dir)?
        .into_iter()
        .filter(|p| is_eml(p))
        .collect();
    Ok(FileList::new(files))
}

pub(super) fn has_eml(dir: &Path) -> Result<bool, FileError> {
    Ok(sorted_entries(dir)?.iter().any(|p| is_eml(p)))
}

fn is_eml(path: &Path) -> bool {
    !is_hidden(path)
        && path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("eml"))
        && !path.is_dir()
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'))
}

/// Entries of `dir` sorted by file name (byte order), so every run sees the same order.
fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, FileError> {
    let mut paths = Vec::new();
    for entry in fs::read_dir(dir).map_err(FileError::read(dir))? {
        paths.push(entry.map_err(FileError::read(dir))?.path());
    }
    paths.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(paths)
}

//! mbox, read and written as mboxrd.
//!
//! # Reading
//! A message starts at a line beginning with `From ` that is the first non-blank line of the
//! file or follows a blank line (`\n` or `\r\n`). That blank line is the separator: it is not
//! part of the message before it, and neither is a blank last line of the file. Every line that
//! matches `^>+From ` loses one `>`.
//!
//! The `>` rule is mboxrd's. A reader cannot tell mboxrd from mboxo (which escapes only
//! `From ` and never unescapes `>From `), and mboxrd is the de-facto rule of current writers,
//! so it is applied to every file: in an mboxo file, a body line that really was `>From ` comes
//! back as `From `. Content-Length (mboxcl) headers are not used.
//!
//! # Writing
//! [`MboxWriter`] writes `From <sender> <asctime date>`, the message with every line matching
//! `^>*From ` given one more `>`, a line break if the message did not end in one, and a blank
//! separator line. Line breaks of the `From ` and separator lines follow the message's first
//! line (CRLF or LF), so a CRLF message stays a CRLF block.
//!
//! # Round trip
//! Reading back what [`MboxWriter`] wrote gives the exact bytes of every message, except that a
//! non-empty message not ending in `\n` gains a line break: `\r\n` if its first line ends in
//! `\r\n`, `\n` otherwise.

use std::fs::File;
use std::io::{self, BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{FileError, RawItem};

/// Streams the messages of an mbox. Reuses its line buffer; holds one message at a time.
pub struct MboxReader<R: BufRead> {
    reader: R,
    path: PathBuf,
    label: String,
    line: Vec<u8>,
    cur: Vec<u8>,
    /// Inside a message (a `From ` line has been seen).
    in_msg: bool,
    /// The last line of `cur` was blank; its length, to drop it when it turns out to be a
    /// separator.
    prev_blank: bool,
    last_len: usize,
    /// Messages started so far: the number of the one in `cur`.
    count: u64,
    /// Lines shaped like a `From ` separator (`From sender weekday month day time year`) that
    /// were read as message text because no blank line came before them.
    unseparated: u64,
    bytes_read: u64,
    done: bool,
}

impl<R: BufRead> MboxReader<R> {
    /// `path` names the input in origins (`path#n`) and errors.
    pub fn new(reader: R, path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        MboxReader {
            reader,
            label: path.display().to_string(),
            path,
            line: Vec::with_capacity(1024),
            cur: Vec::with_capacity(16 * 1024),
            in_msg: false,
            prev_blank: false,
            last_len: 0,
            count: 0,
            unseparated: 0,
            bytes_read: 0,
            done: false,
        }
    }

    /// The input's name, as in origins.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Messages read so far.
    pub fn messages(&self) -> u64 {
        self.count
    }

    /// Separator-shaped `From ` lines read as text so far (no blank line before them): many
    /// of them mean an mboxo file written without blank separator lines, whose mails were read
    /// as parts of the mails before them.
    pub fn unseparated_from_lines(&self) -> u64 {
        self.unseparated
    }

    /// Bytes consumed from the input so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// Close the message in `cur` and start the next one.
    fn finish(&mut self) -> RawItem {
        if self.prev_blank {
            self.cur.truncate(self.cur.len() - self.last_len);
        }
        // Next message is probably about the same size; cap the hint so one huge
        // attachment does not pin memory.
        let hint = self.cur.len().clamp(4096, 1 << 20);
        let bytes = std::mem::replace(&mut self.cur, Vec::with_capacity(hint));
        self.prev_blank = false;
        RawItem {
            bytes,
            origin: format!("{}#{}", self.label, self.count),
        }
    }
}

impl<R: BufRead> Iterator for MboxReader<R> {
    type Item = Result<RawItem, FileError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            self.line.clear();
            let n = match self.reader.read_until(b'\n', &mut self.line) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => {
                    self.done = true;
                    return Some(Err(FileError::Read {
                        path: self.path.clone(),
                        err,
                    }));
                }
            };
            self.bytes_read += n as u64;
            if n == 0 {
                self.done = true;
                return self.in_msg.then(|| Ok(self.finish()));
            }
            let blank = is_blank(&self.line);
            if !self.in_msg {
                if blank {
                    continue;
                }
                if self.line.starts_with(b"From ") {
                    self.in_msg = true;
                    self.count = 1;
                    continue;
                }
                self.done = true;
                return Some(Err(FileError::NotMbox {
                    path: self.path.clone(),
                }));
            }
            if self.prev_blank && self.line.starts_with(b"From ") {
                let item = self.finish();
                self.count += 1;
                return Some(Ok(item));
            }
            if self.line.starts_with(b"From ") && looks_like_separator(&self.line) {
                self.unseparated += 1;
            }
            let skip = usize::from(is_escaped_from(&self.line));
            self.cur.extend_from_slice(&self.line[skip..]);
            self.prev_blank = blank;
            self.last_len = n - skip;
        }
    }
}

/// `From sender Www Mmm dd hh:mm[:ss] …yyyy`: the asctime date a writer puts on a separator,
/// which body text starting with "From " almost never has.
fn looks_like_separator(line: &[u8]) -> bool {
    static SEPARATOR: std::sync::LazyLock<regex::bytes::Regex> = std::sync::LazyLock::new(|| {
        regex::bytes::Regex::new(
            r"^From \S+ +[A-Z][a-z]{2} +[A-Z][a-z]{2} +\d{1,2} +\d{1,2}:\d{2}(:\d{2})?\b.*\b\d{4}\s*$",
        )
        .unwrap()
    });
    SEPARATOR.is_match(line)
}

fn is_blank(line: &[u8]) -> bool {
    line == b"\n" || line == b"\r\n"
}

/// `^>+From `: an escaped line that loses one `>` on reading.
fn is_escaped_from(line: &[u8]) -> bool {
    let quotes = line.iter().take_while(|&&b| b == b'>').count();
    quotes > 0 && line[quotes..].starts_with(b"From ")
}

/// `^>*From `: a line that gains one `>` on writing.
fn needs_escape(line: &[u8]) -> bool {
    let quotes = line.iter().take_while(|&&b| b == b'>').count();
    line[quotes..].starts_with(b"From ")
}

/// What goes on a `From ` line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    /// Envelope sender; `MAILER-DAEMON` when `None` or empty.
    pub sender: Option<String>,
    /// Unix seconds, UTC; the epoch when `None`, so output stays deterministic.
    pub date: Option<i64>,
}

/// Envelope from the headers: `Return-Path` (else `From`) address and the `Date` header.
pub fn envelope_of(raw: &[u8]) -> Envelope {
    let mut return_path = None;
    let mut from = None;
    let mut date = None;
    for (name, value) in headers(raw) {
        let slot = if name.eq_ignore_ascii_case("return-path") {
            &mut return_path
        } else if name.eq_ignore_ascii_case("from") {
            &mut from
        } else if name.eq_ignore_ascii_case("date") {
            &mut date
        } else {
            continue;
        };
        slot.get_or_insert(value);
    }
    // `Return-Path: <>` is a null sender (a bounce): MAILER-DAEMON, not the From address.
    let sender = match return_path {
        Some(rp) => address_in(&rp),
        None => from.as_deref().and_then(address_in),
    };
    let date = date.and_then(|d| parse_date(&d));
    Envelope { sender, date }
}

/// The unfolded header fields of a raw mail, as lossy UTF-8.
fn headers(raw: &[u8]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in raw.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        let text = String::from_utf8_lossy(line);
        if line[0] == b' ' || line[0] == b'\t' {
            if let Some((_, value)) = out.last_mut() {
                value.push(' ');
                value.push_str(text.trim());
            }
        } else if let Some((name, value)) = text.split_once(':') {
            out.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    out
}

fn address_in(value: &str) -> Option<String> {
    let addr = match (value.rfind('<'), value.rfind('>')) {
        (Some(l), Some(r)) if l < r => &value[l + 1..r],
        _ => value
            .split_whitespace()
            .find(|w| w.contains('@'))
            .unwrap_or(""),
    };
    let addr = addr.trim();
    (!addr.is_empty() && !addr.contains(char::is_whitespace)).then(|| addr.to_string())
}

fn parse_date(value: &str) -> Option<i64> {
    let value = value.trim();
    if let Ok(d) = chrono::DateTime::parse_from_rfc2822(value) {
        return Some(d.timestamp());
    }
    // "… +0200 (CEST)": retry without the trailing comment.
    let (head, _) = value.rsplit_once(" (")?;
    chrono::DateTime::parse_from_rfc2822(head.trim())
        .ok()
        .map(|d| d.timestamp())
}

/// `Thu Jan  1 00:00:00 1970`, the asctime form `From ` lines use (UTC).
fn asctime(secs: i64) -> String {
    let date = chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default();
    date.format("%a %b %e %H:%M:%S %Y").to_string()
}

/// Writes mboxrd. See the module documentation for the exact format.
pub struct MboxWriter<W: Write> {
    inner: W,
    path: PathBuf,
    count: u64,
}

impl MboxWriter<BufWriter<File>> {
    /// Create (or truncate) the file at `path`.
    pub fn create(path: &Path) -> Result<Self, FileError> {
        let file = File::create(path).map_err(FileError::write(path))?;
        Ok(MboxWriter::new(
            BufWriter::with_capacity(256 * 1024, file),
            path,
        ))
    }
}

impl<W: Write> MboxWriter<W> {
    /// `path` names the output in errors (e.g. `<stdout>` for standard output).
    pub fn new(inner: W, path: impl Into<PathBuf>) -> Self {
        MboxWriter {
            inner,
            path: path.into(),
            count: 0,
        }
    }

    /// Messages written so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Write one message; sender and date come from its headers (see [`envelope_of`]).
    pub fn write_message(&mut self, raw: &[u8]) -> Result<(), FileError> {
        let envelope = envelope_of(raw);
        self.write_message_with(raw, &envelope)
    }

    /// Write one message with the given envelope.
    pub fn write_message_with(&mut self, raw: &[u8], envelope: &Envelope) -> Result<(), FileError> {
        let result = self.write_inner(raw, envelope);
        result.map_err(FileError::write(&self.path))?;
        self.count += 1;
        Ok(())
    }

    fn write_inner(&mut self, raw: &[u8], envelope: &Envelope) -> io::Result<()> {
        let crlf = raw
            .iter()
            .position(|&b| b == b'\n')
            .is_some_and(|i| i > 0 && raw[i - 1] == b'\r');
        let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
        // The sender is one word on the From line: anything with spaces would break parsing.
        let sender = envelope
            .sender
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty() && !s.contains(char::is_whitespace))
            .unwrap_or("MAILER-DAEMON");
        let date = asctime(envelope.date.unwrap_or(0));
        write!(self.inner, "From {sender} {date}")?;
        self.inner.write_all(eol)?;
        // Copy runs of lines that need no escape in one call.
        let mut start = 0;
        for (pos, line) in line_starts(raw) {
            if needs_escape(line) {
                self.inner.write_all(&raw[start..pos])?;
                self.inner.write_all(b">")?;
                start = pos;
            }
        }
        self.inner.write_all(&raw[start..])?;
        if !raw.is_empty() && !raw.ends_with(b"\n") {
            self.inner.write_all(eol)?;
        }
        self.inner.write_all(eol)
    }

    /// Flush and hand back the inner writer.
    pub fn finish(mut self) -> Result<W, FileError> {
        self.inner.flush().map_err(FileError::write(&self.path))?;
        Ok(self.inner)
    }
}

/// Each line of `raw` with its start offset.
fn line_starts(raw: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut pos = 0;
    raw.split_inclusive(|&b| b == b'\n').map(move |line| {
        let start = pos;
        pos += line.len();
        (start, line)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn read(input: &[u8]) -> Vec<Result<RawItem, FileError>> {
        MboxReader::new(input, "t.mbox").collect()
    }

    fn bodies(input: &[u8]) -> Vec<String> {
        read(input)
            .into_iter()
            .map(|r| String::from_utf8(r.unwrap().bytes).unwrap())
            .collect()
    }

    fn write_all(msgs: &[&[u8]]) -> Vec<u8> {
        let mut w = MboxWriter::new(Vec::new(), "out.mbox");
        for m in msgs {
            w.write_message(m).unwrap();
        }
        w.finish().unwrap()
    }

    #[test]
    fn splits_on_from_after_blank_line() {
        let input = b"From a@b Mon Jan  1 00:00:00 2024\nSubject: one\n\nbody\n\n\
                      From c@d Mon Jan  1 00:00:00 2024\nSubject: two\n\nFrom here on\nx\n";
        // "From here on" follows a header/body blank line: that IS a separator (unescaped mboxo
        // cannot be told apart), which is why writers escape it.
        assert_eq!(
            bodies(input),
            ["Subject: one\n\nbody\n", "Subject: two\n", "x\n"]
        );
    }

    #[test]
    fn from_not_after_blank_line_stays() {
        let input = b"From a Mon Jan  1 00:00:00 2024\nSubject: x\n\nline\nFrom me\n";
        assert_eq!(bodies(input), ["Subject: x\n\nline\nFrom me\n"]);
    }

    #[test]
    fn origins_count_from_one() {
        let input = b"From a\nA: 1\n\nFrom b\nB: 2\n\nFrom c\nC: 3\n";
        let origins: Vec<_> = read(input).into_iter().map(|r| r.unwrap().origin).collect();
        assert_eq!(origins, ["t.mbox#1", "t.mbox#2", "t.mbox#3"]);
    }

    #[test]
    fn mboxrd_unescape_removes_one_level() {
        let input = b"From a\nS: x\n\n>From one\n>>From two\n> From not\n>Fromage\n";
        assert_eq!(
            bodies(input),
            ["S: x\n\nFrom one\n>From two\n> From not\n>Fromage\n"]
        );
    }

    #[test]
    fn crlf_file() {
        let input = b"From a\r\nS: 1\r\n\r\nbody\r\n\r\nFrom b\r\nS: 2\r\n\r\n>From x\r\n\r\n";
        assert_eq!(
            bodies(input),
            ["S: 1\r\n\r\nbody\r\n", "S: 2\r\n\r\nFrom x\r\n"]
        );
    }

    #[test]
    fn missing_final_newline() {
        assert_eq!(bodies(b"From a\nS: 1\n\nlast"), ["S: 1\n\nlast"]);
    }

    #[test]
    fn empty_and_blank_input_have_no_messages() {
        assert!(read(b"").is_empty());
        assert!(read(b"\n\r\n").is_empty());
    }

    #[test]
    fn leading_blank_lines_are_skipped() {
        assert_eq!(bodies(b"\n\nFrom a\nS: 1\n"), ["S: 1\n"]);
    }

    #[test]
    fn separators_without_a_blank_line_before_are_counted() {
        let file = b"From a@x Mon Jan  1 00:00:00 2024\nSubject: 1\n\none\n\
            From b@x Tue Jan  2 10:11:12 2024\nSubject: 2\n\ntwo\n\
            From here on, a body line.\n\
            From c@x Wed Jan  3 10:11 +0100 2024\r\nSubject: 3\n\nthree\n";
        let mut reader = MboxReader::new(&file[..], "t.mbox");
        assert_eq!(reader.by_ref().count(), 1);
        assert_eq!(reader.messages(), 1);
        // The body line starting with "From " is not separator-shaped; the two others are.
        assert_eq!(reader.unseparated_from_lines(), 2);
    }

    #[test]
    fn no_from_line_is_an_error_naming_the_file() {
        let items = read(b"Subject: hi\n\nbody\n");
        assert_eq!(items.len(), 1);
        let err = items.into_iter().next().unwrap().unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.mbox: not an mbox: no \"From \" line at the start"
        );
    }

    #[test]
    fn empty_message_between_separators() {
        assert_eq!(bodies(b"From a\n\nFrom b\nS: 2\n"), ["", "S: 2\n"]);
    }

    #[test]
    fn writer_escapes_and_frames() {
        let raw = b"From: A <a@x.example>\nDate: Tue, 2 Jan 2024 10:00:00 +0100\n\n\
                    From the top\n>From quoted\nend";
        let out = write_all(&[raw]);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "From a@x.example Tue Jan  2 09:00:00 2024\nFrom: A <a@x.example>\n\
             Date: Tue, 2 Jan 2024 10:00:00 +0100\n\n>From the top\n>>From quoted\nend\n\n"
        );
    }

    #[test]
    fn writer_first_line_escape_and_crlf() {
        let out = write_all(&[b"From x\r\nS: 1\r\n"]);
        assert_eq!(
            out,
            b"From MAILER-DAEMON Thu Jan  1 00:00:00 1970\r\n>From x\r\nS: 1\r\n\r\n"
        );
    }

    #[test]
    fn envelope_prefers_return_path_and_handles_null_sender() {
        let e = envelope_of(b"Return-Path: <bounce@x.example>\nFrom: a@y.example\n\n");
        assert_eq!(e.sender.as_deref(), Some("bounce@x.example"));
        let e = envelope_of(b"Return-Path: <>\nFrom: a@y.example\n\n");
        assert_eq!(e.sender, None);
        let e = envelope_of(b"From: \"A, B\"\r\n <a@y.example>\r\nDate: Mon, 1 Jan 2024\r\n 00:00:00 +0000 (UTC)\r\n\r\n");
        assert_eq!(e.sender.as_deref(), Some("a@y.example"));
        assert_eq!(e.date, Some(1_704_067_200));
    }

    /// What a message reads back as: exact, plus a line break if it lacked one.
    fn normalised(msg: &[u8]) -> Vec<u8> {
        let mut out = msg.to_vec();
        if !msg.is_empty() && !msg.ends_with(b"\n") {
            let crlf = msg
                .iter()
                .position(|&b| b == b'\n')
                .is_some_and(|i| i > 0 && msg[i - 1] == b'\r');
            out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
        }
        out
    }

    #[test]
    fn round_trip_tricky_messages() {
        let msgs: Vec<&[u8]> = vec![
            b"S: 1\n\nFrom start\n\nFrom after blank\n>From one\n>>>From three\n",
            b"S: 2\r\n\r\nFrom crlf\r\n\r\n>From x\r\n",
            b"S: 3\n\nno final newline",
            b"S: 4\n\nends with blank lines\n\n\n",
            b"",
            b"\n",
            b"From x\nS: 5\n\nstarts with From\n",
            b"S: 6\n\nFrom",
        ];
        let out = write_all(&msgs);
        let back: Vec<Vec<u8>> = read(&out).into_iter().map(|r| r.unwrap().bytes).collect();
        let want: Vec<Vec<u8>> = msgs.iter().map(|m| normalised(m)).collect();
        assert_eq!(back, want);
    }

    fn line() -> impl Strategy<Value = Vec<u8>> {
        let text = prop_oneof![
            Just("From x"),
            Just(">From y"),
            Just(">>From z"),
            Just("From"),
            Just(" From a"),
            Just(""),
            Just("text"),
            Just(">"),
            Just("From: h"),
            Just("\r"),
        ];
        let eol = prop_oneof![Just("\n"), Just("\r\n")];
        (text, eol).prop_map(|(t, e)| format!("{t}{e}").into_bytes())
    }

    fn message() -> impl Strategy<Value = Vec<u8>> {
        (
            proptest::collection::vec(line(), 0..8),
            prop_oneof![Just(""), Just("tail"), Just("From t")],
        )
            .prop_map(|(lines, tail)| {
                let mut m: Vec<u8> = lines.concat();
                m.extend_from_slice(tail.as_bytes());
                m
            })
    }

    proptest! {
        #[test]
        fn round_trip_any(msgs in proptest::collection::vec(message(), 0..6)) {
            let refs: Vec<&[u8]> = msgs.iter().map(Vec::as_slice).collect();
            let out = write_all(&refs);
            let back: Vec<Vec<u8>> = read(&out).into_iter().map(|r| r.unwrap().bytes).collect();
            let want: Vec<Vec<u8>> = msgs.iter().map(|m| normalised(m)).collect();
            prop_assert_eq!(back, want);
        }
    }
}

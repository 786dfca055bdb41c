//! MIME writing for the corpus: legacy charsets (ISO-8859-x, windows-125x, KOI8-R,
//! ISO-2022-JP, Shift_JIS) through encoding_rs, quoted-printable and base64 on bytes, RFC 2047
//! encoded words in the part's charset, and the assembly of a whole message.

use outloud::seeded::SeededRng;

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn base64(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_lines(data: &[u8]) -> String {
    let flat = base64(data);
    let mut out = String::new();
    for line in flat.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out
}

/// Quoted-printable over bytes (RFC 2045): 76-column lines with `=` soft breaks, `\n` kept as
/// a hard break, trailing spaces encoded.
pub fn quoted_printable(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len() + data.len() / 8);
    let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    for (i, line) in lines.iter().enumerate() {
        let mut col = 0;
        for (j, &b) in line.iter().enumerate() {
            let last = j + 1 == line.len();
            let literal =
                (b == b' ' || b == b'\t') && !last || (33..=126).contains(&b) && b != b'=';
            let token = if literal {
                (b as char).to_string()
            } else {
                format!("={b:02X}")
            };
            if col + token.len() > 75 {
                out.push_str("=\n");
                col = 0;
            }
            out.push_str(&token);
            col += token.len();
        }
        if i + 1 < lines.len() {
            out.push('\n');
        }
    }
    out
}

pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// `text` in `charset`, or `None` when the charset cannot represent it (the client would
/// then fall back to UTF-8).
pub fn encode(text: &str, charset: &str) -> Option<Vec<u8>> {
    let lower = charset.to_ascii_lowercase();
    match lower.as_str() {
        "utf-8" => return Some(text.as_bytes().to_vec()),
        "us-ascii" => return text.is_ascii().then(|| text.as_bytes().to_vec()),
        // encoding_rs maps the label to windows-1252; keep to what ISO-8859-1 really holds.
        "iso-8859-1" if text.chars().any(|c| c as u32 > 0xFF) => return None,
        _ => {}
    }
    let enc = encoding_rs::Encoding::for_label(lower.as_bytes())?;
    let (bytes, _, unmappable) = enc.encode(text);
    (!unmappable).then(|| bytes.into_owned())
}

/// The charset actually used: the wanted one if it can hold the text, else UTF-8; pure ASCII
/// text from mutt goes out as us-ascii.
pub fn settle_charset(text: &str, wanted: &'static str, mutt: bool) -> &'static str {
    if mutt && text.is_ascii() {
        return "us-ascii";
    }
    if encode(text, wanted).is_some() {
        wanted
    } else if wanted.chars().any(|c| c.is_ascii_uppercase()) {
        "UTF-8"
    } else {
        "utf-8"
    }
}

/// A transfer encoding that can carry the bytes: 7bit only for ASCII.
pub fn settle_transfer(bytes: &[u8], wanted: &'static str) -> &'static str {
    if wanted == "7bit" && !bytes.is_ascii() {
        "quoted-printable"
    } else {
        wanted
    }
}

/// RFC 2047 encoded words for a header value, in `charset` (UTF-8 if it cannot hold it).
pub fn encoded_words(text: &str, charset: &str, b: bool) -> Vec<String> {
    let charset = if encode(text, charset).is_some() {
        charset
    } else {
        "UTF-8"
    };
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        let mut next = chunk.clone();
        next.push(c);
        let len = encode(&next, charset).map(|v| v.len()).unwrap_or(0);
        let cost = if b { len.div_ceil(3) * 4 } else { len * 3 };
        if cost > 60 && !chunk.is_empty() {
            words.push(encode_word(&chunk, charset, b));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(encode_word(&chunk, charset, b));
    }
    words
}

fn encode_word(text: &str, charset: &str, b: bool) -> String {
    let bytes = encode(text, charset).unwrap_or_else(|| text.as_bytes().to_vec());
    if b {
        return format!("=?{charset}?B?{}?=", base64(&bytes));
    }
    let mut out = format!("=?{charset}?Q?");
    for &c in &bytes {
        match c {
            b' ' => out.push('_'),
            c if c.is_ascii_alphanumeric() || b"!*+-/".contains(&c) => out.push(c as char),
            c => out.push_str(&format!("={c:02X}")),
        }
    }
    out.push_str("?=");
    out
}

/// A display name for an address header: as-is, quoted, or encoded words.
pub fn phrase(name: &str, charset: &str, b: bool) -> String {
    if !name.is_ascii() {
        return encoded_words(name, charset, b).join(" ");
    }
    if name.contains(|c| "()<>[]:;@\\,.\"".contains(c)) {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        name.to_string()
    }
}

pub fn mailbox(name: &str, email: &str, charset: &str, b: bool) -> String {
    if name.is_empty() {
        email.to_string()
    } else {
        format!("{} <{email}>", phrase(name, charset, b))
    }
}

/// An unstructured header value (Subject): ASCII as-is, else encoded words.
pub fn unstructured(value: &str, charset: &str, b: bool) -> String {
    if value.is_ascii() {
        value.to_string()
    } else {
        encoded_words(value, charset, b).join("\n ")
    }
}

/// `Name: a, b, c` folded under 78 columns.
pub fn fold_list(name: &str, items: &[String]) -> String {
    let mut out = format!("{name}:");
    let mut col = out.len();
    for (i, item) in items.iter().enumerate() {
        let sep = if i + 1 < items.len() { "," } else { "" };
        if i > 0 && col + 1 + item.len() + sep.len() > 78 {
            out.push_str("\n ");
            col = 1;
        } else {
            out.push(' ');
            col += 1;
        }
        out.push_str(item);
        out.push_str(sep);
        col += item.len() + sep.len();
    }
    out
}

/// One text part, ready to encode.
pub struct TextPart {
    pub subtype: &'static str,
    pub text: String,
    pub charset: &'static str,
    pub transfer: &'static str,
    pub flowed: bool,
}

impl TextPart {
    /// (Content-Type and Content-Transfer-Encoding header lines, encoded body)
    fn encode(&self) -> (String, String) {
        let bytes = encode(&self.text, self.charset).expect("charset settled beforehand");
        let transfer = settle_transfer(&bytes, self.transfer);
        let flowed = if self.flowed { "; format=flowed" } else { "" };
        let head = format!(
            "Content-Type: text/{}; charset=\"{}\"{flowed}\nContent-Transfer-Encoding: {transfer}\n",
            self.subtype, self.charset
        );
        let body = match transfer {
            "base64" => base64_lines(&bytes),
            "quoted-printable" => {
                let mut s = quoted_printable(&bytes);
                s.push('\n');
                s
            }
            // 7bit / 8bit: the bytes as they are; the mbox keeps them.
            _ => {
                let mut s = match String::from_utf8(bytes.clone()) {
                    Ok(s) => s,
                    Err(_) => return (head, String::from_utf8_lossy(&bytes).into_owned()),
                };
                if !s.ends_with('\n') {
                    s.push('\n');
                }
                s
            }
        };
        (head, body)
    }

    /// Raw bytes of the encoded body (8bit legacy charsets are not valid UTF-8).
    fn encode_bytes(&self) -> (String, Vec<u8>) {
        let bytes = encode(&self.text, self.charset).expect("charset settled beforehand");
        if settle_transfer(&bytes, self.transfer) == "8bit" {
            let flowed = if self.flowed { "; format=flowed" } else { "" };
            let head = format!(
                "Content-Type: text/{}; charset=\"{}\"{flowed}\nContent-Transfer-Encoding: 8bit\n",
                self.subtype, self.charset
            );
            let mut b = bytes;
            if b.last() != Some(&b'\n') {
                b.push(b'\n');
            }
            return (head, b);
        }
        let (h, s) = self.encode();
        (h, s.into_bytes())
    }
}

/// The whole message: headers (already folded/encoded), then one part or
/// multipart/alternative of several.
pub fn assemble(rng: &mut SeededRng, headers: &[String], parts: &[TextPart]) -> Vec<u8> {
    let mut out = Vec::new();
    for h in headers {
        out.extend_from_slice(h.as_bytes());
        out.push(b'\n');
    }
    out.extend_from_slice(b"MIME-Version: 1.0\n");
    if parts.len() == 1 {
        let (head, body) = parts[0].encode_bytes();
        out.extend_from_slice(head.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(&body);
        return out;
    }
    let boundary: String = format!(
        "000000000000{:016x}",
        rng.random::<u64>() & 0x00ff_ffff_ffff_ffff
    );
    out.extend_from_slice(
        format!("Content-Type: multipart/alternative; boundary=\"{boundary}\"\n\n").as_bytes(),
    );
    for p in parts {
        out.extend_from_slice(format!("--{boundary}\n").as_bytes());
        let (head, body) = p.encode_bytes();
        out.extend_from_slice(head.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(&body);
        out.push(b'\n');
    }
    out.extend_from_slice(format!("--{boundary}--\n").as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charsets() {
        assert_eq!(encode("Grüße", "iso-8859-1"), Some(b"Gr\xfc\xdfe".to_vec()));
        assert_eq!(encode("Привет", "iso-8859-1"), None);
        assert!(encode("山田", "iso-2022-jp")
            .unwrap()
            .starts_with(b"\x1b$B"));
        assert_eq!(quoted_printable(b"a=b \n\xfc"), "a=3Db=20\n=FC");
    }
}

//! Small MIME encoders for gen_mbox (the crate has no base64 / quoted-printable dependency):
//! base64, quoted-printable, RFC 2047 encoded words, header folding, HTML escaping.

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

/// base64 body: 76-column lines, each ending in `\n`.
pub fn base64_body(data: &[u8]) -> String {
    let flat = base64(data);
    let mut out = String::with_capacity(flat.len() + flat.len() / 76 + 1);
    for line in flat.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out
}

/// Quoted-printable (RFC 2045): lines of at most 76 characters with `=` soft breaks; `\n`
/// stays a hard line break.
pub fn quoted_printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let lines: Vec<&str> = text.split('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        let bytes = line.as_bytes();
        let mut col = 0;
        for (j, &b) in bytes.iter().enumerate() {
            let last = j + 1 == bytes.len();
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

/// A display name for an address header: as-is, quoted, or RFC 2047 encoded words.
pub fn phrase(name: &str, b_encoding: bool) -> String {
    if !name.is_ascii() {
        return encoded_words(name, b_encoding).join(" ");
    }
    if name.contains(|c| "()<>[]:;@\\,.\"".contains(c)) {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        name.to_string()
    }
}

/// `Name <email>` (or just the address when there is no name).
pub fn mailbox(name: Option<&str>, email: &str, b_encoding: bool) -> String {
    match name {
        Some(n) => format!("{} <{email}>", phrase(n, b_encoding)),
        None => email.to_string(),
    }
}

/// An unstructured header value (Subject): ASCII as-is, else encoded words, one per line.
pub fn unstructured(value: &str, b_encoding: bool) -> String {
    if value.is_ascii() {
        value.to_string()
    } else {
        encoded_words(value, b_encoding).join("\n ")
    }
}

/// UTF-8 encoded words of at most 75 characters each, split on character boundaries.
fn encoded_words(text: &str, b_encoding: bool) -> Vec<String> {
    let mut words = Vec::new();
    let mut chunk = String::new();
    let mut chunk_cost = 0;
    for c in text.chars() {
        let mut buf = [0u8; 4];
        let bytes = c.encode_utf8(&mut buf).as_bytes();
        let cost = if b_encoding {
            bytes.len()
        } else {
            bytes
                .iter()
                .map(|&b| if q_literal(b) { 1 } else { 3 })
                .sum()
        };
        // 75 - "=?UTF-8?Q?" - "?=" = 63 encoded characters: 63 for Q, 45 bytes for B.
        let limit = if b_encoding { 45 } else { 63 };
        if chunk_cost + cost > limit {
            words.push(encode_word(&chunk, b_encoding));
            chunk.clear();
            chunk_cost = 0;
        }
        chunk.push(c);
        chunk_cost += cost;
    }
    if !chunk.is_empty() {
        words.push(encode_word(&chunk, b_encoding));
    }
    words
}

fn q_literal(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!*+-/".contains(&b)
}

fn encode_word(text: &str, b_encoding: bool) -> String {
    if b_encoding {
        return format!("=?UTF-8?B?{}?=", base64(text.as_bytes()));
    }
    let mut out = String::from("=?UTF-8?Q?");
    for &b in text.as_bytes() {
        match b {
            b' ' => out.push('_'),
            b if q_literal(b) => out.push(b as char),
            b => out.push_str(&format!("={b:02X}")),
        }
    }
    out.push_str("?=");
    out
}

/// `items` joined with ", ", folded onto continuation lines so lines stay under 78 columns.
pub fn fold_list(name: &str, items: &[String]) -> String {
    let mut out = format!("{name}:");
    let mut col = out.len();
    for (i, item) in items.iter().enumerate() {
        let sep = if i + 1 < items.len() { "," } else { "" };
        let first_line = item.split('\n').next().unwrap_or("");
        if i > 0 && col + 1 + first_line.len() + sep.len() > 78 {
            out.push_str("\n ");
            col = 1;
        } else {
            out.push(' ');
            col += 1;
        }
        out.push_str(item);
        out.push_str(sep);
        col = match item.rfind('\n') {
            Some(p) => item.len() - p,
            None => col + item.len(),
        } + sep.len();
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

/// Plain lines as HTML: one `<div>` per line, blank lines as `<div><br></div>`.
pub fn html_lines(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line.is_empty() {
            out.push_str("<div><br></div>\n");
        } else {
            out.push_str(&format!("<div>{}</div>\n", html_escape(line)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoders() {
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(b"M"), "TQ==");
        assert_eq!(quoted_printable("a=b \nü"), "a=3Db=20\n=C3=BC");
        let long = "x".repeat(200);
        assert!(quoted_printable(&long).lines().all(|l| l.len() <= 76));
        assert_eq!(phrase("Smith, John", false), "\"Smith, John\"");
        assert_eq!(phrase("Jürgen", false), "=?UTF-8?Q?J=C3=BCrgen?=");
    }
}

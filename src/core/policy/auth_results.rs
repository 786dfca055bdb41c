//! `Authentication-Results` (RFC 8601 §2.2) parsed by its grammar:
//!
//! ```text
//! authres-payload = [CFWS] authserv-id [ CFWS authres-version ] ( no-result / 1*resinfo ) [CFWS]
//! no-result       = [CFWS] ";" [CFWS] "none"
//! resinfo         = [CFWS] ";" methodspec [ CFWS reasonspec ] [ CFWS 1*propspec ]
//! methodspec      = [CFWS] method [CFWS] "=" [CFWS] result        ; method = Keyword [ "/" version ]
//! reasonspec      = "reason" [CFWS] "=" [CFWS] value
//! propspec        = ptype [CFWS] "." [CFWS] property [CFWS] "=" pvalue
//! ```
//!
//! CFWS includes (nested) comments, which carry no meaning and are dropped; values may be
//! quoted strings. Leniencies for what real servers write: Exchange Online leaves the
//! authserv-id out (`spf=pass (sender IP is …) smtp.mailfrom=…; dkim=…`) and adds
//! non-standard `action=none` and `compauth=pass reason=100`; a missing space before `;`
//! (`header.d=contoso.com;dmarc=pass`). Unknown pairs are kept out of the properties but do
//! not fail the header.

/// One `Authentication-Results` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthResults {
    /// Lower-cased; `None` when the header starts with a result (Exchange Online).
    pub authserv_id: Option<String>,
    pub results: Vec<MethodResult>,
}

/// One `method=result` with its properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodResult {
    /// Lower-cased, without a version: `dkim`, `spf`, `dmarc`, `arc`, `compauth`.
    pub method: String,
    /// Lower-cased: `pass`, `fail`, `none`, `softfail`, `temperror`, …
    pub result: String,
    pub reason: Option<String>,
    /// (`ptype.property` lower-cased, value as written): `header.d`, `smtp.mailfrom`, …
    pub props: Vec<(String, String)>,
}

impl MethodResult {
    pub fn prop(&self, name: &str) -> Option<&str> {
        self.props
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String),
    Quoted(String),
    Semi,
    Eq,
    Slash,
}

/// Tokens of a payload, comments dropped. An unclosed comment or quote is an error.
fn tokens(s: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                let mut depth = 0usize;
                loop {
                    match chars.next() {
                        Some('(') => depth += 1,
                        Some(')') => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        Some('\\') => {
                            chars.next();
                        }
                        Some(_) => {}
                        None => return Err("unclosed comment".into()),
                    }
                }
            }
            '"' => {
                chars.next();
                let mut v = String::new();
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => v.extend(chars.next()),
                        Some(c) => v.push(c),
                        None => return Err("unclosed quoted string".into()),
                    }
                }
                out.push(Tok::Quoted(v));
            }
            ';' | '=' | '/' => {
                chars.next();
                out.push(match c {
                    ';' => Tok::Semi,
                    '=' => Tok::Eq,
                    _ => Tok::Slash,
                });
            }
            _ => {
                let mut w = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '(' | '"' | ';' | '=' | '/') {
                        break;
                    }
                    w.push(c);
                    chars.next();
                }
                out.push(Tok::Word(w));
            }
        }
    }
    Ok(out)
}

fn text(t: Option<&Tok>) -> Option<&str> {
    match t {
        Some(Tok::Word(w)) | Some(Tok::Quoted(w)) => Some(w),
        _ => None,
    }
}

/// Parse one header value. Errors say what was expected.
pub fn parse(value: &str) -> Result<AuthResults, String> {
    let toks = tokens(value)?;
    let mut i = 0;
    // The authserv-id, unless the header opens with `method=` (Exchange Online).
    let authserv_id = match (toks.first(), toks.get(1)) {
        (Some(Tok::Word(_)), Some(Tok::Eq)) => None,
        (first, _) => {
            let id = text(first).ok_or("expected an authserv-id")?;
            i = 1;
            // authres-version: digits before the first `;`.
            if matches!(toks.get(1), Some(Tok::Word(v)) if v.bytes().all(|b| b.is_ascii_digit())) {
                i = 2;
            }
            Some(id.to_ascii_lowercase())
        }
    };
    let mut results = Vec::new();
    // Each resinfo runs from a `;` (or the start, without an authserv-id) to the next `;`.
    let mut rest = &toks[i..];
    if authserv_id.is_some() {
        match rest.first() {
            Some(Tok::Semi) => rest = &rest[1..],
            None => return Err("expected \";\" and results after the authserv-id".into()),
            Some(_) => return Err("expected \";\" after the authserv-id".into()),
        }
    }
    for piece in rest.split(|t| *t == Tok::Semi) {
        if piece.is_empty() {
            continue;
        }
        if let [Tok::Word(w)] = piece {
            if w.eq_ignore_ascii_case("none") {
                continue;
            }
        }
        results.push(resinfo(piece)?);
    }
    Ok(AuthResults {
        authserv_id,
        results,
    })
}

fn resinfo(t: &[Tok]) -> Result<MethodResult, String> {
    let method = text(t.first()).ok_or("expected a method")?;
    let mut j = 1;
    if t.get(j) == Some(&Tok::Slash) {
        j += 2; // method-version
    }
    if t.get(j) != Some(&Tok::Eq) {
        return Err(format!("expected \"=\" after method {method:?}"));
    }
    let result = text(t.get(j + 1)).ok_or_else(|| format!("expected a result for {method:?}"))?;
    let mut out = MethodResult {
        method: method.to_ascii_lowercase(),
        result: result.to_ascii_lowercase(),
        reason: None,
        props: Vec::new(),
    };
    let mut k = j + 2;
    while k < t.len() {
        match (text(t.get(k)), t.get(k + 1), text(t.get(k + 2))) {
            (Some(key), Some(Tok::Eq), Some(v)) => {
                let key = key.to_ascii_lowercase();
                if key == "reason" {
                    out.reason = Some(v.to_string());
                } else if key.contains('.') {
                    out.props.push((key, v.to_string()));
                }
                // Anything else (`action=none`) is a vendor's addition: ignored.
                k += 3;
            }
            // `header.i=` with an empty value, or a stray word: skip it.
            _ => k += 1,
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gmail() {
        let v = "mx.google.com;\r\n       dkim=pass header.i=@corp.example header.s=s1 header.b=\"AbC/+1\";\r\n       spf=pass (google.com: domain of alice@corp.example designates 209.85.220.41 as permitted sender) smtp.mailfrom=alice@corp.example;\r\n       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=corp.example";
        let a = parse(v).unwrap();
        assert_eq!(a.authserv_id.as_deref(), Some("mx.google.com"));
        assert_eq!(a.results.len(), 3);
        assert_eq!(a.results[0].prop("header.i"), Some("@corp.example"));
        assert_eq!(a.results[0].prop("header.b"), Some("AbC/+1"));
        assert_eq!(
            a.results[1].prop("smtp.mailfrom"),
            Some("alice@corp.example")
        );
        assert_eq!(a.results[2].result, "pass");
        assert_eq!(a.results[2].prop("header.from"), Some("corp.example"));
    }

    #[test]
    fn exchange_online_without_authserv_id() {
        let v = "spf=pass (sender IP is 40.107.22.81)\r\n smtp.mailfrom=corp.example; dkim=pass (signature was verified)\r\n header.d=corp.example;dmarc=pass action=none\r\n header.from=corp.example;compauth=pass reason=100";
        let a = parse(v).unwrap();
        assert_eq!(a.authserv_id, None);
        let m: Vec<&str> = a.results.iter().map(|r| r.method.as_str()).collect();
        assert_eq!(m, ["spf", "dkim", "dmarc", "compauth"]);
        assert_eq!(a.results[2].prop("header.from"), Some("corp.example"));
        assert_eq!(a.results[3].reason.as_deref(), Some("100"));
    }

    #[test]
    fn rfc8601_examples() {
        // §B.2, §B.3, §B.6 (versioned method, comments everywhere).
        assert_eq!(parse("example.org 1; none").unwrap().results, vec![]);
        let a = parse("example.com; spf=pass smtp.mailfrom=example.net").unwrap();
        assert_eq!(a.results[0].prop("smtp.mailfrom"), Some("example.net"));
        let a = parse("example.com; dkim/1=pass (good signature) header.d=mail-router.example.net; dkim=fail (bad signature) header.d=newyork.example.com").unwrap();
        assert_eq!(a.results[0].method, "dkim");
        assert_eq!(a.results[1].result, "fail");
        let a = parse("mail-router.example.net; dkim=pass (good signature) header.d=newyork.example.com header.b=oINEO8hg; dkim=fail (bad signature) header.d=mail-router.example.net header.b=EToRSuvU").unwrap();
        assert_eq!(a.results.len(), 2);
        let a = parse(
            "\"quoted.example\" (c (nested) ) ; auth=pass (cram-md5) smtp.auth=sender@example.net",
        )
        .unwrap();
        assert_eq!(a.authserv_id.as_deref(), Some("quoted.example"));
        assert_eq!(a.results[0].prop("smtp.auth"), Some("sender@example.net"));
    }

    #[test]
    fn errors_name_what_is_wrong() {
        assert!(parse("").is_err());
        assert!(parse("mx.example; dkim").unwrap_err().contains("\"=\""));
        assert!(parse("mx.example (open").unwrap_err().contains("comment"));
        assert!(parse("mx.example dkim=pass").is_err());
    }
}

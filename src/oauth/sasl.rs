//! The SASL messages that carry a bearer token: XOAUTH2 (Google's and Microsoft's) and
//! OAUTHBEARER (RFC 7628), and what a client answers when the server refuses the token. Pure:
//! bytes in, bytes out; the IMAP (or SMTP) client base64-encodes them.

/// Which SASL mechanism carries the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    Xoauth2,
    Oauthbearer,
}

impl Mechanism {
    /// The name in `AUTHENTICATE <name>` and in `AUTH=<name>` capabilities.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Xoauth2 => "XOAUTH2",
            Mechanism::Oauthbearer => "OAUTHBEARER",
        }
    }

    /// The client's first message: `user` is the mailbox logged in to; `host` and `port` are
    /// the server's, which OAUTHBEARER carries (RFC 7628 section 3.1).
    pub fn initial_response(self, user: &str, token: &str, host: &str, port: u16) -> Vec<u8> {
        match self {
            Mechanism::Xoauth2 => xoauth2(user, token),
            Mechanism::Oauthbearer => oauthbearer(user, host, port, token),
        }
    }

    /// The answer to a challenge after the first message, which is the server's error report:
    /// RFC 7628 section 3.2.3 asks for a single %x01 so the server can end the exchange with
    /// its failure; XOAUTH2 (as Google documents it) an empty response.
    pub fn reply_to_error(self) -> &'static [u8] {
        match self {
            Mechanism::Xoauth2 => b"",
            Mechanism::Oauthbearer => b"\x01",
        }
    }
}

/// `user=<user>^Aauth=Bearer <token>^A^A`.
pub fn xoauth2(user: &str, token: &str) -> Vec<u8> {
    format!("user={user}\x01auth=Bearer {token}\x01\x01").into_bytes()
}

/// The GS2 header naming the authorization identity, then the key/value pairs:
/// `n,a=<user>,^Ahost=<host>^Aport=<port>^Aauth=Bearer <token>^A^A`.
pub fn oauthbearer(user: &str, host: &str, port: u16, token: &str) -> Vec<u8> {
    let user = gs2_saslname(user);
    format!("n,a={user},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01").into_bytes()
}

/// RFC 5801 saslname: `,` and `=` are written `=2C` and `=3D`.
fn gs2_saslname(s: &str) -> String {
    s.replace('=', "=3D").replace(',', "=2C")
}

/// The server's error challenge in words: RFC 7628's JSON (`{"status":"invalid_token",
/// "scope":…}`; Google and Microsoft send `"status":"401"` or `"400"`), or the text as it came.
pub fn describe_error(challenge: &[u8]) -> String {
    let text = String::from_utf8_lossy(challenge);
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str(&text) else {
        return text.trim().to_string();
    };
    let field = |k: &str| {
        map.get(k)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
    };
    let mut out = match field("status") {
        Some(status) => format!("status {status}"),
        None => text.trim().to_string(),
    };
    if let Some(scope) = field("scope") {
        out.push_str(&format!(", scope {scope}"));
    }
    if let Some(url) = field("openid-configuration") {
        out.push_str(&format!(", see {url}"));
    }
    out
}

/// One SASL exchange from the client's side: the first challenge (empty, as the server has no
/// initial response from us) gets the token; any later one is the server's error, kept for
/// the report and answered as the mechanism asks.
#[derive(Debug)]
pub struct Exchange {
    mechanism: Mechanism,
    initial: Vec<u8>,
    sent: bool,
    /// The server's error challenge, if it sent one.
    pub error: Option<String>,
}

impl Exchange {
    pub fn new(mechanism: Mechanism, initial: Vec<u8>) -> Self {
        Exchange {
            mechanism,
            initial,
            sent: false,
            error: None,
        }
    }

    /// The response to the server's next challenge.
    pub fn respond(&mut self, challenge: &[u8]) -> Vec<u8> {
        if !self.sent {
            self.sent = true;
            return std::mem::take(&mut self.initial);
        }
        self.error = Some(describe_error(challenge));
        self.mechanism.reply_to_error().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoauth2_is_user_and_bearer_separated_by_ctrl_a() {
        // The example in Microsoft's and Google's documentation.
        assert_eq!(
            xoauth2(
                "test@contoso.onmicrosoft.com",
                "EwBAAl3BAAUFFpUAo7J3Ve0bjLBWZWCclRC3EoAA"
            ),
            b"user=test@contoso.onmicrosoft.com\x01auth=Bearer EwBAAl3BAAUFFpUAo7J3Ve0bjLBWZWCclRC3EoAA\x01\x01"
        );
        use base64::Engine;
        assert_eq!(
            base64::engine::general_purpose::STANDARD.encode(xoauth2(
                "test@contoso.onmicrosoft.com",
                "EwBAAl3BAAUFFpUAo7J3Ve0bjLBWZWCclRC3EoAA"
            )),
            "dXNlcj10ZXN0QGNvbnRvc28ub25taWNyb3NvZnQuY29tAWF1dGg9QmVhcmVyIEV3QkFBbDNCQUFVRkZwVUFvN0ozVmUwYmpMQldaV0NjbFJDM0VvQUEBAQ=="
        );
    }

    #[test]
    fn oauthbearer_has_the_gs2_header_host_and_port() {
        // RFC 7628 section 4.1.
        assert_eq!(
            oauthbearer(
                "user@example.com",
                "server.example.com",
                143,
                "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg=="
            ),
            b"n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"
        );
        assert!(oauthbearer("a,b=c", "h", 1, "t").starts_with(b"n,a=a=2Cb=3Dc,\x01"));
    }

    #[test]
    fn a_refusal_is_answered_and_kept() {
        let mut x = Exchange::new(Mechanism::Oauthbearer, b"first".to_vec());
        assert_eq!(x.respond(b""), b"first");
        assert_eq!(
            x.respond(br#"{"status":"invalid_token","scope":"mail"}"#),
            b"\x01"
        );
        assert_eq!(x.error.as_deref(), Some("status invalid_token, scope mail"));
        let mut x = Exchange::new(Mechanism::Xoauth2, b"first".to_vec());
        x.respond(b"");
        assert_eq!(x.respond(b"not json"), b"");
        assert_eq!(x.error.as_deref(), Some("not json"));
    }

    #[test]
    fn errors_read_as_words() {
        let google = br#"{"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}"#;
        assert_eq!(
            describe_error(google),
            "status 400, scope https://mail.google.com/"
        );
        assert_eq!(Mechanism::Xoauth2.name(), "XOAUTH2");
    }
}

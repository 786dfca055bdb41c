//! Signed JWTs (RFC 7519) as the token sources send them: Microsoft Entra's client assertion
//! (a certificate credential, RFC 7523 `private_key_jwt`) and Google's service-account grant
//! (RFC 7523 JWT bearer grant). Building the header and claims is pure; signing uses ring's RSA
//! (rustls's crypto provider, so no JWT crate).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256, RSA_PSS_SHA256};
use serde_json::{json, Value};

/// How long an assertion is valid: Entra asks for 5 to 10 minutes after `nbf`; Google accepts
/// at most an hour.
pub const MICROSOFT_ASSERTION_SECS: i64 = 600;
pub const GOOGLE_ASSERTION_SECS: i64 = 3600;

/// The JWS algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    /// RSASSA-PKCS1-v1_5 with SHA-256: Google's service accounts.
    Rs256,
    /// RSASSA-PSS with SHA-256: what Entra's certificate credential documentation asks for.
    Ps256,
}

impl Alg {
    pub fn name(self) -> &'static str {
        match self {
            Alg::Rs256 => "RS256",
            Alg::Ps256 => "PS256",
        }
    }
}

/// base64url without padding, as JWS wants it.
pub fn b64url(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// An RSA private key that signs assertions.
pub struct Signer {
    key: RsaKeyPair,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Signer(RSA {} bits)",
            self.key.public().modulus_len() * 8
        )
    }
}

impl Signer {
    /// From a PEM private key: PKCS#8 (`BEGIN PRIVATE KEY`, Google's key files, `openssl req`)
    /// or PKCS#1 (`BEGIN RSA PRIVATE KEY`).
    pub fn from_pem(pem: &[u8]) -> Result<Signer, String> {
        use rustls::pki_types::PrivateKeyDer;
        use tokio_rustls::rustls;
        let key = rustls_pemfile::private_key(&mut &pem[..])
            .map_err(|e| format!("not a PEM private key: {e}"))?
            .ok_or("no private key in the PEM text")?;
        let parsed = match &key {
            PrivateKeyDer::Pkcs8(der) => RsaKeyPair::from_pkcs8(der.secret_pkcs8_der()),
            PrivateKeyDer::Pkcs1(der) => RsaKeyPair::from_der(der.secret_pkcs1_der()),
            _ => return Err("not an RSA key (RS256/PS256 need RSA)".into()),
        };
        parsed
            .map(|key| Signer { key })
            .map_err(|e| format!("not a usable RSA private key: {e}"))
    }

    /// The public key (PKCS#1 RSAPublicKey DER), to check signatures in tests.
    pub fn public_key(&self) -> &[u8] {
        use ring::signature::KeyPair;
        self.key.public_key().as_ref()
    }

    /// The public key's modulus and exponent (big-endian), as a JWK's `n` and `e` carry them:
    /// for tests that play an OpenID Connect provider.
    pub fn rsa_components(&self) -> (Vec<u8>, Vec<u8>) {
        let c = ring::rsa::PublicKeyComponents::<Vec<u8>>::from(self.key.public());
        (c.n, c.e)
    }

    fn sign(&self, alg: Alg, message: &[u8]) -> Result<Vec<u8>, String> {
        let rng = ring::rand::SystemRandom::new();
        let mut sig = vec![0; self.key.public().modulus_len()];
        let padding: &'static dyn ring::signature::RsaEncoding = match alg {
            Alg::Rs256 => &RSA_PKCS1_SHA256,
            Alg::Ps256 => &RSA_PSS_SHA256,
        };
        self.key
            .sign(padding, &rng, message, &mut sig)
            .map_err(|_| "RSA signing failed".to_string())?;
        Ok(sig)
    }
}

/// `header.claims.signature`, each part base64url JSON (the signature over the first two).
pub fn encode(header: &Value, claims: &Value, alg: Alg, signer: &Signer) -> Result<String, String> {
    let signed = format!(
        "{}.{}",
        b64url(header.to_string()),
        b64url(claims.to_string())
    );
    let sig = signer.sign(alg, signed.as_bytes())?;
    Ok(format!("{signed}.{}", b64url(sig)))
}

/// The thumbprints Entra finds the certificate by: `x5t` (SHA-1, the older form) and
/// `x5t#S256` (SHA-256), both base64url of the certificate's DER.
pub fn thumbprints(cert_der: &[u8]) -> (String, String) {
    use ring::digest::{digest, SHA1_FOR_LEGACY_USE_ONLY, SHA256};
    (
        b64url(digest(&SHA1_FOR_LEGACY_USE_ONLY, cert_der)),
        b64url(digest(&SHA256, cert_der)),
    )
}

/// The first certificate of a PEM file, as DER.
pub fn cert_der_from_pem(pem: &[u8]) -> Result<Vec<u8>, String> {
    let cert = rustls_pemfile::certs(&mut &pem[..])
        .next()
        .ok_or("no certificate in the PEM text")?
        .map_err(|e| format!("not a PEM certificate: {e}"))?;
    Ok(cert.as_ref().to_vec())
}

/// Entra's client assertion for the client credentials grant: PS256 over the certificate's
/// key, the certificate named by its thumbprints; issuer and subject the client ID, audience
/// the token endpoint, a unique `jti`, valid for ten minutes from `now`.
pub fn microsoft_assertion(
    client_id: &str,
    token_url: &str,
    cert_der: &[u8],
    now: i64,
    jti: &str,
) -> (Value, Value) {
    let (x5t, x5t_s256) = thumbprints(cert_der);
    let header = json!({
        "alg": Alg::Ps256.name(),
        "typ": "JWT",
        "x5t": x5t,
        "x5t#S256": x5t_s256,
    });
    let claims = json!({
        "aud": token_url,
        "iss": client_id,
        "sub": client_id,
        "jti": jti,
        "nbf": now,
        "iat": now,
        "exp": now + MICROSOFT_ASSERTION_SECS,
    });
    (header, claims)
}

/// What the signed JWT of Google's service-account grant asks for.
#[derive(Debug, Clone, Copy)]
pub struct GoogleGrant<'a> {
    /// The service account (`client_email` of its key file).
    pub client_email: &'a str,
    /// `private_key_id` of the key file, so Google knows the key at once.
    pub key_id: Option<&'a str>,
    pub scope: &'a str,
    /// The key file's `token_uri`.
    pub token_url: &'a str,
    /// The mailbox acted for (domain-wide delegation).
    pub subject: &'a str,
}

/// Header and claims of Google's service-account JWT: RS256, issued by the service account for
/// the mailbox `subject`, valid an hour.
pub fn google_assertion(grant: &GoogleGrant<'_>, now: i64) -> (Value, Value) {
    let mut header = json!({ "alg": Alg::Rs256.name(), "typ": "JWT" });
    if let Some(kid) = grant.key_id {
        header["kid"] = json!(kid);
    }
    let claims = json!({
        "iss": grant.client_email,
        "scope": grant.scope,
        "aud": grant.token_url,
        "sub": grant.subject,
        "iat": now,
        "exp": now + GOOGLE_ASSERTION_SECS,
    });
    (header, claims)
}

/// A random `jti`, in the form of a version-4 UUID (Entra's documentation asks for a GUID).
pub fn new_jti() -> String {
    let b: [u8; 16] = rand::random();
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-4{}-{:x}{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        (b[8] & 0x3) | 0x8,
        &hex[17..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{
        UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PSS_2048_8192_SHA256,
    };

    const KEY: &str = include_str!("../../tests/fixtures/oauth/test-rsa-key.pem");
    const CERT: &str = include_str!("../../tests/fixtures/oauth/test-rsa-cert.pem");

    fn part(jwt: &str, i: usize) -> Value {
        let p = jwt.split('.').nth(i).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap()
    }

    fn verify(
        jwt: &str,
        signer: &Signer,
        alg: &'static dyn ring::signature::VerificationAlgorithm,
    ) {
        let (signed, sig) = jwt.rsplit_once('.').unwrap();
        let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
        UnparsedPublicKey::new(alg, signer.public_key())
            .verify(signed.as_bytes(), &sig)
            .expect("the signature verifies with the public key");
    }

    #[test]
    fn google_grant_is_rs256_with_the_documented_claims() {
        let signer = Signer::from_pem(KEY.as_bytes()).unwrap();
        let grant = GoogleGrant {
            client_email: "sa@p.iam.gserviceaccount.com",
            key_id: Some("k1"),
            scope: "https://mail.google.com/",
            token_url: "https://oauth2.googleapis.com/token",
            subject: "group@corp.example",
        };
        let (h, c) = google_assertion(&grant, 1_700_000_000);
        let jwt = encode(&h, &c, Alg::Rs256, &signer).unwrap();
        assert_eq!(
            part(&jwt, 0),
            json!({"alg": "RS256", "typ": "JWT", "kid": "k1"})
        );
        assert_eq!(
            part(&jwt, 1),
            json!({
                "iss": "sa@p.iam.gserviceaccount.com", "scope": "https://mail.google.com/",
                "aud": "https://oauth2.googleapis.com/token", "sub": "group@corp.example",
                "iat": 1_700_000_000, "exp": 1_700_003_600,
            })
        );
        verify(&jwt, &signer, &RSA_PKCS1_2048_8192_SHA256);
    }

    #[test]
    fn microsoft_assertion_is_ps256_naming_the_certificate() {
        let signer = Signer::from_pem(KEY.as_bytes()).unwrap();
        let der = cert_der_from_pem(CERT.as_bytes()).unwrap();
        let url = "https://login.microsoftonline.com/t1/oauth2/v2.0/token";
        let (h, c) = microsoft_assertion("app-1", url, &der, 1_700_000_000, "j-1");
        let jwt = encode(&h, &c, Alg::Ps256, &signer).unwrap();
        let header = part(&jwt, 0);
        assert_eq!(header["alg"], "PS256");
        // The thumbprints as `openssl x509 -fingerprint` gives them, base64url.
        assert_eq!(header["x5t"], "rf_2grENxSXbT0V_3xqC3LREyf4");
        assert_eq!(
            header["x5t#S256"],
            "0ylk4XXpy0avCWXrExDIf5oMt9pTlqHEmrgpufXVcRA"
        );
        let claims = part(&jwt, 1);
        assert_eq!(claims["aud"], url);
        assert_eq!(
            (claims["iss"].as_str(), claims["sub"].as_str()),
            (Some("app-1"), Some("app-1"))
        );
        assert_eq!(
            claims["exp"].as_i64().unwrap() - claims["nbf"].as_i64().unwrap(),
            600
        );
        verify(&jwt, &signer, &RSA_PSS_2048_8192_SHA256);
    }

    #[test]
    fn keys_that_cannot_sign_are_refused_with_a_reason() {
        assert!(Signer::from_pem(b"nothing")
            .unwrap_err()
            .contains("no private key"));
        assert!(Signer::from_pem(CERT.as_bytes()).is_err());
        assert!(cert_der_from_pem(KEY.as_bytes()).is_err());
    }

    #[test]
    fn jti_looks_like_a_uuid_and_differs() {
        let (a, b) = (new_jti(), new_jti());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a.as_bytes()[14], b'4');
    }
}

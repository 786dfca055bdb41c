//! The ID token checks, on tokens signed here: every claim, the signature, the key, the
//! algorithm (what the `openidconnect` crate checks and what outloud adds to it).

use serde_json::json;

use super::*;
use crate::oauth::jwt::{self, b64url, Alg, Signer};

const ISS: &str = "https://idp.corp.example";
const NOW: i64 = 1_800_000_000;

fn signer() -> Signer {
    let pem = include_bytes!("../../../../tests/fixtures/oauth/test-rsa-key.pem");
    Signer::from_pem(pem).unwrap()
}

fn jwks(s: &Signer, kid: &str) -> CoreJsonWebKeySet {
    let (n, e) = s.rsa_components();
    serde_json::from_value(json!({"keys": [
        {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": b64url(n), "e": b64url(e)}
    ]}))
    .unwrap()
}

fn claims() -> serde_json::Value {
    json!({
        "iss": ISS, "aud": "outloud", "sub": "123", "exp": NOW + 300, "iat": NOW,
        "nonce": "n1", "email": "Ann@Corp.Example", "email_verified": true, "name": "Ann A"
    })
}

fn token(s: &Signer, kid: &str, claims: &serde_json::Value) -> String {
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": kid});
    jwt::encode(&header, claims, Alg::Rs256, s).unwrap()
}

fn expected() -> Expected<'static> {
    Expected {
        issuer: ISS,
        client_id: "outloud",
        nonce: "n1",
        now: NOW,
    }
}

#[test]
fn a_good_token_names_the_verified_address() {
    let s = signer();
    let id = check_id_token(&token(&s, "k1", &claims()), &jwks(&s, "k1"), &expected()).unwrap();
    assert_eq!(id.email, "ann@corp.example");
    assert_eq!(id.name.as_deref(), Some("Ann A"));
    // Within the clock leeway.
    let mut c = claims();
    c["exp"] = json!(NOW - 60);
    c["iat"] = json!(NOW + 60);
    assert!(check_id_token(&token(&s, "k1", &c), &jwks(&s, "k1"), &expected()).is_ok());
}

fn refused(e: IdTokenError) -> ClaimsVerificationError {
    match e {
        IdTokenError::Refused(r) => r,
        other => panic!("not refused by the claims check: {other}"),
    }
}

#[test]
fn every_claim_is_checked() {
    use ClaimsVerificationError as C;
    let s = signer();
    let keys = jwks(&s, "k1");
    let bad = |patch: serde_json::Value| {
        let mut c = claims();
        for (k, v) in patch.as_object().unwrap() {
            c[k] = v.clone();
        }
        check_id_token(&token(&s, "k1", &c), &keys, &expected()).unwrap_err()
    };
    let r = |p| refused(bad(p));
    assert!(matches!(
        r(json!({"iss": "https://evil"})),
        C::InvalidIssuer(_)
    ));
    assert!(matches!(r(json!({"aud": "other"})), C::InvalidAudience(_)));
    assert!(matches!(r(json!({"exp": NOW - 600})), C::Expired(_)));
    assert!(matches!(r(json!({"iat": NOW + 600})), C::Expired(_)));
    assert!(matches!(r(json!({"nonce": "n2"})), C::InvalidNonce(_)));
    // Several audiences are refused by the crate unless trusted; azp is outloud's check.
    assert!(matches!(
        bad(json!({"azp": "other"})),
        IdTokenError::AuthorizedParty
    ));
    for unverified in [
        json!({"email_verified": false}),
        json!({"email_verified": null}),
        json!({"email": null}),
    ] {
        assert!(
            matches!(bad(unverified.clone()), IdTokenError::Unverified(_)),
            "{unverified}"
        );
    }
    // Entra ID: no email_verified, the optional claim xms_edov instead.
    let mut c = claims();
    c["email_verified"] = serde_json::Value::Null;
    c["xms_edov"] = json!(true);
    assert!(check_id_token(&token(&s, "k1", &c), &keys, &expected()).is_ok());
}

#[test]
fn signatures_and_keys_are_checked() {
    let s = signer();
    let good = token(&s, "k1", &claims());
    // Another kid: no key, so outloud fetches the keys again.
    let e = check_id_token(&good, &jwks(&s, "k2"), &expected()).unwrap_err();
    assert!(e.unknown_key(), "{e}");
    // A payload swapped under the same signature.
    let mut c = claims();
    c["email"] = json!("eve@corp.example");
    let other = token(&s, "k1", &c);
    let (h, rest) = good.split_once('.').unwrap();
    let sig = rest.rsplit_once('.').unwrap().1;
    let forged = format!("{h}.{}.{sig}", other.split('.').nth(1).unwrap());
    let e = check_id_token(&forged, &jwks(&s, "k1"), &expected()).unwrap_err();
    assert!(
        matches!(
            refused(e),
            ClaimsVerificationError::SignatureVerification(_)
        ),
        "forged"
    );
    // alg none, and HS256 keyed with anything, are refused.
    for alg in ["none", "HS256"] {
        let header = format!(r#"{{"alg":"{alg}"}}"#);
        let tok = format!(
            "{}.{}.{}",
            b64url(header.as_bytes()),
            b64url(claims().to_string()),
            b64url(b"x")
        );
        assert!(
            check_id_token(&tok, &jwks(&s, "k1"), &expected()).is_err(),
            "{alg}"
        );
    }
}

#[test]
fn es256_tokens_verify() {
    use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let key =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let point = key.public_key().as_ref();
    let keys: CoreJsonWebKeySet = serde_json::from_value(json!({"keys": [{"kty": "EC",
        "crv": "P-256", "kid": "e1", "x": b64url(&point[1..33]), "y": b64url(&point[33..])}]}))
    .unwrap();
    let input = format!(
        "{}.{}",
        b64url(br#"{"alg":"ES256","kid":"e1"}"#),
        b64url(claims().to_string())
    );
    let sig = key.sign(&rng, input.as_bytes()).unwrap();
    let tok = format!("{input}.{}", b64url(sig.as_ref()));
    assert_eq!(
        check_id_token(&tok, &keys, &expected()).unwrap().email,
        "ann@corp.example"
    );
}

/// The HTTP client's errors name the URL they failed on: credentials in it are masked.
#[test]
fn errors_mask_credentials_in_urls() {
    let e = std::io::Error::other(
        "error sending request for url (https://app:Idp-S3cret@sso.corp.example/token)",
    );
    let text = chain(&e);
    assert!(!text.contains("Idp-S3cret"), "{text}");
    assert!(
        text.contains("https://app:***@sso.corp.example/token"),
        "{text}"
    );
}

//! Single sign-on with OpenID Connect, with the `openidconnect` crate: authorization code flow
//! with PKCE (S256), state and nonce. Its HTTP goes through the OAuth2 client's (`oauth::http`:
//! hyper, rustls with ring, no redirects followed). The provider's discovery document and keys
//! are fetched once and kept; the keys are fetched again once when a token names a key not seen
//! yet (rotation). The crate checks the ID token (OpenID Connect Core 1.0 section 3.1.3.7:
//! signature, issuer, audience, expiry, nonce); outloud adds what the crate leaves to its
//! caller: only RS256 and ES256, `iat` not in the future, `azp`, clock leeway, and a verified
//! address ([`crate::core::oidc`]). The browser test signs in through a real provider
//! (`oidc-provider`).

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{TimeZone, Utc};
use futures::future::BoxFuture;
use minijinja::context;
use openidconnect::core::{
    CoreClient, CoreGenderClaim, CoreIdTokenVerifier, CoreJsonWebKeySet,
    CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreResponseType,
};
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret,
    CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    SignatureVerificationError,
};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use super::link::signed_in;
use super::random_token;
use crate::config::Secret;
use crate::core::oidc::{identity, EmailClaims, Identity, Unverified, LEEWAY_SECS};
use crate::core::signin::{domain_allowed, safe_next};
use crate::store::accounts::{token_hash, NewSession, OidcLogin};
use crate::web::html::PageError;
use crate::web::AppState;

/// Minutes a browser has at the provider before the login is forgotten.
const LOGIN_MINUTES: i64 = 10;
/// Cookie binding the login's state to the browser that started it (login CSRF).
const STATE_COOKIE: &str = "outloud_oidc";

/// `web.oidc_*`.
#[derive(Clone)]
pub struct OidcSettings {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<Secret>,
    pub ca_file: Option<PathBuf>,
    /// On the sign-in button.
    pub name: String,
    /// Discovery and keys, fetched on first use.
    pub(crate) provider: Arc<Mutex<Option<CoreProviderMetadata>>>,
}

impl OidcSettings {
    pub fn new(
        issuer: String,
        client_id: String,
        client_secret: Option<Secret>,
        ca_file: Option<PathBuf>,
        name: String,
    ) -> Self {
        OidcSettings {
            issuer,
            client_id,
            client_secret,
            ca_file,
            name,
            provider: Arc::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum OidcError {
    #[error("the provider at {issuer} could not be read: {why}")]
    Discovery { issuer: String, why: String },
    #[error("the provider's token endpoint refused or failed: {0}")]
    Token(String),
    #[error(transparent)]
    IdToken(#[from] IdTokenError),
}

/// What was wrong with an ID token.
#[derive(Debug, thiserror::Error)]
pub(crate) enum IdTokenError {
    #[error("the token answer holds no ID token")]
    Missing,
    #[error("the ID token is not a JWT outloud can read: {0}")]
    Malformed(String),
    #[error("the ID token was refused: {0}")]
    Refused(#[from] ClaimsVerificationError),
    #[error("the ID token's claim azp is wrong: issued to another client")]
    AuthorizedParty,
    #[error(transparent)]
    Unverified(#[from] Unverified),
}

impl IdTokenError {
    /// Signed with a key outloud has not fetched: the provider may have rotated its keys.
    fn unknown_key(&self) -> bool {
        matches!(
            self,
            IdTokenError::Refused(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey
            ))
        )
    }
}

/// The failure of one HTTP exchange with the provider.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct HttpError(String);

/// The `openidconnect` crate's HTTP client: outloud's own (`oauth::http`).
fn http_client(
    s: &OidcSettings,
) -> impl Fn(
    openidconnect::HttpRequest,
) -> BoxFuture<'static, Result<openidconnect::HttpResponse, HttpError>>
       + Send
       + Sync {
    let ca_file = s.ca_file.clone();
    move |req| {
        let ca_file = ca_file.clone();
        Box::pin(async move {
            crate::oauth::http::send_any(req, ca_file.as_deref())
                .await
                .map_err(HttpError)
        })
    }
}

/// The provider's metadata and keys: kept, or fetched (`refresh_keys`: the keys again).
async fn provider(s: &OidcSettings, refresh_keys: bool) -> Result<CoreProviderMetadata, OidcError> {
    let mut kept = s.provider.lock().await;
    let http = http_client(s);
    let failed = |why: String| OidcError::Discovery {
        issuer: crate::config::mask_secrets(&s.issuer),
        why: crate::config::mask_secrets(&why),
    };
    if let Some(p) = kept.as_mut() {
        if refresh_keys {
            let keys = CoreJsonWebKeySet::fetch_async(p.jwks_uri(), &http)
                .await
                .map_err(|e| failed(chain(&e)))?;
            *p = p.clone().set_jwks(keys);
        }
        return Ok(p.clone());
    }
    let issuer = IssuerUrl::new(s.issuer.clone()).map_err(|e| failed(e.to_string()))?;
    // Checks that the document names this issuer, and fetches the keys.
    let p = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .map_err(|e| failed(chain(&e)))?;
    *kept = Some(p.clone());
    Ok(p)
}

/// An error and its causes, one line (the crate's errors say little at the top).
/// The error and its causes on one line, with any credentials in URLs masked (the HTTP
/// client's errors name the URL they failed on).
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    crate::config::mask_secrets(&out)
}

/// What an ID token must say, besides its signature.
pub(crate) struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    /// Unix seconds.
    pub now: i64,
}

/// An ID token whose claims may carry Entra ID's `xms_edov`.
type IdToken = openidconnect::IdToken<
    EntraClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct EntraClaims {
    #[serde(default)]
    xms_edov: Option<serde_json::Value>,
}
impl openidconnect::AdditionalClaims for EntraClaims {}

/// Check `raw` against the provider's keys and read who it names.
pub(crate) fn check_id_token(
    raw: &str,
    keys: &CoreJsonWebKeySet,
    e: &Expected<'_>,
) -> Result<Identity, IdTokenError> {
    let token: IdToken = raw
        .parse()
        .map_err(|err: serde_json::Error| IdTokenError::Malformed(err.to_string()))?;
    let issuer = IssuerUrl::new(e.issuer.to_string())
        .map_err(|err| IdTokenError::Malformed(err.to_string()))?;
    let now = e.now;
    let at = move |secs: i64| Utc.timestamp_opt(secs, 0).single().unwrap_or_default();
    let verifier = CoreIdTokenVerifier::new_public_client(
        ClientId::new(e.client_id.to_string()),
        issuer,
        keys.clone(),
    )
    // Never `none`, nor a MAC keyed with the client secret.
    .set_allowed_algs([
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    ])
    // `exp` is compared with this: the leeway for a provider whose clock is ahead.
    .set_time_fn(move || at(now - LEEWAY_SECS))
    .set_issue_time_verifier_fn(move |iat| match iat.timestamp() > now + LEEWAY_SECS {
        true => Err("issued in the future".to_string()),
        false => Ok(()),
    });
    let claims = token.claims(&verifier, &Nonce::new(e.nonce.to_string()))?;
    // Core 1.0 section 3.1.3.7 steps 4 and 5, which the crate leaves to its caller.
    let azp = claims.authorized_party().map(|a| a.as_str());
    if (claims.audiences().len() > 1 || azp.is_some()) && azp != Some(e.client_id) {
        return Err(IdTokenError::AuthorizedParty);
    }
    let name = claims.name().and_then(|n| n.get(None)).map(|n| n.as_str());
    Ok(identity(&EmailClaims {
        email: claims.email().map(|m| m.as_str()),
        email_verified: claims.email_verified(),
        xms_edov: claims.additional_claims().xms_edov.as_ref(),
        name,
        subject: claims.subject().as_str(),
    })?)
}

fn redirect_uri(st: &AppState) -> String {
    st.auth
        .base_url
        .join("/signin/oidc/callback")
        .map(String::from)
        .unwrap_or_default()
}

#[derive(Deserialize)]
pub(crate) struct StartQuery {
    next: Option<String>,
}

/// `GET /signin/oidc`: remember state, nonce and PKCE verifier, send the browser to the
/// provider.
pub(crate) async fn start(State(st): State<AppState>, Query(q): Query<StartQuery>) -> Response {
    let Some(s) = st.auth.oidc.clone() else {
        return st.error_page(PageError::NotFound(
            "Single sign-on is not set up here.".into(),
        ));
    };
    let r = async {
        let p = provider(&s, false).await.map_err(|e| {
            tracing::error!(error = %e, "web: OpenID Connect provider unavailable");
            PageError::Internal
        })?;
        let (state, nonce, verifier) = (random_token(), random_token(), random_token());
        let login = OidcLogin {
            state_hash: token_hash(&state),
            nonce: nonce.clone(),
            verifier: verifier.clone(),
            next: safe_next(q.next.as_deref()),
            expires_at: st.auth.clock.now() + LOGIN_MINUTES * 60,
        };
        st.store.begin_oidc_login(&login).await?;
        let challenge =
            PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(verifier));
        let (url, _, _) = client(&st, &s, p)
            .map_err(|e| {
                tracing::error!(error = %e, "web: OpenID Connect redirect URI");
                PageError::Internal
            })?
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                {
                    let state = state.clone();
                    move || CsrfToken::new(state)
                },
                move || Nonce::new(nonce),
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        let cookie = st
            .auth
            .set_cookie(STATE_COOKIE, Some(&state), Some(LOGIN_MINUTES * 60));
        let mut res = Redirect::to(url.as_str()).into_response();
        if let Ok(v) = header::HeaderValue::from_str(&cookie) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
        Ok(res)
    }
    .await;
    st.respond(r)
}

#[derive(Deserialize)]
pub(crate) struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /signin/oidc/callback`: check the state against the browser's cookie, exchange the
/// code (with the PKCE verifier), check the ID token and the allowed domains, sign in.
pub(crate) async fn callback(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let Some(s) = st.auth.oidc.clone() else {
        return st.error_page(PageError::NotFound(
            "Single sign-on is not set up here.".into(),
        ));
    };
    let state = q.state.unwrap_or_default();
    let bound = st
        .auth
        .cookie(&headers, STATE_COOKIE)
        .is_some_and(|c| super::same_secret(c, &state));
    let now = st.auth.clock.now();
    let login = match bound {
        true => st.store.take_oidc_login(&token_hash(&state), now).await,
        false => Ok(None),
    };
    let login = match login {
        Ok(Some(l)) => l,
        Ok(None) => {
            return failed(
                &st,
                "This sign-in was started elsewhere or has expired. Start again.",
            )
            .await
        }
        Err(e) => return st.error_page(e.into()),
    };
    if let Some(err) = q.error {
        tracing::info!(error = %err, "web: the OpenID Connect provider refused the sign-in");
        return failed(&st, "The sign-in service did not sign you in. Start again.").await;
    }
    let identity = match exchange(&st, &s, &login, q.code.as_deref().unwrap_or_default(), now).await
    {
        Ok(id) => id,
        Err(e) => {
            tracing::warn!(error = %e, "web: OpenID Connect sign-in failed");
            return failed(&st, "The sign-in could not be checked. Start again.").await;
        }
    };
    let domains = &st.auth.allowed_domains;
    if !domains.is_empty() && !domain_allowed(&identity.email, domains) {
        let msg = format!(
            "{} may not sign in here: only addresses at {} may.",
            identity.email,
            domains.join(", ")
        );
        return failed(&st, &msg).await;
    }
    let (token, csrf) = (random_token(), random_token());
    let hash = token_hash(&token);
    let session = NewSession {
        token_hash: &hash,
        csrf: &csrf,
        method: "oidc",
        name: identity.name.as_deref(),
        now,
        expires_at: now + st.auth.session_secs,
    };
    match st.store.sign_in(&identity.email, &session).await {
        Ok(_) => {
            let mut res = signed_in(&st, &token, &login.next);
            let clear = st.auth.set_cookie(STATE_COOKIE, None, None);
            if let Ok(v) = header::HeaderValue::from_str(&clear) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => st.error_page(e.into()),
    }
}

async fn failed(st: &AppState, message: &str) -> Response {
    let r = st.render("signin_failed.html", context! { message }).await;
    let mut res = st.respond(r);
    if res.status() == StatusCode::OK {
        *res.status_mut() = StatusCode::FORBIDDEN;
    }
    res
}

/// The crate's client for the provider, redirecting back to `BASE_URL/signin/oidc/callback`.
fn client(
    st: &AppState,
    s: &OidcSettings,
    p: CoreProviderMetadata,
) -> Result<
    CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
    openidconnect::url::ParseError,
> {
    let secret = (s.client_secret.as_ref()).map(|x| ClientSecret::new(x.0.clone()));
    let c = CoreClient::from_provider_metadata(p, ClientId::new(s.client_id.clone()), secret);
    Ok(c.set_redirect_uri(RedirectUrl::new(redirect_uri(st))?))
}

/// Trade the code (with the PKCE verifier) for tokens, and check the ID token.
async fn exchange(
    st: &AppState,
    s: &OidcSettings,
    login: &OidcLogin,
    code: &str,
    now: i64,
) -> Result<Identity, OidcError> {
    let p = provider(s, false).await?;
    let http = http_client(s);
    let answer = client(st, s, p.clone())
        .map_err(|e| OidcError::Token(e.to_string()))?
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .map_err(|e| OidcError::Token(chain(&e)))?
        .set_pkce_verifier(PkceCodeVerifier::new(login.verifier.clone()))
        .request_async(&http)
        .await
        .map_err(|e| OidcError::Token(chain(&e)))?;
    let raw = (answer.extra_fields().id_token())
        .ok_or(IdTokenError::Missing)?
        .to_string();
    let expected = Expected {
        issuer: &s.issuer,
        client_id: &s.client_id,
        nonce: &login.nonce,
        now,
    };
    match check_id_token(&raw, p.jwks(), &expected) {
        Err(e) if e.unknown_key() => {
            let p = provider(s, true).await?;
            Ok(check_id_token(&raw, p.jwks(), &expected)?)
        }
        r => Ok(r?),
    }
}

#[cfg(test)]
mod tests;

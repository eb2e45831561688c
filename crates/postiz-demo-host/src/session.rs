//! Supabase-shaped sessions: an HS256 access token with Supabase Auth's claims, stored the way
//! `@supabase/ssr` stores it (`sb-<ref>-auth-token`, `base64-` + base64url JSON, split into
//! `.0`, `.1`, … chunks past 3180 characters).
//!
//! The cookie is written by us but kept by the browser, so anyone can put anything in it. The
//! host trusts one thing in it: the refresh token, an HS256 JWT we signed ([`Issuer::verified`])
//! naming the user, with an audience of its own so that it and an access token cannot stand in
//! for each other. A cookie whose refresh token does not verify is a signed-out visitor.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::seed::DemoUser;

/// `@supabase/ssr`'s chunk size (`encodeURIComponent(value).length`).
pub const MAX_CHUNK: usize = 3180;
/// Chunks cleared when a session is replaced (stale chunks would corrupt the value).
const MAX_CHUNKS: usize = 8;
/// The `aud` of refresh tokens: never `authenticated`, so the module API refuses one as an
/// access token, and [`Issuer::verified`] refuses an access token as a refresh token.
const REFRESH_AUDIENCE: &str = "postiz-demo-host/refresh";
/// The `aud` of the project's API keys (never a user's: the module refuses them as sessions).
const API_KEY_AUDIENCE: &str = "postiz-demo-host/api-key";
/// The `aud` of invite links' tokens.
const INVITE_AUDIENCE: &str = "postiz-demo-host/invite";
/// How long a refresh token works: the cookie's `Max-Age` (400 days, browsers' cap).
const REFRESH_TTL_SECS: i64 = 34_560_000;

/// A session cookie whose refresh token we signed.
#[derive(Debug, Clone)]
pub struct CookieSession {
    /// The user the refresh token names.
    pub user: Uuid,
    /// The `auth.sessions` row it belongs to.
    pub session_id: Uuid,
    /// The session JSON as the browser sent it (only the refresh token in it is checked).
    pub value: Value,
}

/// Signs sessions like Supabase Auth does with the legacy JWT secret.
pub struct Issuer {
    /// `{SUPABASE_URL}/auth/v1`.
    pub issuer: String,
    /// `sb-<ref>-auth-token`.
    pub cookie: String,
    /// Access-token lifetime.
    pub ttl_secs: i64,
    secret: SecretString,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer").field("issuer", &self.issuer).field("cookie", &self.cookie).finish_non_exhaustive()
    }
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

impl Issuer {
    /// An issuer for the project at `supabase_url`.
    pub fn new(supabase_url: &str, cookie: String, secret: SecretString, ttl_secs: i64) -> Self {
        Self { issuer: format!("{}/auth/v1", supabase_url.trim_end_matches('/')), cookie, ttl_secs, secret }
    }

    /// A signed access token and the session JSON that `@supabase/ssr` keeps in the cookie, for
    /// the session `session_id` (a row of `auth.sessions`; a refresh keeps it).
    pub fn session(&self, user: &DemoUser, session_id: Uuid) -> anyhow::Result<(String, Value)> {
        let iat = now();
        let exp = iat + self.ttl_secs;
        let app_metadata = json!({ "provider": "email", "providers": ["email"] });
        let user_metadata = json!({ "full_name": user.name, "bio": user.bio });
        let claims = json!({
            "iss": self.issuer,
            "sub": user.id,
            "aud": "authenticated",
            "role": "authenticated",
            "exp": exp,
            "iat": iat,
            "email": user.email,
            "phone": "",
            "aal": "aal1",
            "amr": [{ "method": "password", "timestamp": iat }],
            "session_id": session_id,
            "is_anonymous": false,
            "app_metadata": app_metadata,
            "user_metadata": user_metadata,
        });
        let token = self.sign(&claims)?;
        // What /auth/refresh trusts: signed by us, for this user, refresh audience only.
        let refresh_claims = json!({
            "iss": self.issuer,
            "aud": REFRESH_AUDIENCE,
            "sub": user.id,
            "iat": iat,
            "exp": iat + REFRESH_TTL_SECS,
            "jti": Uuid::new_v4(),
            "sid": session_id,
        });
        let refresh_token = self.sign(&refresh_claims)?;
        let session = json!({
            "access_token": token,
            "token_type": "bearer",
            "expires_in": self.ttl_secs,
            "expires_at": exp,
            "refresh_token": refresh_token,
            "user": {
                "id": user.id, "aud": "authenticated", "role": "authenticated", "email": user.email,
                "app_metadata": app_metadata, "user_metadata": user_metadata,
            },
        });
        Ok((token, session))
    }

    /// `Set-Cookie` values storing `session`, clearing stale chunks.
    pub fn set_cookies(&self, session: &Value) -> Vec<String> {
        let value = format!("base64-{}", URL_SAFE_NO_PAD.encode(session.to_string()));
        let attrs = "Path=/; SameSite=Lax; Max-Age=34560000";
        let mut out = Vec::new();
        if value.len() <= MAX_CHUNK {
            out.push(format!("{}={value}; {attrs}", self.cookie));
            out.extend((0..MAX_CHUNKS).map(|i| format!("{}.{i}=; Path=/; Max-Age=0", self.cookie)));
        } else {
            out.push(format!("{}=; Path=/; Max-Age=0", self.cookie));
            let chunks: Vec<&str> = value.as_bytes().chunks(MAX_CHUNK).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect();
            for (i, c) in chunks.iter().enumerate() {
                out.push(format!("{}.{i}={c}; {attrs}", self.cookie));
            }
            out.extend((chunks.len()..MAX_CHUNKS).map(|i| format!("{}.{i}=; Path=/; Max-Age=0", self.cookie)));
        }
        out
    }

    /// `Set-Cookie` values signing out.
    pub fn clear_cookies(&self) -> Vec<String> {
        let mut out = vec![format!("{}=; Path=/; Max-Age=0", self.cookie)];
        out.extend((0..MAX_CHUNKS).map(|i| format!("{}.{i}=; Path=/; Max-Age=0", self.cookie)));
        out
    }

    /// The session in a `Cookie` header and the user it belongs to, if its refresh token is one
    /// we signed (HS256 with our secret, our issuer, the refresh audience, not expired). The
    /// rest of the session is only what the browser sent: use the user id from here.
    ///
    /// Whether that session still stands is Postgres's to say (`AuthStore::session_user`).
    pub fn verified(&self, cookie_header: &str) -> Option<CookieSession> {
        let value = self.read(cookie_header)?;
        let claims = self.claims(value["refresh_token"].as_str()?, REFRESH_AUDIENCE)?;
        Some(CookieSession { user: claims["sub"].as_str()?.parse().ok()?, session_id: claims["sid"].as_str()?.parse().ok()?, value })
    }

    /// The user and session an access token we signed names (what `GET /auth/v1/user` reads
    /// from the bearer token); `None` for anything else, an expired token included.
    pub fn access(&self, token: &str) -> Option<(Uuid, Uuid)> {
        let claims = self.claims(token, "authenticated")?;
        Some((claims["sub"].as_str()?.parse().ok()?, claims["session_id"].as_str()?.parse().ok()?))
    }

    /// An API key of the project for `role` (`anon` or `service_role`): a JWT signed with the
    /// project's secret, as the Supabase CLI makes its local keys.
    pub fn api_key(&self, role: &str) -> anyhow::Result<String> {
        self.sign(&json!({ "iss": self.issuer, "aud": API_KEY_AUDIENCE, "role": role, "iat": now(), "exp": now() + REFRESH_TTL_SECS }))
    }

    /// The role of an API key [`Issuer::api_key`] made.
    pub fn api_key_role(&self, key: &str) -> Option<String> {
        self.claims(key, API_KEY_AUDIENCE)?["role"].as_str().map(str::to_owned)
    }

    /// The token of an invite email's link for `user`, valid a day (Auth's default).
    pub fn invite_token(&self, user: Uuid) -> anyhow::Result<String> {
        self.sign(&json!({ "iss": self.issuer, "aud": INVITE_AUDIENCE, "sub": user, "iat": now(), "exp": now() + 86_400 }))
    }

    /// The user an invite link's token names, if we signed it and it has not expired.
    pub fn invite_user(&self, token: &str) -> Option<Uuid> {
        self.claims(token, INVITE_AUDIENCE)?["sub"].as_str()?.parse().ok()
    }

    /// `claims` as an HS256 JWT signed with the project's secret (what [`Issuer::claims`] reads).
    fn sign(&self, claims: &Value) -> anyhow::Result<String> {
        Ok(encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(self.secret.expose_secret().as_bytes()))?)
    }

    /// The claims of `token` if it is an HS256 JWT we signed for `audience`, not expired.
    fn claims(&self, token: &str, audience: &str) -> Option<Value> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[audience]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "aud", "iss"]);
        validation.leeway = 0;
        decode::<Value>(token, &DecodingKey::from_secret(self.secret.expose_secret().as_bytes()), &validation).ok().map(|d| d.claims)
    }

    /// The session JSON in a `Cookie` header, whole or chunked, as the browser sent it: nothing
    /// in it is checked ([`Issuer::verified`] is what decides who is signed in).
    fn read(&self, cookie_header: &str) -> Option<Value> {
        let pairs: Vec<(&str, &str)> = cookie_header.split(';').filter_map(|p| p.trim().split_once('=')).collect();
        let get = |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| *v).filter(|v| !v.is_empty());
        let value = match get(&self.cookie) {
            Some(v) => v.to_owned(),
            None => (0..).map_while(|i| get(&format!("{}.{i}", self.cookie))).collect::<String>(),
        };
        let b64 = value.strip_prefix("base64-")?;
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(b64.trim_end_matches('=')).ok()?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(bio_len: usize) -> DemoUser {
        DemoUser { id: Uuid::nil(), email: "a@example.com".into(), name: "A".into(), bio: "x".repeat(bio_len), role_note: String::new() }
    }

    #[test]
    fn long_sessions_are_chunked_and_read_back() {
        let issuer = Issuer::new("http://127.0.0.1:8787", "sb-127-auth-token".into(), SecretString::from("s3cret"), 3600);
        for (bio, chunked) in [(10, false), (4000, true)] {
            let (token, session) = issuer.session(&user(bio), Uuid::new_v4()).expect("session");
            let cookies = issuer.set_cookies(&session);
            let live: Vec<&String> = cookies.iter().filter(|c| !c.contains("Max-Age=0")).collect();
            assert_eq!(live.len() > 1, chunked, "{live:?}");
            let header = live.iter().map(|c| c.split(';').next().unwrap_or_default()).collect::<Vec<_>>().join("; ");
            assert_eq!(issuer.verified(&header).and_then(|s| s.value["access_token"].as_str().map(str::to_owned)), Some(token.clone()));
            // The module API reads the same cookie.
            assert_eq!(postiz_api::auth::access_token_from_cookie_header(&header, "sb-127-auth-token"), Some(token));
        }
    }

    fn cookie_for(issuer: &Issuer, session: &Value) -> String {
        issuer
            .set_cookies(session)
            .iter()
            .filter(|c| !c.contains("Max-Age=0"))
            .map(|c| c.split(';').next().unwrap_or_default())
            .collect::<Vec<_>>()
            .join("; ")
    }

    #[test]
    fn only_sessions_whose_refresh_token_we_signed_are_trusted() {
        let issuer = Issuer::new("http://127.0.0.1:8787", "sb-127-auth-token".into(), SecretString::from("s3cret"), 3600);
        let alice = DemoUser { id: Uuid::from_u128(1), ..user(10) };
        let sid = Uuid::new_v4();
        let (access, session) = issuer.session(&alice, sid).expect("session");
        let cookie = issuer.verified(&cookie_for(&issuer, &session)).expect("ours");
        assert_eq!((cookie.user, cookie.session_id), (alice.id, sid));
        assert_eq!(issuer.access(&access), Some((alice.id, sid)), "the access token names the same session");

        // Someone else's id in the readable parts changes nothing: the refresh token names alice.
        let mut edited = session.clone();
        edited["user"]["id"] = json!(Uuid::from_u128(2));
        assert_eq!(issuer.verified(&cookie_for(&issuer, &edited)).map(|s| s.user), Some(alice.id));
        // Refresh tokens we did not sign, or not as refresh tokens, are refused.
        let other = Issuer::new("http://127.0.0.1:8787", "sb-127-auth-token".into(), SecretString::from("not ours"), 3600);
        let (foreign_access, foreign) = other.session(&DemoUser { id: Uuid::from_u128(2), ..user(10) }, sid).expect("session");
        let access_as_refresh = {
            let (own_access, mut s) = issuer.session(&alice, sid).expect("session");
            s["refresh_token"] = json!(own_access);
            s
        };
        let mut unsigned = session.clone();
        unsigned["refresh_token"] = json!(format!("demo-{}", Uuid::new_v4().simple()));
        let mut none = session.clone();
        none.as_object_mut().expect("object").remove("refresh_token");
        for (what, forged) in
            [("another secret", foreign), ("an access token", access_as_refresh), ("unsigned", unsigned), ("missing", none)]
        {
            assert!(issuer.verified(&cookie_for(&issuer, &forged)).is_none(), "{what}");
        }
        assert!(!foreign_access.is_empty());
        assert_eq!(issuer.access(&foreign_access), None, "another project's access token");
        // The project's keys and invite links are not sessions, and sessions are not keys.
        let anon = issuer.api_key("anon").expect("key");
        assert_eq!(issuer.api_key_role(&anon).as_deref(), Some("anon"));
        assert_eq!(issuer.access(&anon), None);
        assert_eq!(issuer.api_key_role(&access), None);
        let invite = issuer.invite_token(alice.id).expect("invite");
        assert_eq!(issuer.invite_user(&invite), Some(alice.id));
        assert_eq!(issuer.invite_user(&access), None);
        assert_eq!(issuer.access(&invite), None);
        assert!(issuer.verified("sb-127-auth-token=base64-bm90IGpzb24").is_none(), "not JSON");
    }
}

//! Supabase-shaped sessions: an HS256 access token with Supabase Auth's claims, stored the way
//! `@supabase/ssr` stores it (`sb-<ref>-auth-token`, `base64-` + base64url JSON, split into
//! `.0`, `.1`, … chunks past 3180 characters).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::seed::DemoUser;

/// `@supabase/ssr`'s chunk size (`encodeURIComponent(value).length`).
pub const MAX_CHUNK: usize = 3180;
/// Chunks cleared when a session is replaced (stale chunks would corrupt the value).
const MAX_CHUNKS: usize = 8;

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

    /// A signed access token and the session JSON that `@supabase/ssr` keeps in the cookie.
    pub fn session(&self, user: &DemoUser) -> anyhow::Result<(String, Value)> {
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
            "session_id": Uuid::new_v4(),
            "is_anonymous": false,
            "app_metadata": app_metadata,
            "user_metadata": user_metadata,
        });
        let token = encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(self.secret.expose_secret().as_bytes()))?;
        let session = json!({
            "access_token": token,
            "token_type": "bearer",
            "expires_in": self.ttl_secs,
            "expires_at": exp,
            // Not a real refresh token: the demo's /auth/refresh re-signs for the same user.
            "refresh_token": format!("demo-{}", Uuid::new_v4().simple()),
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

    /// The session JSON in a `Cookie` header, whole or chunked (no signature check: the caller
    /// only reads the user id to re-sign, and the API verifies every token it gets).
    pub fn read(&self, cookie_header: &str) -> Option<Value> {
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
        DemoUser { id: Uuid::nil(), email: "a@example.com", name: "A", bio: "x".repeat(bio_len), role_note: "" }
    }

    #[test]
    fn long_sessions_are_chunked_and_read_back() {
        let issuer = Issuer::new("http://127.0.0.1:8787", "sb-127-auth-token".into(), SecretString::from("s3cret"), 3600);
        for (bio, chunked) in [(10, false), (4000, true)] {
            let (token, session) = issuer.session(&user(bio)).expect("session");
            let cookies = issuer.set_cookies(&session);
            let live: Vec<&String> = cookies.iter().filter(|c| !c.contains("Max-Age=0")).collect();
            assert_eq!(live.len() > 1, chunked, "{live:?}");
            let header = live.iter().map(|c| c.split(';').next().unwrap_or_default()).collect::<Vec<_>>().join("; ");
            assert_eq!(issuer.read(&header).and_then(|s| s["access_token"].as_str().map(str::to_owned)), Some(token.clone()));
            // The module API reads the same cookie.
            assert_eq!(postiz_api::auth::access_token_from_cookie_header(&header, "sb-127-auth-token"), Some(token));
        }
    }
}

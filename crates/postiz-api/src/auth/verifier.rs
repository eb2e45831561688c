use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use uuid::Uuid;

use super::{AuthError, AuthHealth, AuthUser, JwksCache, SessionCheck};

/// What a verifier checks tokens against.
#[derive(Debug)]
pub struct VerifierConfig {
    /// Legacy HS256 JWT secret (`SUPABASE_JWT_SECRET`), if the project still signs with it.
    pub hs256_secret: Option<SecretString>,
    /// The project's JWKS, for ES256/RS256 signing keys.
    pub jwks: Option<JwksCache>,
    /// Expected `iss`: `{SUPABASE_URL}/auth/v1`.
    pub issuer: String,
    /// Expected `aud`: `authenticated`.
    pub audience: String,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    pub leeway_secs: u64,
}

/// Verifies Supabase access tokens.
#[derive(Debug)]
pub struct SessionVerifier {
    hs256: Option<DecodingKey>,
    jwks: Option<JwksCache>,
    issuer: String,
    audience: String,
    leeway_secs: u64,
    /// Re-checks sessions with Supabase Auth before sensitive actions, when configured.
    session_check: Option<SessionCheck>,
}

impl SessionVerifier {
    /// Builds a verifier. With neither a secret nor a JWKS every token is refused.
    pub fn new(config: VerifierConfig) -> Self {
        Self {
            hs256: config.hs256_secret.map(|s| DecodingKey::from_secret(s.expose_secret().as_bytes())),
            jwks: config.jwks,
            issuer: config.issuer,
            audience: config.audience,
            leeway_secs: config.leeway_secs,
            session_check: None,
        }
    }

    /// Confirms sessions with Supabase Auth before sensitive actions ([`Self::confirm`]).
    #[must_use]
    pub fn with_session_check(mut self, check: SessionCheck) -> Self {
        self.session_check = Some(check);
        self
    }

    /// For a sensitive action: the session of `token` (already verified) still stands at
    /// Supabase Auth. Without a configured check (the local demo) there is nothing to ask.
    pub async fn confirm(&self, token: &str) -> Result<(), AuthError> {
        match &self.session_check {
            Some(check) => check.confirm(token).await,
            None => Ok(()),
        }
    }

    /// Supabase Auth's health, when sessions are checked with it.
    pub async fn auth_health(&self) -> Option<AuthHealth> {
        match &self.session_check {
            Some(check) => Some(check.health().await),
            None => None,
        }
    }

    /// Verifies signature, `exp`/`nbf` (with leeway), `aud`, `iss` and that the token is a
    /// signed-in user's, and returns that user.
    pub async fn verify(&self, token: &str) -> Result<AuthUser, AuthError> {
        let header = decode_header(token).map_err(|e| match e.kind() {
            // `alg: none` and other algorithms the library does not know land here.
            ErrorKind::Json(_) => AuthError::UnsupportedAlgorithm("an unknown algorithm".into()),
            _ => AuthError::Invalid("malformed token".into()),
        })?;
        let key = match header.alg {
            Algorithm::HS256 => self.hs256.clone().ok_or_else(|| AuthError::UnsupportedAlgorithm("HS256".into()))?,
            Algorithm::ES256 | Algorithm::RS256 => {
                let jwks = self.jwks.as_ref().ok_or_else(|| AuthError::UnsupportedAlgorithm(format!("{:?}", header.alg)))?;
                let kid = header.kid.as_deref().ok_or_else(|| AuthError::Invalid("token has no key id".into()))?;
                let (jwk, key) = jwks.key(kid).await?;
                // A key is only good for the algorithm it is published for (no algorithm confusion).
                if let Some(published) = jwk.common.key_algorithm
                    && published.to_string() != format!("{:?}", header.alg)
                {
                    return Err(AuthError::Invalid("token algorithm does not match its key".into()));
                }
                key
            }
            other => return Err(AuthError::UnsupportedAlgorithm(format!("{other:?}"))),
        };

        let mut validation = Validation::new(header.alg);
        validation.leeway = self.leeway_secs;
        validation.validate_nbf = true;
        validation.set_audience(&[&self.audience]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "sub", "aud", "iss"]);
        let data = decode::<Value>(token, &key, &validation).map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => AuthError::Expired,
            ErrorKind::ImmatureSignature => AuthError::NotYetValid,
            ErrorKind::InvalidAudience => AuthError::WrongAudience,
            ErrorKind::InvalidIssuer => AuthError::WrongIssuer,
            ErrorKind::InvalidSignature => AuthError::Invalid("signature does not verify".into()),
            ErrorKind::InvalidAlgorithm => AuthError::UnsupportedAlgorithm(format!("{:?}", header.alg)),
            _ => AuthError::Invalid(e.to_string()),
        })?;
        let claims = data.claims;

        let role = claims.get("role").and_then(Value::as_str).unwrap_or("");
        if role != "authenticated" {
            return Err(AuthError::WrongRole(if role.is_empty() { "missing".into() } else { role.to_owned() }));
        }
        let id = claims
            .get("sub")
            .and_then(Value::as_str)
            .and_then(|s| Uuid::parse_str(s).ok())
            .ok_or_else(|| AuthError::Invalid("sub is not a user id".into()))?;
        let email = claims.get("email").and_then(Value::as_str).map(str::to_owned);
        Ok(AuthUser { id, email, claims })
    }
}

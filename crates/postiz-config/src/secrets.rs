use secrecy::SecretString;

use crate::ConfigError;

/// Secrets, read from the environment only and redacted in `Debug`.
///
/// Each is optional here; the component that needs one says so when it is missing.
#[derive(Default)]
pub struct Secrets {
    /// `SUPABASE_JWT_SECRET`: legacy HS256 secret that signs user access tokens.
    pub jwt_secret: Option<SecretString>,
    /// `SUPABASE_ANON_KEY`: the project's anon (publishable) key.
    pub anon_key: Option<SecretString>,
    /// `SUPABASE_SERVICE_ROLE_KEY`: the service-role key.
    pub service_role_key: Option<SecretString>,
    /// `SUPABASE_DB_URL`: full database connection string, password included.
    pub db_url: Option<SecretString>,
    /// `POSTIZ_TOKEN_ENCRYPTION_KEYS`: `id:base64key` pairs, comma-separated, current key first.
    pub token_encryption_keys: Option<SecretString>,
}

/// Variable names, in the order of the fields above.
pub(crate) const SECRET_VARS: [&str; 5] =
    ["SUPABASE_JWT_SECRET", "SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY", "SUPABASE_DB_URL", "POSTIZ_TOKEN_ENCRYPTION_KEYS"];

impl Secrets {
    /// Reads the secret variables from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the secret variables through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let read = |name: &'static str| -> Result<Option<SecretString>, ConfigError> {
            match lookup(name) {
                None => Ok(None),
                Some(v) if v.trim().is_empty() => Err(ConfigError::EmptySecret(name)),
                Some(v) => Ok(Some(SecretString::from(v))),
            }
        };
        let [jwt, anon, service, db, keys] = SECRET_VARS;
        Ok(Self {
            jwt_secret: read(jwt)?,
            anon_key: read(anon)?,
            service_role_key: read(service)?,
            db_url: read(db)?,
            token_encryption_keys: read(keys)?,
        })
    }
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = |s: &Option<SecretString>| if s.is_some() { "[REDACTED]" } else { "unset" };
        f.debug_struct("Secrets")
            .field("jwt_secret", &shown(&self.jwt_secret))
            .field("anon_key", &shown(&self.anon_key))
            .field("service_role_key", &shown(&self.service_role_key))
            .field("db_url", &shown(&self.db_url))
            .field("token_encryption_keys", &shown(&self.token_encryption_keys))
            .finish()
    }
}

/// The variable holding the OAuth client secret of `network` (its wire name, e.g. `linkedin_page`):
/// `POSTIZ_OAUTH_LINKEDIN_PAGE_CLIENT_SECRET`.
pub fn oauth_client_secret_var(network: &str) -> String {
    format!("POSTIZ_OAUTH_{}_CLIENT_SECRET", network.to_ascii_uppercase())
}

/// The OAuth client secret of `network` from the environment (`None` for public clients).
pub fn oauth_client_secret(network: &str) -> Result<Option<SecretString>, ConfigError> {
    oauth_client_secret_from(network, |name| std::env::var(name).ok())
}

/// [`oauth_client_secret`] through `lookup` (the environment, or a map in tests).
pub fn oauth_client_secret_from(network: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<Option<SecretString>, ConfigError> {
    let name = oauth_client_secret_var(network);
    match lookup(&name) {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Err(ConfigError::EmptyOAuthSecret(name)),
        Some(v) => Ok(Some(SecretString::from(v))),
    }
}

/// The variables holding the media store's S3 access key id and secret.
pub const MEDIA_S3_KEY_VARS: [&str; 2] = ["POSTIZ_MEDIA_S3_ACCESS_KEY_ID", "POSTIZ_MEDIA_S3_SECRET_ACCESS_KEY"];

/// The media store's S3 keys from the environment: both, or `None` when neither is set.
pub fn media_s3_keys() -> Result<Option<(SecretString, SecretString)>, ConfigError> {
    media_s3_keys_from(|name| std::env::var(name).ok())
}

/// [`media_s3_keys`] through `lookup`. One without the other is an error naming the missing one.
pub fn media_s3_keys_from(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<(SecretString, SecretString)>, ConfigError> {
    let [id_var, secret_var] = MEDIA_S3_KEY_VARS;
    let read = |name: &'static str| match lookup(name) {
        Some(v) if v.trim().is_empty() => Err(ConfigError::EmptySecret(name)),
        other => Ok(other.map(SecretString::from)),
    };
    match (read(id_var)?, read(secret_var)?) {
        (Some(id), Some(secret)) => Ok(Some((id, secret))),
        (None, None) => Ok(None),
        (Some(_), None) => Err(ConfigError::MissingSecret(secret_var)),
        (None, Some(_)) => Err(ConfigError::MissingSecret(id_var)),
    }
}

/// The variable holding the key that signs public media links (the local backend's
/// `…/media/public/{token}/{name}` route). The API and the worker need the same value.
pub const MEDIA_URL_SECRET_VAR: &str = "POSTIZ_MEDIA_URL_SECRET";

/// The media link key from the environment; `None` when unset (public media links are off).
pub fn media_url_secret() -> Result<Option<SecretString>, ConfigError> {
    media_url_secret_from(|name| std::env::var(name).ok())
}

/// [`media_url_secret`] through `lookup`. Shorter than 32 characters is refused: it keys an
/// HMAC-SHA-256 that anyone on the internet may try to forge.
pub fn media_url_secret_from(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<SecretString>, ConfigError> {
    match lookup(MEDIA_URL_SECRET_VAR) {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Err(ConfigError::EmptySecret(MEDIA_URL_SECRET_VAR)),
        Some(v) if v.len() < 32 => Err(ConfigError::BadSetting {
            key: MEDIA_URL_SECRET_VAR.into(),
            problem: "must be at least 32 characters; generate one with `openssl rand -base64 48`".into(),
        }),
        Some(v) => Ok(Some(SecretString::from(v))),
    }
}

use std::sync::Arc;

use deadpool_postgres::Pool;
use postiz_providers::Registry;

use crate::auth::SessionVerifier;

/// Everything handlers share.
#[derive(Clone, Debug)]
pub struct AppState {
    /// Connections as the login role; every user transaction switches to `authenticated`.
    pub pool: Pool,
    /// Verifies the host's Supabase access tokens.
    pub verifier: Arc<SessionVerifier>,
    /// The host's `@supabase/ssr` cookie name, when same-origin cookie sessions are accepted.
    pub session_cookie: Option<String>,
    /// Origins allowed to send cookie-authenticated writes (the host's own origin).
    pub allowed_origins: Vec<String>,
    /// The networks' adapters: content rules for validation, descriptions for `GET /networks`.
    pub registry: Arc<Registry>,
}

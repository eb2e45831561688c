use serde_json::Value;
use uuid::Uuid;

/// A signed-in user of the host app, from a verified access token.
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// `sub`: the `auth.users` id.
    pub id: Uuid,
    /// `email`, when the token has one.
    pub email: Option<String>,
    /// The whole verified payload, handed to Postgres as `request.jwt.claims` like PostgREST does.
    pub claims: Value,
}

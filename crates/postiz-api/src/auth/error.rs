/// Why a request is not authenticated. `code()` is machine-readable and stable.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// No bearer token and no session cookie.
    #[error("no session: send `Authorization: Bearer <access token>` or the host's session cookie")]
    Missing,
    /// `exp` is in the past (beyond the leeway). The host must refresh the session.
    #[error("the access token has expired; ask the host app for a fresh session")]
    Expired,
    /// `nbf` is in the future.
    #[error("the access token is not valid yet")]
    NotYetValid,
    /// The signature does not verify, or the token is malformed.
    #[error("the access token is invalid: {0}")]
    Invalid(String),
    /// `alg` is not one we accept (`none`, or HS256 when no secret is configured, …).
    #[error("tokens signed with {0} are not accepted")]
    UnsupportedAlgorithm(String),
    /// No JWKS key has the token's `kid`, even after refetching.
    #[error("no signing key with id {0:?} is published by the project")]
    UnknownKey(String),
    /// `aud` is not `authenticated`.
    #[error("the access token is for another audience")]
    WrongAudience,
    /// `iss` is not this project's Auth server.
    #[error("the access token was issued by another project")]
    WrongIssuer,
    /// A valid token, but not a signed-in user's (`anon` or `service_role` keys).
    #[error("the token does not belong to a signed-in user (role {0})")]
    WrongRole(String),
    /// A cookie-authenticated write without a same-origin proof.
    #[error("cross-site request refused: send it from the host's origin")]
    CrossSite,
    /// The JWKS endpoint could not be reached and no cached key fits.
    #[error("signing keys are unavailable right now")]
    KeysUnavailable,
    /// Supabase Auth says the session no longer stands (signed out, banned or deleted), though
    /// its token has not expired yet. Checked before sensitive actions.
    #[error("your session has ended (you signed out elsewhere, or your access was removed); sign in again to continue")]
    SessionEnded,
    /// Supabase Auth could not confirm the session for a sensitive action.
    #[error("your session cannot be confirmed with the sign-in service right now; try again in a moment ({0})")]
    SessionUnconfirmed(String),
}

impl AuthError {
    /// Stable machine-readable code for clients.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Missing => "session_missing",
            AuthError::Expired => "token_expired",
            AuthError::NotYetValid => "token_not_yet_valid",
            AuthError::Invalid(_) => "token_invalid",
            AuthError::UnsupportedAlgorithm(_) => "token_algorithm_unsupported",
            AuthError::UnknownKey(_) => "token_key_unknown",
            AuthError::WrongAudience => "token_wrong_audience",
            AuthError::WrongIssuer => "token_wrong_issuer",
            AuthError::WrongRole(_) => "token_wrong_role",
            AuthError::CrossSite => "cross_site_request",
            AuthError::KeysUnavailable => "signing_keys_unavailable",
            AuthError::SessionEnded => "session_ended",
            AuthError::SessionUnconfirmed(_) => "session_unconfirmed",
        }
    }
}

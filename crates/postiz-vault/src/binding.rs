use uuid::Uuid;

/// Which credential a ciphertext holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// OAuth access token, bot token or webhook URL.
    AccessToken,
    /// OAuth refresh token.
    RefreshToken,
    /// App password (Bluesky) or other pasted secret.
    AppPassword,
    /// PKCE verifier of a connect flow in progress; `social_account_id` is the flow's row id.
    PkceVerifier,
    /// OAuth client secret from a registration on an instance (Mastodon); `workspace_id` is
    /// nil and `social_account_id` is the registration's row id.
    ClientSecret,
    /// Signing secret of an outgoing webhook endpoint; `social_account_id` is the endpoint's id.
    WebhookSecret,
}

impl Field {
    fn as_str(self) -> &'static str {
        match self {
            Field::AccessToken => "access_token",
            Field::RefreshToken => "refresh_token",
            Field::AppPassword => "app_password",
            Field::PkceVerifier => "pkce_verifier",
            Field::ClientSecret => "client_secret",
            Field::WebhookSecret => "webhook_secret",
        }
    }
}

/// The row and field a ciphertext belongs to; authenticated (not encrypted) with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    /// Workspace owning the account.
    pub workspace_id: Uuid,
    /// The social account.
    pub social_account_id: Uuid,
    /// The credential field.
    pub field: Field,
}

impl Binding {
    /// Additional authenticated data: versioned so the format can evolve.
    pub(crate) fn aad(&self) -> Vec<u8> {
        format!("postiz.credential.v1|{}|{}|{}", self.workspace_id, self.social_account_id, self.field.as_str()).into_bytes()
    }
}

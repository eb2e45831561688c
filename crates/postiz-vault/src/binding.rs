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
}

impl Field {
    fn as_str(self) -> &'static str {
        match self {
            Field::AccessToken => "access_token",
            Field::RefreshToken => "refresh_token",
            Field::AppPassword => "app_password",
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
        format!(
            "postiz.credential.v1|{}|{}|{}",
            self.workspace_id,
            self.social_account_id,
            self.field.as_str()
        )
        .into_bytes()
    }
}

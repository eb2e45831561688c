#![doc = include_str!("../README.md")]

mod email;
mod error;
mod load;
mod private_servers;
mod secrets;
mod settings;

pub use email::{EmailSettings, SMTP_CREDENTIAL_VARS, SmtpTls, smtp_credentials, smtp_credentials_from};
pub use error::ConfigError;
pub use load::{load, load_from};
pub use private_servers::{PrivateAllowList, PrivateServersSettings};
pub use secrets::{
    MEDIA_S3_KEY_VARS, MEDIA_URL_SECRET_VAR, Secrets, media_s3_keys, media_s3_keys_from, media_url_secret, media_url_secret_from,
    oauth_client_secret, oauth_client_secret_from, oauth_client_secret_var,
};
pub use settings::{
    AnalyticsSettings, DatabaseSettings, LocalDbSettings, MediaSettings, OAuthClientSettings, OAuthSettings, PublicApiSettings,
    ServerSettings, Settings, SupabaseSettings, WebhookSettings, WorkerSettings,
};

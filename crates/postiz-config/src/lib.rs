#![doc = include_str!("../README.md")]

mod error;
mod load;
mod secrets;
mod settings;

pub use error::ConfigError;
pub use load::{load, load_from};
pub use secrets::{Secrets, oauth_client_secret, oauth_client_secret_from, oauth_client_secret_var};
pub use settings::{
    DatabaseSettings, LocalDbSettings, OAuthClientSettings, OAuthSettings, ServerSettings, Settings,
    SupabaseSettings, WorkerSettings,
};

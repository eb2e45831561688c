#![doc = include_str!("../README.md")]

pub mod clients;
pub mod grant;
pub mod refresh;
pub mod store;

pub use clients::OAuthClients;
pub use grant::{Endpoints, GrantError, Pkce, authorize_url, exchange_code, http_client, refresh_grant};
pub use refresh::{RefreshError, refresh_tokens};
pub use store::{SavedAccount, StoreError, StoredCredentials};

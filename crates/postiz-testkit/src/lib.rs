#![doc = include_str!("../README.md")]

pub mod bluesky_pds;
mod cluster;
pub mod nostr_relay;
mod peers;
pub mod pypi;
mod session;
mod template;
mod test_database;

pub use cluster::{project_root, shared_cluster};
pub use session::Session;
pub use test_database::{TestDatabase, TestUser};

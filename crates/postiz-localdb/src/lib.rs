#![doc = include_str!("../README.md")]

mod bootstrap;
mod cluster;
mod error;
mod packages;

pub use bootstrap::{BootstrapOptions, bootstrap_database, bootstrap_roles};
pub use cluster::{LocalCluster, SUPERUSER};
pub use error::LocalDbError;
pub use packages::ensure_packages;

#![doc = include_str!("../README.md")]

pub mod analytics;
pub mod migrate;
pub mod notifications;
pub mod pgmq;
mod pool;
mod scoped;
pub mod sql_split;
mod tls;

pub use pool::{PoolError, connect_pool, service_pool};
pub use scoped::{DbRole, begin_as, enter_scope};

/// Re-exported so dependents name one version of the driver.
pub use deadpool_postgres;
pub use tokio_postgres;

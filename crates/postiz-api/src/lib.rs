//! The module API as a library: an axum `Router` that the thin binary — or a host app written in
//! Rust — mounts under a prefix. Every user request runs its database work in one transaction as
//! `authenticated` with the verified claims, so row-level security decides what it sees.

mod access;
pub mod auth;
pub mod bundle;
mod checks;
mod error;
mod extract;
pub mod input;
pub mod metrics;
mod occurrences;
pub mod request_id;
pub mod response_policy;
mod router;
pub mod routes;
mod state;

pub use access::Role;
pub use error::{ApiError, FieldError};
pub use router::router;
pub use state::AppState;

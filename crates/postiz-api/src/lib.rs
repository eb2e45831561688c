//! The module API as a library: an axum `Router` the thin binary (or a host) mounts under a prefix.

pub mod auth;

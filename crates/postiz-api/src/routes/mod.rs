//! One file per resource.

pub mod connect;
pub mod health;
pub mod oauth;
pub mod session;

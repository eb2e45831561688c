#![doc = include_str!("../README.md")]

mod binding;
mod error;
mod keyring;
mod sealed;

pub use binding::{Binding, Field};
pub use error::VaultError;
pub use keyring::Keyring;
pub use sealed::Sealed;

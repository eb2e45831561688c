#![doc = include_str!("../README.md")]

mod error;
mod load;
mod secrets;
mod settings;

pub use error::ConfigError;
pub use load::{load, load_from};
pub use secrets::Secrets;
pub use settings::{
    DatabaseSettings, LocalDbSettings, ServerSettings, Settings, SupabaseSettings, WorkerSettings,
};

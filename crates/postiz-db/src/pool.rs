use deadpool_postgres::{Hook, HookError, Manager, ManagerConfig, Pool, RecyclingMethod};
use secrecy::{ExposeSecret, SecretString};

/// Why a pool could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PoolError {
    /// The connection string does not parse (the string itself is not echoed: it may hold a password).
    #[error("database URL is not a valid PostgreSQL connection string: {0}")]
    BadUrl(String),
    /// The TLS settings (`sslmode`, `sslrootcert`) cannot be honoured.
    #[error("database TLS: {0}")]
    Tls(String),
    /// deadpool refused the configuration.
    #[error("could not build the connection pool: {0}")]
    Build(String),
}

fn manager(url: &SecretString) -> Result<Manager, PoolError> {
    let (config, tls) = crate::tls::configure(url.expose_secret())?;
    Ok(Manager::from_config(config, tls, ManagerConfig { recycling_method: RecyclingMethod::Fast }))
}

/// A pool whose connections keep the login role; callers pick a role per transaction with
/// [`crate::begin_as`]. Used by the API, where every request runs as `authenticated`.
pub fn connect_pool(url: &SecretString, size: usize) -> Result<Pool, PoolError> {
    Pool::builder(manager(url)?).max_size(size).build().map_err(|e| PoolError::Build(e.to_string()))
}

/// A pool whose every connection runs as `service_role` (BYPASSRLS, no DDL rights), as the
/// worker and webhook handlers need: the login role (`postgres` on Supabase) owns the schema,
/// and nothing at runtime should hold owner rights.
pub fn service_pool(url: &SecretString, size: usize) -> Result<Pool, PoolError> {
    Pool::builder(manager(url)?)
        .max_size(size)
        .post_create(Hook::async_fn(|client, _| {
            Box::pin(async move { client.batch_execute("set role service_role").await.map_err(HookError::Backend) })
        }))
        .build()
        .map_err(|e| PoolError::Build(e.to_string()))
}

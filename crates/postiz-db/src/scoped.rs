use serde_json::Value;
use tokio_postgres::{Client, Error, GenericClient, Transaction};

/// The database roles a transaction may assume. A closed set because `SET ROLE` cannot take a
/// bind parameter: the role name is never built from input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbRole {
    /// Unauthenticated visitor: sees nothing of ours.
    Anon,
    /// A signed-in user of the host app; row-level security applies.
    Authenticated,
    /// The worker and webhooks; bypasses row-level security.
    ServiceRole,
}

impl DbRole {
    fn set_local_role(self) -> &'static str {
        match self {
            DbRole::Anon => "set local role anon",
            DbRole::Authenticated => "set local role authenticated",
            DbRole::ServiceRole => "set local role service_role",
        }
    }
}

/// Opens a transaction that runs as `role` with `claims` visible to `auth.uid()`, `auth.jwt()`
/// and policies, exactly as PostgREST does for a request. Both settings are transaction-local,
/// so a pooled connection carries nothing over to the next user.
pub async fn begin_as<'a>(client: &'a mut Client, role: DbRole, claims: &Value) -> Result<Transaction<'a>, Error> {
    let tx = client.transaction().await?;
    enter_scope(&tx, role, claims).await?;
    Ok(tx)
}

/// Within an open transaction, assumes `role` with `claims` until the transaction ends.
pub async fn enter_scope(tx: &impl GenericClient, role: DbRole, claims: &Value) -> Result<(), Error> {
    tx.execute("select set_config('request.jwt.claims', $1, true)", &[&claims.to_string()]).await?;
    tx.batch_execute(role.set_local_role()).await
}

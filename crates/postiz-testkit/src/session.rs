use postiz_db::DbRole;
use serde_json::Value;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Error, Row};

/// An open transaction acting as a database role with JWT claims, on its own connection.
/// Dropping it without `commit` rolls everything back.
#[derive(Debug)]
pub struct Session {
    client: Client,
}

impl Session {
    pub(crate) async fn begin(client: Client, role: DbRole, claims: &Value) -> Result<Self, Error> {
        client.batch_execute("begin").await?;
        postiz_db::enter_scope(&client, role, claims).await?;
        Ok(Self { client })
    }

    /// Runs a query inside the transaction.
    pub async fn query(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, Error> {
        self.client.query(sql, params).await
    }

    /// Runs a statement inside the transaction; returns the affected row count.
    pub async fn execute(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, Error> {
        self.client.execute(sql, params).await
    }

    /// Runs several statements without parameters.
    pub async fn batch(&self, sql: &str) -> Result<(), Error> {
        self.client.batch_execute(sql).await
    }

    /// Commits the transaction.
    pub async fn commit(self) -> Result<(), Error> {
        self.client.batch_execute("commit").await
    }
}

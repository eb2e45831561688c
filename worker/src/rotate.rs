//! `postiz-worker rotate-keys`: re-encrypts every stored secret under the current key, online.
//!
//! Batches of rows still under another key are locked with `for update skip locked`,
//! re-encrypted and committed; publishing and refreshing go on meanwhile (a row a refresh holds
//! is skipped and picked up by a later batch). Only rows whose key id differs from the current
//! one are selected, so a stopped run resumes where it was. Deploy the new key list (new key
//! first, old keys behind it) to every process before rotating: a process still encrypting
//! under the old key would write rows a later run has to rotate again.

use std::time::Duration;

use deadpool_postgres::Pool;
use postiz_vault::{Binding, Field, Keyring, Sealed};
use uuid::Uuid;

/// A table holding sealed secrets: its row id, the workspace half of the binding, and the
/// sealed columns (`<prefix>_key_id`, `<prefix>_nonce`, `<prefix>_ciphertext`).
struct SealedTable {
    table: &'static str,
    id: &'static str,
    workspace: &'static str,
    fields: &'static [(&'static str, Field)],
}

const TABLES: [SealedTable; 5] = [
    SealedTable {
        table: "credentials",
        id: "social_account_id",
        workspace: "workspace_id",
        fields: &[("access_token", Field::AccessToken), ("refresh_token", Field::RefreshToken)],
    },
    SealedTable {
        table: "pending_connections",
        id: "id",
        workspace: "workspace_id",
        fields: &[("access_token", Field::AccessToken), ("refresh_token", Field::RefreshToken)],
    },
    SealedTable { table: "oauth_states", id: "id", workspace: "workspace_id", fields: &[("pkce", Field::PkceVerifier)] },
    SealedTable {
        table: "instance_apps",
        id: "id",
        workspace: "'00000000-0000-0000-0000-000000000000'::uuid",
        fields: &[("client_secret", Field::ClientSecret)],
    },
    // The previous secret (kept for a day after an endpoint's secret is rotated) is sealed with
    // the same binding as the current one.
    SealedTable {
        table: "webhook_endpoints",
        id: "id",
        workspace: "workspace_id",
        fields: &[("secret", Field::WebhookSecret), ("previous_secret", Field::WebhookSecret)],
    },
];

/// Why rotation stopped. Rows done so far stay done; run again to resume.
#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] tokio_postgres::Error),
    /// No connection.
    #[error("connection pool: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    /// A ciphertext does not decrypt with any configured key.
    #[error("postiz.{table} row {id}: {source}")]
    Vault {
        /// Table.
        table: &'static str,
        /// Row id.
        id: Uuid,
        /// Why.
        source: postiz_vault::VaultError,
    },
}

/// Progress after each batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// The table being rotated.
    pub table: &'static str,
    /// Rows re-encrypted in this table so far.
    pub done: u64,
    /// Rows of this table under another key when it started.
    pub total: u64,
}

/// Rows re-encrypted per table.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RotateStats {
    /// `(table, rows)`.
    pub rotated: Vec<(&'static str, u64)>,
}

impl RotateStats {
    /// Rows re-encrypted in `table`.
    pub fn rows(&self, table: &str) -> u64 {
        self.rotated.iter().find(|(t, _)| *t == table).map_or(0, |(_, n)| *n)
    }
}

/// Re-encrypts every sealed column under `keyring`'s current key, `batch` rows per transaction,
/// reporting after each batch. Run on a `service_role` pool.
pub async fn rotate_keys(
    pool: &Pool,
    keyring: &Keyring,
    batch: i64,
    mut progress: impl FnMut(Progress),
) -> Result<RotateStats, RotateError> {
    let current = keyring.current_key_id().to_owned();
    let mut stats = RotateStats::default();
    for t in &TABLES {
        let stale = t.fields.iter().map(|(f, _)| format!("{f}_key_id <> $1")).collect::<Vec<_>>().join(" or ");
        let columns = t.fields.iter().map(|(f, _)| format!("{f}_key_id, {f}_nonce, {f}_ciphertext")).collect::<Vec<_>>().join(", ");
        let count_sql = format!("select count(*) from postiz.{} where {stale}", t.table);
        let select_sql = format!(
            "select {id}, {ws}, {columns} from postiz.{table} where {stale} order by {id} limit $2 for update skip locked",
            id = t.id,
            ws = t.workspace,
            table = t.table
        );
        let total = {
            let client = pool.get().await?;
            client.query_one(&count_sql, &[&current]).await?.get::<_, i64>(0).max(0) as u64
        };
        let mut done = 0u64;
        progress(Progress { table: t.table, done, total });
        loop {
            let mut client = pool.get().await?;
            let tx = client.transaction().await?;
            let rows = tx.query(&select_sql, &[&current, &batch]).await?;
            if rows.is_empty() {
                tx.commit().await?;
                // Nothing free: either finished, or the rest is locked by refreshes right now.
                let left: i64 = client.query_one(&count_sql, &[&current]).await?.get(0);
                if left == 0 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            for row in &rows {
                let id: Uuid = row.get(0);
                let workspace_id: Uuid = row.get(1);
                for (i, (prefix, field)) in t.fields.iter().enumerate() {
                    let base = 2 + i * 3;
                    let (Some(key_id), Some(nonce), Some(ciphertext)) = (
                        row.get::<_, Option<String>>(base),
                        row.get::<_, Option<Vec<u8>>>(base + 1),
                        row.get::<_, Option<Vec<u8>>>(base + 2),
                    ) else {
                        continue;
                    };
                    if key_id == current {
                        continue;
                    }
                    let binding = Binding { workspace_id, social_account_id: id, field: *field };
                    let sealed = keyring.reseal(&Sealed { key_id, nonce, ciphertext }, &binding).map_err(|source| RotateError::Vault {
                        table: t.table,
                        id,
                        source,
                    })?;
                    tx.execute(
                        &format!(
                            "update postiz.{} set {prefix}_key_id = $2, {prefix}_nonce = $3, {prefix}_ciphertext = $4 where {} = $1",
                            t.table, t.id
                        ),
                        &[&id, &sealed.key_id, &sealed.nonce, &sealed.ciphertext],
                    )
                    .await?;
                }
            }
            tx.commit().await?;
            done += rows.len() as u64;
            progress(Progress { table: t.table, done, total: total.max(done) });
        }
        stats.rotated.push((t.table, done));
    }
    Ok(stats)
}

//! Applies `supabase/migrations/*.sql` the way the Supabase CLI does, so a real project and the
//! local database share one history in `supabase_migrations.schema_migrations`.

use std::path::{Path, PathBuf};

use tokio_postgres::Client;

use crate::sql_split::split_statements;

/// One migration file, named `YYYYMMDDHHMMSS_name.sql`.
#[derive(Debug, Clone)]
pub struct Migration {
    /// The 14-digit timestamp, the primary key of the history table.
    pub version: String,
    /// The part after the underscore, without `.sql`.
    pub name: String,
    /// Where it was read from.
    pub path: PathBuf,
    /// The file's statements, in order.
    pub statements: Vec<String>,
}

/// Why migrating stopped. Nothing of the failing file is left behind: it ran in one transaction.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MigrateError {
    /// The directory or a file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A `.sql` file does not follow the CLI's naming.
    #[error("{0}: migration files must be named YYYYMMDDHHMMSS_name.sql")]
    BadName(PathBuf),
    /// A version is not a real date and time (an hour of 24 or more, a 13th month, …).
    #[error("{0}: the version must be a valid UTC date and time, YYYYMMDDHHMMSS with hours 00-23 (as `supabase migration new` writes it)")]
    BadTimestamp(PathBuf),
    /// Two files share a version.
    #[error("two migrations share version {0}")]
    DuplicateVersion(String),
    /// A statement failed; the file was rolled back.
    #[error("migration {file} failed at statement {index}: {message}\n--- statement ---\n{statement}")]
    Statement {
        /// File name of the failing migration.
        file: String,
        /// 1-based position of the statement in the file.
        index: usize,
        /// The statement text.
        statement: String,
        /// Postgres's message, detail and hint.
        message: String,
    },
    /// The database has versions no local file explains (someone migrated from another branch).
    #[error("the database has migration versions with no local file: {0:?}")]
    UnknownApplied(Vec<String>),
    /// Bookkeeping queries failed.
    #[error("migration bookkeeping failed: {0}")]
    Db(#[from] tokio_postgres::Error),
}

/// Reads the migrations in `dir`, ordered by version.
/// Versions that landed before timestamps were checked (hours 24-40). They may already be
/// applied somewhere, so they keep their names; no other invalid version is accepted.
const LANDED_WITH_BAD_TIMESTAMPS: [&str; 6] =
    ["20261122240000", "20261122250000", "20261122300000", "20261122350000", "20261122350100", "20261122400000"];

pub fn discover(dir: &Path) -> Result<Vec<Migration>, MigrateError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| MigrateError::Io { path, source }
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let path = entry.map_err(io(dir))?.path();
        if path.extension().is_none_or(|e| e != "sql") {
            continue;
        }
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        let (version, name) = stem.split_once('_').ok_or_else(|| MigrateError::BadName(path.clone()))?;
        if version.len() != 14 || !version.bytes().all(|b| b.is_ascii_digit()) || name.is_empty() {
            return Err(MigrateError::BadName(path));
        }
        if chrono::NaiveDateTime::parse_from_str(version, "%Y%m%d%H%M%S").is_err() && !LANDED_WITH_BAD_TIMESTAMPS.contains(&version) {
            return Err(MigrateError::BadTimestamp(path));
        }
        let sql = std::fs::read_to_string(&path).map_err(io(&path))?;
        out.push(Migration { version: version.to_owned(), name: name.to_owned(), statements: split_statements(&sql), path });
    }
    out.sort_by(|a, b| a.version.cmp(&b.version));
    if let Some(w) = out.windows(2).find(|w| w[0].version == w[1].version) {
        return Err(MigrateError::DuplicateVersion(w[0].version.clone()));
    }
    Ok(out)
}

/// Outcome of [`apply`].
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Versions applied by this run.
    pub applied: Vec<String>,
    /// Versions that were already recorded.
    pub skipped: usize,
}

/// Same table and columns the Supabase CLI creates (`supabase migration up`).
const HISTORY_DDL: &str = "
create schema if not exists supabase_migrations;
create table if not exists supabase_migrations.schema_migrations (version text not null primary key);
alter table supabase_migrations.schema_migrations add column if not exists statements text[];
alter table supabase_migrations.schema_migrations add column if not exists name text;
";

/// Any constant works; it only has to be the same for every runner of this project.
const LOCK_KEY: i64 = 0x706f_7374_697a; // "postiz"

/// Applies pending migrations in version order, each file in its own transaction.
/// Concurrent runners are serialised by an advisory lock; re-running is a no-op.
pub async fn apply(client: &mut Client, migrations: &[Migration]) -> Result<Report, MigrateError> {
    client.batch_execute(HISTORY_DDL).await?;
    client.execute("select pg_advisory_lock($1)", &[&LOCK_KEY]).await?;
    let result = apply_locked(client, migrations).await;
    client.execute("select pg_advisory_unlock($1)", &[&LOCK_KEY]).await?;
    result
}

async fn apply_locked(client: &mut Client, migrations: &[Migration]) -> Result<Report, MigrateError> {
    let applied: Vec<String> = client
        .query("select version from supabase_migrations.schema_migrations order by version", &[])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let unknown: Vec<String> = applied.iter().filter(|v| !migrations.iter().any(|m| &m.version == *v)).cloned().collect();
    if !unknown.is_empty() {
        return Err(MigrateError::UnknownApplied(unknown));
    }

    let mut report = Report::default();
    for migration in migrations {
        if applied.contains(&migration.version) {
            report.skipped += 1;
            continue;
        }
        apply_one(client, migration).await?;
        tracing::info!(migration.version = %migration.version, migration.name = %migration.name, "migration applied");
        report.applied.push(migration.version.clone());
    }
    Ok(report)
}

async fn apply_one(client: &mut Client, migration: &Migration) -> Result<(), MigrateError> {
    let file = migration.path.file_name().map_or_else(|| migration.version.clone(), |f| f.to_string_lossy().into_owned());
    let tx = client.transaction().await?;
    for (i, statement) in migration.statements.iter().enumerate() {
        if let Err(e) = tx.batch_execute(statement).await {
            return Err(MigrateError::Statement { file, index: i + 1, statement: statement.clone(), message: describe(&e) });
        }
    }
    tx.execute(
        "insert into supabase_migrations.schema_migrations (version, name, statements) values ($1, $2, $3)",
        &[&migration.version, &migration.name, &migration.statements],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Postgres's message with its detail and hint, which `Display` of the driver error omits.
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut s = format!("{} (SQLSTATE {})", db.message(), db.code().code());
            if let Some(d) = db.detail() {
                s.push_str(&format!("; detail: {d}"));
            }
            if let Some(h) = db.hint() {
                s.push_str(&format!("; hint: {h}"));
            }
            s
        }
        None => e.to_string(),
    }
}

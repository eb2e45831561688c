//! The migration runner against a real database cloned from the migrated template.
#![allow(clippy::unwrap_used, reason = "test fixtures: a broken fixture should panic right there")]

use std::path::{Path, PathBuf};

use postiz_db::migrate::{self, MigrateError, Migration};
use postiz_testkit::{TestDatabase, project_root};

fn real_migrations() -> Vec<Migration> {
    migrate::discover(&project_root().join("supabase/migrations")).expect("discover")
}

/// A scratch directory holding the given files, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn with(files: &[(&str, &str)]) -> Self {
        let dir = std::env::temp_dir().join(format!("postiz-migrate-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, sql) in files {
            std::fs::write(dir.join(name), sql).unwrap();
        }
        Self(dir)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn history_is_recorded_like_the_supabase_cli_and_rerun_is_a_noop() {
    let db = TestDatabase::new().await;
    let mut client = db.client().await;
    let migrations = real_migrations();

    let rows =
        client.query("select version, name, statements from supabase_migrations.schema_migrations order by version", &[]).await.unwrap();
    assert_eq!(rows.len(), migrations.len(), "the template recorded every migration");
    for (row, m) in rows.iter().zip(&migrations) {
        assert_eq!(row.get::<_, String>(0), m.version);
        assert_eq!(row.get::<_, String>(1), m.name);
        assert_eq!(row.get::<_, Vec<String>>(2), m.statements);
    }

    let report = migrate::apply(&mut client, &migrations).await.unwrap();
    assert!(report.applied.is_empty(), "nothing new to apply: {report:?}");
    assert_eq!(report.skipped, migrations.len());
}

#[tokio::test]
async fn new_migration_is_applied_once_in_order() {
    let db = TestDatabase::new().await;
    let mut client = db.client().await;
    let scratch = Scratch::with(&[
        ("29990101000001_second.sql", "insert into postiz.scratch values (2);"),
        ("29990101000000_first.sql", "create table postiz.scratch (n int); insert into postiz.scratch values (1);"),
    ]);
    let mut all = real_migrations();
    all.extend(migrate::discover(scratch.path()).unwrap());

    let report = migrate::apply(&mut client, &all).await.unwrap();
    assert_eq!(report.applied, vec!["29990101000000", "29990101000001"]);
    let again = migrate::apply(&mut client, &all).await.unwrap();
    assert!(again.applied.is_empty());
    let n: Vec<i32> = client.query("select n from postiz.scratch order by n", &[]).await.unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(n, vec![1, 2], "each file ran exactly once");
}

#[tokio::test]
async fn failing_migration_names_file_and_statement_and_leaves_nothing() {
    let db = TestDatabase::new().await;
    let mut client = db.client().await;
    let scratch = Scratch::with(&[(
        "29990101000000_broken.sql",
        "create table postiz.half_done (id int);\n-- the next statement fails\nselect 1 / 0;\ncreate table postiz.never (id int);",
    )]);
    let mut all = real_migrations();
    all.extend(migrate::discover(scratch.path()).unwrap());

    let err = migrate::apply(&mut client, &all).await.expect_err("division by zero");
    match &err {
        MigrateError::Statement { file, index, statement, message } => {
            assert_eq!(file, "29990101000000_broken.sql");
            assert_eq!(*index, 2);
            assert!(statement.contains("select 1 / 0"), "{statement}");
            assert!(message.contains("division by zero") && message.contains("22012"), "{message}");
        }
        other => panic!("unexpected error: {other}"),
    }
    assert!(err.to_string().contains("29990101000000_broken.sql"));

    let leftovers = client
        .query_one(
            "select to_regclass('postiz.half_done') is null and to_regclass('postiz.never') is null,
                    not exists (select 1 from supabase_migrations.schema_migrations where version = '29990101000000')",
            &[],
        )
        .await
        .unwrap();
    assert!(leftovers.get::<_, bool>(0), "the failed file's first statement was rolled back");
    assert!(leftovers.get::<_, bool>(1), "no history row for the failed file");
}

#[tokio::test]
async fn versions_without_a_local_file_stop_the_run() {
    let db = TestDatabase::new().await;
    let mut client = db.client().await;
    let mut fewer = real_migrations();
    let dropped = fewer.pop().expect("at least one migration");
    let err = migrate::apply(&mut client, &fewer).await.expect_err("unknown applied version");
    assert!(matches!(&err, MigrateError::UnknownApplied(v) if v == &vec![dropped.version.clone()]), "{err}");
}

#[test]
fn badly_named_files_are_refused() {
    let scratch = Scratch::with(&[("2026_oops.sql", "select 1;")]);
    let err = migrate::discover(scratch.path()).expect_err("bad name");
    assert!(err.to_string().contains("YYYYMMDDHHMMSS_name.sql"), "{err}");
}

#[test]
fn versions_that_are_not_real_times_are_refused() {
    for bad in ["20261203250000_late.sql", "20261332120000_month.sql", "20261203126100_minute.sql"] {
        let scratch = Scratch::with(&[(bad, "select 1;")]);
        let err = migrate::discover(scratch.path()).expect_err(bad);
        assert!(matches!(err, MigrateError::BadTimestamp(_)), "{bad}: {err}");
        assert!(err.to_string().contains("hours 00-23"), "{err}");
    }
    // The six that landed before the check keep working (the real directory has them).
    let real = real_migrations();
    assert!(real.iter().any(|m| m.version == "20261122400000"));
}

#[tokio::test]
async fn migrations_run_without_superuser_rights() {
    let db = TestDatabase::new().await;
    let row = db.client().await.query_one("select rolsuper, rolbypassrls from pg_roles where rolname = current_user", &[]).await.unwrap();
    assert!(!row.get::<_, bool>(0), "postgres must not be a superuser, as on Supabase");
    assert!(row.get::<_, bool>(1), "postgres bypasses RLS, as on Supabase");
}

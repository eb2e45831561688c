//! The Supabase stand-in behaves like Supabase: claims reach auth.*(), RLS filters by role,
//! and test databases are isolated.

use postiz_db::{DbRole, begin_as, connect_pool, service_pool};
use postiz_testkit::TestDatabase;
use secrecy::SecretString;
use serde_json::json;
use uuid::Uuid;

#[tokio::test]
async fn auth_functions_read_the_claims_of_the_transaction() {
    let db = TestDatabase::new().await;
    let user = db.create_user("claims@example.com").await;
    let session = db.as_user(&user).await;
    let row = session
        .query("select auth.uid(), auth.role(), auth.email(), auth.jwt() ->> 'aud', current_user::text", &[])
        .await
        .unwrap()
        .remove(0);
    assert_eq!(row.get::<_, Uuid>(0), user.id);
    assert_eq!(row.get::<_, String>(1), "authenticated");
    assert_eq!(row.get::<_, String>(2), "claims@example.com");
    assert_eq!(row.get::<_, String>(3), "authenticated");
    assert_eq!(row.get::<_, String>(4), "authenticated");
}

#[tokio::test]
async fn claims_end_with_the_transaction() {
    let db = TestDatabase::new().await;
    let pool = connect_pool(&SecretString::from(db.url()), 1).unwrap();
    let mut client = pool.get().await.unwrap();
    let sub = Uuid::new_v4();
    {
        let tx = begin_as(&mut client, DbRole::Authenticated, &json!({"sub": sub, "role": "authenticated"})).await.unwrap();
        let uid: Uuid = tx.query_one("select auth.uid()", &[]).await.unwrap().get(0);
        assert_eq!(uid, sub);
        tx.commit().await.unwrap();
    }
    // Same pooled connection, next "request": nothing leaks over.
    let row = client.query_one("select auth.uid(), current_user::text", &[]).await.unwrap();
    assert_eq!(row.get::<_, Option<Uuid>>(0), None);
    assert_eq!(row.get::<_, String>(1), "postgres");
}

#[tokio::test]
async fn legacy_per_claim_setting_is_honoured() {
    let db = TestDatabase::new().await;
    let client = db.client().await;
    let sub = Uuid::new_v4();
    client.batch_execute(&format!("begin; set local request.jwt.claim.sub = '{sub}'")).await.unwrap();
    let uid: Uuid = client.query_one("select auth.uid()", &[]).await.unwrap().get(0);
    assert_eq!(uid, sub);
}

#[tokio::test]
async fn rls_without_policy_hides_rows_from_authenticated_but_not_service_role() {
    let db = TestDatabase::new().await;
    db.client()
        .await
        .batch_execute(
            "create table postiz.secrets_probe (id int primary key);
             insert into postiz.secrets_probe values (1), (2);
             alter table postiz.secrets_probe enable row level security;
             grant select on postiz.secrets_probe to authenticated, service_role;",
        )
        .await
        .unwrap();
    let user = db.create_user("nopolicy@example.com").await;

    let as_user = db.as_user(&user).await;
    let n: i64 = as_user.query("select count(*) from postiz.secrets_probe", &[]).await.unwrap()[0].get(0);
    assert_eq!(n, 0, "no policy: authenticated sees nothing");

    let as_service = db.as_service().await;
    let n: i64 = as_service.query("select count(*) from postiz.secrets_probe", &[]).await.unwrap()[0].get(0);
    assert_eq!(n, 2, "service_role bypasses RLS");

    let as_anon = db.as_anon().await;
    let err = as_anon.query("select count(*) from postiz.secrets_probe", &[]).await.expect_err("anon");
    assert_eq!(err.code(), Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE));
}

#[tokio::test]
async fn service_pool_connections_run_as_service_role() {
    let db = TestDatabase::new().await;
    let pool = service_pool(&SecretString::from(db.url()), 2).unwrap();
    let client = pool.get().await.unwrap();
    let row = client.query_one("select current_user::text, session_user::text", &[]).await.unwrap();
    assert_eq!(row.get::<_, String>(0), "service_role");
    assert_eq!(row.get::<_, String>(1), "postgres");
    let err = client.batch_execute("create table postiz.not_allowed (id int)").await.expect_err("no DDL");
    assert_eq!(err.code(), Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE));
}

#[tokio::test]
async fn test_databases_are_isolated() {
    let a = TestDatabase::new().await;
    let b = TestDatabase::new().await;
    assert_ne!(a.name(), b.name());
    a.client().await.batch_execute("create table postiz.only_in_a (id int)").await.unwrap();
    let alice = a.create_user("alice@example.com").await;

    let row = b
        .client()
        .await
        .query_one("select to_regclass('postiz.only_in_a') is null, (select count(*) from auth.users where id = $1)", &[&alice.id])
        .await
        .unwrap();
    assert!(row.get::<_, bool>(0), "a table made in A is not in B");
    assert_eq!(row.get::<_, i64>(1), 0, "a user made in A is not in B");
}

#[tokio::test]
async fn dropped_test_database_is_gone() {
    let db = TestDatabase::new().await;
    let name = db.name().to_owned();
    let (admin, connection) = tokio_postgres::connect(&db.maintenance_url(), tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    drop(db);
    let n: i64 = admin.query_one("select count(*) from pg_database where datname = $1", &[&name]).await.unwrap().get(0);
    assert_eq!(n, 0);
}

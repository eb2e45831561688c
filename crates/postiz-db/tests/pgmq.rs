//! The pgmq wrapper against real pgmq, as the worker's role (service_role) uses it.
#![allow(clippy::unwrap_used, reason = "test fixtures: a broken fixture should panic right there")]

use postiz_db::pgmq;
use postiz_db::service_pool;
use postiz_testkit::TestDatabase;
use secrecy::SecretString;
use serde_json::json;

async fn with_queue(db: &TestDatabase, name: &str) {
    db.client().await.execute("select pgmq.create($1)", &[&name]).await.unwrap();
}

#[tokio::test]
async fn send_read_hide_archive_as_service_role() {
    let db = TestDatabase::new().await;
    with_queue(&db, "t_basic").await;
    let pool = service_pool(&SecretString::from(db.url()), 2).unwrap();
    let client = pool.get().await.unwrap();

    let id = pgmq::send(&**client, "t_basic", &json!({"job": "publish_post", "v": 1}), 0).await.unwrap();
    let got = pgmq::read(&**client, "t_basic", 30, 10).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].msg_id, got[0].read_ct), (id, 1));
    assert_eq!(got[0].message["job"], "publish_post");
    assert!(pgmq::read(&**client, "t_basic", 30, 10).await.unwrap().is_empty(), "hidden while its visibility timeout runs");

    assert!(pgmq::set_vt(&**client, "t_basic", id, 0).await.unwrap());
    let again = pgmq::read(&**client, "t_basic", 30, 10).await.unwrap();
    assert_eq!(again[0].read_ct, 2, "redelivery is counted");

    assert!(pgmq::archive(&**client, "t_basic", id).await.unwrap());
    assert!(!pgmq::archive(&**client, "t_basic", id).await.unwrap(), "archiving twice is harmless");
    let archived: i64 = client.query_one("select count(*) from pgmq.a_t_basic", &[]).await.unwrap().get(0);
    assert_eq!(archived, 1);
}

#[tokio::test]
async fn several_messages_are_archived_in_one_call() {
    let db = TestDatabase::new().await;
    with_queue(&db, "t_many").await;
    let pool = service_pool(&SecretString::from(db.url()), 2).unwrap();
    let client = pool.get().await.unwrap();
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(pgmq::send(&**client, "t_many", &json!({"n": i}), 0).await.unwrap());
    }

    assert_eq!(pgmq::archive_many(&**client, "t_many", &ids[..2]).await.unwrap(), 2);
    assert_eq!(pgmq::archive_many(&**client, "t_many", &ids).await.unwrap(), 1, "only the one still queued counts");
    let archived: i64 = client.query_one("select count(*) from pgmq.a_t_many", &[]).await.unwrap().get(0);
    assert_eq!(archived, 3);
    assert!(pgmq::read(&**client, "t_many", 30, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn several_messages_are_hidden_for_their_own_times_in_one_call() {
    let db = TestDatabase::new().await;
    with_queue(&db, "t_vt_many").await;
    let client = db.client().await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(pgmq::send(&client, "t_vt_many", &json!({"n": i}), 0).await.unwrap());
    }
    assert!(pgmq::delete(&client, "t_vt_many", ids[2]).await.unwrap());

    let hidden = pgmq::set_vt_many(&client, "t_vt_many", &ids, &[0, 3600, 0]).await.unwrap();
    assert_eq!(hidden, 2, "the deleted message is not counted");
    let visible: Vec<i64> = pgmq::read(&client, "t_vt_many", 30, 10).await.unwrap().iter().map(|m| m.msg_id).collect();
    assert_eq!(visible, vec![ids[0]], "the first is visible at once, the second hidden for an hour");
    let later: f64 = client
        .query_one("select extract(epoch from vt - now())::double precision from pgmq.q_t_vt_many where msg_id = $1", &[&ids[1]])
        .await
        .unwrap()
        .get(0);
    assert!((3500.0..=3601.0).contains(&later), "hidden for its own time: {later}");
}

#[tokio::test]
async fn delayed_message_is_invisible_until_due_and_metrics_count_it() {
    let db = TestDatabase::new().await;
    with_queue(&db, "t_delay").await;
    let client = db.client().await;
    pgmq::send(&client, "t_delay", &json!({"n": 1}), 3600).await.unwrap();
    assert!(pgmq::read(&client, "t_delay", 30, 1).await.unwrap().is_empty());
    let m = pgmq::metrics(&client, "t_delay").await.unwrap();
    assert_eq!((m.queue_length, m.total_messages), (1, 1));
    let id = pgmq::send(&client, "t_delay", &json!({"n": 2}), 0).await.unwrap();
    assert!(pgmq::delete(&client, "t_delay", id).await.unwrap());
}

#[tokio::test]
async fn api_roles_cannot_touch_queues() {
    let db = TestDatabase::new().await;
    with_queue(&db, "t_private").await;
    let user = db.create_user("q@example.com").await;
    let session = db.as_user(&user).await;
    let err = session.query("select * from pgmq.read('t_private', 30, 1)", &[]).await.unwrap_err();
    assert_eq!(err.code(), Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE), "{err}");
}

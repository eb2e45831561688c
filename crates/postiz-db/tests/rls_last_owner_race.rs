//! The last-owner rule holds under concurrency: two owners demoting each other at the same time
//! cannot leave a workspace without an owner. (The single-session cases are in
//! supabase/tests/02-workspaces-and-members.test.sql.)

use std::time::Duration;

use postiz_testkit::TestDatabase;

const WS: &str = "aaaaaaaa-0000-4000-8000-000000000000";

#[tokio::test]
async fn two_owners_demoting_each_other_at_once_leave_one_owner() {
    let db = TestDatabase::new().await;
    let first = db.create_user("first-owner@example.com").await;
    let second = db.create_user("second-owner@example.com").await;
    db.superuser()
        .await
        .batch_execute(&format!(
            "insert into postiz.workspaces (id, name, slug, created_by) values ('{WS}', 'A', 'tenant-a', '{}');
             insert into postiz.workspace_members (workspace_id, user_id, role) values ('{WS}', '{}', 'owner');",
            first.id, second.id
        ))
        .await
        .expect("arrange two owners");

    // The first owner demotes the second and keeps the transaction open.
    let one = db.as_user(&first).await;
    let demoted = one
        .execute(&format!("update postiz.workspace_members set role = 'admin' where workspace_id = '{WS}' and user_id = $1"), &[&second.id])
        .await
        .expect("first demotion");
    assert_eq!(demoted, 1);

    // Meanwhile the second owner, who still sees themselves as owner, demotes the first.
    let two = db.as_user(&second).await;
    let pid: i32 = two.query("select pg_backend_pid()", &[]).await.expect("pid")[0].get(0);
    let first_id = first.id;
    let racer = tokio::spawn(async move {
        let result = two
            .execute(
                &format!("update postiz.workspace_members set role = 'admin' where workspace_id = '{WS}' and user_id = $1"),
                &[&first_id],
            )
            .await;
        (two, result)
    });

    // Commit the first demotion only once the second is really waiting on it: that is the race.
    let observer = db.superuser().await;
    let mut waiting = false;
    for _ in 0..200 {
        let row = observer
            .query_one("select wait_event_type is not distinct from 'Lock' from pg_stat_activity where pid = $1", &[&pid])
            .await
            .expect("observe the racer");
        if row.get::<_, bool>(0) {
            waiting = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(waiting, "the second demotion should wait for the first transaction");
    one.commit().await.expect("commit the first demotion");

    let (_two, result) = racer.await.expect("racer task");
    let error = result.expect_err("the second demotion must fail once the first is committed");
    assert_eq!(error.as_db_error().map(|e| e.message()), Some("a workspace must keep at least one owner"), "unexpected error: {error}");

    let owners: i64 = db
        .client()
        .await
        .query_one(&format!("select count(*) from postiz.workspace_members where workspace_id = '{WS}' and role = 'owner'"), &[])
        .await
        .expect("count owners")
        .get(0);
    assert_eq!(owners, 1);
}

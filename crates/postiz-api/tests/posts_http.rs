//! Posts over HTTP: create (one transaction, idempotent), validation with field names, edits of
//! scheduled posts (revision bump, stale jobs canceled), status changes, duplicate, delete.
#![allow(clippy::unwrap_used, reason = "test helpers: a broken fixture should panic right there")]

mod common;

use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use common::*;
use serde_json::{Value, json};
use uuid::Uuid;

struct Fixture {
    app: TestApp,
    owner: Actor,
    ws: Uuid,
    x: Uuid,
    mastodon: Uuid,
}

async fn fixture() -> Fixture {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let ws = app.workspace(&owner, "acme", "Europe/Berlin").await;
    let x = app.account(ws, "x", "acme_x").await;
    let mastodon = app.account(ws, "mastodon", "acme@social.example").await;
    Fixture { app, owner, ws, x, mastodon }
}

fn at(days: i64) -> String {
    (Utc::now() + Duration::days(days)).format("%Y-%m-%dT%H:%M:00Z").to_string()
}

fn fields(body: &Value) -> Vec<String> {
    body["error"]["fields"].as_array().map_or_else(Vec::new, |f| f.iter().map(|f| f["field"].as_str().unwrap().to_owned()).collect())
}

/// Rows of every table a post create writes.
async fn footprint(app: &TestApp) -> Vec<i64> {
    let mut out = vec![];
    for t in ["posts", "post_variants", "post_targets", "post_tags", "post_media", "schedules", "activity_logs"] {
        out.push(app.count(&format!("select count(*) from postiz.{t}")).await);
    }
    out
}

#[tokio::test]
async fn create_writes_variants_targets_tags_media_and_schedule_in_one_go() {
    let f = fixture().await;
    let tag =
        f.app.call(&f.owner, "POST", &format!("/workspaces/{}/tags", f.ws), Some(json!({"name": "launch", "color": "#ff0000"}))).await;
    assert_eq!(tag.status, StatusCode::CREATED, "{}", tag.body);
    let tag_id = tag.body["id"].as_str().unwrap().to_owned();
    let image = f.app.media(f.ws, "image/png", 200_000).await;
    let when = at(3);
    let a = f
        .app
        .call(
            &f.owner,
            "POST",
            &format!("/workspaces/{}/posts", f.ws),
            Some(json!({
                "content": "We launched!",
                "variants": {
                    "x": {"text": "We launched! #launch", "thread": [{"text": "More in the thread"}], "first_comment": "Link below"},
                    "mastodon": {"settings": {"network": "mastodon", "visibility": "unlisted"}}
                },
                "targets": [f.x, f.mastodon],
                "tags": [tag_id],
                "media": [{"id": image, "alt": "the product"}],
                "schedule": {"kind": "once", "at": when}
            })),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let p = &a.body;
    assert_eq!(p["status"], "scheduled", "a post with a schedule is scheduled unless told otherwise");
    assert_eq!(p["content"], "We launched!");
    assert_eq!(p["variants"]["x"]["text"], "We launched! #launch");
    assert_eq!(p["variants"]["x"]["thread"][0]["text"], "More in the thread");
    assert_eq!(p["variants"]["x"]["first_comment"], "Link below");
    assert_eq!(p["variants"]["mastodon"]["settings"]["visibility"], "unlisted");
    assert_eq!(p["targets"].as_array().unwrap().len(), 2);
    assert_eq!(p["targets"][1]["account"]["network"], "x", "targets by network");
    assert_eq!(p["targets"][0]["status"], "pending");
    assert_eq!(p["tags"][0]["name"], "launch");
    assert_eq!(p["media"][0]["alt"], "the product");
    assert_eq!(p["schedule"]["kind"], "once");
    assert_eq!(p["schedule"]["status"], "pending");
    assert_eq!(p["schedule"]["time_zone"], "Europe/Berlin", "the workspace zone by default");
    assert_eq!(DateTime::parse_from_rfc3339(p["scheduled_at"].as_str().unwrap()).unwrap(), DateTime::parse_from_rfc3339(&when).unwrap());
    // The schedule row is pending at that time, so the enqueuer will pick it up.
    let next: DateTime<Utc> = f
        .app
        .db
        .superuser()
        .await
        .query_one("select next_run_at from postiz.schedules where post_id = $1", &[&p["id"].as_str().unwrap().parse::<Uuid>().unwrap()])
        .await
        .unwrap()
        .get(0);
    assert_eq!(next.to_rfc3339(), DateTime::parse_from_rfc3339(&when).unwrap().with_timezone(&Utc).to_rfc3339());
    // Written by the user, so the activity log names them.
    let actor: Uuid = f
        .app
        .db
        .superuser()
        .await
        .query_one("select actor_id from postiz.activity_logs where action = 'post.created'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(actor, f.owner.user.id);

    let got = f.app.call(&f.owner, "GET", &format!("/workspaces/{}/posts/{}", f.ws, p["id"].as_str().unwrap()), None).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body["targets"], p["targets"]);
}

#[tokio::test]
async fn a_retried_create_with_the_same_idempotency_key_returns_the_first_post() {
    let f = fixture().await;
    let path = format!("/workspaces/{}/posts", f.ws);
    let body = json!({"content": "once only", "targets": [f.mastodon]});
    let first = f.app.call_with(&f.owner, "POST", &path, Some(body.clone()), &[("Idempotency-Key", "key-1")]).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let before = footprint(&f.app).await;
    let second = f.app.call_with(&f.owner, "POST", &path, Some(body), &[("Idempotency-Key", "key-1")]).await;
    assert_eq!(second.status, StatusCode::OK, "a retry is 200, not 201");
    assert_eq!(second.body["id"], first.body["id"]);
    assert_eq!(second.body["idempotency_key"], "key-1");
    assert_eq!(footprint(&f.app).await, before, "no second row anywhere");
    let other = f.app.call_with(&f.owner, "POST", &path, Some(json!({"content": "another"})), &[("Idempotency-Key", "key-2")]).await;
    assert_eq!(other.status, StatusCode::CREATED);
    assert_eq!(f.app.count("select count(*) from postiz.posts").await, 2);
}

#[tokio::test]
async fn concurrent_creates_with_one_key_make_one_post() {
    let f = fixture().await;
    let path = format!("/workspaces/{}/posts", f.ws);
    let body = json!({"content": "race", "targets": [f.x]});
    let (a, b) = tokio::join!(
        f.app.call_with(&f.owner, "POST", &path, Some(body.clone()), &[("Idempotency-Key", "race")]),
        f.app.call_with(&f.owner, "POST", &path, Some(body.clone()), &[("Idempotency-Key", "race")]),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CREATED], "{} / {}", a.body, b.body);
    assert_eq!(a.body["id"], b.body["id"]);
    assert_eq!(f.app.count("select count(*) from postiz.posts").await, 1);
    assert_eq!(f.app.count("select count(*) from postiz.post_targets").await, 1);
}

#[tokio::test]
async fn a_create_with_one_bad_field_writes_nothing() {
    let f = fixture().await;
    let tag = f.app.call(&f.owner, "POST", &format!("/workspaces/{}/tags", f.ws), Some(json!({"name": "t"}))).await;
    let image = f.app.media(f.ws, "image/png", 1000).await;
    let before = footprint(&f.app).await;
    let a = f
        .app
        .call(
            &f.owner,
            "POST",
            &format!("/workspaces/{}/posts", f.ws),
            Some(json!({
                "content": "fine for Mastodon",
                "variants": {"x": {"text": "x".repeat(281)}},
                "targets": [f.x, f.mastodon],
                "tags": [tag.body["id"]],
                "media": [image],
                "schedule": {"kind": "recurring", "starts_at": at(2), "rrule": "FREQ=DAILY", "time_zone": "Europe/Berlin"}
            })),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert_eq!(fields(&a.body), ["variants.x.text"], "only the bad field: {}", a.body);
    assert_eq!(footprint(&f.app).await, before, "no post, variant, target, tag link, media link, schedule or log row");
}

#[tokio::test]
async fn field_errors_name_the_field() {
    let f = fixture().await;
    let path = format!("/workspaces/{}/posts", f.ws);
    let cases: Vec<(&str, Value, &str)> = vec![
        ("unknown account", json!({"content": "hi", "targets": [Uuid::new_v4()]}), "targets[0]"),
        ("same account twice", json!({"content": "hi", "targets": [f.x, f.x]}), "targets[1]"),
        ("too long for X", json!({"content": "x".repeat(300), "targets": [f.x]}), "variants.x.text"),
        (
            "unsupported rule",
            json!({"content": "hi", "targets": [f.x], "schedule": {"kind": "recurring", "starts_at": at(1), "rrule": "FREQ=YEARLY"}}),
            "schedule.rrule",
        ),
        (
            "rule with a typo",
            json!({"content": "hi", "targets": [f.x], "schedule": {"kind": "recurring", "starts_at": at(1), "rrule": "FREQ=DAILY;BYDAYS=MO"}}),
            "schedule.rrule",
        ),
        (
            "not a zone",
            json!({"content": "hi", "targets": [f.x], "schedule": {"kind": "recurring", "starts_at": at(1), "rrule": "FREQ=DAILY", "time_zone": "Mars/Olympus"}}),
            "schedule.time_zone",
        ),
        ("once in the past", json!({"content": "hi", "targets": [f.x], "schedule": {"kind": "once", "at": at(-1)}}), "schedule.at"),
        ("unknown variant field", json!({"content": "hi", "variants": {"x": {"txt": "hi"}}}), "variants.x.txt"),
        ("unknown top-level field", json!({"content": "hi", "target": [f.x]}), "target"),
        ("unknown network", json!({"content": "hi", "variants": {"twitter": {}}}), "variants.twitter"),
        (
            "settings for another network",
            json!({"content": "hi", "targets": [f.x], "variants": {"x": {"settings": {"network": "mastodon"}}}}),
            "variants.x.settings",
        ),
        ("unknown media", json!({"content": "hi", "targets": [f.x], "media": [Uuid::new_v4()]}), "media[0]"),
        ("unknown tag", json!({"content": "hi", "tags": [Uuid::new_v4()]}), "tags[0]"),
        ("scheduled without targets", json!({"content": "hi", "schedule": {"kind": "once", "at": at(1)}}), "targets"),
        ("bluesky text empty", json!({"content": "", "variants": {"bluesky": {}}}), "variants.bluesky.text"),
    ];
    for (what, body, field) in cases {
        let a = f.app.call(&f.owner, "POST", &path, Some(body)).await;
        assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {}", a.body);
        assert_eq!(a.body["error"]["code"], "validation_failed", "{what}");
        assert!(fields(&a.body).contains(&field.to_owned()), "{what}: expected {field} in {}", a.body);
    }
    assert_eq!(f.app.count("select count(*) from postiz.posts").await, 0);
}

#[tokio::test]
async fn recurring_schedules_start_on_the_rule_and_follow_the_plan() {
    let f = fixture().await;
    let path = format!("/workspaces/{}/posts", f.ws);
    // Ask to start on a day the rule skips: the first run moves to the rule's first occurrence.
    let start = Utc::now().date_naive() + Duration::days(10);
    let a = f
        .app
        .call(
            &f.owner,
            "POST",
            &path,
            Some(json!({"content": "weekly", "targets": [f.mastodon],
                        "schedule": {"kind": "recurring", "starts_at": format!("{start}T00:00:00Z"),
                                     "rrule": "freq=weekly;byday=mo;byhour=9;byminute=0", "time_zone": "Europe/Berlin"}})),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.body["schedule"]["rrule"], "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0", "stored upper case");
    let first = DateTime::parse_from_rfc3339(a.body["schedule"]["starts_at"].as_str().unwrap()).unwrap();
    let local = first.with_timezone(&chrono_tz::Europe::Berlin);
    assert_eq!(local.format("%a %H:%M").to_string(), "Mon 09:00");
    assert_eq!(a.body["scheduled_at"], a.body["schedule"]["starts_at"]);

    let su = f.app.db.superuser().await;
    su.batch_execute("insert into postiz.plans (code, name, allow_recurring) values ('lite', 'Lite', false)").await.unwrap();
    su.execute("update postiz.workspaces set plan = 'lite' where id = $1", &[&f.ws]).await.unwrap();
    let refused = f
        .app
        .call(
            &f.owner,
            "POST",
            &path,
            Some(json!({"content": "weekly", "targets": [f.mastodon],
                "schedule": {"kind": "recurring", "starts_at": at(2), "rrule": "FREQ=DAILY"}})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&refused.body), ["schedule.kind"]);
}

#[tokio::test]
async fn evergreen_puts_the_post_in_the_tags_pool() {
    let f = fixture().await;
    let tag = f.app.call(&f.owner, "POST", &format!("/workspaces/{}/tags", f.ws), Some(json!({"name": "tips"}))).await;
    let tag_id = tag.body["id"].as_str().unwrap().to_owned();
    let path = format!("/workspaces/{}/posts", f.ws);
    let no_rule = f
        .app
        .call(
            &f.owner,
            "POST",
            &path,
            Some(json!({"content": "tip 1", "targets": [f.x], "schedule": {"kind": "evergreen", "tag_id": tag_id}})),
        )
        .await;
    assert_eq!(fields(&no_rule.body), ["schedule.rrule"], "the tag is not a pool yet");
    let first = f
        .app
        .call(&f.owner, "POST", &path, Some(json!({"content": "tip 1", "targets": [f.x],
              "schedule": {"kind": "evergreen", "tag_id": tag_id, "rrule": "FREQ=DAILY;BYHOUR=10;BYMINUTE=0", "options": {"order": "in_order"}}})))
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert_eq!(first.body["tags"][0]["id"], tag_id.as_str(), "joining the pool means carrying its tag");
    assert_eq!(first.body["schedule"]["kind"], "evergreen");
    assert_eq!(first.body["scheduled_at"], Value::Null);
    let second = f
        .app
        .call(
            &f.owner,
            "POST",
            &path,
            Some(json!({"content": "tip 2", "targets": [f.x], "schedule": {"kind": "evergreen", "tag_id": tag_id}})),
        )
        .await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.body);
    assert_eq!(f.app.count("select count(*) from postiz.schedules where kind = 'evergreen'").await, 1, "one pool");
    let tags = f.app.call(&f.owner, "GET", &format!("/workspaces/{}/tags", f.ws), None).await;
    assert_eq!(tags.body[0]["evergreen"], true);
    assert_eq!(tags.body[0]["post_count"], 2);
}

async fn scheduled_post(f: &Fixture, days: i64) -> (String, Uuid) {
    let a = f
        .app
        .call(
            &f.owner,
            "POST",
            &format!("/workspaces/{}/posts", f.ws),
            Some(json!({"content": "hello", "targets": [f.x], "schedule": {"kind": "once", "at": at(days)}})),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    (a.body["id"].as_str().unwrap().to_owned(), a.body["schedule"]["id"].as_str().unwrap().parse().unwrap())
}

#[tokio::test]
async fn editing_a_scheduled_posts_time_bumps_the_revision_and_cancels_stale_jobs() {
    let f = fixture().await;
    let (post, schedule) = scheduled_post(&f, 1).await;
    let post_id: Uuid = post.parse().unwrap();
    // The enqueuer has made a job for the current time (as the worker would, as service_role).
    let su = f.app.db.superuser().await;
    su.execute(
        "insert into postiz.queue_jobs (workspace_id, target_id, schedule_id, schedule_revision, occurrence, network, scheduled_at, run_at, status)
         select t.workspace_id, t.id, $2, 0, s.starts_at, 'x', s.starts_at, s.starts_at, 'queued'
         from postiz.post_targets t join postiz.schedules s on s.id = $2 where t.post_id = $1",
        &[&post_id, &schedule],
    )
    .await
    .unwrap();
    su.execute("update postiz.post_targets set status = 'queued' where post_id = $1", &[&post_id]).await.unwrap();

    let new_time = at(2);
    let a = f
        .app
        .call(&f.owner, "PATCH", &format!("/workspaces/{}/posts/{post}", f.ws), Some(json!({"schedule": {"kind": "once", "at": new_time}})))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["schedule"]["id"], schedule.to_string(), "the same schedule row, edited in place");
    assert_eq!(a.body["schedule"]["revision"], 1);
    assert_eq!(
        DateTime::parse_from_rfc3339(a.body["scheduled_at"].as_str().unwrap()).unwrap(),
        DateTime::parse_from_rfc3339(&new_time).unwrap()
    );
    let job = &a.body["targets"][0]["jobs"][0];
    assert_eq!(job["status"], "canceled", "{}", a.body);
    assert_eq!(job["last_error"]["code"], "schedule_changed");
    assert_eq!(a.body["targets"][0]["status"], "pending", "the target waits for the new time");

    // Text edits leave the schedule alone.
    let b = f.app.call(&f.owner, "PATCH", &format!("/workspaces/{}/posts/{post}", f.ws), Some(json!({"content": "hello again"}))).await;
    assert_eq!(b.status, StatusCode::OK, "{}", b.body);
    assert_eq!(b.body["schedule"]["revision"], 1);
    assert_eq!(b.body["content"], "hello again");
    assert_eq!(b.body["variants"], json!({}));

    // Unscheduling removes the schedule and makes the post a draft.
    let c = f.app.call(&f.owner, "PATCH", &format!("/workspaces/{}/posts/{post}", f.ws), Some(json!({"schedule": null}))).await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);
    assert_eq!(c.body["status"], "draft");
    assert_eq!(c.body["schedule"], Value::Null);
    assert_eq!(c.body["scheduled_at"], Value::Null);
    assert_eq!(f.app.count("select count(*) from postiz.schedules").await, 0);
}

#[tokio::test]
async fn get_shows_each_targets_jobs_and_errors() {
    let f = fixture().await;
    let (post, schedule) = scheduled_post(&f, 1).await;
    let post_id: Uuid = post.parse().unwrap();
    let su = f.app.db.superuser().await;
    su.execute(
        "insert into postiz.queue_jobs (workspace_id, target_id, schedule_id, occurrence, network, scheduled_at, run_at, status, attempt,
                                        last_error_code, last_error_message, last_error_retryable, completed_at)
         select t.workspace_id, t.id, $2, now(), 'x', now(), now(), 'failed', 3, 'rejected', 'X said: duplicate content', false, now()
         from postiz.post_targets t where t.post_id = $1",
        &[&post_id, &schedule],
    )
    .await
    .unwrap();
    su.execute("update postiz.post_targets set status = 'failed', last_error_code = 'rejected', last_error_message = 'X said: duplicate content', attempts = 3 where post_id = $1", &[&post_id]).await.unwrap();
    let a = f.app.call(&f.owner, "GET", &format!("/workspaces/{}/posts/{post}", f.ws), None).await;
    assert_eq!(a.status, StatusCode::OK);
    let t = &a.body["targets"][0];
    assert_eq!(t["status"], "failed");
    assert_eq!(t["last_error"]["message"], "X said: duplicate content");
    assert_eq!(t["attempts"], 3);
    assert_eq!(t["jobs"][0]["status"], "failed");
    assert_eq!(t["jobs"][0]["attempt"], 3);
    assert_eq!(t["jobs"][0]["last_error_retryable"], false);
    assert_eq!(a.body["status"], "failed", "derived from the target by the pipeline's trigger");
    let edit = f.app.call(&f.owner, "PATCH", &format!("/workspaces/{}/posts/{post}", f.ws), Some(json!({"content": "x"}))).await;
    assert_eq!(edit.status, StatusCode::CONFLICT, "a failed post goes back to draft or scheduled before edits");
}

#[tokio::test]
async fn a_post_being_published_is_not_changed() {
    let f = fixture().await;
    let (post, _) = scheduled_post(&f, 1).await;
    f.app
        .db
        .superuser()
        .await
        .execute("update postiz.posts set status = 'publishing' where id = $1", &[&post.parse::<Uuid>().unwrap()])
        .await
        .unwrap();
    let path = format!("/workspaces/{}/posts/{post}", f.ws);
    let patch = f.app.call(&f.owner, "PATCH", &path, Some(json!({"content": "late edit"}))).await;
    assert_eq!((patch.status, patch.body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("post_publishing")));
    assert_eq!(f.app.call(&f.owner, "DELETE", &path, None).await.status, StatusCode::CONFLICT);
    assert_eq!(
        f.app.call(&f.owner, "POST", &format!("{path}/status"), Some(json!({"status": "canceled"}))).await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(f.app.count("select count(*) from postiz.posts where content = 'hello'").await, 1);
}

#[tokio::test]
async fn status_changes_arm_and_disarm_the_schedule() {
    let f = fixture().await;
    let a = f
        .app
        .call(
            &f.owner,
            "POST",
            &format!("/workspaces/{}/posts", f.ws),
            Some(json!({"content": "later", "targets": [f.x], "status": "draft", "schedule": {"kind": "once", "at": at(1)}})),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.body["status"], "draft");
    assert_eq!(a.body["schedule"]["status"], "canceled", "a draft's schedule never fires");
    let id = a.body["id"].as_str().unwrap();
    let status = format!("/workspaces/{}/posts/{id}/status", f.ws);

    let s = f.app.call(&f.owner, "POST", &status, Some(json!({"status": "scheduled"}))).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.body);
    assert_eq!((s.body["status"].as_str(), s.body["schedule"]["status"].as_str()), (Some("scheduled"), Some("pending")));

    let d = f.app.call(&f.owner, "POST", &status, Some(json!({"status": "draft"}))).await;
    assert_eq!((d.body["status"].as_str(), d.body["schedule"]["status"].as_str()), (Some("draft"), Some("canceled")));

    let c = f.app.call(&f.owner, "POST", &status, Some(json!({"status": "canceled"}))).await;
    assert_eq!(c.body["status"], "canceled");
    assert_eq!(c.body["targets"][0]["status"], "canceled");

    // Re-scheduling a one-off whose time has passed asks for a new time.
    f.app.db.superuser().await.execute("update postiz.schedules set starts_at = now() - interval '1 hour'", &[]).await.unwrap();
    let late = f.app.call(&f.owner, "POST", &status, Some(json!({"status": "scheduled"}))).await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&late.body), ["schedule.at"]);
    let bad = f.app.call(&f.owner, "POST", &status, Some(json!({"status": "published"}))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "clients never set worker statuses");

    // A draft without a schedule cannot be scheduled.
    let plain = f.app.call(&f.owner, "POST", &format!("/workspaces/{}/posts", f.ws), Some(json!({"content": "x", "targets": [f.x]}))).await;
    let plain_status = format!("/workspaces/{}/posts/{}/status", f.ws, plain.body["id"].as_str().unwrap());
    let no = f.app.call(&f.owner, "POST", &plain_status, Some(json!({"status": "scheduled"}))).await;
    assert_eq!(fields(&no.body), ["schedule"]);
}

#[tokio::test]
async fn duplicate_makes_an_unscheduled_draft_and_delete_removes_everything() {
    let f = fixture().await;
    let (post, _) = scheduled_post(&f, 1).await;
    let dup = f.app.call(&f.owner, "POST", &format!("/workspaces/{}/posts/{post}/duplicate", f.ws), None).await;
    assert_eq!(dup.status, StatusCode::CREATED, "{}", dup.body);
    assert_ne!(dup.body["id"], post.as_str());
    assert_eq!(dup.body["status"], "draft");
    assert_eq!(dup.body["schedule"], Value::Null);
    assert_eq!(dup.body["targets"][0]["account"]["id"], f.x.to_string());
    assert_eq!(dup.body["content"], "hello");

    assert_eq!(f.app.call(&f.owner, "DELETE", &format!("/workspaces/{}/posts/{post}", f.ws), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(f.app.call(&f.owner, "GET", &format!("/workspaces/{}/posts/{post}", f.ws), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(f.app.count("select count(*) from postiz.posts").await, 1);
    assert_eq!(f.app.count("select count(*) from postiz.schedules").await, 0);
}

#[tokio::test]
async fn validate_reports_network_rules_and_networks_describes_them() {
    let f = fixture().await;
    let v = f
        .app
        .call(&f.owner, "POST", "/validate", Some(json!({"variants": {"x": {"text": "x".repeat(281)}, "mastodon": {"text": "ok"}}})))
        .await;
    assert_eq!(v.status, StatusCode::OK, "{}", v.body);
    assert_eq!(v.body["valid"], false);
    assert_eq!(v.body["errors"].as_array().unwrap().len(), 1);
    assert_eq!(v.body["errors"][0]["field"], "variants.x.text");
    assert_eq!(v.body["errors"][0]["code"], "too_long");
    assert_eq!(v.body["errors"][0]["limit"], 280);
    let ok = f.app.call(&f.owner, "POST", "/validate", Some(json!({"variants": {"mastodon": {"text": "ok"}}}))).await;
    assert_eq!(ok.body["valid"], true);

    let n = f.app.call(&f.owner, "GET", "/networks", None).await;
    assert_eq!(n.status, StatusCode::OK);
    let x = n.body.as_array().unwrap().iter().find(|d| d["network"] == "x").unwrap();
    assert_eq!(x["rules"]["text"]["max_length"], 280);
    assert!(x["connection"]["style"].is_string());
    assert!(x["capabilities"].is_object());
}

#[tokio::test]
async fn an_update_with_one_bad_field_changes_nothing() {
    let f = fixture().await;
    let (post, _) = scheduled_post(&f, 1).await;
    let before = footprint(&f.app).await;
    let snapshot = f.app.call(&f.owner, "GET", &format!("/workspaces/{}/posts/{post}", f.ws), None).await.body;
    let a = f
        .app
        .call(
            &f.owner,
            "PATCH",
            &format!("/workspaces/{}/posts/{post}", f.ws),
            Some(json!({
                "content": "new text", "targets": [f.x, f.mastodon], "variants": {"mastodon": {"text": "m"}},
                "schedule": {"kind": "recurring", "starts_at": at(2), "rrule": "FREQ=DAILY", "time_zone": "Nowhere/Land"}
            })),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert_eq!(fields(&a.body), ["schedule.time_zone"]);
    assert_eq!(footprint(&f.app).await, before);
    let after = f.app.call(&f.owner, "GET", &format!("/workspaces/{}/posts/{post}", f.ws), None).await.body;
    assert_eq!(after, snapshot, "the post is exactly as it was");
}

#[tokio::test]
async fn posts_are_listed_newest_first_with_a_status_filter_and_paging() {
    let f = fixture().await;
    for i in 0..3 {
        f.app
            .call(
                &f.owner,
                "POST",
                &format!("/workspaces/{}/posts", f.ws),
                Some(json!({"content": format!("draft {i}"), "targets": [f.x]})),
            )
            .await;
    }
    scheduled_post(&f, 1).await;
    let path = format!("/workspaces/{}/posts", f.ws);
    let drafts = f.app.call(&f.owner, "GET", &format!("{path}?status=draft&limit=2"), None).await;
    assert_eq!(drafts.status, StatusCode::OK, "{}", drafts.body);
    let previews: Vec<&str> = drafts.body["items"].as_array().unwrap().iter().map(|p| p["content_preview"].as_str().unwrap()).collect();
    assert_eq!(previews, ["draft 2", "draft 1"]);
    assert_eq!(drafts.body["items"][0]["networks"], json!(["x"]));
    let next = drafts.body["next_before"].as_str().unwrap();
    let rest = f.app.call(&f.owner, "GET", &format!("{path}?status=draft&limit=2&before={next}"), None).await;
    assert_eq!(rest.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest.body["items"][0]["content_preview"], "draft 0");
    assert_eq!(rest.body["next_before"], Value::Null);
    let all = f.app.call(&f.owner, "GET", &path, None).await;
    assert_eq!(all.body["items"].as_array().unwrap().len(), 4);
    assert_eq!(f.app.call(&f.owner, "GET", &format!("{path}?status=done"), None).await.status, StatusCode::BAD_REQUEST);
}

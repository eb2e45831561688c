//! The posts list over HTTP: every post including undated drafts, text search, filters by tag,
//! account, status and author, sorts, keyset paging, authors by name, and never another
//! workspace's posts.
#![allow(clippy::unwrap_used, reason = "test helpers: a broken fixture should panic right there")]

mod common;

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use common::*;
use serde_json::{Value, json};
use uuid::Uuid;

fn at(days: i64) -> String {
    (Utc::now() + Duration::days(days)).format("%Y-%m-%dT%H:%M:00Z").to_string()
}

async fn post(app: &TestApp, actor: &Actor, ws: Uuid, body: Value) -> Uuid {
    let a = app.call(actor, "POST", &format!("/workspaces/{ws}/posts"), Some(body)).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    a.body["id"].as_str().unwrap().parse().unwrap()
}

fn texts(body: &Value) -> Vec<String> {
    body["items"].as_array().unwrap().iter().map(|p| p["content_preview"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn the_list_searches_filters_sorts_and_pages_every_post_of_the_workspace() {
    let app = TestApp::new().await;
    let owner = app.actor("olivia@example.com").await;
    app.db
        .superuser()
        .await
        .execute("update auth.users set raw_user_meta_data = '{\"full_name\": \"Olivia Owner\"}' where id = $1", &[&owner.user.id])
        .await
        .unwrap();
    let editor = app.actor("ed@example.com").await;
    let viewer = app.actor("vic@example.com").await;
    let ws = app.workspace(&owner, "acme", "Europe/Berlin").await;
    app.add_member(ws, &editor, "editor").await;
    app.add_member(ws, &viewer, "viewer").await;
    let x = app.account(ws, "x", "acme_x").await;
    let mastodon = app.account(ws, "mastodon", "acme@social.example").await;
    let tag = app.call(&owner, "POST", &format!("/workspaces/{ws}/tags"), Some(json!({"name": "launch", "color": "#ff0000"}))).await;
    assert_eq!(tag.status, StatusCode::CREATED, "{}", tag.body);
    let tag: Uuid = tag.body["id"].as_str().unwrap().parse().unwrap();

    // Another workspace with the same words: never listed here.
    let stranger = app.actor("stranger@example.com").await;
    let other = app.workspace(&stranger, "other", "UTC").await;
    let other_x = app.account(other, "x", "other_x").await;
    post(&app, &stranger, other, json!({"content": "Launch day at OTHER", "targets": [other_x]})).await;

    let undated = post(&app, &owner, ws, json!({"content": "Launch teaser, undated draft", "targets": [x], "tags": [tag]})).await;
    let later =
        post(&app, &editor, ws, json!({"content": "LAUNCH day!", "targets": [x, mastodon], "schedule": {"kind": "once", "at": at(5)}}))
            .await;
    let sooner =
        post(&app, &owner, ws, json!({"content": "Weekly digest", "targets": [mastodon], "schedule": {"kind": "once", "at": at(2)}})).await;
    let odd = post(&app, &owner, ws, json!({"content": "100% off_today", "targets": [x]})).await;

    let path = format!("/workspaces/{ws}/posts");
    let all = app.call(&viewer, "GET", &path, None).await;
    assert_eq!(all.status, StatusCode::OK, "a viewer may list: {}", all.body);
    assert_eq!(texts(&all.body), ["100% off_today", "Weekly digest", "LAUNCH day!", "Launch teaser, undated draft"], "newest first");
    let first = &all.body["items"][3];
    assert_eq!(first["id"], undated.to_string());
    assert_eq!(first["scheduled_at"], Value::Null, "undated drafts are listed");
    assert_eq!(first["author_name"], "Olivia Owner", "authors by their profile name");
    assert_eq!(first["tags"], json!([tag]));
    assert_eq!(all.body["items"][2]["author_name"], "ed@example.com", "no profile name: the email");
    assert_eq!(all.body["items"][2]["networks"], json!(["mastodon", "x"]));

    // Search: any case, never another workspace's posts, wildcards literal.
    let found = app.call(&viewer, "GET", &format!("{path}?q=launch"), None).await;
    assert_eq!(texts(&found.body), ["LAUNCH day!", "Launch teaser, undated draft"]);
    let found = app.call(&owner, "GET", &format!("{path}?q=%25%20off_"), None).await;
    assert_eq!(texts(&found.body), ["100% off_today"]);
    let found = app.call(&owner, "GET", &format!("{path}?q=0_o"), None).await;
    assert_eq!(texts(&found.body), Vec::<String>::new(), "`_` matches only itself");
    let found = app.call(&stranger, "GET", &format!("{path}?q=launch"), None).await;
    assert_eq!(found.status, StatusCode::NOT_FOUND, "{}", found.body);

    // Filters.
    let by = |q: String| {
        let (app, owner, path) = (&app, &owner, &path);
        async move {
            let a = app.call(owner, "GET", &format!("{path}?{q}"), None).await;
            assert_eq!(a.status, StatusCode::OK, "{q}: {}", a.body);
            texts(&a.body)
        }
    };
    assert_eq!(by(format!("tag={tag}")).await, ["Launch teaser, undated draft"]);
    assert_eq!(by(format!("account={mastodon}")).await, ["Weekly digest", "LAUNCH day!"]);
    assert_eq!(by(format!("author={}", editor.user.id)).await, ["LAUNCH day!"]);
    assert_eq!(by("status=scheduled".into()).await, ["Weekly digest", "LAUNCH day!"]);
    assert_eq!(by("status=scheduled,draft&q=day%21".into()).await, ["LAUNCH day!"]);
    assert_eq!(by(format!("account={x}&q=launch&status=draft")).await, ["Launch teaser, undated draft"]);
    assert_eq!(by(format!("author={}", viewer.user.id)).await, Vec::<String>::new(), "a member who wrote nothing: an empty page");

    // A filter naming nothing in this workspace (another workspace's account, a stranger, an
    // unknown tag) is a 422 naming the filter by its label, never an empty page.
    let other_tag = app.call(&stranger, "POST", &format!("/workspaces/{other}/tags"), Some(json!({"name": "theirs"}))).await;
    let other_tag = other_tag.body["id"].as_str().unwrap().to_owned();
    for (q, label) in [
        (format!("tag={other_tag}"), "Tag: "),
        (format!("tag={}", Uuid::new_v4()), "Tag: "),
        (format!("account={other_x}"), "Account: "),
        (format!("author={}", stranger.user.id), "Author: "),
    ] {
        let a = app.call(&owner, "GET", &format!("{path}?{q}"), None).await;
        assert_eq!(
            (a.status, a.body["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_filter")),
            "{q}: {}",
            a.body
        );
        let message = a.body["error"]["message"].as_str().unwrap();
        assert!(message.starts_with(label), "{q}: {message}");
    }

    // Sorts: by scheduled time undated posts count as latest.
    assert_eq!(by("sort=scheduled&order=asc".into()).await[..2], ["Weekly digest".to_owned(), "LAUNCH day!".to_owned()]);
    assert_eq!(by("sort=created&order=asc".into()).await[0], "Launch teaser, undated draft");
    app.call(&owner, "PATCH", &format!("{path}/{sooner}"), Some(json!({"content": "Weekly digest v2"}))).await;
    assert_eq!(by("sort=updated".into()).await[0], "Weekly digest v2");

    // Keyset paging by scheduled time, ascending, two at a time: each post exactly once.
    let mut seen = vec![];
    let mut cursor: Option<String> = None;
    for _ in 0..4 {
        let q = cursor.as_ref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let page = app.call(&owner, "GET", &format!("{path}?sort=scheduled&order=asc&limit=2{q}"), None).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        seen.extend(page.body["items"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().parse::<Uuid>().unwrap()));
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen[..2], [sooner, later]);
    assert_eq!(seen.len(), 4);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 4, "no post twice: {seen:?}");
    assert!(seen.contains(&undated) && seen.contains(&odd));

    // A cursor from another sort, bad values and a page too large are refused with a reason.
    let c = cursor.unwrap();
    let a = app.call(&owner, "GET", &format!("{path}?sort=created&cursor={c}"), None).await;
    assert_eq!((a.status, a.body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_cursor")));
    for q in ["sort=title", "order=up", "limit=101", "status=done"] {
        let a = app.call(&owner, "GET", &format!("{path}?{q}"), None).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{q}: {}", a.body);
    }
}

#[tokio::test]
async fn names_are_shown_only_to_members_of_the_same_workspace() {
    let app = TestApp::new().await;
    let owner = app.actor("olivia@example.com").await;
    let stranger = app.actor("stranger@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await;
    let s = app.db.as_user(&stranger.user).await;
    let rows = s.query("select name from postiz_private.workspace_member_names($1)", &[&ws]).await.unwrap();
    assert!(rows.is_empty(), "a stranger sees no names");
    let o = app.db.as_user(&owner.user).await;
    let rows = o.query("select name from postiz_private.workspace_member_names($1)", &[&ws]).await.unwrap();
    let names: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(names, ["olivia@example.com"]);
}

struct Bulk {
    app: TestApp,
    owner: Actor,
    ws: Uuid,
    x: Uuid,
}

async fn bulk_fixture() -> Bulk {
    let app = TestApp::new().await;
    let owner = app.actor("olivia@example.com").await;
    let ws = app.workspace(&owner, "acme", "Europe/Berlin").await;
    let x = app.account(ws, "x", "acme_x").await;
    Bulk { app, owner, ws, x }
}

impl Bulk {
    async fn scheduled(&self, text: &str, days: i64) -> Uuid {
        post(&self.app, &self.owner, self.ws, json!({"content": text, "targets": [self.x], "schedule": {"kind": "once", "at": at(days)}}))
            .await
    }

    async fn bulk(&self, actor: &Actor, body: Value) -> Answer {
        self.app.call(actor, "POST", &format!("/workspaces/{}/posts/bulk", self.ws), Some(body)).await
    }

    async fn show(&self, id: Uuid) -> Value {
        self.app.call(&self.owner, "GET", &format!("/workspaces/{}/posts/{id}", self.ws), None).await.body
    }
}

fn time(v: &Value) -> chrono::DateTime<Utc> {
    v["scheduled_at"].as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn bulk_move_cancel_and_tag_apply_to_every_post_and_undo_puts_them_back() {
    let b = bulk_fixture().await;
    let (p1, p2) = (b.scheduled("one", 2).await, b.scheduled("two", 3).await);
    let draft = post(&b.app, &b.owner, b.ws, json!({"content": "undated", "targets": [b.x]})).await;
    let (t1, t2) = (time(&b.show(p1).await), time(&b.show(p2).await));

    let moved = b.bulk(&b.owner, json!({"ids": [p1, p2], "action": {"kind": "move", "by_minutes": 90}})).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    assert_eq!(time(&b.show(p1).await), t1 + Duration::minutes(90));
    assert_eq!(time(&b.show(p2).await), t2 + Duration::minutes(90));
    assert_eq!(
        b.show(p1).await["schedule"]["starts_at"].as_str().map(|s| s.parse::<chrono::DateTime<Utc>>().unwrap()),
        Some(t1 + Duration::minutes(90))
    );
    let undo = b.bulk(&b.owner, moved.body["undo"].clone()).await;
    assert_eq!(undo.status, StatusCode::OK, "{}", undo.body);
    assert_eq!((time(&b.show(p1).await), time(&b.show(p2).await)), (t1, t2), "undo puts each back at its own time");

    // Moving an undated draft to a date gives it one; the undo takes it off again.
    let to = Utc::now() + Duration::days(4);
    let to = to.format("%Y-%m-%dT%H:%M:00Z").to_string();
    let dated = b.bulk(&b.owner, json!({"ids": [draft], "action": {"kind": "move", "to": to}})).await;
    assert_eq!(dated.status, StatusCode::OK, "{}", dated.body);
    assert_eq!(time(&b.show(draft).await), to.parse::<chrono::DateTime<Utc>>().unwrap());
    assert_eq!(b.bulk(&b.owner, dated.body["undo"].clone()).await.status, StatusCode::OK);
    assert_eq!(b.show(draft).await["schedule"], Value::Null);

    let canceled = b.bulk(&b.owner, json!({"ids": [p1, draft], "action": {"kind": "cancel"}})).await;
    assert_eq!(canceled.status, StatusCode::OK, "{}", canceled.body);
    assert_eq!(b.show(p1).await["status"], "canceled");
    assert_eq!(b.show(draft).await["status"], "canceled");
    let undo = b.bulk(&b.owner, canceled.body["undo"].clone()).await;
    assert_eq!(undo.status, StatusCode::OK, "{}", undo.body);
    assert_eq!(b.show(p1).await["status"], "scheduled", "back to scheduled, at its time");
    assert_eq!(time(&b.show(p1).await), t1);
    assert_eq!(b.show(draft).await["status"], "draft");

    let tag = b.app.call(&b.owner, "POST", &format!("/workspaces/{}/tags", b.ws), Some(json!({"name": "q4", "color": "#00ff00"}))).await;
    let tag: Uuid = tag.body["id"].as_str().unwrap().parse().unwrap();
    let first = b.bulk(&b.owner, json!({"ids": [p1], "action": {"kind": "add_tag", "tag_id": tag}})).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let tagged = b.bulk(&b.owner, json!({"ids": [p1, p2], "action": {"kind": "add_tag", "tag_id": tag}})).await;
    assert_eq!(tagged.status, StatusCode::OK, "{}", tagged.body);
    assert_eq!(b.show(p2).await["tags"][0]["id"].as_str().or(b.show(p2).await["tags"][0].as_str()), Some(tag.to_string().as_str()));
    assert_eq!(tagged.body["undo"]["ids"], json!([p2]), "the undo leaves the tag where it already was");
    assert_eq!(b.bulk(&b.owner, tagged.body["undo"].clone()).await.status, StatusCode::OK);
    assert_eq!(b.app.count(&format!("select count(*) from postiz.post_tags where tag_id = '{tag}'")).await, 1);

    let copies = b.bulk(&b.owner, json!({"ids": [p1, p2], "action": {"kind": "duplicate"}})).await;
    assert_eq!(copies.status, StatusCode::OK, "{}", copies.body);
    assert_eq!(copies.body["created"].as_array().unwrap().len(), 2);
    assert_eq!(b.app.count("select count(*) from postiz.posts").await, 5);
    assert_eq!(b.bulk(&b.owner, copies.body["undo"].clone()).await.status, StatusCode::OK);
    let deleted = b.bulk(&b.owner, json!({"ids": [p2, draft], "action": {"kind": "delete"}})).await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    assert_eq!(deleted.body["undo"], Value::Null, "a delete cannot be undone");
    assert_eq!(b.app.count("select count(*) from postiz.posts").await, 1);
}

#[tokio::test]
async fn one_refused_post_changes_nothing_and_each_refusal_says_why() {
    let b = bulk_fixture().await;
    let ok = b.scheduled("fine", 2).await;
    let published = b.scheduled("out", 3).await;
    b.app.db.superuser().await.execute("update postiz.posts set status = 'published' where id = $1", &[&published]).await.unwrap();
    let stranger = b.app.actor("stranger@example.com").await;
    let other = b.app.workspace(&stranger, "other", "UTC").await;
    let other_x = b.app.account(other, "x", "other_x").await;
    let theirs = post(&b.app, &stranger, other, json!({"content": "theirs", "targets": [other_x]})).await;
    let before = time(&b.show(ok).await);

    for action in [json!({"kind": "move", "by_minutes": 30}), json!({"kind": "delete"}), json!({"kind": "cancel"})] {
        let a = b.bulk(&b.owner, json!({"ids": [ok, published, theirs], "action": action})).await;
        assert_eq!((a.status, a.body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("bulk_refused")), "{action}: {}", a.body);
        let refused = a.body["refused"].as_array().unwrap();
        assert_eq!(refused.len(), 2, "{}", a.body);
        assert_eq!(refused[0]["post_id"], published.to_string());
        assert!(refused[0]["reason"].as_str().unwrap().contains("published"), "{}", a.body);
        assert_eq!(refused[1]["post_id"], theirs.to_string());
        assert_eq!(refused[1]["reason"], "there is no such post in this workspace", "another workspace's post is not revealed");
        let shown = b.show(ok).await;
        assert_eq!((time(&shown), shown["status"].as_str()), (before, Some("scheduled")), "{action}: nothing changed");
    }
    assert_eq!(b.app.count("select count(*) from postiz.posts").await, 3);
    assert_eq!(b.show(theirs).await["error"]["code"], "not_found");

    // A viewer may not act at all; bad requests name what is wrong.
    let viewer = b.app.actor("vic@example.com").await;
    b.app.add_member(b.ws, &viewer, "viewer").await;
    let a = b.bulk(&viewer, json!({"ids": [ok], "action": {"kind": "cancel"}})).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    assert_eq!(b.show(ok).await["status"], "scheduled");
    let a = b.bulk(&b.owner, json!({"ids": [], "action": {"kind": "cancel"}})).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    let a = b.bulk(&b.owner, json!({"ids": [ok], "action": {"kind": "move", "by_minutes": 5, "to": at(3)}})).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    let a = b.bulk(&b.owner, json!({"ids": [ok], "action": {"kind": "add_tag", "tag_id": Uuid::new_v4()}})).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    let a = b.bulk(&b.owner, json!({"ids": [ok], "action": {"kind": "move", "by_minutes": -100000}})).await;
    assert_eq!(a.status, StatusCode::CONFLICT, "moving into the past is refused like a single edit: {}", a.body);
    assert_eq!(time(&b.show(ok).await), before);
}

#[tokio::test]
async fn the_approval_gate_refuses_each_post_of_a_bulk_request() {
    let b = bulk_fixture().await;
    let admin = b.app.actor("admin@example.com").await;
    let editor = b.app.actor("ed@example.com").await;
    b.app.add_member(b.ws, &admin, "admin").await;
    b.app.add_member(b.ws, &editor, "editor").await;
    let set = b
        .app
        .call(
            &admin,
            "PUT",
            &format!("/workspaces/{}/approval-policy", b.ws),
            Some(json!({"steps": [{"min_role": "admin", "required": 1}]})),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    let mut ids = vec![];
    for text in ["first", "second"] {
        let body = json!({"content": text, "targets": [b.x], "schedule": {"kind": "once", "at": at(3)}, "status": "pending_approval"});
        ids.push(post(&b.app, &editor, b.ws, body).await);
    }
    let statuses: serde_json::Map<String, Value> = ids.iter().map(|id| (id.to_string(), json!("scheduled"))).collect();
    let a = b.bulk(&editor, json!({"ids": ids, "action": {"kind": "restore_status", "statuses": statuses}})).await;
    assert_eq!((a.status, a.body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("bulk_refused")), "{}", a.body);
    let refused = a.body["refused"].as_array().unwrap();
    assert_eq!(refused.len(), 2, "{}", a.body);
    for r in refused {
        assert_eq!(r["code"], "approval_required");
        assert_eq!(r["reason"], "This post needs 1 more approval from an admin before it can be scheduled");
    }
    for id in ids {
        assert_eq!(b.show(id).await["status"], "pending_approval");
    }
    // The other posts of the request still go through when the gate lets them.
    let c = b.bulk(&editor, json!({"ids": [ids_first(&b).await], "action": {"kind": "cancel"}})).await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);
}

async fn ids_first(b: &Bulk) -> Uuid {
    let page = b.app.call(&b.owner, "GET", &format!("/workspaces/{}/posts?q=first", b.ws), None).await;
    page.body["items"][0]["id"].as_str().unwrap().parse().unwrap()
}

//! Notifications over HTTP against real PostgreSQL: the event triggers write them in the
//! transaction of the event (an approval request at commit, a decision, a failed target written
//! by the worker's role, an account needing reconnection), each person sees and marks only their
//! own, the inbox lists unread first and pages, preferences choose per kind (off writes nothing;
//! email also writes one outbox row and one `notify` message).
#![allow(clippy::unwrap_used, reason = "test helpers: a broken fixture should panic right there")]

mod common;

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use common::*;
use serde_json::{Value, json};

struct Fixture {
    app: TestApp,
    owner: Actor,
    admin: Actor,
    editor: Actor,
    viewer: Actor,
    ws: uuid::Uuid,
    account: uuid::Uuid,
}

async fn fixture() -> Fixture {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let admin = app.actor("admin@example.com").await;
    let editor = app.actor("editor@example.com").await;
    let viewer = app.actor("viewer@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await;
    app.add_member(ws, &admin, "admin").await;
    app.add_member(ws, &editor, "editor").await;
    app.add_member(ws, &viewer, "viewer").await;
    let account = app.account(ws, "mastodon", "acme@social.example").await;
    Fixture { app, owner, admin, editor, viewer, ws, account }
}

impl Fixture {
    async fn inbox(&self, who: &Actor) -> Value {
        let a = self.app.call(who, "GET", &format!("/workspaces/{}/notifications", self.ws), None).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        a.body
    }

    async fn kinds(&self, who: &Actor) -> Vec<String> {
        self.inbox(who).await["items"].as_array().unwrap().iter().map(|i| i["kind"].as_str().unwrap().to_owned()).collect()
    }

    async fn post(&self, who: &Actor, status: &str) -> String {
        let when = (Utc::now() + Duration::days(3)).to_rfc3339();
        let created = self
            .app
            .call(
                who,
                "POST",
                &format!("/workspaces/{}/posts", self.ws),
                Some(
                    json!({"content": "Launch day", "targets": [self.account], "schedule": {"kind": "once", "at": when}, "status": status}),
                ),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        created.body["id"].as_str().unwrap().to_owned()
    }

    /// What the worker does when a network refuses a post: the target fails, as service_role.
    async fn fail_target(&self, post: &str) {
        let service = self.app.db.as_service().await;
        let n = service
            .execute(
                "update postiz.post_targets set status = 'failed', last_error_message = 'Mastodon: text is too long (max 500)'
                 where post_id = $1::text::uuid",
                &[&post],
            )
            .await
            .unwrap();
        assert_eq!(n, 1);
        service.commit().await.unwrap();
    }
}

#[tokio::test]
async fn an_approval_request_reaches_the_reviewers_and_the_decision_reaches_the_author() {
    let f = fixture().await;
    let ws = f.ws;
    let set = f
        .app
        .call(&f.admin, "PUT", &format!("/workspaces/{ws}/approval-policy"), Some(json!({"steps": [{"min_role": "admin", "required": 1}]})))
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);

    let post = f.post(&f.editor, "pending_approval").await;
    // Admins and the owner may decide; the author and the viewer are not asked.
    for reviewer in [&f.admin, &f.owner] {
        let inbox = f.inbox(reviewer).await;
        assert_eq!(inbox["unread"], 1, "{inbox}");
        let item = &inbox["items"][0];
        assert_eq!(item["kind"], "approval_requested");
        assert_eq!(item["post_id"], post.as_str());
        assert_eq!(item["headline"], "A post waits for your approval");
        assert_eq!(item["detail"], "This post needs 1 more approval from an admin before it can be scheduled");
        assert_eq!(item["read_at"], Value::Null);
    }
    assert!(f.kinds(&f.editor).await.is_empty());
    assert!(f.kinds(&f.viewer).await.is_empty());

    // A refused create (straight to scheduled) told nobody: the notification is in its transaction.
    let refused = f
        .app
        .call(
            &f.editor,
            "POST",
            &format!("/workspaces/{ws}/posts"),
            Some(json!({"content": "Sneaky", "targets": [f.account], "schedule": {"kind": "once", "at": (Utc::now() + Duration::days(2)).to_rfc3339()}})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert_eq!(f.inbox(&f.admin).await["unread"], 1);

    let decided =
        f.app.call(&f.admin, "POST", &format!("/workspaces/{ws}/posts/{post}/decisions"), Some(json!({"decision": "approved"}))).await;
    assert!(decided.status.is_success(), "{}", decided.body);
    let author = f.inbox(&f.editor).await;
    assert_eq!(author["unread"], 1, "{author}");
    assert_eq!(author["items"][0]["kind"], "approval_decided");
    assert_eq!(author["items"][0]["decision"], "approved");
    assert_eq!(author["items"][0]["headline"], "Your post was approved");
    // The decider is not told of their own decision; nobody is asked again once approved.
    assert_eq!(f.inbox(&f.admin).await["items"].as_array().unwrap().len(), 1);
    assert_eq!(f.inbox(&f.owner).await["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_failed_post_tells_its_author_once_and_each_person_marks_only_their_own() {
    let f = fixture().await;
    let ws = f.ws;
    let post = f.post(&f.editor, "scheduled").await;
    f.fail_target(&post).await;

    let inbox = f.inbox(&f.editor).await;
    assert_eq!(inbox["unread"], 1, "{inbox}");
    let item = &inbox["items"][0];
    assert_eq!(item["kind"], "post_failed");
    assert_eq!(item["network"], "mastodon");
    assert_eq!(item["headline"], "Your post failed on Mastodon");
    assert_eq!(item["detail"], "Mastodon: text is too long (max 500)");
    assert!(f.kinds(&f.admin).await.is_empty(), "the author is told, not the admins");
    let id = item["id"].as_i64().unwrap();

    // Default delivery is email: one outbox row and one message on the notify queue.
    assert_eq!(f.app.count(&format!("select count(*) from postiz.notification_emails where notification_id = {id}")).await, 1);
    assert_eq!(f.app.count("select count(*) from pgmq.q_notify").await, 1);

    // Someone else cannot mark it; its owner can, and again is harmless.
    let path = format!("/workspaces/{ws}/notifications/{id}/read");
    assert_eq!(f.app.call(&f.admin, "POST", &path, None).await.status, StatusCode::NOT_FOUND);
    let count = f.app.call(&f.editor, "GET", &format!("/workspaces/{ws}/notifications/unread-count"), None).await;
    assert_eq!(count.body["unread"], 1);
    for _ in 0..2 {
        let marked = f.app.call(&f.editor, "POST", &path, None).await;
        assert_eq!(marked.status, StatusCode::OK, "{}", marked.body);
        assert_eq!(marked.body["unread"], 0);
    }
    assert!(f.inbox(&f.editor).await["items"][0]["read_at"].is_string());

    // An outsider's workspace path answers 404, as for anything of a workspace one is not in.
    let outsider = f.app.actor("outsider@example.com").await;
    assert_eq!(f.app.call(&outsider, "GET", &format!("/workspaces/{ws}/notifications"), None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn preferences_choose_per_kind_and_bad_choices_are_named() {
    let f = fixture().await;
    let ws = f.ws;
    let path = format!("/workspaces/{ws}/notification-preferences");
    let got = f.app.call(&f.editor, "GET", &path, None).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    let items = got.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 9, "one per kind, webhook_disabled, token_expiring and invite_received included");
    let of = |body: &Value, kind: &str| body["items"].as_array().unwrap().iter().find(|i| i["kind"] == kind).unwrap().clone();
    assert_eq!(of(&got.body, "post_failed")["delivery"], "email");
    assert_eq!(of(&got.body, "post_published")["delivery"], "off", "published news is opt-in");
    assert_eq!(of(&got.body, "post_failed")["is_default"], true);

    let bad = f.app.call(&f.editor, "PUT", &path, Some(json!({"preferences": {"post_failed": "sms", "post_exploded": "email"}}))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let fields: Vec<&str> = bad.body["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["preferences.post_exploded", "preferences.post_failed"]);

    let set =
        f.app.call(&f.editor, "PUT", &path, Some(json!({"preferences": {"post_failed": "in_app", "post_published": "digest"}}))).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    assert_eq!(of(&set.body, "post_failed")["delivery"], "in_app");
    assert_eq!(of(&set.body, "post_failed")["is_default"], false);
    // Someone else's preferences are theirs.
    assert_eq!(of(&f.app.call(&f.admin, "GET", &path, None).await.body, "post_failed")["delivery"], "email");

    // in_app: the inbox, no email.
    let post = f.post(&f.editor, "scheduled").await;
    f.fail_target(&post).await;
    assert_eq!(f.kinds(&f.editor).await, ["post_failed"]);
    assert_eq!(f.app.count("select count(*) from postiz.notification_emails").await, 0);
    assert_eq!(f.app.count("select count(*) from pgmq.q_notify").await, 0);

    // off: nothing at all; null puts a kind back to its default.
    let off = f.app.call(&f.editor, "PUT", &path, Some(json!({"preferences": {"post_failed": "off"}}))).await;
    assert_eq!(off.status, StatusCode::OK);
    let second = f.post(&f.editor, "scheduled").await;
    f.fail_target(&second).await;
    assert_eq!(f.kinds(&f.editor).await.len(), 1);
    let reset = f.app.call(&f.editor, "PUT", &path, Some(json!({"preferences": {"post_failed": null}}))).await;
    assert_eq!(of(&reset.body, "post_failed")["is_default"], true);
}

#[tokio::test]
async fn an_account_that_needs_reconnecting_tells_the_admins_and_the_inbox_pages_unread_first() {
    let f = fixture().await;
    let ws = f.ws;
    let service = f.app.db.as_service().await;
    service.execute("update postiz.social_accounts set status = 'needs_reconnect' where id = $1", &[&f.account]).await.unwrap();
    service.commit().await.unwrap();
    for who in [&f.admin, &f.owner] {
        let inbox = f.inbox(who).await;
        assert_eq!(inbox["items"][0]["kind"], "account_needs_reconnect", "{inbox}");
        assert_eq!(inbox["items"][0]["account_id"], f.account.to_string());
        assert_eq!(inbox["items"][0]["headline"], "Your Mastodon account acme@social.example needs reconnecting");
    }
    assert!(f.kinds(&f.editor).await.is_empty());

    // The owner's own posts: five failures; read two of them, then page by two.
    let mut ids = Vec::new();
    for _ in 0..5 {
        let post = f.post(&f.owner, "scheduled").await;
        f.fail_target(&post).await;
        ids.push(f.inbox(&f.owner).await["items"][0]["id"].as_i64().unwrap());
    }
    for id in [ids[0], ids[3]] {
        f.app.call(&f.owner, "POST", &format!("/workspaces/{ws}/notifications/{id}/read"), None).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = cursor.as_ref().map_or_else(String::new, |c| format!("&cursor={c}"));
        let page = f.app.call(&f.owner, "GET", &format!("/workspaces/{ws}/notifications?limit=2{q}"), None).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert_eq!(page.body["unread"], 4);
        for item in page.body["items"].as_array().unwrap() {
            seen.push((item["id"].as_i64().unwrap(), item["read_at"].is_null()));
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let unread: Vec<i64> = seen.iter().filter(|(_, u)| *u).map(|(id, _)| *id).collect();
    let read: Vec<i64> = seen.iter().filter(|(_, u)| !*u).map(|(id, _)| *id).collect();
    assert_eq!(seen.len(), 6, "every notification once: {seen:?}");
    assert!(seen.iter().take(4).all(|(_, u)| *u), "unread first: {seen:?}");
    assert!(unread.windows(2).all(|w| w[0] > w[1]) && read.windows(2).all(|w| w[0] > w[1]), "newest first: {seen:?}");
    assert_eq!(read, [ids[3], ids[0]]);

    let all = f.app.call(&f.owner, "POST", &format!("/workspaces/{ws}/notifications/read-all"), None).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    assert_eq!(all.body["marked"], 4);
    assert_eq!(all.body["unread"], 0);
    // The admin's notification is theirs: still unread.
    assert_eq!(f.inbox(&f.admin).await["unread"], 1);
    let bad = f.app.call(&f.owner, "GET", &format!("/workspaces/{ws}/notifications?cursor=nope"), None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_invitation_to_another_workspace_reaches_the_invitees_inboxes_with_one_email_as_their_preferences_say() {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let invitee = app.actor("known@example.com").await;
    let acme = app.workspace(&owner, "acme", "UTC").await;
    // The invitee's own workspaces, oldest membership first.
    let home = app.workspace(&invitee, "home", "UTC").await;
    let side = app.workspace(&invitee, "side", "UTC").await;
    let club = app.workspace(&invitee, "club", "UTC").await;
    let prefs = |ws: uuid::Uuid| format!("/workspaces/{ws}/notification-preferences");
    let got = app.call(&invitee, "GET", &prefs(home), None).await;
    let pref = got.body["items"].as_array().unwrap().iter().find(|i| i["kind"] == "invite_received").cloned().unwrap();
    assert_eq!(pref["label"], "I am invited to join another workspace", "{}", got.body);
    assert_eq!(pref["delivery"], "email");
    let off = app.call(&invitee, "PUT", &prefs(club), Some(json!({"preferences": {"invite_received": "off"}}))).await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.body);

    let created = app
        .call(&owner, "POST", &format!("/workspaces/{acme}/invites"), Some(json!({"email": "Known@Example.com", "role": "editor"})))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let invite_id = created.body["invite"]["id"].as_str().unwrap().to_owned();

    let inbox = |ws: uuid::Uuid| {
        let app = &app;
        let invitee = &invitee;
        async move {
            let a = app.call(invitee, "GET", &format!("/workspaces/{ws}/notifications"), None).await;
            assert_eq!(a.status, StatusCode::OK, "{}", a.body);
            a.body
        }
    };
    let at_home = inbox(home).await;
    assert_eq!(at_home["unread"], 1, "{at_home}");
    let item = &at_home["items"][0];
    assert_eq!(item["kind"], "invite_received");
    assert_eq!(item["invite_id"], invite_id.as_str());
    assert_eq!(item["workspace_name"], "acme");
    assert_eq!(item["headline"], "owner@example.com invited you to join acme");
    assert_eq!(item["detail"], "You would join as an editor. Open the invitation to join, or ignore it and nothing changes.");
    assert_eq!(inbox(side).await["unread"], 1, "listed in every workspace the invitee is in");
    assert_eq!(inbox(club).await["unread"], 0, "off there");
    // Never two emails for one event: the oldest membership that chose email gets it; the others list it.
    let delivery = |ws: uuid::Uuid| format!("select count(*) from postiz.notifications where workspace_id = '{ws}' and delivery = 'email'");
    assert_eq!(app.count(&delivery(home)).await, 1);
    assert_eq!(app.count(&delivery(side)).await, 0);
    assert_eq!(app.count(&format!("select count(*) from postiz.notification_emails where user_id = '{}'", invitee.user.id)).await, 1);
    assert_eq!(app.count("select count(*) from pgmq.q_notify").await, 1);
    // Nobody else hears of it, nor the inviting workspace's members; an address without an account gets no notification.
    assert_eq!(app.count(&format!("select count(*) from postiz.notifications where workspace_id = '{acme}'")).await, 0);
    let newbie = app
        .call(&owner, "POST", &format!("/workspaces/{acme}/invites"), Some(json!({"email": "newbie@example.com", "role": "viewer"})))
        .await;
    assert_eq!(newbie.status, StatusCode::CREATED, "{}", newbie.body);
    assert_eq!(app.count("select count(*) from postiz.notifications").await, 2);

    // Joining settles it: the notices are read everywhere.
    let joined = app.call(&invitee, "POST", &format!("/invites/{invite_id}/accept"), None).await;
    assert_eq!(joined.status, StatusCode::OK, "{}", joined.body);
    assert_eq!(inbox(home).await["unread"], 0);
    assert_eq!(inbox(side).await["unread"], 0);

    // A withdrawn invitation takes its notices and unsent email with it.
    let beta = app.workspace(&owner, "beta", "UTC").await;
    let second = app
        .call(&owner, "POST", &format!("/workspaces/{beta}/invites"), Some(json!({"email": "known@example.com", "role": "viewer"})))
        .await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.body);
    let second_id = second.body["invite"]["id"].as_str().unwrap().to_owned();
    let listed = inbox(home).await;
    assert_eq!(listed["unread"], 1, "{listed}");
    assert_eq!(listed["items"][0]["detail"], "You would join as a viewer. Open the invitation to join, or ignore it and nothing changes.");
    assert_eq!(inbox(acme).await["unread"], 1, "acme is now one of the invitee's workspaces");
    let revoked = app.call(&owner, "DELETE", &format!("/workspaces/{beta}/invites/{second_id}"), None).await;
    assert!(revoked.status.is_success(), "{} {}", revoked.status, revoked.body);
    assert_eq!(inbox(home).await["unread"], 0);
    assert_eq!(app.count(&format!("select count(*) from postiz.notifications where event_key = 'invite_received:{second_id}'")).await, 0);
    assert_eq!(
        app.count(&format!("select count(*) from postiz.notification_emails where user_id = '{}'", invitee.user.id)).await,
        1,
        "only the first invitation's email is left"
    );
}

//! Outgoing webhook endpoints through the API, against a real database: an admin creates one (the
//! secret shown once, stored sealed and opened with the keyring), fields are checked with their
//! labels and the SSRF guard, editors and viewers read but never manage, the test event and a
//! redelivery are queued for the worker, turning a disabled endpoint on again sends what waited,
//! delete removes it.

mod common;
mod connect_support;

use common::{Actor, TestApp, token_for};
use connect_support::*;
use postiz_oauth::OAuthClients;
use postiz_providers::http::PrivateAllowList;
use postiz_providers::{HttpClient, HttpSettings, Registry};
use postiz_vault::{Binding, Field, Keyring, Sealed};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use uuid::Uuid;

fn actor(user: &postiz_testkit::TestUser) -> Actor {
    Actor { user: user.clone(), token: token_for(user) }
}

async fn app() -> ConnectApp {
    let allow = PrivateAllowList::parse(&["127.0.0.0/8"]).expect("allow");
    let guard = HttpClient::new(HttpSettings { private_allow: allow, ..HttpSettings::for_tests() }).expect("client");
    ConnectApp::with_guard(Registry::new(), OAuthClients::new(), guard).await
}

fn field_messages(body: &Value) -> Vec<(String, String)> {
    body["error"]["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| (f["field"].as_str().unwrap_or_default().to_owned(), f["message"].as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

async fn queued(app: &TestApp) -> i64 {
    app.count("select count(*) from pgmq.q_webhooks").await
}

#[tokio::test]
async fn admins_manage_endpoints_and_members_read_them() {
    let c = app().await;
    let ws = c.workspace;
    let owner = actor(&c.owner);
    let editor = c.app.actor("editor@example.com").await;
    let viewer = c.app.actor("viewer@example.com").await;
    c.app.add_member(ws, &editor, "editor").await;
    c.app.add_member(ws, &viewer, "viewer").await;
    let base = format!("/workspaces/{ws}/webhooks");

    // Fields named by their labels, the guard applied.
    let a = c.app.call(&owner, "POST", &base, Some(json!({"url": "http://hooks.example.com/in"}))).await;
    assert_eq!(a.status, 422, "{}", a.body);
    assert_eq!(field_messages(&a.body), [("url".to_owned(), "Endpoint URL must start with https://".to_owned())]);
    let a = c.app.call(&owner, "POST", &base, Some(json!({"url": "https://10.1.2.3/in"}))).await;
    assert_eq!(a.status, 422, "{}", a.body);
    let (_, message) = &field_messages(&a.body)[0];
    assert!(message.starts_with("Endpoint URL is refused") && message.contains("private or local network"), "{message}");
    let a = c
        .app
        .call(&owner, "POST", &base, Some(json!({"url": "https://93.184.216.34/in", "events": ["post.published", "post.exploded"]})))
        .await;
    assert_eq!(a.status, 422, "{}", a.body);
    assert_eq!(field_messages(&a.body)[0].0, "events[1]");
    assert!(field_messages(&a.body)[0].1.starts_with("Events: \"post.exploded\" is not an event"));
    let a = c.app.call(&owner, "POST", &base, Some(json!({"url": "https://93.184.216.34/in", "social_account_id": Uuid::new_v4()}))).await;
    assert_eq!(field_messages(&a.body)[0], ("social_account_id".to_owned(), "Account is not an account of this workspace".to_owned()));
    assert_eq!(c.app.count("select count(*) from postiz.webhook_endpoints").await, 0, "nothing written by a refused request");

    // Editors and viewers cannot create.
    for who in [&editor, &viewer] {
        let a = c.app.call(who, "POST", &base, Some(json!({"url": "https://93.184.216.34/in"}))).await;
        assert_eq!(a.status, 403, "{}", a.body);
    }

    // The owner creates: the secret once, sealed at rest.
    let a = c
        .app
        .call(
            &owner,
            "POST",
            &base,
            Some(json!({"url": "https://93.184.216.34/in", "description": "CRM", "events": ["post.published", "webhook.test"]})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let secret = a.body["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("whsec_"));
    let id: Uuid = a.body["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(a.body["events"], json!(["post.published", "webhook.test"]));
    let row = c
        .app
        .db
        .superuser()
        .await
        .query_one("select secret_key_id, secret_nonce, secret_ciphertext, created_by from postiz.webhook_endpoints where id = $1", &[&id])
        .await
        .unwrap();
    let sealed = Sealed { key_id: row.get(0), nonce: row.get(1), ciphertext: row.get(2) };
    assert!(!String::from_utf8_lossy(&sealed.ciphertext).contains(&secret[6..]), "stored encrypted");
    let opened = Keyring::for_testing()
        .decrypt(&sealed, &Binding { workspace_id: ws, social_account_id: id, field: Field::WebhookSecret })
        .expect("the worker can open it");
    assert_eq!(opened.expose_secret(), secret);
    assert_eq!(row.get::<_, Option<Uuid>>(3), Some(c.owner.id));

    // A URL on a network the operator opened may be http.
    let a = c.app.call(&owner, "POST", &base, Some(json!({"url": "http://127.0.0.1:9/local"}))).await;
    assert_eq!(a.status, 201, "{}", a.body);
    let local: Uuid = a.body["id"].as_str().unwrap().parse().unwrap();

    // Everyone reads the list; nobody sees a secret in it.
    for who in [&owner, &editor, &viewer] {
        let a = c.app.call(who, "GET", &base, None).await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.body.as_array().unwrap().len(), 2);
        assert!(!a.body.to_string().contains("whsec_"), "no secret in the list");
    }

    // Editors and viewers cannot change, test, redeliver or delete.
    for who in [&editor, &viewer] {
        assert_eq!(c.app.call(who, "PATCH", &format!("{base}/{id}"), Some(json!({"enabled": false}))).await.status, 403);
        assert_eq!(c.app.call(who, "POST", &format!("{base}/{id}/test"), None).await.status, 403);
        assert_eq!(c.app.call(who, "DELETE", &format!("{base}/{id}"), None).await.status, 403);
    }

    // The test event: one delivery to this endpoint, queued for the worker, in the log.
    let before = queued(&c.app).await;
    let a = c.app.call(&owner, "POST", &format!("{base}/{id}/test"), None).await;
    assert_eq!(a.status, 202, "{}", a.body);
    let delivery = a.body["delivery_id"].as_i64().unwrap();
    assert_eq!(queued(&c.app).await, before + 1);
    let a = c.app.call(&viewer, "GET", &format!("{base}/{id}/deliveries"), None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let log = a.body.as_array().unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["id"], delivery);
    assert_eq!(log[0]["event_type"], "webhook.test");
    assert_eq!(log[0]["status"], "pending");
    assert_eq!(log[0]["payload"]["type"], "webhook.test");
    assert_eq!(c.app.call(&viewer, "GET", &format!("{base}/{local}/deliveries"), None).await.body, json!([]));

    // Redelivery of a failed delivery: pending again and queued, same event.
    c.app
        .db
        .superuser()
        .await
        .execute(
            "update postiz.webhook_deliveries set status = 'failed', attempts = 12, last_response_code = 500 where id = $1",
            &[&delivery],
        )
        .await
        .unwrap();
    assert_eq!(c.app.call(&editor, "POST", &format!("{base}/{id}/deliveries/{delivery}/redeliver"), None).await.status, 403);
    let a = c.app.call(&owner, "POST", &format!("{base}/{id}/deliveries/{delivery}/redeliver"), None).await;
    assert_eq!(a.status, 202, "{}", a.body);
    assert_eq!(
        c.app.count(&format!("select count(*) from postiz.webhook_deliveries where id = {delivery} and status = 'pending'")).await,
        1
    );
    assert_eq!(queued(&c.app).await, before + 2);
    let a = c.app.call(&owner, "POST", &format!("{base}/{local}/deliveries/{delivery}/redeliver"), None).await;
    assert_eq!(a.status, 404, "a delivery of another endpoint");

    // Disabled by the worker after failures; turned on again: failures cleared, waiting sent.
    let su = c.app.db.superuser().await;
    su.execute("update postiz.webhook_endpoints set consecutive_failures = 10, failing_since = now() where id = $1", &[&id]).await.unwrap();
    su.execute(
        "select postiz_private.service_disable_webhook_endpoint($1, 'It failed 10 times in a row (last: the endpoint answered 500).')",
        &[&id],
    )
    .await
    .unwrap();
    let a = c.app.call(&owner, "GET", &base, None).await;
    let listed = a.body.as_array().unwrap().iter().find(|e| e["id"] == id.to_string()).unwrap().clone();
    assert_eq!(listed["enabled"], false);
    assert!(listed["disabled_reason"].as_str().unwrap().contains("10 times"));
    let before = queued(&c.app).await;
    let a = c.app.call(&owner, "PATCH", &format!("{base}/{id}"), Some(json!({"enabled": true, "description": "CRM (prod)"}))).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        (a.body["enabled"].clone(), a.body["disabled_reason"].clone(), a.body["consecutive_failures"].clone()),
        (json!(true), Value::Null, json!(0))
    );
    assert_eq!(a.body["description"], "CRM (prod)");
    assert_eq!(queued(&c.app).await, before + 1, "the pending delivery is queued again");
    let a = c.app.call(&owner, "PATCH", &format!("{base}/{id}"), Some(json!({"url": "ftp://x.example/"}))).await;
    assert_eq!(field_messages(&a.body), [("url".to_owned(), "Endpoint URL must start with https://".to_owned())]);

    // Another workspace's admin sees nothing of it.
    let stranger = c.app.actor("stranger@example.com").await;
    let other = c.app.workspace(&stranger, "other-ws", "UTC").await;
    assert_eq!(c.app.call(&stranger, "GET", &base, None).await.status, 404);
    assert_eq!(c.app.call(&stranger, "DELETE", &format!("/workspaces/{other}/webhooks/{id}"), None).await.status, 404);

    // Delete: gone with its log.
    assert_eq!(c.app.call(&owner, "DELETE", &format!("{base}/{id}"), None).await.status, 204);
    assert_eq!(c.app.count(&format!("select count(*) from postiz.webhook_deliveries where endpoint_id = '{id}'")).await, 0);
    assert_eq!(c.app.call(&owner, "DELETE", &format!("{base}/{id}"), None).await.status, 404);
}

#[tokio::test]
async fn rotating_the_secret_shows_the_new_one_once_and_keeps_the_old_one_for_a_day() {
    let c = app().await;
    let ws = c.workspace;
    let owner = actor(&c.owner);
    let editor = c.app.actor("editor@example.com").await;
    c.app.add_member(ws, &editor, "editor").await;
    let base = format!("/workspaces/{ws}/webhooks");
    let a = c.app.call(&owner, "POST", &base, Some(json!({"url": "https://93.184.216.34/in"}))).await;
    assert_eq!(a.status, 201, "{}", a.body);
    let first = a.body["secret"].as_str().unwrap().to_owned();
    let id: Uuid = a.body["id"].as_str().unwrap().parse().unwrap();
    assert!(a.body["previous_secret_valid_until"].is_null());
    let sealed_of = async |prefix: &str| {
        let row = c
            .app
            .db
            .superuser()
            .await
            .query_one(
                &format!("select {prefix}secret_key_id, {prefix}secret_nonce, {prefix}secret_ciphertext from postiz.webhook_endpoints where id = $1"),
                &[&id],
            )
            .await
            .unwrap();
        let sealed = Sealed { key_id: row.get(0), nonce: row.get(1), ciphertext: row.get(2) };
        Keyring::for_testing()
            .decrypt(&sealed, &Binding { workspace_id: ws, social_account_id: id, field: Field::WebhookSecret })
            .expect("opens")
            .expose_secret()
            .to_owned()
    };

    // Editors cannot rotate; an unknown endpoint is 404.
    assert_eq!(c.app.call(&editor, "POST", &format!("{base}/{id}/rotate-secret"), None).await.status, 403);
    assert_eq!(c.app.call(&owner, "POST", &format!("{base}/{}/rotate-secret", Uuid::new_v4()), None).await.status, 404);
    assert_eq!(sealed_of("").await, first, "a refused rotation changes nothing");

    let a = c.app.call(&owner, "POST", &format!("{base}/{id}/rotate-secret"), None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let second = a.body["secret"].as_str().unwrap().to_owned();
    assert!(second.starts_with("whsec_") && second != first);
    let until: chrono::DateTime<chrono::Utc> = a.body["previous_secret_valid_until"].as_str().unwrap().parse().unwrap();
    let in_a_day = chrono::Utc::now() + chrono::Duration::hours(24);
    assert!((until - in_a_day).num_seconds().abs() < 60, "{until}");
    assert_eq!((sealed_of("").await, sealed_of("previous_").await), (second.clone(), first.clone()));

    // The list says until when the old one is honoured, never a secret.
    let a = c.app.call(&editor, "GET", &base, None).await;
    let listed: chrono::DateTime<chrono::Utc> = a.body[0]["previous_secret_valid_until"].as_str().expect("listed").parse().unwrap();
    assert_eq!(listed, until);
    assert!(!a.body.to_string().contains("whsec_"));

    // A second rotation keeps only the one it replaced.
    let a = c.app.call(&owner, "POST", &format!("{base}/{id}/rotate-secret"), None).await;
    let third = a.body["secret"].as_str().unwrap().to_owned();
    assert_eq!((sealed_of("").await, sealed_of("previous_").await), (third, second));
}

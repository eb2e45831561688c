//! Sandbox adapter: the conformance suite against wiremock, then end-to-end against the
//! real `postiz-sandbox` server (duplicates counted, faults injected).

use std::sync::Arc;
use std::time::Duration;

use postiz_providers::sandbox::SandboxProvider;
use postiz_providers::{AccountRef, FindQuery, HttpClient, Provider, ProviderError, PublishRequest};
use postiz_sandbox::{Fault, Sandbox, SandboxConfig};
use serde_json::json;
use url::Url;
use wiremock::ResponseTemplate;

use crate::conformance::{Auth, Case, client, png, thread, token};

fn make(base: Url, http: HttpClient) -> Arc<dyn Provider> {
    Arc::new(SandboxProvider::new(http, base))
}

fn account() -> AccountRef {
    AccountRef::new("sandbox-user")
}

fn case() -> Case {
    Case {
        fixtures: "sandbox",
        make,
        account,
        publish: ("POST", "/api/posts"),
        ok: || ResponseTemplate::new(201).set_body_json(json!({"id": "1", "url": "http://127.0.0.1/posts/1"})),
        expected_id: "1",
        auth: Auth::Bearer,
        request: None,
        prelude: None,
        no_wait_429: "429.json",
    }
}

fn reset_headers() -> (Vec<(&'static str, String)>, Duration) {
    (vec![("retry-after", "5".into())], Duration::from_secs(5))
}

conformance_suite!();

async fn real() -> (Sandbox, Arc<dyn Provider>) {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let p = make(Url::parse(sb.url()).unwrap(), client());
    (sb, p)
}

#[tokio::test]
async fn thread_with_media_and_comment_is_recorded_once_each() {
    let (sb, p) = real().await;
    let mut req = thread("s1", &["one", "two"]);
    req.items[0].media.push(png("a.png"));
    req.first_comment = Some("comment".into());
    let post = p.publish(&token(), &account(), &req).await.unwrap();
    assert_eq!(post.items.len(), 3);
    let report = sb.posts();
    assert_eq!(report.posts.len(), 3);
    assert_eq!(report.posts[0].media_ids.len(), 1);
    assert_eq!(report.posts[1].reply_to.as_deref(), Some(post.items[0].id.as_str()));
    assert_eq!(report.posts[2].reply_to.as_deref(), Some(post.items[0].id.as_str()));
    assert!(report.duplicates().is_empty());
}

#[tokio::test]
async fn injected_429_maps_to_rate_limited_with_the_servers_wait() {
    let (sb, p) = real().await;
    sb.push_fault(Fault::rate_limited(7));
    let err = p.publish(&token(), &account(), &PublishRequest::text("k", "x")).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    assert!(sb.posts().posts.is_empty());
}

#[tokio::test]
async fn a_hang_after_commit_is_outcome_unknown_and_find_published_sees_the_post() {
    let (sb, p) = real().await;
    sb.push_fault(Fault::hang().after_commit());
    let req = PublishRequest::text("uncertain", "did it go out?");
    let err = p.publish(&token(), &account(), &req).await.unwrap_err();
    assert!(matches!(err, ProviderError::OutcomeUnknown { .. }), "{err:?}");
    let q = FindQuery { idempotency_key: "uncertain".into(), text: req.items[0].text.clone(), not_before: chrono::Utc::now() };
    let found = p.find_published(&token(), &account(), &q).await.unwrap().expect("the post exists");
    assert_eq!(found.id, sb.posts().posts[0].id);
    // A blind retry would have made a duplicate; the sandbox counts it.
    p.publish(&token(), &account(), &req).await.unwrap();
    assert_eq!(sb.posts().duplicates(), vec!["uncertain-0".to_owned()]);
}

#[tokio::test]
async fn expired_token_is_unauthorized() {
    let (_sb, p) = real().await;
    let err = p.publish(&postiz_providers::SecretString::from("expired"), &account(), &PublishRequest::text("k", "x")).await.unwrap_err();
    assert!(matches!(err, ProviderError::Unauthorized { .. }), "{err:?}");
}

//! The sandbox server over real HTTP: recording, duplicate counts, and each fault mode.

#![expect(clippy::unwrap_used, reason = "tests")]

use std::time::{Duration, Instant};

use postiz_sandbox::{Fault, PostsReport, Sandbox, SandboxConfig, StartError};
use serde_json::{Value, json};

fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(2)).build().unwrap()
}

async fn publish(sb: &Sandbox, key: &str, text: &str) -> reqwest::Response {
    http()
        .post(format!("{}/api/posts", sb.url()))
        .bearer_auth("t")
        .header("Idempotency-Key", key)
        .json(&json!({"text": text}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn records_posts_and_counts_duplicates_per_key_and_text() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    assert_eq!(publish(&sb, "a", "hello").await.status(), 201);
    assert_eq!(publish(&sb, "a", "hello").await.status(), 201);
    assert_eq!(publish(&sb, "b", "other").await.status(), 201);
    let report: PostsReport = http().get(format!("{}/_control/posts", sb.url())).send().await.unwrap().json().await.unwrap();
    assert_eq!(report.posts.len(), 3);
    assert_eq!(report.by_idempotency_key["a"], 2);
    assert_eq!(report.by_text["hello"], 2);
    assert_eq!(report.duplicates(), vec!["a".to_owned()]);
    assert_eq!(report, sb.posts());
}

#[tokio::test]
async fn honouring_idempotency_keys_returns_the_first_post() {
    let sb = Sandbox::start(SandboxConfig { honor_idempotency_key: true, ..SandboxConfig::default() }).await.unwrap();
    let first: Value = publish(&sb, "k", "once").await.json().await.unwrap();
    let again = publish(&sb, "k", "once").await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(first["id"], again["id"]);
    assert_eq!(sb.posts().posts.len(), 1);
}

#[tokio::test]
async fn reconciliation_finds_posts_by_idempotency_key() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    publish(&sb, "find-me", "x").await;
    publish(&sb, "other", "y").await;
    let v: Value =
        http().get(format!("{}/api/posts?idempotency_key=find-me", sb.url())).bearer_auth("t").send().await.unwrap().json().await.unwrap();
    assert_eq!(v["posts"].as_array().unwrap().len(), 1);
    assert_eq!(v["posts"][0]["text"], "x");
}

#[tokio::test]
async fn scripted_429_carries_retry_after_and_records_nothing() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let r = http()
        .post(format!("{}/_control/faults", sb.url()))
        .json(&json!({"queue": [{"status": 429, "retry_after": 30}, {"status": 503}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let first = publish(&sb, "k", "x").await;
    assert_eq!(first.status(), 429);
    assert_eq!(first.headers()["retry-after"], "30");
    assert_eq!(publish(&sb, "k", "x").await.status(), 503);
    assert_eq!(publish(&sb, "k", "x").await.status(), 201, "faults apply to the next N calls only");
    let report = sb.posts();
    assert_eq!(report.posts.len(), 1);
    assert_eq!(report.publish_attempts, 3);
}

#[tokio::test]
async fn slow_answers_arrive_after_the_delay() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    sb.push_fault(Fault::slow(300));
    let t = Instant::now();
    assert_eq!(publish(&sb, "k", "x").await.status(), 201);
    assert!(t.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn a_hang_never_answers_and_after_commit_still_records_the_post() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    sb.push_fault(Fault::hang());
    sb.push_fault(Fault::hang().after_commit());
    let client = reqwest::Client::builder().timeout(Duration::from_millis(300)).build().unwrap();
    let send = || client.post(format!("{}/api/posts", sb.url())).bearer_auth("t").json(&json!({"text": "lost"})).send();
    assert!(send().await.unwrap_err().is_timeout());
    assert!(sb.posts().posts.is_empty(), "a plain hang happens before recording");
    assert!(send().await.unwrap_err().is_timeout());
    assert_eq!(sb.posts().posts.len(), 1, "after_commit records, then hangs");
    // Stopping releases hanging requests.
    tokio::time::timeout(Duration::from_secs(5), sb.stop()).await.unwrap();
}

#[tokio::test]
async fn a_fault_can_ride_on_one_request_header() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let r = http()
        .post(format!("{}/api/posts", sb.url()))
        .bearer_auth("t")
        .header("X-Sandbox-Fault", r#"{"status": 500}"#)
        .json(&json!({"text": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
}

#[tokio::test]
async fn a_seeded_mix_is_reproducible() {
    let outcomes = |seed| async move {
        let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
        http()
            .post(format!("{}/_control/faults", sb.url()))
            .json(&json!({"mix": {"seed": seed, "rate_limited": 0.3, "server_error": 0.3}}))
            .send()
            .await
            .unwrap();
        let mut v = Vec::new();
        for i in 0..20 {
            v.push(publish(&sb, &i.to_string(), "x").await.status().as_u16());
        }
        v
    };
    let a = outcomes(11).await;
    assert_eq!(a, outcomes(11).await);
    assert!(a.contains(&201) && (a.contains(&429) || a.contains(&503)), "{a:?}");
}

#[tokio::test]
async fn auth_and_validation_errors_look_like_a_network() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let c = http();
    let url = format!("{}/api/posts", sb.url());
    assert_eq!(c.post(&url).json(&json!({"text": "x"})).send().await.unwrap().status(), 401);
    assert_eq!(c.post(&url).bearer_auth("expired").json(&json!({"text": "x"})).send().await.unwrap().status(), 401);
    assert_eq!(c.post(&url).bearer_auth("t").json(&json!({"text": ""})).send().await.unwrap().status(), 422);
    assert_eq!(c.post(&url).bearer_auth("t").json(&json!({"text": "x", "reply_to": "404"})).send().await.unwrap().status(), 422);
    let me: Value = c.get(format!("{}/api/me", sb.url())).bearer_auth("t").send().await.unwrap().json().await.unwrap();
    assert_eq!(me["handle"], "sandbox");
}

#[tokio::test]
async fn binds_loopback_only() {
    let err = Sandbox::start(SandboxConfig { bind: "0.0.0.0:0".parse().unwrap(), ..SandboxConfig::default() }).await.unwrap_err();
    assert!(matches!(err, StartError::NotLoopback(_)));
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    assert!(sb.addr().ip().is_loopback());
}

//! The calendar over HTTP: dated posts from `postiz.calendar_entries`, recurring schedules
//! expanded in their zone (across a DST change), filters, the window bound.
#![allow(clippy::unwrap_used, reason = "test helpers: a broken fixture should panic right there")]

mod common;

use axum::http::StatusCode;
use chrono::{DateTime, Duration, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use common::*;
use serde_json::{Value, json};
use uuid::Uuid;

/// The next day (at least a week ahead) on which Berlin's UTC offset changes.
fn next_dst_change() -> NaiveDate {
    let mut day = (Utc::now() + Duration::days(7)).date_naive();
    let offset = |d: NaiveDate| Berlin.from_local_datetime(&d.and_hms_opt(12, 0, 0).unwrap()).unwrap().offset().fix();
    while offset(day) == offset(day - Duration::days(1)) {
        day += Duration::days(1);
    }
    day
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn q(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[tokio::test]
async fn a_daily_nine_oclock_rule_stays_at_nine_across_a_dst_change() {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let ws = app.workspace(&owner, "acme", "Europe/Berlin").await;
    let acc = app.account(ws, "mastodon", "acme").await;
    let change = next_dst_change();
    let first_local = (change - Duration::days(3)).and_hms_opt(9, 0, 0).unwrap();
    let start = Berlin.from_local_datetime(&first_local).unwrap().with_timezone(&Utc);
    let created = app
        .call(
            &owner,
            "POST",
            &format!("/workspaces/{ws}/posts"),
            Some(json!({
                "content": "good morning", "targets": [acc],
                "schedule": {"kind": "recurring", "starts_at": start, "rrule": "FREQ=DAILY;COUNT=6", "time_zone": "Europe/Berlin"}
            })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let post_id = created.body["id"].as_str().unwrap().to_owned();

    let (from, to) = (start - Duration::days(1), start + Duration::days(10));
    let a = app.call(&owner, "GET", &format!("/workspaces/{ws}/calendar?from={}&to={}", q(from), q(to)), None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let entries = a.body["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 6, "COUNT=6, the first run included once: {}", a.body);
    let locals: Vec<String> =
        entries.iter().map(|e| utc(e["at"].as_str().unwrap()).with_timezone(&Berlin).format("%H:%M").to_string()).collect();
    assert_eq!(locals, vec!["09:00"; 6], "the wall clock never moves");
    let hours: Vec<u32> = entries.iter().map(|e| chrono::Timelike::hour(&utc(e["at"].as_str().unwrap()))).collect();
    assert_ne!(hours[0], hours[5], "the UTC instant moved by the DST change: {hours:?}");
    assert_eq!(hours[..3].iter().collect::<std::collections::HashSet<_>>().len(), 1);
    assert_eq!(hours[3..].iter().collect::<std::collections::HashSet<_>>().len(), 1);
    for e in entries {
        assert_eq!(e["kind"], "occurrence");
        assert_eq!(e["post_id"], post_id.as_str());
        assert_eq!(e["post_status"], "scheduled");
        assert_eq!(e["targets"][0]["account_id"], acc.to_string());
        assert_eq!(e["targets"][0]["network"], "mastodon");
    }

    // A window that starts after the first run still gets the later runs, and only those.
    let later =
        app.call(&owner, "GET", &format!("/workspaces/{ws}/calendar?from={}&to={}", q(start + Duration::hours(1)), q(to)), None).await;
    assert_eq!(later.body["entries"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn dated_posts_appear_once_with_their_targets_and_filters_apply() {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await;
    let x = app.account(ws, "x", "acme_x").await;
    let m = app.account(ws, "mastodon", "acme_m").await;
    let tag = app.call(&owner, "POST", &format!("/workspaces/{ws}/tags"), Some(json!({"name": "promo"}))).await.body["id"].clone();
    let base = Utc::now() + Duration::days(2);
    let mk = |content: &str, targets: Vec<Uuid>, tags: Vec<Value>, days: i64, status: &str| {
        json!({"content": content, "targets": targets, "tags": tags, "status": status,
               "schedule": {"kind": "once", "at": q(base + Duration::days(days))}})
    };
    for body in [
        mk("both", vec![x, m], vec![tag.clone()], 0, "scheduled"),
        mk("x only", vec![x], vec![], 1, "scheduled"),
        mk("draft", vec![m], vec![], 2, "draft"),
    ] {
        let a = app.call(&owner, "POST", &format!("/workspaces/{ws}/posts"), Some(body)).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    }
    app.call(&owner, "POST", &format!("/workspaces/{ws}/posts"), Some(json!({"content": "undated"}))).await;
    let window = format!("/workspaces/{ws}/calendar?from={}&to={}", q(base - Duration::days(1)), q(base + Duration::days(5)));

    let all = app.call(&owner, "GET", &window, None).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    let previews: Vec<&str> = all.body["entries"].as_array().unwrap().iter().map(|e| e["content_preview"].as_str().unwrap()).collect();
    assert_eq!(previews, ["both", "x only", "draft"], "in time order; undated drafts are not on the calendar");
    assert_eq!(all.body["entries"][0]["targets"].as_array().unwrap().len(), 2, "one entry per post, its targets inside");
    assert_eq!(all.body["entries"][0]["kind"], "post");
    assert_eq!(all.body["entries"][0]["tags"], json!([tag]));

    let only = |query: &str| {
        let path = format!("{window}&{query}");
        let app = &app;
        let owner = &owner;
        async move {
            let a = app.call(owner, "GET", &path, None).await;
            assert_eq!(a.status, StatusCode::OK, "{}", a.body);
            a.body["entries"].as_array().unwrap().iter().map(|e| e["content_preview"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        }
    };
    assert_eq!(only(&format!("accounts={m}")).await, ["both", "draft"]);
    assert_eq!(only(&format!("tags={}", tag.as_str().unwrap())).await, ["both"]);
    assert_eq!(only("statuses=draft").await, ["draft"]);
    assert_eq!(only(&format!("statuses=scheduled&accounts={x},{m}")).await, ["both", "x only"]);
}

#[tokio::test]
async fn the_window_is_bounded_and_checked() {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await;
    let path = |from: &str, to: &str| format!("/workspaces/{ws}/calendar?from={from}&to={to}");
    let big = app.call(&owner, "GET", &path("2026-01-01T00:00:00Z", "2026-04-04T00:00:00Z"), None).await;
    assert_eq!((big.status, big.body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("window_too_large")));
    assert!(big.body["error"]["message"].as_str().unwrap().contains("92 days"));
    let ok = app.call(&owner, "GET", &path("2026-01-01T00:00:00Z", "2026-04-03T00:00:00Z"), None).await;
    assert_eq!(ok.status, StatusCode::OK, "92 days exactly is fine: {}", ok.body);
    let backwards = app.call(&owner, "GET", &path("2026-02-01T00:00:00Z", "2026-01-01T00:00:00Z"), None).await;
    assert_eq!(backwards.body["error"]["code"], "bad_window");
    let garbage = app.call(&owner, "GET", &path("yesterday", "2026-01-01T00:00:00Z"), None).await;
    assert_eq!(garbage.status, StatusCode::BAD_REQUEST);
    let bad_status =
        app.call(&owner, "GET", &format!("{}&statuses=done", path("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z")), None).await;
    assert_eq!(bad_status.status, StatusCode::BAD_REQUEST);
}

/// Security review, issue 14 finding 5: a rule firing 288 times a day since today, asked about
/// a window years away, is answered without walking every occurrence in between; a window
/// past the horizon is refused, and so is a slot search there.
#[tokio::test]
async fn far_windows_are_answered_by_seeking_and_the_horizon_is_bounded() {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await;
    let acc = app.account(ws, "mastodon", "acme").await;
    let hours = (0..24).map(|h| h.to_string()).collect::<Vec<_>>().join(",");
    let minutes = (0..60).step_by(5).map(|m| m.to_string()).collect::<Vec<_>>().join(",");
    let start = (Utc::now() + Duration::days(1)).date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc();
    let created = app
        .call(&owner, "POST", &format!("/workspaces/{ws}/posts"), Some(json!({
            "content": "every five minutes", "targets": [acc],
            "schedule": {"kind": "recurring", "starts_at": start, "rrule": format!("FREQ=DAILY;BYHOUR={hours};BYMINUTE={minutes}"), "time_zone": "UTC"}
        })))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);

    // Fifteen years on: 2 days of a rule that fires 288 times a day.
    let from = start + Duration::days(15 * 365);
    let far =
        app.call(&owner, "GET", &format!("/workspaces/{ws}/calendar?from={}&to={}", q(from), q(from + Duration::days(2))), None).await;
    assert_eq!(far.status, StatusCode::OK, "{}", far.body);
    assert_eq!(far.body["entries"].as_array().unwrap().len(), 576);

    let beyond = utc("2091-06-01T00:00:00Z");
    let refused =
        app.call(&owner, "GET", &format!("/workspaces/{ws}/calendar?from={}&to={}", q(beyond), q(beyond + Duration::days(1))), None).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert_eq!(refused.body["error"]["code"], "out_of_range", "{}", refused.body);
    assert!(refused.body["error"]["message"].as_str().unwrap().starts_with("from: choose a date within 20 years"), "{}", refused.body);

    let slot = app.call(&owner, "GET", &format!("/workspaces/{ws}/accounts/{acc}/next-slot?after={}", q(beyond)), None).await;
    assert_eq!(slot.status, StatusCode::BAD_REQUEST, "{}", slot.body);
    assert_eq!(slot.body["error"]["code"], "out_of_range", "{}", slot.body);
}

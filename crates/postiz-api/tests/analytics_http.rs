//! Analytics over HTTP: overview with the previous period, per post, per account, top posts,
//! best time, per tag, and CSV/JSON exports, read from snapshots recorded as the worker does
//! (the rollups are the database's own triggers). Plan gate and tenancy too.
#![allow(clippy::unwrap_used, reason = "test helpers: a broken fixture should panic right there")]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{Duration, TimeZone, Utc};
use common::*;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

/// A published post on `account` with a tag, published at `at`. Returns (post, target).
async fn published_post(app: &TestApp, ws: Uuid, account: Uuid, text: &str, at: chrono::DateTime<Utc>, tag: Option<Uuid>) -> (Uuid, Uuid) {
    let su = app.db.superuser().await;
    let post: Uuid = su
        .query_one(
            "insert into postiz.posts (workspace_id, status, content, scheduled_at) values ($1, 'published', $2, $3) returning id",
            &[&ws, &text, &at],
        )
        .await
        .unwrap()
        .get(0);
    let target: Uuid = su
        .query_one(
            "insert into postiz.post_targets (workspace_id, post_id, social_account_id, status, published_at, external_id, external_url)
             values ($1, $2, $3, 'published', $4, 'remote-' || gen_random_uuid(), 'https://social.example/p/1') returning id",
            &[&ws, &post, &account, &at],
        )
        .await
        .unwrap()
        .get(0);
    if let Some(tag) = tag {
        su.execute("insert into postiz.post_tags (workspace_id, post_id, tag_id) values ($1, $2, $3)", &[&ws, &post, &tag]).await.unwrap();
    }
    (post, target)
}

/// Records readings as the worker's ingestion does (one statement per reading).
async fn reading(app: &TestApp, ws: Uuid, account: Uuid, target: Option<Uuid>, at: chrono::DateTime<Utc>, values: &[(&str, i64)]) {
    let su = app.db.superuser().await;
    for (metric, value) in values {
        su.execute(
            "insert into postiz.analytics_events (workspace_id, social_account_id, target_id, metric, value, bucket_start, observed_at)
             values ($1, $2, $3, $4::text::postiz.analytics_metric, $5::int, date_trunc('hour', $6::timestamptz), $6)
             on conflict (subject_id, metric, bucket_start) do update set value = excluded.value, observed_at = excluded.observed_at",
            &[&ws, &account, &target, metric, &(*value as i32), &at],
        )
        .await
        .unwrap();
    }
}

async fn raw(app: &TestApp, actor: &Actor, path: &str) -> (StatusCode, String, axum::http::HeaderMap) {
    let req = Request::builder()
        .uri(format!("{BASE}{path}"))
        .header(axum::http::header::AUTHORIZATION, format!("Bearer {}", actor.token))
        .body(Body::empty())
        .unwrap();
    let res = app.router.clone().oneshot(req).await.unwrap();
    let (parts, body) = res.into_parts();
    (parts.status, String::from_utf8(body.collect().await.unwrap().to_bytes().to_vec()).unwrap(), parts.headers)
}

#[tokio::test]
async fn numbers_roll_up_into_every_view_and_export() {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let ws = app.workspace(&owner, "acme", "Europe/Paris").await;
    let x = app.account(ws, "x", "acme_x").await;
    let bsky = app.account(ws, "bluesky", "acme.bsky").await;
    let tag = Uuid::new_v4();
    app.db
        .superuser()
        .await
        .execute("insert into postiz.tags (id, workspace_id, name) values ($1, $2, 'launch')", &[&tag, &ws])
        .await
        .unwrap();

    // Two posts published on 2026-11-10 09:30 and 18:00 Paris time; readings over three days.
    let paris = chrono_tz::Europe::Paris;
    let at = |d: u32, h: u32, m: u32| paris.with_ymd_and_hms(2026, 11, d, h, m, 0).unwrap().with_timezone(&Utc);
    let (morning, t1) = published_post(&app, ws, x, "Morning launch post", at(10, 9, 30), Some(tag)).await;
    let (evening, t2) = published_post(&app, ws, bsky, "Evening follow-up", at(10, 18, 0), None).await;
    reading(&app, ws, x, Some(t1), at(10, 11, 0), &[("likes", 10), ("impressions", 400)]).await;
    reading(&app, ws, x, Some(t1), at(11, 11, 0), &[("likes", 25), ("impressions", 900)]).await;
    reading(&app, ws, bsky, Some(t2), at(10, 20, 0), &[("likes", 4)]).await;
    reading(&app, ws, bsky, Some(t2), at(12, 9, 0), &[("likes", 6)]).await;
    // Late arrival: an earlier reading of the first post, recorded last.
    reading(&app, ws, x, Some(t1), at(10, 10, 0), &[("likes", 5)]).await;
    // The account's own followers: 1000 on the 9th (a starting point), 1040 on the 12th.
    reading(&app, ws, x, None, at(9, 8, 0), &[("followers", 1000)]).await;
    reading(&app, ws, x, None, at(12, 8, 0), &[("followers", 1040)]).await;

    // Overview of 10-12 November: likes gained 25 + 6, impressions 900, followers +40.
    let o = app.call(&owner, "GET", &format!("/workspaces/{ws}/analytics/overview?from=2026-11-10&to=2026-11-12"), None).await;
    assert_eq!(o.status, StatusCode::OK, "{}", o.body);
    let total = |m: &str| o.body["totals"].as_array().unwrap().iter().find(|t| t["metric"] == m).map(|t| t["value"].as_i64().unwrap());
    assert_eq!((total("likes"), total("impressions"), total("followers")), (Some(31), Some(900), Some(40)), "{}", o.body);
    assert_eq!(o.body["range"]["time_zone"], "Europe/Paris");
    assert_eq!(o.body["previous"]["from"], "2026-11-07");
    assert_eq!(o.body["series"].as_array().unwrap().len(), 3);
    assert_eq!(o.body["series"][0]["values"]["likes"], 14, "day one: 10 on X, 4 on Bluesky");
    assert_eq!(o.body["series"][1]["values"]["likes"], 15);
    let networks = o.body["networks"].as_array().unwrap();
    assert_eq!(networks.iter().find(|n| n["network"] == "x").unwrap()["values"]["likes"], 25);
    assert_eq!(networks.iter().find(|n| n["network"] == "bluesky").unwrap()["values"]["likes"], 6);
    // The previous period (7-9 November) had no likes: its change is unknown, not infinite.
    let likes = o.body["totals"].as_array().unwrap().iter().find(|t| t["metric"] == "likes").unwrap();
    assert_eq!((likes["previous"].as_i64(), likes["change_pct"].clone()), (Some(0), Value::Null));

    // Weeks and months are sums of days: 10-12 November 2026 is one ISO week (from Monday the 9th).
    let weekly =
        app.call(&owner, "GET", &format!("/workspaces/{ws}/analytics/overview?from=2026-11-10&to=2026-11-12&granularity=week"), None).await;
    assert_eq!(weekly.body["granularity"], "week");
    assert_eq!(weekly.body["series"].as_array().unwrap().len(), 1);
    assert_eq!(
        (weekly.body["series"][0]["day"].as_str(), weekly.body["series"][0]["values"]["likes"].as_i64()),
        (Some("2026-11-09"), Some(31))
    );
    let monthly = app
        .call(&owner, "GET", &format!("/workspaces/{ws}/analytics/overview?from=2026-10-20&to=2026-11-30&granularity=month"), None)
        .await;
    let months: Vec<&str> = monthly.body["series"].as_array().unwrap().iter().map(|p| p["day"].as_str().unwrap()).collect();
    assert_eq!(months, ["2026-10-01", "2026-11-01"]);
    assert_eq!(monthly.body["series"][1]["values"]["likes"], 31);

    // What each connected network reports: Bluesky has no impressions (not reported, not 0).
    let reports = |n: &str| o.body["reported"].as_array().unwrap().iter().find(|r| r["network"] == n).unwrap()["post_metrics"].clone();
    assert!(reports("x").as_array().unwrap().contains(&json!("impressions")), "{}", o.body);
    assert!(!reports("bluesky").as_array().unwrap().contains(&json!("impressions")), "{}", o.body);
    assert!(reports("bluesky").as_array().unwrap().contains(&json!("likes")));

    // Per post: every reading, the latest values, freshness from the watch.
    let p = app.call(&owner, "GET", &format!("/workspaces/{ws}/posts/{morning}/analytics"), None).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert_eq!(p.body["totals"], json!({"likes": 25, "impressions": 900}));
    let target = &p.body["targets"][0];
    assert_eq!(target["series"].as_array().unwrap().len(), 3, "three readings, the late one in its place");
    assert_eq!(target["series"][0]["values"]["likes"], 5);
    assert_eq!(target["freshness"]["state"], "active", "publishing started a watch");
    assert!(target["reported"].as_array().unwrap().contains(&json!("impressions")));
    assert_eq!(target["display_name"], "acme_x", "the name the network shows, beside the handle");

    // Top posts by likes, then by impressions (a metric Bluesky does not report).
    let top =
        app.call(&owner, "GET", &format!("/workspaces/{ws}/analytics/top-posts?from=2026-11-01&to=2026-11-30&metric=likes"), None).await;
    assert_eq!(top.status, StatusCode::OK, "{}", top.body);
    let ids: Vec<&str> = top.body["posts"].as_array().unwrap().iter().map(|p| p["post_id"].as_str().unwrap()).collect();
    assert_eq!(ids, [morning.to_string(), evening.to_string()]);
    assert_eq!(top.body["posts"][1]["values"], json!({"likes": 6}), "impressions absent, not 0");
    let bad = app.call(&owner, "GET", &format!("/workspaces/{ws}/analytics/top-posts?metric=hearts"), None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body["error"]["message"].as_str().unwrap().starts_with("metric: \"hearts\" is not one of"));

    // Best time: two cells (Tuesday 09 and 18 Paris time), too few posts to trust.
    let best = app.call(&owner, "GET", &format!("/workspaces/{ws}/analytics/best-time?from=2026-11-01&to=2026-11-30"), None).await;
    assert_eq!(best.status, StatusCode::OK, "{}", best.body);
    assert_eq!((best.body["sample_size"].as_i64(), best.body["enough_data"].as_bool()), (Some(2), Some(false)));
    assert!(best.body["fallback"].as_str().unwrap().contains("after 20"));
    let first = &best.body["cells"][0];
    assert_eq!((first["weekday"].as_i64(), first["hour"].as_i64()), (Some(2), Some(9)), "{}", best.body);
    assert_eq!(first["engagement_rate_pct"], 2.78, "25 likes over 900 impressions");

    // Per tag: only the tagged post's gains.
    let t = app.call(&owner, "GET", &format!("/workspaces/{ws}/analytics/tags/{tag}?from=2026-11-10&to=2026-11-12"), None).await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
    assert_eq!(t.body["totals"], json!({"likes": 25, "impressions": 900}));
    assert_eq!(t.body["name"], "launch");

    // Per account: the growth curve.
    let a = app.call(&owner, "GET", &format!("/workspaces/{ws}/analytics/accounts/{x}?from=2026-11-09&to=2026-11-12"), None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let levels: Vec<(String, i64)> = a.body["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["day"].as_str().unwrap().to_owned(), l["values"]["followers"].as_i64().unwrap()))
        .collect();
    assert_eq!(levels, [("2026-11-09".to_owned(), 1000), ("2026-11-12".to_owned(), 1040)]);

    // CSV export of the daily rows: a header and one line per subject, metric and day.
    let (status, csv, headers) =
        raw(&app, &owner, &format!("/workspaces/{ws}/analytics/export?kind=daily&from=2026-11-01&to=2026-11-30")).await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert!(headers["content-disposition"].to_str().unwrap().contains("analytics-daily-2026-11-01-2026-11-30.csv"));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "day,network,account_id,handle,post_id,target_id,metric,level,gain");
    let daily = app.count(&format!("select count(*) from postiz.analytics_daily where workspace_id = '{ws}'")).await;
    assert_eq!(lines.len() as i64, daily + 1);
    assert!(lines.contains(&format!("2026-11-11,x,{x},acme_x,{morning},{t1},likes,25,15").as_str()), "{csv}");

    // JSON export of the readings: an array of objects, every reading once.
    let (status, body, _) =
        raw(&app, &owner, &format!("/workspaces/{ws}/analytics/export?kind=snapshots&format=json&from=2026-11-01&to=2026-11-30")).await;
    assert_eq!(status, StatusCode::OK);
    let rows: Vec<Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(rows.len() as i64, app.count(&format!("select count(*) from postiz.analytics_events where workspace_id = '{ws}'")).await);
    // Per-post export: unsupported metrics are empty cells.
    let (_, posts_csv, _) = raw(&app, &owner, &format!("/workspaces/{ws}/analytics/export?kind=posts&from=2026-11-01&to=2026-11-30")).await;
    let header: Vec<&str> = posts_csv.lines().next().unwrap().split(',').collect();
    let impressions = header.iter().position(|c| *c == "impressions").unwrap();
    let evening_line = posts_csv.lines().find(|l| l.starts_with(&evening.to_string())).unwrap();
    assert_eq!(evening_line.split(',').nth(impressions), Some(""), "{posts_csv}");
}

#[tokio::test]
async fn exports_page_through_more_rows_than_a_page() {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let ws = app.workspace(&owner, "big", "UTC").await;
    let x = app.account(ws, "x", "big_x").await;
    let (_, target) = published_post(&app, ws, x, "Busy", Utc::now() - Duration::days(3), None).await;
    // 2,500 hourly readings of one metric: more than one export page (2,000).
    app.db
        .superuser()
        .await
        .execute(
            "insert into postiz.analytics_events (workspace_id, social_account_id, target_id, metric, value, bucket_start, observed_at)
             select $1, $2, $3, 'likes', n, date_trunc('hour', now()) - make_interval(hours => n), date_trunc('hour', now()) - make_interval(hours => n)
             from generate_series(1, 2500) n",
            &[&ws, &x, &target],
        )
        .await
        .unwrap();
    let from = (Utc::now() - Duration::days(120)).date_naive();
    let (status, csv, _) = raw(&app, &owner, &format!("/workspaces/{ws}/analytics/export?kind=snapshots&from={from}")).await;
    assert_eq!(status, StatusCode::OK);
    let lines: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(lines.len(), 2500, "every reading once, across pages");
    let unique: std::collections::HashSet<&&str> = lines.iter().collect();
    assert_eq!(unique.len(), 2500);
}

#[tokio::test]
async fn plans_without_analytics_and_other_tenants_see_nothing() {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let stranger = app.actor("stranger@example.com").await;
    let ws = app.workspace(&owner, "gated", "UTC").await;
    app.workspace(&stranger, "elsewhere", "UTC").await;
    let x = app.account(ws, "x", "gated_x").await;
    let (post, target) = published_post(&app, ws, x, "Secret numbers", Utc::now() - Duration::days(1), None).await;
    reading(&app, ws, x, Some(target), Utc::now() - Duration::hours(2), &[("likes", 7)]).await;

    for path in [
        format!("/workspaces/{ws}/analytics/overview"),
        format!("/workspaces/{ws}/posts/{post}/analytics"),
        format!("/workspaces/{ws}/analytics/export?kind=daily"),
    ] {
        let a = app.call(&stranger, "GET", &path, None).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}: {}", a.body);
    }
    let range = app.call(&owner, "GET", &format!("/workspaces/{ws}/analytics/overview?from=2026-11-10&to=2026-11-01"), None).await;
    assert_eq!((range.status, range.body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_range")));
    let long = app.call(&owner, "GET", &format!("/workspaces/{ws}/analytics/overview?from=2025-01-01&to=2026-06-01"), None).await;
    assert_eq!((long.status, long.body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("range_too_large")));

    app.db
        .superuser()
        .await
        .batch_execute(&format!(
            "insert into postiz.plans (code, name, analytics_enabled) values ('basic', 'Basic', false);
             update postiz.workspaces set plan = 'basic' where id = '{ws}';"
        ))
        .await
        .unwrap();
    let gated = app.call(&owner, "GET", &format!("/workspaces/{ws}/analytics/overview"), None).await;
    assert_eq!(
        (gated.status, gated.body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("analytics_not_in_plan")),
        "{}",
        gated.body
    );
    let features = app.call(&owner, "GET", &format!("/workspaces/{ws}/features"), None).await;
    assert_eq!(features.body["analytics_enabled"], false);
}

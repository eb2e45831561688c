//! The API's Prometheus metrics: each request counted by its route template (never its ids),
//! method and status, and timed; a path that matches no route counts as `unmatched`; served on
//! a listener of its own.
#![allow(clippy::unwrap_used, reason = "test helpers: a broken fixture should panic right there")]

mod common;

use axum::http::StatusCode;
use common::*;

/// The value of the series whose line starts with `series` (name and labels as rendered).
fn value(rendered: &str, series: &str) -> Option<f64> {
    rendered.lines().find(|l| l.starts_with(series)).and_then(|l| l.rsplit(' ').next()).and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn requests_are_counted_and_timed_by_route_template_method_and_status() {
    // One recorder per process: this test binary holds only this test.
    let handle = postiz_api::metrics::install().unwrap();
    let app = TestApp::new().await;
    let owner = app.actor("metrics@example.com").await;
    let ws = app.workspace(&owner, "metrics", "UTC").await;
    let other = app.workspace(&owner, "metrics-2", "UTC").await;
    for w in [ws, other] {
        assert_eq!(app.call(&owner, "GET", &format!("/workspaces/{w}/posts"), None).await.status, StatusCode::OK);
    }
    let stranger = app.actor("stranger@example.com").await;
    assert_eq!(app.call(&stranger, "GET", &format!("/workspaces/{ws}/posts"), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.call(&owner, "GET", "/no/such/route", None).await.status, StatusCode::NOT_FOUND);
    // Any method token a client makes up is one series, not one each.
    for made_up in ["FOO1", "FOO2"] {
        app.call(&owner, made_up, "/no/such/route", None).await;
    }

    // Scraped over HTTP from the metrics listener.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    tokio::spawn(postiz_api::metrics::serve(addr, handle));
    let mut rendered = String::new();
    for _ in 0..50 {
        if let Ok(r) = reqwest::get(format!("http://{addr}/metrics")).await {
            rendered = r.text().await.unwrap();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let route = "/dashboard/postiz/api/workspaces/{ws}/posts";
    let ok = format!("postiz_api_requests_total{{route=\"{route}\",method=\"GET\",status=\"200\"}}");
    assert_eq!(value(&rendered, &ok), Some(2.0), "both workspaces' lists are one series:\n{rendered}");
    let hidden = format!("postiz_api_requests_total{{route=\"{route}\",method=\"GET\",status=\"404\"}}");
    assert_eq!(value(&rendered, &hidden), Some(1.0), "{rendered}");
    assert_eq!(value(&rendered, "postiz_api_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"}"), Some(1.0), "{rendered}");
    let created = "postiz_api_requests_total{route=\"/dashboard/postiz/api/workspaces\",method=\"POST\",status=\"201\"}";
    assert_eq!(value(&rendered, created), Some(2.0), "{rendered}");
    let timed = format!("postiz_api_request_duration_seconds_count{{route=\"{route}\",method=\"GET\"}}");
    assert_eq!(value(&rendered, &timed), Some(3.0), "{rendered}");
    assert!(!rendered.contains(&ws.to_string()), "no id in any label:\n{rendered}");
    assert!(!rendered.contains("FOO1") && !rendered.contains("FOO2"), "{rendered}");
    let other = rendered.lines().filter(|l| l.starts_with("postiz_api_requests_total{route=\"unmatched\",method=\"other\"")).count();
    assert_eq!(other, 1, "made-up methods are counted as other:\n{rendered}");
}

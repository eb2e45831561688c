//! One file per resource.

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub mod accounts;
pub mod activity;
pub mod analytics;
pub mod api_keys;
pub mod approval_state;
pub mod approvals;
pub mod calendar;
pub mod changes;
pub mod comments;
pub mod composer_options;
pub mod connect;
pub mod features;
pub mod health;
pub mod invites;
pub mod media;
pub mod media_alt;
pub mod media_fetch;
pub mod media_fits;
pub mod media_probe;
pub mod media_public;
pub mod media_uploads;
pub mod members;
pub mod networks;
pub mod notifications;
pub mod oauth;
pub mod posts;
pub mod public;
pub mod review_links;
pub mod schedules;
pub mod session;
pub mod tags;
pub mod unconfirmed;
pub mod video_poster;
pub mod video_probe;
pub mod webhooks;
pub mod workspaces;

/// The resource endpoints the UI uses (relative to the API base). Each handler runs its
/// database work in one transaction as `authenticated` with the caller's verified claims.
pub fn resources() -> Router<AppState> {
    Router::new()
        .route("/networks", get(networks::list))
        .route("/validate", post(networks::validate))
        .route("/invites/accept", post(invites::accept))
        .route("/invites/mine", get(invites::mine))
        .route("/invites/{id}/accept", post(invites::accept_by_id))
        .route("/workspaces", get(workspaces::list).post(workspaces::create))
        .route("/workspaces/{ws}", get(workspaces::get).patch(workspaces::update).delete(workspaces::delete))
        .route("/workspaces/{ws}/features", get(features::get))
        .route("/workspaces/{ws}/transfer-ownership", post(members::transfer))
        .route("/workspaces/{ws}/members", get(members::list))
        .route("/workspaces/{ws}/members/{user_id}", axum::routing::patch(members::change_role).delete(members::remove))
        .route("/workspaces/{ws}/invites", get(invites::list).post(invites::create))
        .route("/workspaces/{ws}/invites/{id}", axum::routing::delete(invites::revoke))
        .route("/workspaces/{ws}/accounts", get(accounts::list))
        .route("/workspaces/{ws}/accounts/{id}", get(accounts::get).patch(accounts::update).delete(accounts::delete))
        .route("/workspaces/{ws}/accounts/{id}/next-slot", get(accounts::next_slot))
        .route("/workspaces/{ws}/accounts/{id}/composer-options", get(composer_options::get))
        .route("/workspaces/{ws}/posts", get(posts::list).post(posts::create))
        .route("/workspaces/{ws}/posts/bulk", post(posts::bulk))
        .route("/workspaces/{ws}/posts/{id}", get(posts::get).patch(posts::update).delete(posts::delete))
        .route("/workspaces/{ws}/posts/{id}/duplicate", post(posts::duplicate))
        .route("/workspaces/{ws}/posts/{id}/status", post(posts::set_status))
        .route("/workspaces/{ws}/posts/{id}/schedules", get(schedules::for_post))
        .route("/workspaces/{ws}/posts/{id}/approval", get(approvals::get_post))
        .route("/workspaces/{ws}/posts/{id}/decisions", post(approvals::decide))
        .route("/workspaces/{ws}/approval-policy", get(approvals::get_policy).put(approvals::set_policy))
        .route("/workspaces/{ws}/approval-policy/accounts/{account}", axum::routing::delete(approvals::delete_override))
        .route("/workspaces/{ws}/review-queue", get(approvals::queue))
        .route("/workspaces/{ws}/review-links", get(review_links::list).post(review_links::create))
        .route("/workspaces/{ws}/review-links/{id}/revoke", post(review_links::revoke))
        .route("/review", get(review_links::page))
        .route("/review.js", get(review_links::script))
        .route("/review-link", get(review_links::show))
        .route("/review-link/posts/{id}/decisions", post(review_links::decide))
        .route("/review-link/posts/{id}/comments", post(review_links::comment))
        .route("/workspaces/{ws}/posts/{id}/targets/{target}/resolve", post(unconfirmed::resolve))
        .route("/workspaces/{ws}/posts/{id}/comments", get(comments::list).post(comments::add))
        .route("/workspaces/{ws}/posts/{id}/comments/{comment}", axum::routing::delete(comments::delete))
        .route("/workspaces/{ws}/schedules/{id}", get(schedules::get))
        .route("/workspaces/{ws}/schedules/{id}/cancel", post(schedules::cancel))
        .route("/workspaces/{ws}/tags", get(tags::list).post(tags::create))
        .route("/workspaces/{ws}/tags/{id}", axum::routing::patch(tags::update).delete(tags::delete))
        .route("/workspaces/{ws}/activity", get(activity::list))
        .route("/workspaces/{ws}/notifications", get(notifications::list))
        .route("/workspaces/{ws}/notifications/unread-count", get(notifications::count))
        .route("/workspaces/{ws}/notifications/read-all", post(notifications::mark_all_read))
        .route("/workspaces/{ws}/notifications/{id}/read", post(notifications::mark_read))
        .route("/workspaces/{ws}/notification-preferences", get(notifications::get_preferences).put(notifications::set_preferences))
        .route("/workspaces/{ws}/webhooks", get(webhooks::list).post(webhooks::create))
        .route("/workspaces/{ws}/webhooks/{id}", axum::routing::patch(webhooks::update).delete(webhooks::delete))
        .route("/workspaces/{ws}/webhooks/{id}/deliveries", get(webhooks::deliveries))
        .route("/workspaces/{ws}/webhooks/{id}/deliveries/{delivery}/redeliver", post(webhooks::redeliver))
        .route("/workspaces/{ws}/webhooks/{id}/test", post(webhooks::send_test))
        .route("/workspaces/{ws}/webhooks/{id}/rotate-secret", post(webhooks::rotate_secret))
        .route("/workspaces/{ws}/calendar", get(calendar::get))
        .route("/workspaces/{ws}/changes", get(changes::get))
        .route("/workspaces/{ws}/posts/{id}/analytics", get(analytics::post::get))
        .route("/workspaces/{ws}/analytics/overview", get(analytics::overview::get))
        .route("/workspaces/{ws}/analytics/top-posts", get(analytics::top_posts::get))
        .route("/workspaces/{ws}/analytics/best-time", get(analytics::best_time::get))
        .route("/workspaces/{ws}/analytics/accounts/{id}", get(analytics::account::get))
        .route("/workspaces/{ws}/analytics/tags/{id}", get(analytics::tag::get))
        .route("/workspaces/{ws}/analytics/export", get(analytics::export::get))
}

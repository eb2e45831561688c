//! A person resolves a target the worker could not confirm (`unconfirmed`: the request may or may
//! not have reached the network): "it is on the network" with its URL, or "publish again". The
//! database does both, once (`postiz.resolve_unconfirmed_target`, migration
//! `20261203020100_resolve_unconfirmed_targets.sql`); this checks the URL for the person first.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use url::Url;
use uuid::Uuid;

use super::posts::{self, PostView};
use crate::access::{Role, require_role, user_tx};
use crate::auth::AuthUser;
use crate::checks::Fields;
use crate::input::{Ids, JsonBody};
use crate::{ApiError, AppState};

/// Body of `POST …/targets/{target}/resolve`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case", deny_unknown_fields)]
pub enum Resolve {
    /// The post is on the network, at `url`.
    OnNetwork {
        /// The post's address on the network (http or https).
        url: String,
    },
    /// It is not: publish it again, now.
    PublishAgain,
}

/// Hosts a post of a network with one home lives under (subdomains included); networks not
/// listed (Mastodon and other federated servers) take any host.
fn hosts_of(network: &str) -> &'static [&'static str] {
    match network {
        "x" => &["x.com", "twitter.com"],
        "bluesky" => &["bsky.app"],
        "linkedin" | "linkedin_page" => &["linkedin.com"],
        "facebook" => &["facebook.com", "fb.com"],
        "instagram" => &["instagram.com"],
        "threads" => &["threads.net", "threads.com"],
        "youtube" => &["youtube.com", "youtu.be"],
        "tiktok" => &["tiktok.com"],
        "pinterest" => &["pinterest.com"],
        "reddit" => &["reddit.com"],
        _ => &[],
    }
}

/// The URL's problem, for the person, or `None` when it can be the post on `network`.
fn url_problem(network: &str, network_label: &str, raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Some("paste the post's address on the network".into());
    }
    if raw.chars().count() > 2048 {
        return Some("must be at most 2048 characters".into());
    }
    let Ok(url) = Url::parse(raw) else {
        return Some("is not a web address; paste the post's link, e.g. https://…".into());
    };
    if !matches!(url.scheme(), "https" | "http") {
        return Some("must start with https://".into());
    }
    let Some(host) = url.host_str() else {
        return Some("has no host".into());
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Some("must not carry a user name or password".into());
    }
    let hosts = hosts_of(network);
    let host = host.to_ascii_lowercase();
    if !hosts.is_empty() && !hosts.iter().any(|h| host == *h || host.ends_with(&format!(".{h}"))) {
        return Some(format!("is not a {network_label} address (expected {})", hosts.join(" or ")));
    }
    None
}

/// `POST /workspaces/{ws}/posts/{id}/targets/{target}/resolve` (editor+): `{"outcome":
/// "on_network", "url": "…"}` marks the target published at that URL; `{"outcome":
/// "publish_again"}` queues it once more. 409 `wrong_state` when it is no longer unconfirmed (a
/// second click), 409 `approval_required` when the post needs approval again. Answers the post.
pub async fn resolve(
    State(state): State<AppState>,
    user: AuthUser,
    Ids((ws, id, target)): Ids<(Uuid, Uuid, Uuid)>,
    JsonBody(body): JsonBody<Resolve>,
) -> Result<Json<PostView>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Editor).await?;
    let row = tx
        .query_opt(
            "select a.network from postiz.post_targets t
             join postiz.social_accounts a on a.workspace_id = t.workspace_id and a.id = t.social_account_id
             where t.workspace_id = $1 and t.post_id = $2 and t.id = $3",
            &[&ws, &id, &target],
        )
        .await?
        .ok_or_else(ApiError::not_found)?;
    let network: String = row.get(0);
    let label = network.parse::<postiz_domain::Network>().map_or_else(|_| network.clone(), |n| n.display_name().to_owned());
    let (outcome, url) = match &body {
        Resolve::OnNetwork { url } => {
            let mut fields = Fields::default();
            if let Some(problem) = url_problem(&network, &label, url) {
                fields.push("url", problem);
            }
            fields.finish()?;
            ("on_network", Some(url.trim().to_owned()))
        }
        Resolve::PublishAgain => ("publish_again", None),
    };
    tx.execute("select postiz.resolve_unconfirmed_target($1, $2, $3, $4)", &[&ws, &target, &outcome, &url]).await?;
    let post = posts::load_view(&tx, ws, id).await?.ok_or_else(ApiError::not_found)?;
    tx.commit().await?;
    Ok(Json(post))
}

#[cfg(test)]
mod tests {
    use super::url_problem;

    #[test]
    fn urls_are_checked_for_the_network() {
        assert_eq!(url_problem("bluesky", "Bluesky", "https://bsky.app/profile/a.bsky.social/post/3k"), None);
        assert_eq!(url_problem("x", "X", "https://www.x.com/a/status/1"), None, "subdomains of the network's host");
        assert_eq!(url_problem("mastodon", "Mastodon", "https://social.example/@a/1"), None, "federated: any host");
        assert_eq!(
            url_problem("x", "X", "https://evil.example/x.com").as_deref(),
            Some("is not a X address (expected x.com or twitter.com)")
        );
        assert_eq!(url_problem("x", "X", "https://notx.com/a").as_deref(), Some("is not a X address (expected x.com or twitter.com)"));
        assert_eq!(url_problem("mastodon", "Mastodon", "javascript:alert(1)").as_deref(), Some("must start with https://"));
        assert_eq!(url_problem("mastodon", "Mastodon", "  ").as_deref(), Some("paste the post's address on the network"));
        assert_eq!(
            url_problem("mastodon", "Mastodon", "https://u:p@social.example/1").as_deref(),
            Some("must not carry a user name or password")
        );
        assert!(url_problem("mastodon", "Mastodon", "not a url").is_some());
    }
}

//! The operator's `[private_servers] allow` list decides which private servers users may
//! connect: a PDS on loopback is refused by default with the sentence the form shows, connected
//! once its network (or its name and network) is listed, and refused when a listed name
//! resolves to an address outside the listed networks. The connect guard and the adapter's own
//! client are built from the same list, as the binaries do.

mod common;
mod connect_support;

use std::sync::Arc;

use connect_support::*;
use postiz_oauth::OAuthClients;
use postiz_providers::bluesky::BlueskyProvider;
use postiz_providers::http::PrivateAllowList;
use postiz_providers::{HttpClient, HttpSettings, Registry};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A PDS on loopback that accepts one app password (shapes:
/// https://docs.bsky.app/docs/api/com-atproto-server-create-session).
async fn pds() -> MockServer {
    let pds = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/xrpc/com.atproto.server.createSession"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"did": "did:plc:intranet", "handle": "ann.intranet.test", "accessJwt": "a1", "refreshJwt": "r1"})),
        )
        .mount(&pds)
        .await;
    pds
}

/// Connects `server_url` through the credentials form with every client built from `entries`.
async fn connect(entries: &[&str], server_url: &str) -> (u16, Value) {
    let allow = PrivateAllowList::parse(entries).expect("entries");
    let http = || HttpClient::new(HttpSettings { private_allow: allow.clone(), ..HttpSettings::for_tests() }).expect("client");
    // The default server stays bsky.social: the typed address is the user's own.
    let app = ConnectApp::with_guard(Registry::new().with(Arc::new(BlueskyProvider::new(http()))), OAuthClients::new(), http()).await;
    app.post(
        &app.owner,
        "/connect/bluesky/credentials",
        json!({"workspace_id": app.workspace, "identifier": "ann.intranet.test", "password": "app-pass", "server_url": server_url}),
    )
    .await
}

fn refusal(body: &Value) -> (String, String) {
    let field = &body["error"]["fields"][0];
    (field["field"].as_str().unwrap_or_default().to_owned(), field["message"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn a_loopback_pds_is_refused_until_the_operator_lists_it() {
    let pds = pds().await;
    let port = pds.address().port();
    let by_address = format!("http://127.0.0.1:{port}");
    let by_name = format!("http://localhost:{port}");

    let (status, body) = connect(&[], &by_address).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(refusal(&body), ("server_url".into(), "this server is not reachable from the internet".into()), "{body}");

    let (status, body) = connect(&["127.0.0.0/8"], &by_address).await;
    assert_eq!(status, 200, "the listed network connects: {body}");
    assert_eq!(body["account"]["external_id"], "did:plc:intranet");

    let (status, body) = connect(&["127.0.0.1"], &by_name).await;
    assert_eq!(status, 422, "localhost needs its name listed: {body}");
    assert_eq!(refusal(&body).1, "this server is not reachable from the internet");

    let (status, body) = connect(&["localhost"], &by_name).await;
    assert_eq!(status, 422, "a listed name resolving to an unlisted private address: {body}");
    assert_eq!(refusal(&body).1, "this server is not reachable from the internet");

    let (status, body) = connect(&["localhost", "127.0.0.0/8", "::1/128"], &by_name).await;
    assert_eq!(status, 200, "name and addresses listed: {body}");
}

#[tokio::test]
async fn an_unlisted_private_network_stays_closed_when_another_is_listed() {
    let pds = pds().await;
    let (status, body) = connect(&["10.0.0.0/8", "pds.intranet.example"], &format!("http://127.0.0.1:{}", pds.address().port())).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(refusal(&body), ("server_url".into(), "this server is not reachable from the internet".into()));
}

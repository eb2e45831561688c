//! How an invitee hears of an invitation: Supabase Auth's invite email for an address without an
//! account (Auth faked with wiremock, answering with the shapes of `POST /auth/v1/invite`), the
//! module's own list for an address with one, and the code otherwise. Auth refusing or not
//! answering never loses the invitation, and nothing is asked of Auth twice.
#![allow(clippy::unwrap_used, reason = "test helpers: a broken fixture should panic right there")]

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::http::StatusCode;
use common::*;
use postiz_api::auth::InviteEmails;
use secrecy::SecretString;
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SERVICE_KEY: &str = "service-role-key-for-tests";
const LANDING: &str = "https://host.example/dashboard/postiz/invite";

/// The test app with invite emails sent through the fake Auth at `auth`.
async fn app_with_auth(auth: &MockServer, timeout: Duration) -> TestApp {
    let mut app = TestApp::new().await;
    let emails = InviteEmails::new(&auth.uri(), SecretString::from(SERVICE_KEY), url::Url::parse(LANDING).unwrap(), timeout).unwrap();
    app.router = app.router.layer(Extension(Arc::new(emails)));
    app
}

/// `POST /auth/v1/invite`'s answer: the invited (not yet confirmed) user.
fn invited_user(email: &str) -> Value {
    json!({
        "id": "0b8f3c2e-8a7d-4a39-9a0e-3f1f5e0c2a11", "aud": "authenticated", "role": "authenticated",
        "email": email, "phone": "", "invited_at": "2026-12-03T08:00:00.000000Z",
        "confirmation_sent_at": "2026-12-03T08:00:00.000000Z",
        "app_metadata": {"provider": "email", "providers": ["email"]},
        "user_metadata": {"invited_to_workspace": "acme"}, "identities": [],
        "created_at": "2026-12-03T08:00:00.000000Z", "updated_at": "2026-12-03T08:00:00.000000Z", "is_anonymous": false
    })
}

/// Auth answers `answer` to exactly one invite request for `email`.
async fn answer_invite_once(auth: &MockServer, email: &str, answer: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path("/auth/v1/invite"))
        .and(body_partial_json(json!({"email": email})))
        .respond_with(answer)
        .expect(1)
        .mount(auth)
        .await;
}

fn auth_error(status: u16, code: &str, msg: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({"code": status, "error_code": code, "msg": msg}))
}

async fn invite(app: &TestApp, owner: &Actor, ws: uuid::Uuid, email: &str) -> common::Answer {
    app.call(owner, "POST", &format!("/workspaces/{ws}/invites"), Some(json!({"email": email, "role": "editor"}))).await
}

#[tokio::test]
async fn an_address_without_an_account_gets_one_invite_email_from_auth_that_lands_on_the_acceptance_screen() {
    let auth = MockServer::start().await;
    let app = app_with_auth(&auth, Duration::from_secs(5)).await;
    let owner = app.actor("owner@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await;
    Mock::given(method("POST"))
        .and(path("/auth/v1/invite"))
        .and(header("apikey", SERVICE_KEY))
        .and(header("authorization", format!("Bearer {SERVICE_KEY}").as_str()))
        .and(body_partial_json(json!({"email": "newbie@example.com"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(invited_user("newbie@example.com")))
        .expect(1)
        .mount(&auth)
        .await;

    let created = invite(&app, &owner, ws, "newbie@example.com").await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["invite"]["delivery"], "auth_email");
    assert_eq!(created.body["invite"]["email_status"], "sent");
    let token = created.body["token"].as_str().unwrap().to_owned();

    // The email's link lands on the module's acceptance screen with this invitation's token.
    let requests = auth.received_requests().await.unwrap();
    let redirect = requests[0].url.query_pairs().find(|(k, _)| k == "redirect_to").map(|(_, v)| v.into_owned()).unwrap();
    assert_eq!(redirect, format!("{LANDING}?invite={token}"));
    assert!(!String::from_utf8_lossy(&requests[0].body).contains(&token), "the token travels only in the redirect");

    // The listed invitation says the same; asking to invite again is a conflict, not a second email.
    let list = app.call(&owner, "GET", &format!("/workspaces/{ws}/invites"), None).await;
    assert_eq!(list.body[0]["email_status"], "sent", "{}", list.body);
    assert_eq!(invite(&app, &owner, ws, "newbie@example.com").await.status, StatusCode::CONFLICT);

    // The invitee followed the link: Auth confirmed the address; the token joins them.
    let newbie = app.actor("newbie@example.com").await;
    let joined = app.call(&newbie, "POST", "/invites/accept", Some(json!({"token": token}))).await;
    assert_eq!(joined.status, StatusCode::OK, "{}", joined.body);
    assert_eq!(joined.body["role"], "editor");
}

#[tokio::test]
async fn an_address_with_an_account_sees_the_invitation_in_the_module_and_joins_with_one_click() {
    let auth = MockServer::start().await;
    let app = app_with_auth(&auth, Duration::from_secs(5)).await;
    let owner = app.actor("owner@example.com").await;
    let member = app.actor("known@example.com").await;
    let stranger = app.actor("stranger@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await;
    Mock::given(method("POST")).and(path("/auth/v1/invite")).respond_with(ResponseTemplate::new(200)).expect(0).mount(&auth).await;

    let created = invite(&app, &owner, ws, "Known@Example.com").await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["invite"]["delivery"], "in_app");
    assert!(created.body["invite"]["email_status"].is_null());

    let mine = app.call(&member, "GET", "/invites/mine", None).await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
    assert_eq!(mine.body.as_array().unwrap().len(), 1, "{}", mine.body);
    assert_eq!(mine.body[0]["workspace_name"], "acme");
    assert_eq!(mine.body[0]["role"], "editor");
    let id = mine.body[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(app.call(&stranger, "GET", "/invites/mine", None).await.body.as_array().unwrap().len(), 0, "addressed to someone else");

    let not_theirs = app.call(&stranger, "POST", &format!("/invites/{id}/accept"), None).await;
    assert_eq!(not_theirs.status, StatusCode::FORBIDDEN, "{}", not_theirs.body);
    assert_eq!(not_theirs.body["error"]["code"], "invite_for_another_address");
    assert!(not_theirs.body["error"]["message"].as_str().unwrap().contains("another email address"));

    let joined = app.call(&member, "POST", &format!("/invites/{id}/accept"), None).await;
    assert_eq!(joined.status, StatusCode::OK, "{}", joined.body);
    assert_eq!(joined.body["workspace_id"], ws.to_string());
    assert_eq!(app.call(&member, "GET", "/invites/mine", None).await.body.as_array().unwrap().len(), 0);
    let again = app.call(&member, "POST", &format!("/invites/{id}/accept"), None).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", again.body);
    assert!(again.body["error"]["message"].as_str().unwrap().contains("already used"), "{}", again.body);
}

#[tokio::test]
async fn auth_refusing_keeps_the_invitation_and_its_code_and_says_why() {
    let auth = MockServer::start().await;
    let app = app_with_auth(&auth, Duration::from_secs(5)).await;
    let owner = app.actor("owner@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await;
    answer_invite_once(&auth, "limited@example.com", auth_error(429, "over_email_send_rate_limit", "email rate limit exceeded")).await;
    answer_invite_once(&auth, "down@example.com", auth_error(500, "unexpected_failure", "Error sending invite email")).await;
    // Registered between the check and the request: shown in the module instead.
    answer_invite_once(
        &auth,
        "raced@example.com",
        auth_error(422, "email_exists", "A user with this email address has already been registered"),
    )
    .await;

    // A service key without admin rights (the anon key pasted by mistake).
    answer_invite_once(&auth, "keyless@example.com", auth_error(403, "not_admin", "User not allowed")).await;

    let keyless = invite(&app, &owner, ws, "keyless@example.com").await;
    assert_eq!(keyless.body["invite"]["email_status"], "refused");
    assert!(keyless.body["invite"]["email_error"].as_str().unwrap().contains("refused the module's service key"), "{}", keyless.body);

    let limited = invite(&app, &owner, ws, "limited@example.com").await;
    assert_eq!(limited.status, StatusCode::CREATED, "{}", limited.body);
    assert_eq!(limited.body["invite"]["email_status"], "refused");
    assert!(limited.body["invite"]["email_error"].as_str().unwrap().contains("rate limit"), "{}", limited.body);
    assert_eq!(limited.body["token"].as_str().unwrap().len(), 64, "the code is still there to pass on");

    let down = invite(&app, &owner, ws, "down@example.com").await;
    assert_eq!(down.body["invite"]["email_status"], "refused");
    assert!(down.body["invite"]["email_error"].as_str().unwrap().contains("failed (500)"), "{}", down.body);
    assert!(!down.body.to_string().contains(SERVICE_KEY));

    let raced = invite(&app, &owner, ws, "raced@example.com").await;
    assert_eq!(raced.body["invite"]["delivery"], "in_app", "{}", raced.body);
    assert!(raced.body["invite"]["email_status"].is_null());

    assert_eq!(app.count("select count(*) from postiz.workspace_invites").await, 4, "no invitation lost");
    // The code of a refused email still joins the invitee.
    let limited_user = app.actor("limited@example.com").await;
    let token = limited.body["token"].as_str().unwrap();
    assert_eq!(app.call(&limited_user, "POST", "/invites/accept", Some(json!({"token": token}))).await.status, StatusCode::OK);
}

#[tokio::test]
async fn an_auth_that_does_not_answer_leaves_the_email_asked_and_never_asks_again_by_itself() {
    let auth = MockServer::start().await;
    let app = app_with_auth(&auth, Duration::from_millis(300)).await;
    let owner = app.actor("owner@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await;
    Mock::given(method("POST"))
        .and(path("/auth/v1/invite"))
        .respond_with(ResponseTemplate::new(200).set_body_json(invited_user("slow@example.com")).set_delay(Duration::from_secs(3)))
        .expect(1)
        .mount(&auth)
        .await;
    let created = invite(&app, &owner, ws, "slow@example.com").await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["invite"]["email_status"], "asked", "it may have been sent: {}", created.body);
    assert_eq!(
        app.count("select count(*) from postiz.workspace_invites where email_requested_at is not null and email_sent_at is null and email_error is null")
            .await,
        1
    );
}

#[tokio::test]
async fn without_the_service_role_key_invitees_get_the_code_and_auth_is_never_asked() {
    let app = TestApp::new().await;
    let owner = app.actor("owner@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await;
    let created = invite(&app, &owner, ws, "nobody@example.com").await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["invite"]["delivery"], "code");
    assert!(created.body["invite"]["email_status"].is_null());
    let bad = app.call(&owner, "POST", &format!("/workspaces/{ws}/invites"), Some(json!({"email": "not an address"}))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["error"]["fields"][0]["field"], "email");
    assert!(bad.body["error"]["fields"][0]["message"].as_str().unwrap().starts_with("Email must be"), "{}", bad.body);
}

#[tokio::test]
async fn a_user_auth_invited_before_who_never_confirmed_gets_auth_email_not_the_in_app_list() {
    let auth = MockServer::start().await;
    let app = app_with_auth(&auth, Duration::from_secs(5)).await;
    let owner = app.actor("owner@example.com").await;
    let ws = app.workspace(&owner, "acme", "UTC").await;
    // Another workspace's invite email made this user; they have not followed its link yet.
    app.db.create_user("pending@example.com").await;
    app.db
        .superuser()
        .await
        .execute("update auth.users set email_confirmed_at = null where email = 'pending@example.com'", &[])
        .await
        .unwrap();
    Mock::given(method("POST"))
        .and(path("/auth/v1/invite"))
        .respond_with(ResponseTemplate::new(200).set_body_json(invited_user("pending@example.com")))
        .expect(1)
        .mount(&auth)
        .await;
    let created = invite(&app, &owner, ws, "pending@example.com").await;
    assert_eq!(created.body["invite"]["delivery"], "auth_email", "{}", created.body);
    assert_eq!(created.body["invite"]["email_status"], "sent");
}

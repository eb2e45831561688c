//! The demo host standing in for Supabase Auth at `{SUPABASE_URL}/auth/v1`, for the parts the
//! module asks about: `GET /user` (does this session still stand?), `GET /health`, `POST /invite`
//! (email an invitation; the email lands in `/mailbox`) and `GET /verify` (the invite email's
//! link: confirms the address, signs the invitee in, lands on the redirect). Answers have the
//! shapes and error codes of Supabase Auth's API, so the module's client code that talks to a
//! real project talks to this one unchanged.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth_store::{Invited, SessionRefusal};
use crate::mailbox::Mail;
use crate::{Host, local_next, with_cookies};

/// Supabase Auth's error body.
fn refusal(status: StatusCode, error_code: &str, msg: &str) -> Response {
    (status, Json(json!({ "code": status.as_u16(), "error_code": error_code, "msg": msg }))).into_response()
}

fn unavailable(e: &anyhow::Error) -> Response {
    tracing::error!(error = %format!("{e:#}"), "auth stand-in: the auth schema could not be read");
    refusal(StatusCode::INTERNAL_SERVER_ERROR, "unexpected_failure", "Database error")
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim).filter(|t| !t.is_empty())
}

/// The role of the project API key in `apikey` (what Supabase's gateway checks first).
fn api_key_role(host: &Host, headers: &HeaderMap) -> Option<String> {
    headers.get("apikey").and_then(|v| v.to_str().ok()).and_then(|k| host.issuer.api_key_role(k))
}

/// The gateway's answer without a valid `apikey`.
fn invalid_api_key() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({ "message": "Invalid API key", "hint": "Double check your Supabase `anon` or `service_role` API key." })),
    )
        .into_response()
}

/// `GET /auth/v1/health`.
pub async fn health() -> Json<Value> {
    Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "name": "GoTrue",
        "description": "The demo host standing in for Supabase Auth",
    }))
}

/// `GET /auth/v1/user`: the signed-in user, if the bearer token's session still stands.
pub async fn user(State(host): State<Host>, headers: HeaderMap) -> Response {
    if api_key_role(&host, &headers).is_none() {
        return invalid_api_key();
    }
    let Some(token) = bearer(&headers) else {
        return refusal(StatusCode::UNAUTHORIZED, "no_authorization", "This endpoint requires a valid Bearer token");
    };
    let Some((user, session)) = host.issuer.access(token) else {
        return refusal(StatusCode::FORBIDDEN, "bad_jwt", "invalid JWT: unable to parse or verify signature, token is expired");
    };
    match host.store.session_user(session, user).await {
        Ok(Ok(standing)) => Json(standing.json).into_response(),
        Ok(Err(SessionRefusal::NotFound)) => {
            refusal(StatusCode::FORBIDDEN, "session_not_found", "Session from session_id claim in JWT does not exist")
        }
        Ok(Err(SessionRefusal::Banned)) => refusal(StatusCode::FORBIDDEN, "user_banned", "User is banned"),
        Err(e) => unavailable(&e),
    }
}

#[derive(Deserialize)]
pub struct InviteQuery {
    redirect_to: Option<String>,
}

#[derive(Deserialize)]
pub struct InviteBody {
    email: String,
    #[serde(default)]
    data: Option<Value>,
}

/// `POST /auth/v1/invite?redirect_to=…` (service-role key): creates the invited user and emails
/// them a link that signs them in and lands on `redirect_to`.
pub async fn invite(
    State(host): State<Host>,
    Query(q): Query<InviteQuery>,
    headers: HeaderMap,
    body: Result<Json<InviteBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    match api_key_role(&host, &headers) {
        None => return invalid_api_key(),
        Some(role) if role != "service_role" => return refusal(StatusCode::FORBIDDEN, "not_admin", "User not allowed"),
        Some(_) => {}
    }
    if bearer(&headers).and_then(|t| host.issuer.api_key_role(t)).as_deref() != Some("service_role") {
        return refusal(StatusCode::FORBIDDEN, "not_admin", "User not allowed");
    }
    let Ok(Json(body)) = body else {
        return refusal(StatusCode::BAD_REQUEST, "bad_json", "Could not parse request body as JSON");
    };
    let email = body.email.trim();
    let plausible = email.split_once('@').is_some_and(|(a, b)| !a.is_empty() && b.contains('.') && !email.contains(char::is_whitespace));
    if !plausible {
        return refusal(StatusCode::BAD_REQUEST, "validation_failed", "Unable to validate email address: invalid format");
    }
    let data = body.data.filter(Value::is_object).unwrap_or_else(|| json!({}));
    let (id, user) = match host.store.invite(email, &data).await {
        Ok(Invited::User { id, json }) => (id, json),
        Ok(Invited::Exists) => {
            return refusal(StatusCode::UNPROCESSABLE_ENTITY, "email_exists", "A user with this email address has already been registered");
        }
        Err(e) => return unavailable(&e),
    };
    let token = match host.issuer.invite_token(id) {
        Ok(t) => t,
        Err(e) => return unavailable(&e),
    };
    // Auth sends invitees only to allowed redirect URLs, else to the site URL: here, this host.
    let landing = q.redirect_to.as_deref().and_then(|r| own_path(&host, r)).unwrap_or_else(|| "/dashboard".into());
    let mut link = url::Url::parse(&format!("{}/auth/v1/verify", host.origin)).expect("the host's origin is a URL");
    link.query_pairs_mut().append_pair("token", &token).append_pair("type", "invite").append_pair("redirect_to", &landing);
    let workspace = data["invited_to_workspace"].as_str().unwrap_or("a workspace");
    host.mailbox.deliver(Mail {
        to: email.to_owned(),
        subject: "You have been invited".into(),
        text: format!("You have been invited to {workspace}. Follow this link to accept the invite:"),
        link: link.into(),
        sent_at: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
    });
    tracing::info!("auth stand-in: an invite email was delivered to /mailbox");
    Json(user).into_response()
}

/// The path (and query) of `url` when it is on this host, checked like every redirect here.
fn own_path(host: &Host, url: &str) -> Option<String> {
    let rest = url.strip_prefix(host.origin.as_str()).unwrap_or(url);
    local_next(rest)
}

#[derive(Deserialize)]
pub struct VerifyQuery {
    token: String,
    #[serde(rename = "type")]
    kind: String,
    redirect_to: Option<String>,
}

/// `GET /auth/v1/verify?token=…&type=invite&redirect_to=…`: the invite email's link. Confirms the
/// address, starts a session (the host's cookie), and lands on `redirect_to`. A link used before,
/// expired, or not ours lands on the sign-in page, which says so.
pub async fn verify(State(host): State<Host>, Query(q): Query<VerifyQuery>) -> Response {
    let invited = if q.kind == "invite" { host.issuer.invite_user(&q.token) } else { None };
    let accepted = match invited {
        Some(id) => match host.store.accept_invite(id).await {
            Ok(a) => a,
            Err(e) => return unavailable(&e),
        },
        None => None,
    };
    let Some((user, session_id)) = accepted else {
        return Redirect::to("/login?error=invite_link").into_response();
    };
    match host.issuer.session(&user, session_id) {
        Ok((_, session)) => {
            let next = q.redirect_to.as_deref().and_then(|r| own_path(&host, r)).unwrap_or_else(|| crate::DEFAULT_NEXT.to_owned());
            with_cookies(Redirect::to(&next).into_response(), host.issuer.set_cookies(&session))
        }
        Err(e) => unavailable(&e),
    }
}

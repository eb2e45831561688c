//! OAuth2 connect flows: start (authorization URL with PKCE S256 and a single-use state), the
//! callback (code exchange, account info, store — or the choices of a second step), and the
//! completion of a second step.
//!
//! The state is 32 random bytes sent to the network; the database keeps only its SHA-256, bound
//! to the user, workspace, network and redirect URI, with an expiry. The callback consumes it in
//! one `update … where used_at is null and user_id = caller and network = path`, so it works
//! once, for the user who started the flow, for that network, before it expires. The network's
//! redirect lands on a page of the host UI, which posts `code` and `state` here with the user's
//! session.

use axum::Json;
use axum::extract::{Path, State};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use postiz_domain::Network;
use postiz_oauth::grant::{Endpoints, GrantError, Pkce, authorize_url, exchange_code};
use postiz_oauth::store::{instance_app, save_instance_app};
use postiz_providers::{AccountRef, ClientRegistration, Connection, OAuthClient, Provider, ProviderError, TokenSet};
use postiz_vault::{Binding, Field, Sealed};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use url::Url;
use uuid::Uuid;

use super::connect::{
    Connect, ConnectOutcome, ConnectState, TargetChoice, connected, connection_for, provider_error, provider_for, require_admin,
    store_connection, store_error, user_server,
};
use crate::auth::AuthUser;
use crate::extract::ConfirmedUser;
use crate::{ApiError, AppState, FieldError};

/// Body of `POST /connect/{network}/start`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartBody {
    /// The workspace to connect into.
    pub workspace_id: Uuid,
    /// The user's server, for instance networks (Mastodon): `mastodon.social` or a URL.
    pub server_url: Option<String>,
}

/// Answer of `POST /connect/{network}/start`.
#[derive(Debug, Serialize)]
pub struct Started {
    /// Send the browser here.
    pub authorization_url: String,
    /// The flow must finish before this.
    pub expires_at: DateTime<Utc>,
}

/// Body of `POST /connect/{network}/callback`: the query parameters the network appended.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackBody {
    /// `state` as sent back.
    pub state: String,
    /// The authorization code (absent when the user declined).
    pub code: Option<SecretString>,
    /// `error`, when the network reports one (e.g. `access_denied`).
    pub error: Option<String>,
    /// `error_description`.
    pub error_description: Option<String>,
    /// `iss` (RFC 9207), ignored.
    pub iss: Option<String>,
}

impl std::fmt::Debug for CallbackBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackBody").field("error", &self.error).finish_non_exhaustive()
    }
}

/// Body of `POST /connect/pending/{id}/complete`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompleteBody {
    /// The chosen target's id.
    pub target_id: String,
}

/// The login behind a pending connection, as stored (`AccountInfo` as JSON).
#[derive(Deserialize)]
struct LoginInfo {
    id: String,
    handle: Option<String>,
    name: Option<String>,
    avatar: Option<String>,
    server: Option<String>,
}

fn hash_state(state: &str) -> Vec<u8> {
    Sha256::digest(state.as_bytes()).to_vec()
}

fn new_state() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Where to run the grant for this network: its own endpoints with the operator's client, or
/// (instance networks) the client registered on the user's server, registered now if needed.
async fn endpoints_for(
    connect: &ConnectState,
    network: Network,
    provider: &dyn Provider,
    server: Option<&Url>,
) -> Result<(Endpoints, OAuthClient, Option<(Uuid, ClientRegistration)>), ApiError> {
    match provider.connection() {
        Connection::OAuth2(spec) => {
            let client = connect.clients.get(network).cloned().ok_or_else(|| {
                ApiError::unavailable(format!(
                    "{network} is not set up on this server: add [oauth.clients.{0}] client_id and POSTIZ_OAUTH_{1}_CLIENT_SECRET",
                    network.as_str(),
                    network.as_str().to_ascii_uppercase()
                ))
            })?;
            Ok((Endpoints::from_spec(&spec), client, None))
        }
        Connection::InstanceUrl { .. } => {
            let server = server.ok_or_else(|| {
                ApiError::validation(vec![FieldError {
                    field: "server_url".into(),
                    message: "the address of your server, e.g. mastodon.social".into(),
                }])
            })?;
            let (id, registration) = instance_registration(connect, network, provider, server).await?;
            Ok((Endpoints::from_registration(&registration), registration.client.clone(), Some((id, registration))))
        }
        _ => Err(ApiError::bad_request(
            "use_credentials",
            format!("{network} connects through POST /connect/{}/credentials", network.as_str()),
        )),
    }
}

/// The cached client registration on `server`, or a new one (registered once per server and
/// redirect URI, then shared by every account there).
async fn instance_registration(
    connect: &ConnectState,
    network: Network,
    provider: &dyn Provider,
    server: &Url,
) -> Result<(Uuid, ClientRegistration), ApiError> {
    let server_key = server.as_str().trim_end_matches('/').to_owned();
    let redirect = connect.redirect_url.as_str();
    let client = connect.service_pool.get().await?;
    if let Some(found) = instance_app(&**client, &connect.keyring, network, &server_key, redirect).await.map_err(store_error)? {
        return Ok(found);
    }
    let registration = provider.register_client(server, &connect.redirect_url, &connect.client_name).await.map_err(provider_error)?;
    connect.guard.check_user_url(network, &registration.token_url).await.map_err(provider_error)?;
    let saved = save_instance_app(&**client, &connect.keyring, network, &server_key, redirect, &registration).await.map_err(store_error)?;
    tracing::info!(network = %network, server = %server_key, "registered an OAuth client on the instance");
    Ok(saved)
}

/// `POST /connect/{network}/start`: the authorization URL to send the browser to.
pub async fn start(
    State(state): State<AppState>,
    Connect(connect): Connect,
    ConfirmedUser(user): ConfirmedUser,
    Path(network): Path<String>,
    Json(body): Json<StartBody>,
) -> Result<Json<Started>, ApiError> {
    let (network, provider) = provider_for(&connect, &network)?;
    require_admin(&state, &user, body.workspace_id).await?;
    let server = match body.server_url.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(raw) => Some(user_server(&connect, network, "server_url", raw).await?),
        None => None,
    };
    let (endpoints, client, _) = endpoints_for(&connect, network, provider.as_ref(), server.as_ref()).await?;

    let state_value = new_state();
    let pkce = endpoints.pkce.then(Pkce::new);
    let id = Uuid::new_v4();
    let sealed = pkce.as_ref().map(|p| {
        connect
            .keyring
            .encrypt(&p.verifier, &Binding { workspace_id: body.workspace_id, social_account_id: id, field: Field::PkceVerifier })
    });
    let ttl = connect.state_ttl.as_secs_f64();
    let db = connect.service_pool.get().await?;
    let expires_at: DateTime<Utc> = db
        .query_one(
            "insert into postiz.oauth_states
               (id, state_hash, user_id, workspace_id, network, redirect_uri, server_url, pkce_key_id, pkce_nonce, pkce_ciphertext, expires_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now() + make_interval(secs => $11::double precision))
             returning expires_at",
            &[
                &id,
                &hash_state(&state_value),
                &user.id,
                &body.workspace_id,
                &network.as_str(),
                &connect.redirect_url.as_str(),
                &server.as_ref().map(|s| s.as_str().trim_end_matches('/').to_owned()),
                &sealed.as_ref().map(|s| s.key_id.clone()),
                &sealed.as_ref().map(|s| s.nonce.clone()),
                &sealed.as_ref().map(|s| s.ciphertext.clone()),
                &ttl,
            ],
        )
        .await?
        .get(0);
    // Expired flows are of no use to anyone: sweep this user's now and then.
    db.execute("delete from postiz.oauth_states where user_id = $1 and expires_at < now() - interval '1 day'", &[&user.id]).await?;
    let url = authorize_url(&endpoints, &client, &connect.redirect_url, &state_value, pkce.as_ref());
    tracing::info!(network = %network, workspace.id = %body.workspace_id, "connect flow started");
    Ok(Json(Started { authorization_url: url.to_string(), expires_at }))
}

/// A consumed state.
struct Flow {
    id: Uuid,
    workspace_id: Uuid,
    redirect_uri: Url,
    server: Option<Url>,
    pkce: Option<Sealed>,
}

/// Uses the state once, for this user and network, before it expires; otherwise says why not.
async fn consume_state(connect: &ConnectState, user: &AuthUser, network: Network, state: &str) -> Result<Flow, ApiError> {
    let hash = hash_state(state);
    let db = connect.service_pool.get().await?;
    let row = db
        .query_opt(
            "update postiz.oauth_states set used_at = now()
             where state_hash = $1 and user_id = $2 and network = $3 and used_at is null and expires_at > now()
             returning id, workspace_id, redirect_uri, server_url, pkce_key_id, pkce_nonce, pkce_ciphertext",
            &[&hash, &user.id, &network.as_str()],
        )
        .await?;
    let Some(r) = row else {
        let why = db
            .query_opt(
                "select used_at is not null, expires_at <= now() from postiz.oauth_states where state_hash = $1 and user_id = $2 and network = $3",
                &[&hash, &user.id, &network.as_str()],
            )
            .await?;
        tracing::warn!(network = %network, "OAuth callback with an unusable state");
        return Err(match why.map(|w| (w.get::<_, bool>(0), w.get::<_, bool>(1))) {
            Some((true, _)) => ApiError::bad_request(
                "oauth_state_used",
                "This connection attempt was already completed; start again to connect another account.",
            ),
            Some((false, true)) => {
                ApiError::bad_request("oauth_state_expired", "This connection attempt took too long and expired; start again.")
            }
            // Unknown, another user's, or another network's: the same answer for all three.
            _ => ApiError::bad_request("oauth_state_invalid", "This connection attempt is not known for your session; start again."),
        });
    };
    let pkce = Sealed::from_columns(r.get(4), r.get(5), r.get(6));
    Ok(Flow {
        id: r.get(0),
        workspace_id: r.get(1),
        redirect_uri: Url::parse(&r.get::<_, String>(2)).map_err(|e| ApiError::internal(&e))?,
        server: r.get::<_, Option<String>>(3).and_then(|s| Url::parse(&s).ok()),
        pkce,
    })
}

fn grant_error(e: GrantError) -> ApiError {
    tracing::warn!(error = %e, "authorization code exchange failed");
    match e {
        GrantError::InvalidGrant { .. } => ApiError::bad_request(
            "oauth_code_rejected",
            "The network refused the authorization (expired, already used or not issued for this attempt); start again.",
        ),
        GrantError::Transient(_) => ApiError::unavailable("The network's sign-in service is not answering; try again shortly."),
        GrantError::InvalidClient { .. } => {
            ApiError::unavailable("This network's OAuth app is misconfigured on this server; tell the operator.")
        }
        other => ApiError::bad_request("oauth_exchange_failed", other.to_string()),
    }
}

/// `POST /connect/{network}/callback`: finishes the flow the state names.
pub async fn callback(
    State(state): State<AppState>,
    Connect(connect): Connect,
    user: AuthUser,
    Path(network): Path<String>,
    Json(body): Json<CallbackBody>,
) -> Result<Json<ConnectOutcome>, ApiError> {
    let (network, provider) = provider_for(&connect, &network)?;
    let flow = consume_state(&connect, &user, network, &body.state).await?;
    if let Some(error) = body.error {
        let detail = body.error_description.map(|d| format!(": {d}")).unwrap_or_default();
        return Err(ApiError::bad_request("oauth_denied", format!("The network did not authorize the connection ({error}{detail}).")));
    }
    let code = body.code.ok_or_else(|| ApiError::validation(vec![FieldError { field: "code".into(), message: "missing".into() }]))?;
    // Roles may have changed while the user was at the network.
    require_admin(&state, &user, flow.workspace_id).await?;
    let verifier = match &flow.pkce {
        Some(sealed) => Some(
            connect
                .keyring
                .decrypt(sealed, &Binding { workspace_id: flow.workspace_id, social_account_id: flow.id, field: Field::PkceVerifier })
                .map_err(|e| ApiError::internal(&e))?,
        ),
        None => None,
    };
    let (endpoints, client, registration) = endpoints_for(&connect, network, provider.as_ref(), flow.server.as_ref()).await?;
    let tokens = match provider.exchange_code(&client, &code, &flow.redirect_uri, verifier.as_ref()).await {
        Ok(tokens) => tokens,
        Err(ProviderError::NotSupported { .. }) => {
            exchange_code(&connect.http, &endpoints, &client, &flow.redirect_uri, &code, verifier.as_ref()).await.map_err(grant_error)?
        }
        Err(e) => return Err(provider_error(e)),
    };
    let tokens = provider.after_code_exchange(&client, tokens).await.map_err(provider_error)?;
    let info = provider.account_info(&tokens.access_token, flow.server.as_ref()).await.map_err(provider_error)?;
    if info.id.is_empty() {
        return Err(ApiError::bad_request("network_refused", "the network did not say which account this is"));
    }
    let instance_app_id = registration.as_ref().map(|(id, _)| *id);

    if provider.capabilities().targets {
        let account = AccountRef { id: info.id.clone(), handle: info.handle.clone(), server: flow.server.clone() };
        let targets: Vec<TargetChoice> = provider
            .list_targets(&tokens.access_token, &account)
            .await
            .map_err(provider_error)?
            .into_iter()
            .map(|t| TargetChoice { id: t.id, name: t.name, kind: t.kind })
            .collect();
        if targets.is_empty() {
            return Err(ApiError::bad_request(
                "no_targets",
                format!("This {network} login has nothing you can post to (no pages or channels you manage)."),
            ));
        }
        return hold_for_choice(&connect, &user, network, &flow, &info, &tokens, targets).await.map(Json);
    }

    let conn = connection_for(flow.workspace_id, network, &info, flow.server.as_ref(), instance_app_id, json!({}));
    let saved = store_connection(&connect, &user, &conn, &tokens, None).await?;
    Ok(Json(connected(network, &conn, saved)))
}

/// Keeps the tokens (sealed, bound to the pending row) until the user picks a target.
async fn hold_for_choice(
    connect: &ConnectState,
    user: &AuthUser,
    network: Network,
    flow: &Flow,
    info: &postiz_providers::AccountInfo,
    tokens: &TokenSet,
    targets: Vec<TargetChoice>,
) -> Result<ConnectOutcome, ApiError> {
    let id = Uuid::new_v4();
    let binding = |field| Binding { workspace_id: flow.workspace_id, social_account_id: id, field };
    let access = connect.keyring.encrypt(&tokens.access_token, &binding(Field::AccessToken));
    let refresh = tokens.refresh_token.as_ref().map(|t| connect.keyring.encrypt(t, &binding(Field::RefreshToken)));
    let login = serde_json::to_value(info).map_err(|e| ApiError::internal(&e))?;
    let db = connect.service_pool.get().await?;
    let expires_at: DateTime<Utc> = db
        .query_one(
            "insert into postiz.pending_connections
               (id, user_id, workspace_id, network, login, server_url, targets, access_token_key_id, access_token_nonce, access_token_ciphertext,
                refresh_token_key_id, refresh_token_nonce, refresh_token_ciphertext, token_expires_at, scopes, expires_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
                     now() + make_interval(secs => $14::double precision), $15, now() + make_interval(secs => $16::double precision))
             returning expires_at",
            &[
                &id,
                &user.id,
                &flow.workspace_id,
                &network.as_str(),
                &login,
                &flow.server.as_ref().map(|s| s.as_str().trim_end_matches('/').to_owned()),
                &serde_json::to_value(&targets).map_err(|e| ApiError::internal(&e))?,
                &access.key_id,
                &access.nonce,
                &access.ciphertext,
                &refresh.as_ref().map(|s| s.key_id.clone()),
                &refresh.as_ref().map(|s| s.nonce.clone()),
                &refresh.as_ref().map(|s| s.ciphertext.clone()),
                &tokens.expires_in.map(|d| d.as_secs_f64()),
                &tokens.scopes,
                &connect.state_ttl.as_secs_f64().max(900.0),
            ],
        )
        .await?
        .get(0);
    // Choices nobody made are of no use: drop this user's expired ones.
    db.execute("delete from postiz.pending_connections where user_id = $1 and expires_at < now()", &[&user.id]).await?;
    tracing::info!(network = %network, pending.id = %id, targets = targets.len(), "connection waits for the user to choose a target");
    Ok(ConnectOutcome::ChooseTarget { pending_id: id, targets, expires_at })
}

/// `POST /connect/pending/{id}/complete`: stores the chosen page or channel.
pub async fn complete(
    State(state): State<AppState>,
    Connect(connect): Connect,
    ConfirmedUser(user): ConfirmedUser,
    Path(id): Path<Uuid>,
    Json(body): Json<CompleteBody>,
) -> Result<Json<ConnectOutcome>, ApiError> {
    let row = {
        let db = connect.service_pool.get().await?;
        db.query_opt(
            "select workspace_id, network, login, server_url, targets, access_token_key_id, access_token_nonce, access_token_ciphertext,
                    refresh_token_key_id, refresh_token_nonce, refresh_token_ciphertext,
                    extract(epoch from token_expires_at - now())::double precision, scopes
             from postiz.pending_connections where id = $1 and user_id = $2 and expires_at > now()",
            &[&id, &user.id],
        )
        .await?
        .ok_or_else(ApiError::not_found)?
    };
    let ws: Uuid = row.get(0);
    let (network, provider) = provider_for(&connect, &row.get::<_, String>(1))?;
    require_admin(&state, &user, ws).await?;
    let choices: Vec<TargetChoice> = serde_json::from_value(row.get(4)).unwrap_or_default();
    let Some(choice) = choices.iter().find(|c| c.id == body.target_id) else {
        return Err(ApiError::validation(vec![FieldError { field: "target_id".into(), message: "not one of the offered choices".into() }]));
    };
    let login: LoginInfo = serde_json::from_value(row.get(2)).map_err(|e| ApiError::internal(&e))?;
    let login = postiz_providers::AccountInfo {
        id: login.id,
        handle: login.handle,
        name: login.name,
        avatar: login.avatar.and_then(|u| Url::parse(&u).ok()),
        server: login.server.and_then(|u| Url::parse(&u).ok()),
    };
    let binding = |field| Binding { workspace_id: ws, social_account_id: id, field };
    let access = connect
        .keyring
        .decrypt(&Sealed { key_id: row.get(5), nonce: row.get(6), ciphertext: row.get(7) }, &binding(Field::AccessToken))
        .map_err(|e| ApiError::internal(&e))?;
    let refresh = match (row.get::<_, Option<String>>(8), row.get::<_, Option<Vec<u8>>>(9), row.get::<_, Option<Vec<u8>>>(10)) {
        (Some(key_id), Some(nonce), Some(ciphertext)) => Some(
            connect
                .keyring
                .decrypt(&Sealed { key_id, nonce, ciphertext }, &binding(Field::RefreshToken))
                .map_err(|e| ApiError::internal(&e))?,
        ),
        _ => None,
    };
    let server: Option<Url> = row.get::<_, Option<String>>(3).and_then(|s| Url::parse(&s).ok());
    // Listed again rather than stored: a target's own token (a Facebook Page token) never waits
    // in the pending row.
    let account = AccountRef { id: login.id.clone(), handle: login.handle.clone(), server: server.clone() };
    let target = provider
        .list_targets(&access, &account)
        .await
        .map_err(provider_error)?
        .into_iter()
        .find(|t| t.id == choice.id)
        .ok_or_else(|| ApiError::conflict("target_gone", "That page or channel is no longer available to this login; start again."))?;
    let tokens = match target.access_token {
        // The target's own token stands alone: the login's refresh token does not renew it.
        Some(own) => TokenSet { access_token: own, refresh_token: None, expires_in: None, refresh_expires_in: None, scopes: row.get(12) },
        None => TokenSet {
            access_token: access,
            refresh_token: refresh,
            expires_in: row.get::<_, Option<f64>>(11).filter(|s| *s > 0.0).map(std::time::Duration::from_secs_f64),
            // Pending logins are Meta's, whose tokens have no refresh token.
            refresh_expires_in: None,
            scopes: row.get(12),
        },
    };
    let mut conn = connection_for(ws, network, &login, server.as_ref(), None, json!({"login_id": login.id, "target_kind": target.kind}));
    conn.external_account_id = target.id.clone();
    conn.external_page_id = Some(target.id.clone());
    conn.display_name = Some(target.name.clone());
    let saved =
        store_connection(&connect, &user, &conn, &tokens, Some(("delete from postiz.pending_connections where id = $1", id))).await?;
    Ok(Json(connected(network, &conn, saved)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_random_and_stored_only_as_hashes() {
        let (a, b) = (new_state(), new_state());
        assert_ne!(a, b);
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).expect("base64url").len(), 32);
        assert_eq!(hash_state(&a).len(), 32);
        assert_ne!(hash_state(&a), a.as_bytes());
    }
}

//! What a network says an account may do now (TikTok's `creator_info/query`), for the composer
//! (`GET /workspaces/{ws}/accounts/{id}/composer-options`) and for checking a post when it is
//! saved. Asked through the provider adapter with the account's stored token, never while a
//! database transaction is open: the lookups run before the post's transaction starts.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use postiz_domain::{ComposerOptions, Network, NetworkSettings, TikTokCreatorOptions, TikTokPostMode};
use postiz_providers::{AccountRef, ProviderError};
use postiz_vault::Field;
use serde::Serialize;
use uuid::Uuid;

use super::connect::{Connect, ConnectState};
use super::posts::model::Draft;
use crate::access::{Role, require_role, user_tx};
use crate::auth::AuthUser;
use crate::input::Ids;
use crate::{ApiError, AppState};

/// Answer of `GET …/accounts/{id}/composer-options`.
#[derive(Debug, Serialize)]
pub struct ComposerOptionsView {
    /// The account.
    pub account_id: Uuid,
    /// Its network's wire name.
    pub network: String,
    /// What the network says (empty for networks whose rules do not depend on the account).
    #[serde(flatten)]
    pub options: ComposerOptions,
}

/// TikTok accounts' creator options by `social_accounts.id`, learnt before a post is checked.
#[derive(Debug, Default)]
pub(crate) struct AccountRules {
    pub tiktok: HashMap<Uuid, TikTokCreatorOptions>,
}

/// An account as the lookup needs it.
struct Target {
    id: Uuid,
    network: Network,
    external_id: String,
    handle: Option<String>,
}

/// `GET /workspaces/{ws}/accounts/{id}/composer-options` (editor+: it calls the network with
/// the account's token). 404 for an account not in the workspace; 409 `reconnect_account`
/// when the network refuses the stored sign-in; 503 when it does not answer.
pub async fn get(
    State(state): State<AppState>,
    connect: Option<Connect>,
    user: AuthUser,
    Ids((ws, id)): Ids<(Uuid, Uuid)>,
) -> Result<Json<ComposerOptionsView>, ApiError> {
    let target = {
        let mut client = state.pool.get().await?;
        let tx = user_tx(&mut client, &user).await?;
        require_role(&tx, ws, Role::Editor).await?;
        let found = targets(&tx, ws, &[id]).await?;
        tx.commit().await?;
        found.into_iter().next().ok_or_else(ApiError::not_found)?
    };
    let network = target.network.as_str().to_owned();
    let options = match (target.network, connect) {
        (Network::TikTok, Some(Connect(connect))) => ask(&connect, &target).await.map_err(answer_error)?,
        (Network::TikTok, None) => return Err(ApiError::unavailable("this server cannot read account tokens (no encryption keys)")),
        _ => ComposerOptions::default(),
    };
    Ok(Json(ComposerOptionsView { account_id: id, network, options }))
}

/// The creator options of the post's TikTok targets, when its TikTok settings are a direct
/// post (a draft's settings are chosen in the TikTok app). Runs its own short transaction as
/// the user (editor+), then asks TikTok with no transaction open. An account TikTok does not
/// answer for is left out: the adapter asks again before publishing and refuses then.
pub(crate) async fn for_post(
    state: &AppState,
    connect: Option<&ConnectState>,
    user: &AuthUser,
    ws: Uuid,
    draft: &Draft,
) -> Result<AccountRules, ApiError> {
    let mut rules = AccountRules::default();
    let direct = matches!(draft.variants.get(&Network::TikTok).map(|v| &v.settings),
        Some(NetworkSettings::TikTok(s)) if s.mode == TikTokPostMode::Direct && s.privacy_level.is_some());
    let Some(connect) = connect.filter(|_| direct && !draft.targets.is_empty()) else { return Ok(rules) };
    let found = {
        let mut client = state.pool.get().await?;
        let tx = user_tx(&mut client, user).await?;
        require_role(&tx, ws, Role::Editor).await?;
        let found = targets(&tx, ws, &draft.targets).await?;
        tx.commit().await?;
        found
    };
    for t in found.iter().filter(|t| t.network == Network::TikTok) {
        match ask(connect, t).await {
            Ok(ComposerOptions { tiktok: Some(o) }) => {
                rules.tiktok.insert(t.id, o);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(account.id = %t.id, error = %e, "TikTok creator info unavailable; publishing checks it again"),
        }
    }
    Ok(rules)
}

/// The accounts among `ids` in `ws` (RLS: the caller's workspaces only).
async fn targets(tx: &tokio_postgres::Transaction<'_>, ws: Uuid, ids: &[Uuid]) -> Result<Vec<Target>, ApiError> {
    let rows = tx
        .query(
            "select id, network, external_account_id, handle from postiz.social_accounts where workspace_id = $1 and id = any($2)",
            &[&ws, &ids],
        )
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            Some(Target { id: r.get(0), network: r.get::<_, String>(1).parse().ok()?, external_id: r.get(2), handle: r.get(3) })
        })
        .collect())
}

/// Why asking the network failed.
#[derive(Debug, thiserror::Error)]
enum AskError {
    #[error("no stored sign-in for this account")]
    NoCredentials,
    #[error("stored credentials: {0}")]
    Store(#[from] postiz_oauth::StoreError),
    #[error("database: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("no adapter for this network")]
    NoAdapter,
    #[error(transparent)]
    Provider(#[from] ProviderError),
}

/// Asks the adapter with the account's stored token (read as `service_role` after the caller's
/// role was checked in their own transaction).
async fn ask(connect: &ConnectState, t: &Target) -> Result<ComposerOptions, AskError> {
    let creds = {
        let db = connect.service_pool.get().await?;
        postiz_oauth::store::load_credentials(&**db, t.id, false).await?.ok_or(AskError::NoCredentials)?
    };
    let token = postiz_oauth::store::open(&connect.keyring, &creds.access, &creds.binding(Field::AccessToken))?;
    let provider = connect.registry.get(t.network).cloned().ok_or(AskError::NoAdapter)?;
    let account = AccountRef { id: t.external_id.clone(), handle: t.handle.clone(), server: creds.server() };
    Ok(provider.composer_options(&token, &account).await?)
}

fn answer_error(e: AskError) -> ApiError {
    tracing::warn!(error = %e, "composer options unavailable");
    match &e {
        AskError::NoCredentials => {
            ApiError::conflict("reconnect_account", "This account has no sign-in stored; reconnect it on the Accounts page.")
        }
        AskError::Provider(p) => match p.root() {
            ProviderError::Unauthorized { .. } => {
                ApiError::conflict("reconnect_account", "TikTok refused this account's sign-in; reconnect it on the Accounts page.")
            }
            ProviderError::RateLimited { .. } | ProviderError::Transient { .. } | ProviderError::OutcomeUnknown { .. } => {
                ApiError::unavailable("TikTok is not answering; try again shortly.")
            }
            _ => ApiError::bad_request("network_refused", p.to_string()),
        },
        AskError::Pool(_) => ApiError::unavailable("the database is busy; retry shortly"),
        AskError::Store(_) | AskError::NoAdapter => ApiError::internal(&e),
    }
}

//! Credential writes and reads as `service_role`: every token sealed by postiz-vault, bound to
//! its workspace, account and field.

use chrono::{DateTime, Utc};
use postiz_domain::Network;
use postiz_providers::{ClientRegistration, OAuthClient, TokenSet};
use postiz_vault::{Binding, Field, Keyring, Sealed, VaultError};
use secrecy::SecretString;
use serde_json::Value;
use tokio_postgres::GenericClient;
use url::Url;
use uuid::Uuid;

/// Why a store call failed. Never carries a token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database said no or went away.
    #[error("database: {0}")]
    Db(#[from] tokio_postgres::Error),
    /// A stored ciphertext does not decrypt.
    #[error("credential: {0}")]
    Vault(#[from] VaultError),
    /// A stored value is unusable.
    #[error("stored data is unusable: {0}")]
    Corrupt(String),
}

/// An account's stored credentials, still sealed.
#[derive(Debug, Clone)]
pub struct StoredCredentials {
    /// The social account.
    pub account_id: Uuid,
    /// Its workspace.
    pub workspace_id: Uuid,
    /// Network wire name.
    pub network: String,
    /// `social_accounts.status`.
    pub status: String,
    /// The account's own server (Mastodon instance, Bluesky PDS), as fixed at connect time in
    /// the credential row (never from `social_accounts.meta`, which is only a display copy).
    pub server_url: Option<String>,
    /// The instance client registration the tokens were issued to, fixed with them.
    pub instance_app_id: Option<Uuid>,
    /// Access token.
    pub access: Sealed,
    /// Refresh token.
    pub refresh: Option<Sealed>,
    /// When the access token expires.
    pub expires_at: Option<DateTime<Utc>>,
}

impl StoredCredentials {
    /// The binding of one of this account's fields.
    pub fn binding(&self, field: Field) -> Binding {
        Binding { workspace_id: self.workspace_id, social_account_id: self.account_id, field }
    }

    /// The network, parsed.
    pub fn network(&self) -> Option<Network> {
        serde_json::from_value(Value::String(self.network.clone())).ok()
    }

    /// The server as a URL.
    pub fn server(&self) -> Option<Url> {
        self.server_url.as_deref().and_then(|s| Url::parse(s).ok())
    }
}

const LOAD: &str = "
select a.id, a.workspace_id, a.network, a.status::text, c.server_url, c.instance_app_id,
       c.access_token_key_id, c.access_token_nonce, c.access_token_ciphertext,
       c.refresh_token_key_id, c.refresh_token_nonce, c.refresh_token_ciphertext, c.expires_at
from postiz.credentials c
join postiz.social_accounts a on a.id = c.social_account_id and a.workspace_id = c.workspace_id
where c.social_account_id = $1";

/// Reads an account's credentials; with `lock`, holds the row (`for update of c`) until the
/// transaction ends, so no other process refreshes it meanwhile.
pub async fn load_credentials(c: &impl GenericClient, account: Uuid, lock: bool) -> Result<Option<StoredCredentials>, StoreError> {
    let sql = if lock { format!("{LOAD} for update of c") } else { LOAD.to_owned() };
    let Some(r) = c.query_opt(&sql, &[&account]).await? else { return Ok(None) };
    let refresh = Sealed::from_columns(r.get(9), r.get(10), r.get(11));
    Ok(Some(StoredCredentials {
        account_id: r.get(0),
        workspace_id: r.get(1),
        network: r.get(2),
        status: r.get(3),
        server_url: r.get(4),
        instance_app_id: r.get(5),
        access: Sealed { key_id: r.get(6), nonce: r.get(7), ciphertext: r.get(8) },
        refresh,
        expires_at: r.get(12),
    }))
}

fn secs(d: Option<std::time::Duration>) -> Option<f64> {
    d.map(|d| d.as_secs_f64())
}

fn parts(sealed: Option<&Sealed>) -> (Option<&str>, Option<&[u8]>, Option<&[u8]>) {
    match sealed {
        Some(s) => (Some(s.key_id.as_str()), Some(s.nonce.as_slice()), Some(s.ciphertext.as_slice())),
        None => (None, None, None),
    }
}

/// Stores refreshed tokens in one `UPDATE`: the new access token, the new refresh token or —
/// when the network sent none — the stored one, the new expiry. The refresh token's expiry is
/// kept when the network did not say it, or said one within an hour of the stored one (LinkedIn
/// answers with the remaining lifetime, which lands a few seconds off each time): the expiry
/// warning is sent once per expiry, and a drifting expiry would send it after every refresh. Applies only if the access
/// token is still the one `previous` holds (compare-and-set on its nonce), so a refresh that
/// lost a race never overwrites a newer token. Returns whether it applied.
pub async fn save_refreshed(
    c: &impl GenericClient,
    keyring: &Keyring,
    previous: &StoredCredentials,
    tokens: &TokenSet,
) -> Result<bool, StoreError> {
    let access = keyring.encrypt(&tokens.access_token, &previous.binding(Field::AccessToken));
    let refresh = tokens.refresh_token.as_ref().map(|t| keyring.encrypt(t, &previous.binding(Field::RefreshToken)));
    let (rk, rn, rc) = parts(refresh.as_ref());
    let scopes: Vec<String> = tokens.scopes.clone();
    let n = c
        .execute(
            "update postiz.credentials
             set access_token_key_id = $3, access_token_nonce = $4, access_token_ciphertext = $5,
                 refresh_token_key_id = coalesce($6, refresh_token_key_id),
                 refresh_token_nonce = case when $6::text is null then refresh_token_nonce else $7 end,
                 refresh_token_ciphertext = case when $6::text is null then refresh_token_ciphertext else $8 end,
                 refresh_expires_at = case
                   when $6::text is null or $11::double precision is null then refresh_expires_at
                   when abs(extract(epoch from now() + make_interval(secs => $11::double precision) - refresh_expires_at)) <= 3600
                     then refresh_expires_at
                   else now() + make_interval(secs => $11::double precision) end,
                 expires_at = now() + make_interval(secs => $9::double precision),
                 scopes = case when cardinality($10::text[]) = 0 then scopes else $10 end
             where social_account_id = $1 and access_token_nonce = $2",
            &[
                &previous.account_id,
                &previous.access.nonce,
                &access.key_id,
                &access.nonce,
                &access.ciphertext,
                &rk,
                &rn,
                &rc,
                &secs(tokens.expires_in),
                &scopes,
                &secs(tokens.refresh_expires_in),
            ],
        )
        .await?;
    Ok(n == 1)
}

/// A connection about to be stored.
#[derive(Debug, Clone)]
pub struct NewConnection {
    /// Workspace.
    pub workspace_id: Uuid,
    /// Network.
    pub network: Network,
    /// The account's id at the network (for a page or channel: its id).
    pub external_account_id: String,
    /// The page/channel posted as, when it differs from the login.
    pub external_page_id: Option<String>,
    /// Handle.
    pub handle: Option<String>,
    /// Display name.
    pub display_name: Option<String>,
    /// Avatar URL.
    pub avatar_url: Option<String>,
    /// The account's own server, when the network has one per account (Mastodon, Bluesky):
    /// the only host its tokens are ever sent to. Stored with the credential.
    pub server: Option<Url>,
    /// The client registration on that server the tokens were issued to.
    pub instance_app_id: Option<Uuid>,
    /// Merged into `social_accounts.meta` (`login_id`, …; `server_url` is added as a display
    /// copy of `server`). Nothing reads it to decide where a token goes.
    pub meta: Value,
}

impl NewConnection {
    /// The server as stored: `scheme://host[:port]` without a trailing slash.
    fn server_url(&self) -> Option<String> {
        self.server.as_ref().map(|s| s.as_str().trim_end_matches('/').to_owned())
    }

    /// `meta` with the display copy of the server.
    fn meta_with_server(&self) -> Value {
        let mut meta = self.meta.clone();
        if let (Some(server), Some(map)) = (self.server_url(), meta.as_object_mut()) {
            map.insert("server_url".into(), Value::String(server));
        }
        meta
    }
}

/// The stored account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SavedAccount {
    /// `social_accounts.id`.
    pub id: Uuid,
    /// The account existed in the workspace: its tokens were replaced in place.
    pub reconnected: bool,
    /// Paused jobs put back on the queue.
    pub resumed_jobs: i32,
}

/// Stores a connection: creates the account, or — when the workspace already has this account
/// on this network — updates it in place and marks it active again. The tokens and the server
/// they belong to replace the stored ones, except that a missing refresh token keeps the stored
/// one when the server is unchanged (Postiz lost refresh tokens here, its #1884). Jobs paused for reconnection are resumed,
/// and the account's connection health (`postiz.account_checks`: last check, lease, expiry warned of) starts afresh. Run inside a transaction
/// as `service_role`; with the user's claims set, the activity triggers name the user.
pub async fn save_connection(
    c: &impl GenericClient,
    keyring: &Keyring,
    conn: &NewConnection,
    tokens: &TokenSet,
    actor: Option<Uuid>,
) -> Result<SavedAccount, StoreError> {
    let network = conn.network.as_str();
    let meta = conn.meta_with_server();
    // "No key update": it serialises reconnections and pre-flight verdicts on the account, yet
    // does not wait on (and deadlock with) the key-share lock of a notification about it.
    let existing = c
        .query_opt(
            "select id, status::text from postiz.social_accounts
             where workspace_id = $1 and network = $2 and external_account_id = $3 for no key update",
            &[&conn.workspace_id, &network, &conn.external_account_id],
        )
        .await?;
    let (id, reconnected) = match existing {
        Some(row) => {
            let id: Uuid = row.get(0);
            let was: String = row.get(1);
            c.execute(
                "update postiz.social_accounts
                 set external_page_id = coalesce($2, external_page_id), handle = coalesce($3, handle),
                     display_name = coalesce($4, display_name), avatar_url = coalesce($5, avatar_url),
                     meta = meta || $6::jsonb, status = 'active'
                 where id = $1",
                &[&id, &conn.external_page_id, &conn.handle, &conn.display_name, &conn.avatar_url, &meta],
            )
            .await?;
            if was == "active" {
                // The status trigger logs reconnects of inactive accounts only.
                c.execute(
                    "insert into postiz.activity_logs (workspace_id, actor_id, actor_kind, action, entity_type, entity_id, details)
                     values ($1, $2, case when $2::uuid is null then 'system' else 'user' end, 'account.reconnected', 'social_account', $3,
                             jsonb_build_object('network', $4::text, 'tokens_replaced', true))",
                    &[&conn.workspace_id, &actor, &id, &network],
                )
                .await?;
            }
            (id, true)
        }
        None => {
            let row = c
                .query_one(
                    "insert into postiz.social_accounts
                       (workspace_id, network, external_account_id, external_page_id, handle, display_name, avatar_url, meta, connected_by)
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                     returning id",
                    &[
                        &conn.workspace_id,
                        &network,
                        &conn.external_account_id,
                        &conn.external_page_id,
                        &conn.handle,
                        &conn.display_name,
                        &conn.avatar_url,
                        &meta,
                        &actor,
                    ],
                )
                .await?;
            (row.get(0), false)
        }
    };
    let binding = |field| Binding { workspace_id: conn.workspace_id, social_account_id: id, field };
    let access = keyring.encrypt(&tokens.access_token, &binding(Field::AccessToken));
    let refresh = tokens.refresh_token.as_ref().map(|t| keyring.encrypt(t, &binding(Field::RefreshToken)));
    let (rk, rn, rc) = parts(refresh.as_ref());
    // A refresh token the network did not resend is kept, but only for the same server: the
    // stored one was issued by the old server and must never be sent to a new one.
    let sql = format!(
        "insert into postiz.credentials
           (social_account_id, workspace_id, access_token_key_id, access_token_nonce, access_token_ciphertext,
            refresh_token_key_id, refresh_token_nonce, refresh_token_ciphertext, expires_at, scopes, server_url, instance_app_id,
            refresh_expires_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9::double precision), $10, $11, $12,
                 now() + make_interval(secs => $13::double precision))
         on conflict (social_account_id) do update set
           server_url = excluded.server_url,
           instance_app_id = excluded.instance_app_id,
           access_token_key_id = excluded.access_token_key_id,
           access_token_nonce = excluded.access_token_nonce,
           access_token_ciphertext = excluded.access_token_ciphertext,
           refresh_token_key_id = case when {keep} then credentials.refresh_token_key_id else excluded.refresh_token_key_id end,
           refresh_token_nonce = case when {keep} then credentials.refresh_token_nonce else excluded.refresh_token_nonce end,
           refresh_token_ciphertext = case when {keep} then credentials.refresh_token_ciphertext else excluded.refresh_token_ciphertext end,
           refresh_expires_at = case when {keep} then credentials.refresh_expires_at else excluded.refresh_expires_at end,
           expires_at = excluded.expires_at,
           scopes = case when cardinality(excluded.scopes) = 0 then credentials.scopes else excluded.scopes end",
        keep = "(excluded.refresh_token_key_id is null and credentials.server_url is not distinct from excluded.server_url)"
    );
    c.execute(
        &sql,
        &[
            &id,
            &conn.workspace_id,
            &access.key_id,
            &access.nonce,
            &access.ciphertext,
            &rk,
            &rn,
            &rc,
            &secs(tokens.expires_in),
            &tokens.scopes,
            &conn.server_url(),
            &conn.instance_app_id,
            &secs(tokens.refresh_expires_in),
        ],
    )
    .await?;
    // The health the Accounts screen shows was the old connection's: the new one is unchecked,
    // and a check of the old token still running finds its lease gone and records nothing.
    c.execute("delete from postiz.account_checks where social_account_id = $1", &[&id]).await?;
    let resumed: i32 = c.query_one("select postiz_private.service_resume_account_jobs($1)", &[&id]).await?.get(0);
    Ok(SavedAccount { id, reconnected, resumed_jobs: resumed })
}

/// The binding of an instance registration's client secret.
fn app_binding(id: Uuid) -> Binding {
    Binding { workspace_id: Uuid::nil(), social_account_id: id, field: Field::ClientSecret }
}

fn registration_from(keyring: &Keyring, r: &tokio_postgres::Row) -> Result<(Uuid, ClientRegistration), StoreError> {
    let id: Uuid = r.get("id");
    let secret = match (
        r.get::<_, Option<String>>("client_secret_key_id"),
        r.get::<_, Option<Vec<u8>>>("client_secret_nonce"),
        r.get::<_, Option<Vec<u8>>>("client_secret_ciphertext"),
    ) {
        (Some(key_id), Some(nonce), Some(ciphertext)) => Some(keyring.decrypt(&Sealed { key_id, nonce, ciphertext }, &app_binding(id))?),
        _ => None,
    };
    let url = |col: &str| Url::parse(&r.get::<_, String>(col)).map_err(|e| StoreError::Corrupt(format!("instance_apps.{col}: {e}")));
    Ok((
        id,
        ClientRegistration {
            client: OAuthClient { client_id: r.get("client_id"), client_secret: secret },
            auth_url: url("auth_url")?,
            token_url: url("token_url")?,
            scopes: r.get("scopes"),
        },
    ))
}

/// The cached registration on `server` for `redirect`, if any.
pub async fn instance_app(
    c: &impl GenericClient,
    keyring: &Keyring,
    network: Network,
    server: &str,
    redirect: &str,
) -> Result<Option<(Uuid, ClientRegistration)>, StoreError> {
    let row = c
        .query_opt(
            "select * from postiz.instance_apps where network = $1 and server_url = $2 and redirect_uri = $3",
            &[&network.as_str(), &server, &redirect],
        )
        .await?;
    row.map(|r| registration_from(keyring, &r)).transpose()
}

/// A cached registration by id (the worker's refresh of an instance account).
pub async fn instance_app_by_id(c: &impl GenericClient, keyring: &Keyring, id: Uuid) -> Result<Option<ClientRegistration>, StoreError> {
    let row = c.query_opt("select * from postiz.instance_apps where id = $1", &[&id]).await?;
    Ok(row.map(|r| registration_from(keyring, &r)).transpose()?.map(|(_, reg)| reg))
}

/// Caches a registration. When another request cached one for the same server first, that
/// one wins and is returned, so every account of an instance shares one client.
pub async fn save_instance_app(
    c: &impl GenericClient,
    keyring: &Keyring,
    network: Network,
    server: &str,
    redirect: &str,
    registration: &ClientRegistration,
) -> Result<(Uuid, ClientRegistration), StoreError> {
    let id = Uuid::new_v4();
    let sealed = registration.client.client_secret.as_ref().map(|s| keyring.encrypt(s, &app_binding(id)));
    let (k, n, ct) = parts(sealed.as_ref());
    c.execute(
        "insert into postiz.instance_apps
           (id, network, server_url, redirect_uri, client_id, client_secret_key_id, client_secret_nonce, client_secret_ciphertext, auth_url, token_url, scopes)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         on conflict (network, server_url, redirect_uri) do nothing",
        &[&id, &network.as_str(), &server, &redirect, &registration.client.client_id, &k, &n, &ct,
          &registration.auth_url.as_str(), &registration.token_url.as_str(), &registration.scopes],
    )
    .await?;
    instance_app(c, keyring, network, server, redirect)
        .await?
        .ok_or_else(|| StoreError::Corrupt("the instance registration vanished after insert".into()))
}

/// Decrypts a sealed token with its binding (a convenience that names the field in errors).
pub fn open(keyring: &Keyring, sealed: &Sealed, binding: &Binding) -> Result<SecretString, StoreError> {
    Ok(keyring.decrypt(sealed, binding)?)
}

//! What Supabase Auth keeps in Postgres, as the demo host (standing in for Auth) reads and writes
//! it: users in `auth.users`, signed-in sessions in `auth.sessions`. It connects as Auth does, as
//! `supabase_auth_admin`, the owner of schema `auth`.

use anyhow::Context;
use deadpool_postgres::Pool;
use serde_json::{Value, json};
use tokio_postgres::Row;
use uuid::Uuid;

use crate::seed::{self, DemoUser};

/// Users and sessions in schema `auth`.
#[derive(Clone)]
pub struct AuthStore {
    pool: Pool,
}

impl std::fmt::Debug for AuthStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthStore").finish_non_exhaustive()
    }
}

/// Why a session no longer stands (each is what Supabase Auth answers for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionRefusal {
    /// Signed out (here or everywhere), or never started: `session_not_found`.
    NotFound,
    /// The user is banned: `user_banned`.
    Banned,
}

/// A session that stands, and its user: as `GET /auth/v1/user` answers them, and as the host
/// shows them.
#[derive(Debug, Clone)]
pub struct StandingSession {
    /// The user's `/auth/v1/user` shape.
    pub json: Value,
    /// The user as the host's pages show them.
    pub user: DemoUser,
}

/// An address invited through `POST /auth/v1/invite`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invited {
    /// A new (or still unconfirmed) user: the invite email goes out. Their `/auth/v1/user` shape.
    User { id: Uuid, json: Value },
    /// The address has a confirmed account already (`email_exists`).
    Exists,
}

const USER_COLUMNS: &str = "id, email, coalesce(raw_user_meta_data, '{}'::jsonb), coalesce(raw_app_meta_data, '{}'::jsonb),
    to_char(invited_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),
    to_char(email_confirmed_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),
    to_char(last_sign_in_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),
    to_char(coalesce(created_at, now()) at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),
    to_char(coalesce(updated_at, now()) at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";

/// A user row as Supabase Auth answers `GET /auth/v1/user` (the fields its clients read).
fn user_json(row: &Row) -> Value {
    let email: Option<String> = row.get(1);
    let confirmed: Option<String> = row.get(5);
    json!({
        "id": row.get::<_, Uuid>(0), "aud": "authenticated", "role": "authenticated",
        "email": email.unwrap_or_default(), "phone": "",
        "invited_at": row.get::<_, Option<String>>(4),
        "email_confirmed_at": confirmed, "confirmed_at": confirmed,
        "last_sign_in_at": row.get::<_, Option<String>>(6),
        "app_metadata": row.get::<_, Value>(3), "user_metadata": row.get::<_, Value>(2),
        "identities": [],
        "created_at": row.get::<_, String>(7), "updated_at": row.get::<_, String>(8), "is_anonymous": false,
    })
}

/// A confirmed user as the host shows them: a seeded demo user as seeded, anyone else (an
/// invitee who followed their email) by the name in their metadata or their address.
fn host_user(row: &Row) -> DemoUser {
    let id: Uuid = row.get(0);
    if let Some(demo) = seed::users().into_iter().find(|u| u.id == id) {
        return demo;
    }
    let email: String = row.get::<_, Option<String>>(1).unwrap_or_default();
    let meta: Value = row.get(2);
    let name = meta["full_name"].as_str().filter(|n| !n.trim().is_empty()).map_or_else(|| email.clone(), str::to_owned);
    DemoUser { id, email, name, bio: String::new(), role_note: "joined through an invite email".into() }
}

impl AuthStore {
    /// The store behind `pool` (connections as `supabase_auth_admin`).
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }

    async fn client(&self) -> anyhow::Result<deadpool_postgres::Object> {
        self.pool.get().await.context("connecting to the auth schema")
    }

    /// Confirmed users who may sign in, the seeded ones first.
    pub async fn sign_in_list(&self) -> anyhow::Result<Vec<DemoUser>> {
        let rows = self
            .client()
            .await?
            .query(
                &format!(
                    "select {USER_COLUMNS} from auth.users where email_confirmed_at is not null and deleted_at is null
                     order by created_at, email"
                ),
                &[],
            )
            .await?;
        let mut users: Vec<DemoUser> = rows.iter().map(host_user).collect();
        let order = |u: &DemoUser| seed::users().iter().position(|d| d.id == u.id).unwrap_or(usize::MAX);
        users.sort_by_key(order);
        Ok(users)
    }

    /// A confirmed, not deleted user.
    pub async fn user(&self, id: Uuid) -> anyhow::Result<Option<DemoUser>> {
        let row = self
            .client()
            .await?
            .query_opt(
                &format!("select {USER_COLUMNS} from auth.users where id = $1 and email_confirmed_at is not null and deleted_at is null"),
                &[&id],
            )
            .await?;
        Ok(row.as_ref().map(host_user))
    }

    /// Starts a session for `user` (signing in); its id goes into the tokens.
    pub async fn start_session(&self, user: Uuid) -> anyhow::Result<Uuid> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let id = begin_session(&tx, user).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Whether `session` of `user` still stands; the user if it does.
    pub async fn session_user(&self, session: Uuid, user: Uuid) -> anyhow::Result<Result<StandingSession, SessionRefusal>> {
        let row = self
            .client()
            .await?
            .query_opt(
                &format!(
                    "select {USER_COLUMNS}, banned_until > now() from auth.users
                     where id = $2 and deleted_at is null and exists (select from auth.sessions s where s.id = $1 and s.user_id = $2)"
                ),
                &[&session, &user],
            )
            .await?;
        Ok(match row {
            None => Err(SessionRefusal::NotFound),
            Some(r) if r.get::<_, Option<bool>>(9) == Some(true) => Err(SessionRefusal::Banned),
            Some(r) => Ok(StandingSession { json: user_json(&r), user: host_user(&r) }),
        })
    }

    /// Marks `session` refreshed (a new access token for it).
    pub async fn touch_session(&self, session: Uuid) -> anyhow::Result<()> {
        self.client().await?.execute("update auth.sessions set updated_at = now() where id = $1", &[&session]).await?;
        Ok(())
    }

    /// Signs out one session (`scope=local`).
    pub async fn end_session(&self, session: Uuid) -> anyhow::Result<()> {
        self.client().await?.execute("delete from auth.sessions where id = $1", &[&session]).await?;
        Ok(())
    }

    /// Signs `user` out everywhere (`scope=global`); how many sessions ended.
    pub async fn end_all_sessions(&self, user: Uuid) -> anyhow::Result<u64> {
        Ok(self.client().await?.execute("delete from auth.sessions where user_id = $1", &[&user]).await?)
    }

    /// `POST /auth/v1/invite`: creates the invited user, or finds the one invited before and not
    /// yet confirmed (invited again: a new email), or says the address has an account.
    pub async fn invite(&self, email: &str, data: &Value) -> anyhow::Result<Invited> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // One invitation at a time per address (two at once would both find no user).
        tx.execute("select pg_advisory_xact_lock(hashtext('auth invite ' || lower($1)))", &[&email]).await?;
        let existing = tx
            .query_opt(
                &format!("select {USER_COLUMNS} from auth.users where lower(email) = lower($1) and is_sso_user = false for update"),
                &[&email],
            )
            .await?;
        let row = match existing {
            Some(r) if r.get::<_, Option<String>>(5).is_some() => return Ok(Invited::Exists),
            Some(r) => {
                let id: Uuid = r.get(0);
                tx.query_one(
                    &format!(
                        "update auth.users set invited_at = now(), updated_at = now(),
                         raw_user_meta_data = coalesce(raw_user_meta_data, '{{}}'::jsonb) || $2 where id = $1 returning {USER_COLUMNS}"
                    ),
                    &[&id, data],
                )
                .await?
            }
            None => {
                tx.query_one(
                    &format!(
                        "insert into auth.users (id, aud, role, email, invited_at, raw_app_meta_data, raw_user_meta_data)
                         values ($1, 'authenticated', 'authenticated', lower($2), now(), '{{\"provider\":\"email\",\"providers\":[\"email\"]}}', $3)
                         returning {USER_COLUMNS}"
                    ),
                    &[&Uuid::new_v4(), &email, data],
                )
                .await?
            }
        };
        tx.commit().await?;
        Ok(Invited::User { id: row.get(0), json: user_json(&row) })
    }

    /// Following an invite link: confirms the invited user's address and signs them in, both or
    /// neither. `None` when the user is gone or confirmed already (a link works once, as Auth's
    /// one-time tokens do).
    pub async fn accept_invite(&self, user: Uuid) -> anyhow::Result<Option<(DemoUser, Uuid)>> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let row = tx
            .query_opt(
                &format!(
                    "update auth.users set email_confirmed_at = now(), updated_at = now()
                     where id = $1 and email_confirmed_at is null and invited_at is not null and deleted_at is null
                     returning {USER_COLUMNS}"
                ),
                &[&user],
            )
            .await?;
        let Some(row) = row else { return Ok(None) };
        let session = begin_session(&tx, user).await?;
        tx.commit().await?;
        Ok(Some((host_user(&row), session)))
    }
}

/// A new `auth.sessions` row for `user` in `tx`, and their last sign-in.
async fn begin_session(tx: &tokio_postgres::Transaction<'_>, user: Uuid) -> anyhow::Result<Uuid> {
    let id = Uuid::new_v4();
    tx.execute("insert into auth.sessions (id, user_id) values ($1, $2)", &[&id, &user]).await?;
    tx.execute("update auth.users set last_sign_in_at = now() where id = $1", &[&user]).await?;
    Ok(id)
}

//! Demo data, written idempotently on start: three users, two workspaces (Acme: Alice owner,
//! Victor viewer; Globex: Bob owner) and a sandbox-network account in Acme whose credential is
//! sealed with `POSTIZ_TOKEN_ENCRYPTION_KEYS` exactly as the worker opens it.

use std::time::Duration;

use anyhow::Context;
use postiz_domain::Network;
use postiz_oauth::store::{NewConnection, save_connection};
use postiz_providers::TokenSet;
use postiz_vault::Keyring;
use secrecy::SecretString;
use serde_json::json;
use tokio_postgres::NoTls;
use uuid::{Uuid, uuid};

/// A user the login page offers.
#[derive(Debug, Clone)]
pub struct DemoUser {
    /// `auth.users.id`.
    pub id: Uuid,
    /// Email.
    pub email: String,
    /// Display name.
    pub name: String,
    /// `user_metadata.bio`: long for one user, so that user's session cookie is chunked.
    pub bio: String,
    /// What the login page says about them.
    pub role_note: String,
}

/// Acme.
pub const ACME: Uuid = uuid!("ac3e0000-0000-4000-8000-000000000001");
/// Globex.
pub const GLOBEX: Uuid = uuid!("610b0000-0000-4000-8000-000000000002");

/// The demo users.
pub fn users() -> Vec<DemoUser> {
    vec![
        DemoUser {
            id: uuid!("a11ce000-0000-4000-8000-000000000001"),
            email: "alice@acme.test".into(),
            name: "Alice Owner".into(),
            bio: "Runs Acme's social accounts.".into(),
            role_note: "owner of Acme".into(),
        },
        DemoUser {
            id: uuid!("71c70000-0000-4000-8000-000000000002"),
            email: "victor@acme.test".into(),
            name: "Victor Viewer".into(),
            bio: "Reads the plan.".into(),
            role_note: "viewer in Acme".into(),
        },
        DemoUser {
            id: uuid!("b0b00000-0000-4000-8000-000000000003"),
            email: "bob@globex.test".into(),
            name: "Bob Globex".into(),
            bio: "Globex marketing. ".repeat(200),
            role_note: "owner of Globex (long session: chunked cookie)".into(),
        },
    ]
}

/// Writes the demo data through `superuser_url` (auth.users is not writable by `postgres`).
pub async fn seed(superuser_url: &str, keyring: Option<&Keyring>) -> anyhow::Result<()> {
    let (mut client, conn) = tokio_postgres::connect(superuser_url, NoTls).await.context("connecting to seed the demo data")?;
    tokio::spawn(conn);
    let tx = client.transaction().await?;
    for u in users() {
        tx.execute(
            "insert into auth.users (id, aud, role, email, email_confirmed_at, raw_app_meta_data, raw_user_meta_data)
             values ($1, 'authenticated', 'authenticated', $2, now(), '{\"provider\":\"email\"}', jsonb_build_object('full_name', $3::text))
             on conflict (id) do nothing",
            &[&u.id, &u.email, &u.name],
        )
        .await?;
    }
    let [alice, victor, bob] = [users()[0].id, users()[1].id, users()[2].id];
    for (id, name, slug, zone) in [(ACME, "Acme", "acme-demo", "Europe/Paris"), (GLOBEX, "Globex", "globex-demo", "America/New_York")] {
        tx.execute(
            "insert into postiz.workspaces (id, name, slug, time_zone) values ($1, $2, $3, $4) on conflict (id) do nothing",
            &[&id, &name, &slug, &zone],
        )
        .await?;
    }
    for (ws, user, role) in [(ACME, alice, "owner"), (ACME, victor, "viewer"), (GLOBEX, bob, "owner")] {
        tx.execute(
            "insert into postiz.workspace_members (workspace_id, user_id, role) values ($1, $2, $3::text::postiz.workspace_role)
             on conflict (workspace_id, user_id) do nothing",
            &[&ws, &user, &role],
        )
        .await?;
    }
    tx.commit().await?;

    let Some(keyring) = keyring else {
        tracing::warn!("POSTIZ_TOKEN_ENCRYPTION_KEYS is not set: no sandbox account seeded");
        return Ok(());
    };
    let exists =
        client.query_opt("select 1 from postiz.social_accounts where workspace_id = $1 and network = 'sandbox'", &[&ACME]).await?.is_some();
    if !exists {
        let tx = client.transaction().await?;
        let conn = NewConnection {
            workspace_id: ACME,
            network: Network::Sandbox,
            // What the sandbox's /api/me answers for any token.
            external_account_id: "sandbox-user".into(),
            external_page_id: None,
            handle: Some("sandbox".into()),
            display_name: Some("Sandbox User".into()),
            avatar_url: None,
            server: None,
            instance_app_id: None,
            meta: json!({}),
        };
        // App-password style: the sandbox accepts any token except "expired".
        let tokens = TokenSet {
            access_token: SecretString::from("demo-app-password"),
            refresh_token: None,
            expires_in: None::<Duration>,
            refresh_expires_in: None,
            scopes: vec![],
        };
        save_connection(&tx, keyring, &conn, &tokens, Some(alice)).await.context("storing the sandbox account")?;
        tx.commit().await?;
    }
    Ok(())
}

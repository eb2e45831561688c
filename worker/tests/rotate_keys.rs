//! Key rotation: credentials sealed under key 1 are re-encrypted under key 2 online — while
//! other connections keep reading and decrypting them, and while one row is locked by a refresh
//! — until nothing is left under key 1. A ciphertext moved to another row does not decrypt.
#![allow(clippy::unwrap_used, reason = "test fixtures: a broken fixture should panic right there")]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine;
use postiz_vault::{Binding, Field, Keyring, Sealed, VaultError};
use postiz_worker::rotate::rotate_keys;
use secrecy::{ExposeSecret, SecretString};
use support::Fixture;
use uuid::Uuid;

fn keyring(spec: &[(&str, u8)]) -> Keyring {
    let spec = spec
        .iter()
        .map(|(id, byte)| format!("{id}:{}", base64::engine::general_purpose::STANDARD.encode([*byte; 32])))
        .collect::<Vec<_>>()
        .join(",");
    Keyring::parse(&SecretString::from(spec)).unwrap()
}

fn binding(ws: Uuid, account: Uuid, field: Field) -> Binding {
    Binding { workspace_id: ws, social_account_id: account, field }
}

/// Reads every credential and decrypts both tokens; returns how many it decrypted.
async fn read_all(client: &tokio_postgres::Client, ring: &Keyring) -> Result<u64, String> {
    let rows = client
        .query(
            "select social_account_id, workspace_id, access_token_key_id, access_token_nonce, access_token_ciphertext,
                    refresh_token_key_id, refresh_token_nonce, refresh_token_ciphertext
             from postiz.credentials",
            &[],
        )
        .await
        .map_err(|e| e.to_string())?;
    let mut n = 0;
    for r in &rows {
        let (account, ws): (Uuid, Uuid) = (r.get(0), r.get(1));
        let access = ring
            .decrypt(&Sealed { key_id: r.get(2), nonce: r.get(3), ciphertext: r.get(4) }, &binding(ws, account, Field::AccessToken))
            .map_err(|e| format!("{account}: {e}"))?;
        let refresh = ring
            .decrypt(&Sealed { key_id: r.get(5), nonce: r.get(6), ciphertext: r.get(7) }, &binding(ws, account, Field::RefreshToken))
            .map_err(|e| format!("{account}: {e}"))?;
        if access.expose_secret() != format!("access-{account}") || refresh.expose_secret() != format!("refresh-{account}") {
            return Err(format!("{account}: wrong plaintext"));
        }
        n += 2;
    }
    Ok(n)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rotation_moves_everything_to_the_new_key_while_reads_continue() {
    let f = Fixture::new().await;
    let k1 = keyring(&[("k1", 1)]);
    let accounts: Vec<Uuid> = f
        .admin
        .query(
            "insert into postiz.social_accounts (workspace_id, network, external_account_id)
             select $1, 'sandbox', 'acct-' || g from generate_series(1, 240) g returning id",
            &[&f.workspace],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    for account in &accounts {
        let a = k1.encrypt(&SecretString::from(format!("access-{account}")), &binding(f.workspace, *account, Field::AccessToken));
        let r = k1.encrypt(&SecretString::from(format!("refresh-{account}")), &binding(f.workspace, *account, Field::RefreshToken));
        f.admin
            .execute(
                "insert into postiz.credentials (social_account_id, workspace_id, access_token_key_id, access_token_nonce, access_token_ciphertext,
                   refresh_token_key_id, refresh_token_nonce, refresh_token_ciphertext) values ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[account, &f.workspace, &a.key_id, &a.nonce, &a.ciphertext, &r.key_id, &r.nonce, &r.ciphertext],
            )
            .await
            .unwrap();
    }

    // The new key first, the old one behind it: what every process runs with during rotation.
    let both = Arc::new(keyring(&[("k2", 2), ("k1", 1)]));

    // Readers decrypt everything, over and over, for the whole rotation.
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicU64::new(0));
    let mut readers = Vec::new();
    for _ in 0..2 {
        let (client, ring, stop, reads) = (f.db.client().await, Arc::clone(&both), Arc::clone(&stop), Arc::clone(&reads));
        readers.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let n = read_all(&client, &ring).await?;
                reads.fetch_add(n, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            Ok::<_, String>(())
        }));
    }

    // A refresh holds one row while the rotation runs.
    let mut locker = f.db.client().await;
    let held = locker.transaction().await.unwrap();
    held.execute("select 1 from postiz.credentials where social_account_id = $1 for update", &[&accounts[0]]).await.unwrap();

    let pool = postiz_db::service_pool(&SecretString::from(f.db.url()), 4).unwrap();
    let ring = Arc::clone(&both);
    let progress = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&progress);
    let rotation = tokio::spawn(async move { rotate_keys(&pool, &ring, 25, move |p| seen.lock().unwrap().push(p)).await });
    let started = std::time::Instant::now();
    while f.count("select count(*) from postiz.credentials where access_token_key_id = 'k1'").await > 1
        && started.elapsed() < Duration::from_secs(30)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        f.count("select count(*) from postiz.credentials where access_token_key_id = 'k1'").await,
        1,
        "all but the locked row are done"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!rotation.is_finished(), "the locked row is waited for, not skipped for good");
    held.commit().await.unwrap();
    let stats = tokio::time::timeout(Duration::from_secs(30), rotation).await.unwrap().unwrap().expect("rotation");

    stop.store(true, Ordering::Relaxed);
    for r in readers {
        r.await.unwrap().expect("every read during rotation decrypted");
    }
    assert!(reads.load(Ordering::Relaxed) >= 2 * 240, "readers ran throughout");
    assert_eq!(stats.rows("credentials"), 240);
    let progress = progress.lock().unwrap().clone();
    assert_eq!(progress.first().map(|p| (p.table, p.done, p.total)), Some(("credentials", 0, 240)));
    assert!(progress.iter().any(|p| p.table == "credentials" && p.done == 240));

    // Nothing is left under key 1: the new key alone decrypts everything.
    assert_eq!(
        f.count("select count(*) from postiz.credentials where access_token_key_id <> 'k2' or refresh_token_key_id <> 'k2'").await,
        0
    );
    let only_k2 = keyring(&[("k2", 2)]);
    assert_eq!(read_all(&f.db.client().await, &only_k2).await.expect("k2 alone decrypts all"), 480);

    // Resumable and idempotent: a second run finds nothing to do.
    let pool = postiz_db::service_pool(&SecretString::from(f.db.url()), 2).unwrap();
    assert_eq!(rotate_keys(&pool, &both, 25, |_| {}).await.unwrap().rows("credentials"), 0);

    // A ciphertext swapped into another row does not decrypt there.
    let (a, b) = (accounts[1], accounts[2]);
    f.admin
        .execute(
            "update postiz.credentials t set access_token_key_id = s.access_token_key_id, access_token_nonce = s.access_token_nonce,
                    access_token_ciphertext = s.access_token_ciphertext
             from postiz.credentials s where s.social_account_id = $1 and t.social_account_id = $2",
            &[&a, &b],
        )
        .await
        .unwrap();
    let row = f
        .admin
        .query_one(
            "select access_token_key_id, access_token_nonce, access_token_ciphertext from postiz.credentials where social_account_id = $1",
            &[&b],
        )
        .await
        .unwrap();
    let swapped = Sealed { key_id: row.get(0), nonce: row.get(1), ciphertext: row.get(2) };
    assert_eq!(only_k2.decrypt(&swapped, &binding(f.workspace, b, Field::AccessToken)).unwrap_err(), VaultError::Authentication);
    assert_eq!(only_k2.decrypt(&swapped, &binding(f.workspace, a, Field::AccessToken)).unwrap().expose_secret(), format!("access-{a}"));
}

use std::sync::Mutex;

#[tokio::test]
async fn a_webhook_endpoint_s_current_and_previous_secrets_move_to_the_new_key() {
    let f = Fixture::new().await;
    let k1 = keyring(&[("k1", 1)]);
    let (rotated, fresh) = (Uuid::new_v4(), Uuid::new_v4());
    let seal = |endpoint: Uuid, secret: &str| {
        k1.encrypt(&SecretString::from(secret.to_owned()), &binding(f.workspace, endpoint, Field::WebhookSecret))
    };
    let (current, previous) = (seal(rotated, "whsec_new"), seal(rotated, "whsec_old"));
    f.admin
        .execute(
            "insert into postiz.webhook_endpoints (id, workspace_id, url, secret_key_id, secret_nonce, secret_ciphertext,
               previous_secret_key_id, previous_secret_nonce, previous_secret_ciphertext, previous_secret_expires_at)
             values ($1, $2, 'https://hooks.example/in', $3, $4, $5, $6, $7, $8, now() + interval '1 day')",
            &[
                &rotated,
                &f.workspace,
                &current.key_id,
                &current.nonce,
                &current.ciphertext,
                &previous.key_id,
                &previous.nonce,
                &previous.ciphertext,
            ],
        )
        .await
        .unwrap();
    let only = seal(fresh, "whsec_only");
    f.admin
        .execute(
            "insert into postiz.webhook_endpoints (id, workspace_id, url, secret_key_id, secret_nonce, secret_ciphertext)
             values ($1, $2, 'https://hooks.example/other', $3, $4, $5)",
            &[&fresh, &f.workspace, &only.key_id, &only.nonce, &only.ciphertext],
        )
        .await
        .unwrap();

    let both = keyring(&[("k2", 2), ("k1", 1)]);
    let pool = postiz_db::service_pool(&SecretString::from(f.db.url()), 2).unwrap();
    let stats = rotate_keys(&pool, &both, 25, |_| {}).await.unwrap();
    assert_eq!(stats.rows("webhook_endpoints"), 2);

    let k2_only = keyring(&[("k2", 2)]);
    let open = |r: &tokio_postgres::Row, base: usize, endpoint: Uuid| -> Option<String> {
        let key_id: Option<String> = r.get(base);
        key_id.map(|key_id| {
            k2_only
                .decrypt(
                    &Sealed { key_id, nonce: r.get(base + 1), ciphertext: r.get(base + 2) },
                    &binding(f.workspace, endpoint, Field::WebhookSecret),
                )
                .unwrap()
                .expose_secret()
                .to_owned()
        })
    };
    let sql =
        "select secret_key_id, secret_nonce, secret_ciphertext, previous_secret_key_id, previous_secret_nonce, previous_secret_ciphertext
               from postiz.webhook_endpoints where id = $1";
    let r = f.admin.query_one(sql, &[&rotated]).await.unwrap();
    assert_eq!((open(&r, 0, rotated), open(&r, 3, rotated)), (Some("whsec_new".into()), Some("whsec_old".into())));
    let r = f.admin.query_one(sql, &[&fresh]).await.unwrap();
    assert_eq!((open(&r, 0, fresh), open(&r, 3, fresh)), (Some("whsec_only".into()), None));
}

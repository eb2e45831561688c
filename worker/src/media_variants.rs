//! The bytes a network gets for a library file: its variant for that network's media rules,
//! made once and reused by every later post and attempt (`postiz.media_variants`).
//!
//! Get-or-create, safe under retries and racing workers:
//! 1. a stored variant for (asset, profile) is read and used;
//! 2. otherwise the original is transformed (`postiz-media`, on the blocking pool, at most one
//!    transform per CPU at a time), the object written at a path fixed by asset and profile,
//!    then the row inserted with `on conflict do nothing`. A racer that lost wrote the same
//!    bytes to the same path, so nothing is orphaned; an insert that fails removes the object.
//!
//! Videos are handed over as they are (their checks are the video facts' business).

use std::sync::{Arc, LazyLock};

use bytes::Bytes;
use postiz_domain::Network;
use postiz_media::{AspectFit, Original, Refusal, Target, make_variant, profile_key};
use postiz_providers::rules::MediaRules;
use postiz_storage::{MediaStorage, StorageError};
use tokio::sync::Semaphore;
use uuid::Uuid;

/// Transforms decode whole pictures (a 24 MP photo is 72 MB of pixels): one per CPU at a time,
/// so they neither starve the runtime's threads nor stack up memory.
static TRANSFORMS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| {
    let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    Arc::new(Semaphore::new(cpus))
});

/// The file to hand to the adapter: where its bytes live (the variant's path, for public
/// URLs) and the bytes themselves.
#[derive(Clone)]
pub struct MediaToSend {
    /// Object path of what is sent (the variant's, or the original's for videos).
    pub path: String,
    /// Its MIME type.
    pub mime: String,
    /// Its bytes.
    pub data: Bytes,
    /// Width in pixels, when known.
    pub width: Option<u32>,
    /// Height in pixels, when known.
    pub height: Option<u32>,
    /// The name people know the file by.
    pub name: String,
}

impl std::fmt::Debug for MediaToSend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaToSend")
            .field("path", &self.path)
            .field("mime", &self.mime)
            .field("bytes", &self.data.len())
            .field("width", &self.width)
            .field("height", &self.height)
            .finish()
    }
}

/// Why no file can be handed over.
#[derive(Debug, thiserror::Error)]
pub enum VariantError {
    /// The asset row or its original object is gone.
    #[error("{0}")]
    Missing(String),
    /// The file cannot be made acceptable for the network: fail the target, do not retry.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// Storage or database trouble: worth another attempt.
    #[error("{0}")]
    Unavailable(String),
}

impl From<tokio_postgres::Error> for VariantError {
    fn from(e: tokio_postgres::Error) -> Self {
        VariantError::Unavailable(format!("database: {e}"))
    }
}

impl From<deadpool_postgres::PoolError> for VariantError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        VariantError::Unavailable(format!("database pool: {e}"))
    }
}

fn storage_error(path: &str, e: StorageError) -> VariantError {
    match e {
        StorageError::NotFound { .. } => VariantError::Missing(path.to_owned()),
        other => VariantError::Unavailable(other.to_string()),
    }
}

/// The file to send for library asset `media_id` to `network` under `rules`, making and storing
/// its variant on first use.
pub async fn media_for_network(
    pool: &deadpool_postgres::Pool,
    storage: &MediaStorage,
    workspace_id: Uuid,
    media_id: Uuid,
    network: Network,
    rules: &MediaRules,
) -> Result<MediaToSend, VariantError> {
    let client = pool.get().await?;
    let asset = client
        .query_opt(
            "select path, mime_type, coalesce(name, regexp_replace(path, '^.*/', '')), aspect_fit, width, height
               from postiz.media_assets where workspace_id = $1 and id = $2",
            &[&workspace_id, &media_id],
        )
        .await?
        .ok_or_else(|| VariantError::Missing(format!("library file {media_id}")))?;
    let (original_path, mime, name, fit): (String, String, String, String) = (asset.get(0), asset.get(1), asset.get(2), asset.get(3));
    let dim = |i: usize| asset.get::<_, Option<i32>>(i).and_then(|v| u32::try_from(v).ok());
    if mime.starts_with("video/") {
        let data = storage.read(&original_path).await.map_err(|e| storage_error(&original_path, e))?;
        return Ok(MediaToSend { path: original_path, mime, data, width: dim(4), height: dim(5), name });
    }
    let fit: AspectFit = fit.parse().map_err(|e| VariantError::Unavailable(format!("media_assets.aspect_fit: {e}")))?;
    let profile = profile_key(network, rules, fit);

    if let Some(row) = client
        .query_opt(
            "select path, mime_type, width, height from postiz.media_variants
              where workspace_id = $1 and media_id = $2 and profile = $3",
            &[&workspace_id, &media_id, &profile],
        )
        .await?
    {
        let path: String = row.get(0);
        match storage.read(&path).await {
            Ok(data) => {
                let side = |i: usize| u32::try_from(row.get::<_, i32>(i)).ok();
                return Ok(MediaToSend { path, mime: row.get(1), data, width: side(2), height: side(3), name });
            }
            // The object went missing (restored bucket, manual cleanup): forget the row and remake it.
            Err(StorageError::NotFound { .. }) => {
                client
                    .execute(
                        "delete from postiz.media_variants where workspace_id = $1 and media_id = $2 and profile = $3",
                        &[&workspace_id, &media_id, &profile],
                    )
                    .await?;
            }
            Err(e) => return Err(VariantError::Unavailable(e.to_string())),
        }
    }
    drop(client); // no connection held through the transform

    let original = storage.read(&original_path).await.map_err(|e| storage_error(&original_path, e))?;
    let variant = {
        let _permit = TRANSFORMS.clone().acquire_owned().await.map_err(|e| VariantError::Unavailable(e.to_string()))?;
        let (rules, name) = (rules.clone(), name.clone());
        tokio::task::spawn_blocking(move || {
            make_variant(&Original { name: &name, bytes: &original }, &Target { network, rules: &rules, fit })
        })
        .await
        .map_err(|e| VariantError::Unavailable(format!("transform task: {e}")))??
    };
    // `<workspace>/<asset>/<file>`, the shape signed public links accept, beside the original.
    let path = format!("{workspace_id}/{media_id}/variant-{profile}.{}", variant.format.extension());
    let data = Bytes::from(variant.bytes);
    storage.put(&path, data.clone()).await.map_err(|e| VariantError::Unavailable(e.to_string()))?;
    let sha = variant.sha256.to_vec();
    let inserted = async {
        let client = pool.get().await?;
        client
            .execute(
                "insert into postiz.media_variants (workspace_id, media_id, profile, path, mime_type, bytes, width, height, sha256)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 on conflict do nothing",
                &[
                    &workspace_id,
                    &media_id,
                    &profile,
                    &path,
                    &variant.format.mime(),
                    &(data.len() as i64),
                    &i32::try_from(variant.width).unwrap_or(i32::MAX),
                    &i32::try_from(variant.height).unwrap_or(i32::MAX),
                    &sha,
                ],
            )
            .await
            .map_err(VariantError::from)
    }
    .await;
    if let Err(e) = inserted {
        // No row points at the object: remove it rather than leave it orphaned.
        storage.discard(std::slice::from_ref(&path)).await;
        return Err(e);
    }
    Ok(MediaToSend { path, mime: variant.format.mime().to_owned(), data, width: Some(variant.width), height: Some(variant.height), name })
}

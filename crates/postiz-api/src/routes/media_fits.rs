//! What the library shows beside each asset, computed on the server from the same rules the
//! schedule-time check uses (`postiz_providers::rules`), so the library and the composer never
//! disagree:
//!
//! - `fits`: for each network the workspace has an account on, whether the file can be posted
//!   there as it is, and if not, why (each reason names the limit and the file);
//! - `variants`: the per-network copies the worker made and stored (`postiz.media_variants`).
//!
//! Two queries per page whatever its size: the workspace's networks, and the page's variants.

use postiz_domain::{MediaId, MediaKind, MediaRef, Network, VideoTraits};
use postiz_providers::rules::{ContentRules, validate_medium};
use serde::Serialize;
use tokio_postgres::Transaction;
use uuid::Uuid;

use super::media::MediaView;
use crate::ApiError;

/// Whether an asset can be posted to one network.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NetworkFit {
    /// The network's wire name (`instagram`, `x`, …).
    pub network: String,
    /// Its name for people.
    pub label: String,
    /// No rule of the network refuses the file.
    pub ok: bool,
    /// What the network refuses, each naming the limit and the file; empty when `ok`.
    pub reasons: Vec<String>,
}

/// A stored per-network copy of an asset.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VariantView {
    /// The profile it was made for (`instagram-refuse-3fa2c1d0`: network, aspect choice, rules).
    pub profile: String,
    /// The network's wire name, from the profile.
    pub network: String,
    /// `image/jpeg`, …
    pub mime_type: String,
    /// Size in bytes.
    pub bytes: i64,
    /// Pixels.
    pub width: i32,
    /// Pixels.
    pub height: i32,
}

/// The networks the workspace has accounts on, in display order.
async fn workspace_networks(tx: &Transaction<'_>, ws: Uuid) -> Result<Vec<Network>, ApiError> {
    let rows = tx.query("select distinct network from postiz.social_accounts where workspace_id = $1", &[&ws]).await?;
    let mut networks: Vec<Network> = rows.iter().filter_map(|r| r.get::<_, String>(0).parse().ok()).collect();
    networks.sort();
    Ok(networks)
}

/// The asset as the rules see it (the same shape the post check builds).
fn media_ref(m: &MediaView) -> Option<MediaRef> {
    let kind = match m.kind.as_str() {
        "image" => MediaKind::Image,
        "gif" => MediaKind::Gif,
        "video" => MediaKind::Video,
        _ => return None,
    };
    let px = |v: Option<i32>| v.and_then(|v| u32::try_from(v).ok());
    Some(MediaRef {
        id: MediaId(m.id),
        kind,
        mime: m.mime_type.clone(),
        size_bytes: u64::try_from(m.bytes).unwrap_or(0),
        width: px(m.width),
        height: px(m.height),
        duration_ms: m.duration_ms.and_then(|d| u64::try_from(d).ok()),
        alt: m.alt_text.clone(),
        name: m.name.clone(),
        video: VideoTraits { video_codec: m.video_codec.clone(), audio_codec: m.audio_codec.clone(), frame_rate: m.frame_rate },
        aspect_fit: m.aspect_fit,
    })
}

/// Whether `m` fits each of `networks`.
pub(crate) fn fits(m: &MediaView, networks: &[Network]) -> Vec<NetworkFit> {
    let Some(r) = media_ref(m) else { return Vec::new() };
    networks
        .iter()
        .map(|&network| {
            let reasons: Vec<String> = validate_medium(&r, ContentRules::for_network(network)).into_iter().map(|e| e.message).collect();
            NetworkFit { network: network.as_str().into(), label: network.display_name().into(), ok: reasons.is_empty(), reasons }
        })
        .collect()
}

/// Fills `fits` and `variants` of a page of assets, in the caller's (RLS) transaction.
pub(crate) async fn annotate(tx: &Transaction<'_>, ws: Uuid, items: &mut [MediaView]) -> Result<(), ApiError> {
    if items.is_empty() {
        return Ok(());
    }
    let networks = workspace_networks(tx, ws).await?;
    let ids: Vec<Uuid> = items.iter().map(|m| m.id).collect();
    let rows = tx
        .query(
            "select media_id, profile, mime_type, bytes, width, height from postiz.media_variants
             where workspace_id = $1 and media_id = any($2) order by media_id, profile",
            &[&ws, &ids],
        )
        .await?;
    for m in items.iter_mut() {
        m.fits = fits(m, &networks);
        m.variants = rows
            .iter()
            .filter(|r| r.get::<_, Uuid>(0) == m.id)
            .map(|r| {
                let profile: String = r.get(1);
                let network = profile.split('-').next().unwrap_or_default().to_owned();
                VariantView { network, profile, mime_type: r.get(2), bytes: r.get(3), width: r.get(4), height: r.get(5) }
            })
            .collect();
    }
    Ok(())
}

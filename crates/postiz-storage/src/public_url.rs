//! Public URLs of stored media, for networks that fetch a post's files themselves (Instagram,
//! Threads, Slack images, Facebook and Telegram by URL). Making one is local work, no request:
//!
//! - **`local` backend:** a link to the module API's route, `{base}/media/public/{token}/{name}`,
//!   with a [`MediaLinkKey`] token (see [`crate::media_link`]). `{name}` is the object's file
//!   name, for fetchers that look at an extension; the route ignores it.
//! - **`s3` backend:** a SigV4 presigned GET URL of the S3 endpoint (`object_store`'s
//!   [`Signer`] on `AmazonS3`). Chosen over Supabase Storage's own
//!   `POST /storage/v1/object/sign/{bucket}/{path}` because it is signed locally with the S3
//!   keys the store already holds: no service-role key in the worker, no request per link,
//!   and networks download from Supabase directly, not through our API. Supabase documents
//!   presigned URLs on its S3 endpoint (SigV4 query parameters); they live at most 7 days.

use std::sync::Arc;
use std::time::Duration;

use object_store::path::Path;
use object_store::signer::{Method, Signer};
use url::Url;
use uuid::Uuid;

use crate::media_link::{LinkError, MediaLinkKey};
use crate::{MediaStorage, StorageError};

/// The module API route's path under its base: `{base}/media/public/{token}/{name}`.
pub const PUBLIC_MEDIA_PATH: &str = "media/public";

/// Makes public URLs for stored objects.
#[derive(Clone)]
pub struct PublicUrls {
    how: How,
    ttl: Duration,
}

#[derive(Clone)]
enum How {
    /// Links to our own route, signed with the key.
    Signed { key: MediaLinkKey, base: Url },
    /// The S3 endpoint's presigned URLs.
    Presigned { signer: Arc<dyn Signer> },
}

impl std::fmt::Debug for PublicUrls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let how = match &self.how {
            How::Signed { base, .. } => format!("signed links under {base}"),
            How::Presigned { .. } => "S3 presigned URLs".to_owned(),
        };
        f.debug_struct("PublicUrls").field("how", &how).field("ttl", &self.ttl).finish()
    }
}

/// Why no URL could be made for an object.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublicUrlError {
    /// The object or its type cannot be linked (a path outside its workspace, a bad type):
    /// a data problem, trying again will not help.
    #[error(transparent)]
    Refused(#[from] LinkError),
    /// The S3 signer failed (credentials): may pass.
    #[error("presigning a media URL: {0}")]
    Presign(#[source] object_store::Error),
}

impl PublicUrls {
    /// Links to the module API at `base` (where the internet reaches the API's base path,
    /// e.g. `https://app.example.com/dashboard/postiz/api`), signed with `key`, valid for `ttl`.
    pub fn signed(key: MediaLinkKey, base: &str, ttl: Duration) -> Result<Self, StorageError> {
        let mut base = Url::parse(base).map_err(|e| StorageError::Config(format!("media.public_base_url {base:?}: {e}")))?;
        if base.cannot_be_a_base() {
            return Err(StorageError::Config(format!("media.public_base_url {base} cannot hold a path")));
        }
        base.path_segments_mut().map_err(|()| StorageError::Config("media.public_base_url cannot hold a path".into()))?.pop_if_empty();
        Ok(Self { how: How::Signed { key, base }, ttl })
    }

    /// The store's own presigned URLs, when it has them (`s3`).
    pub fn presigned(storage: &MediaStorage, ttl: Duration) -> Option<Self> {
        storage.signer.clone().map(|signer| Self { how: How::Presigned { signer }, ttl })
    }

    /// From the settings: presigned URLs for `s3`; for `local`, signed links when
    /// `POSTIZ_MEDIA_URL_SECRET` is set, else `None` (networks that need a URL then refuse
    /// media posts, saying so).
    pub fn from_settings(settings: &postiz_config::Settings, storage: &MediaStorage) -> Result<Option<Self>, StorageError> {
        let ttl = Duration::from_secs(settings.media.public_url_ttl_secs);
        if let Some(presigned) = Self::presigned(storage, ttl) {
            return Ok(Some(presigned));
        }
        match postiz_config::media_url_secret().map_err(|e| StorageError::Config(e.to_string()))? {
            Some(secret) => Self::signed(MediaLinkKey::new(secret), &settings.media_public_base_url(), ttl).map(Some),
            None => Ok(None),
        }
    }

    /// How long each URL stays valid.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A URL that serves object `path` of `workspace` as `mime` for [`Self::ttl`].
    pub async fn url_for(&self, workspace: Uuid, path: &str, mime: &str) -> Result<Url, PublicUrlError> {
        match &self.how {
            How::Signed { key, base } => {
                let token = key.sign_for(workspace, path, mime, self.ttl)?;
                let name = path.rsplit('/').next().unwrap_or("media");
                let mut url = base.clone();
                url.path_segments_mut()
                    .map_err(|()| LinkError::BadPath(path.to_owned()))?
                    .extend(PUBLIC_MEDIA_PATH.split('/'))
                    .push(&token)
                    .push(name);
                Ok(url)
            }
            How::Presigned { signer } => {
                if !crate::media_link::is_workspace_object(path, Some(workspace)) {
                    return Err(LinkError::BadPath(path.to_owned()).into());
                }
                signer.signed_url(Method::GET, &Path::from(path), self.ttl).await.map_err(PublicUrlError::Presign)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;
    use crate::S3Settings;

    #[tokio::test]
    async fn a_signed_link_sits_under_the_public_base_and_carries_a_token_the_key_accepts() {
        let key = MediaLinkKey::random();
        let urls =
            PublicUrls::signed(key.clone(), "https://app.example.com/dashboard/postiz/api/", Duration::from_secs(600)).expect("urls");
        let ws = Uuid::new_v4();
        let path = format!("{ws}/{}/original.png", Uuid::new_v4());
        let url = urls.url_for(ws, &path, "image/png").await.expect("url");
        let segments: Vec<&str> = url.path_segments().expect("segments").collect();
        assert_eq!(url.host_str(), Some("app.example.com"));
        assert_eq!(segments[..5], ["dashboard", "postiz", "api", "media", "public"]);
        assert_eq!(segments[6], "original.png");
        let granted = key.verify(segments[5], crate::media_link::unix_now()).expect("valid token");
        assert_eq!((granted.path.as_str(), granted.mime.as_str()), (path.as_str(), "image/png"));
        assert!(granted.remaining(crate::media_link::unix_now()) <= 600);
        assert!(!url.as_str().contains(&ws.to_string()), "the path is not spelled out in the URL");
        assert!(matches!(urls.url_for(Uuid::new_v4(), &path, "image/png").await, Err(PublicUrlError::Refused(_))), "another workspace");
    }

    #[tokio::test]
    async fn the_s3_backend_presigns_a_get_for_exactly_that_object() {
        let storage = MediaStorage::s3(&S3Settings {
            endpoint: "https://abcd.supabase.co/storage/v1/s3".into(),
            bucket: "media".into(),
            region: "eu-central-1".into(),
            access_key_id: SecretString::from("AKIDEXAMPLE".to_owned()),
            secret_access_key: SecretString::from("secret-example".to_owned()),
        })
        .expect("store");
        let urls = PublicUrls::presigned(&storage, Duration::from_secs(3600)).expect("s3 presigns");
        let ws = Uuid::new_v4();
        let path = format!("{ws}/{}/original.jpg", Uuid::new_v4());
        let url = urls.url_for(ws, &path, "image/jpeg").await.expect("presigned");
        assert_eq!(url.path(), format!("/storage/v1/s3/media/{path}"));
        let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(query.get("X-Amz-Algorithm").map(String::as_str), Some("AWS4-HMAC-SHA256"));
        assert_eq!(query.get("X-Amz-Expires").map(String::as_str), Some("3600"));
        assert!(query.contains_key("X-Amz-Signature"));
        assert!(!url.as_str().contains("secret-example"), "the secret key never appears");
        assert!(PublicUrls::presigned(&MediaStorage::in_memory(), Duration::from_secs(1)).is_none(), "memory has no signer");
        assert!(urls.url_for(ws, &format!("{ws}/uploads/u/0"), "image/jpeg").await.is_err(), "upload chunks are never linked");
    }
}

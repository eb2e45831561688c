//! Where media bytes live: any `object_store` backend behind one small wrapper.
//!
//! - **Local filesystem** (default): a directory from config (`.postiz/media`, git-ignored).
//! - **Supabase Storage** through its S3-compatible endpoint
//!   (`https://<ref>.supabase.co/storage/v1/s3`, path-style, SigV4, the project's region), with S3
//!   access keys from the dashboard. Those keys bypass storage RLS, which is why the API checks
//!   workspace membership in the user's own RLS transaction before touching an object. Not
//!   exercised by the tests (no Supabase here); built by [`MediaStorage::s3`].
//! - **In memory**, for tests.
//!
//! Object layout (first segment = workspace, as storage policies expect):
//! `<ws>/<asset>/original.<ext>`, `<ws>/<asset>/thumbnail.<ext>`, and chunks of resumable uploads
//! at `<ws>/uploads/<session>/<start offset, 20 digits>`.

pub mod media_link;
pub mod public_url;

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::signer::Signer;
use object_store::{GetOptions, GetRange, GetResult, ObjectMeta, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use secrecy::{ExposeSecret, SecretString};

/// Where the chunks of resumable upload `upload` of workspace `workspace` live (the API writes
/// them; the API and the worker's sweep of expired uploads remove them).
pub fn upload_chunks_prefix(workspace: impl std::fmt::Display, upload: impl std::fmt::Display) -> String {
    format!("{workspace}/uploads/{upload}")
}

/// Why storage failed. Callers answer 503 for everything: the client may retry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The object does not exist.
    #[error("{store}: object not found")]
    NotFound {
        /// Backend name.
        store: &'static str,
    },
    /// Anything else the backend reported.
    #[error("{store}: {source}")]
    Backend {
        /// Backend name.
        store: &'static str,
        /// The backend's error.
        source: object_store::Error,
    },
    /// The store could not be built from its settings.
    #[error("media storage settings: {0}")]
    Config(String),
}

/// Supabase Storage's S3 endpoint (or any S3-compatible store).
pub struct S3Settings {
    /// `https://<ref>.supabase.co/storage/v1/s3`.
    pub endpoint: String,
    /// Bucket name (`media`).
    pub bucket: String,
    /// The project's region (`eu-central-1`).
    pub region: String,
    /// S3 access key id from the dashboard.
    pub access_key_id: SecretString,
    /// S3 secret access key from the dashboard.
    pub secret_access_key: SecretString,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("access_key_id", &"[REDACTED]")
            .field("secret_access_key", &"[REDACTED]")
            .finish()
    }
}

/// The media object store plus the bucket name recorded on each row.
#[derive(Clone)]
pub struct MediaStorage {
    store: Arc<dyn ObjectStore>,
    name: &'static str,
    bucket: String,
    /// The same store as a URL presigner, when the backend has one (S3).
    signer: Option<Arc<dyn Signer>>,
}

impl std::fmt::Debug for MediaStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaStorage").field("backend", &self.name).field("bucket", &self.bucket).finish()
    }
}

impl MediaStorage {
    /// From `[media]`: the local directory, or the S3 endpoint with keys from
    /// `POSTIZ_MEDIA_S3_ACCESS_KEY_ID` / `POSTIZ_MEDIA_S3_SECRET_ACCESS_KEY`.
    pub fn from_settings(m: &postiz_config::MediaSettings) -> Result<Self, StorageError> {
        if m.backend == "s3" {
            let (access_key_id, secret_access_key) =
                postiz_config::media_s3_keys().map_err(|e| StorageError::Config(e.to_string()))?.ok_or_else(|| {
                    StorageError::Config(format!("media.backend = \"s3\" needs {}", postiz_config::MEDIA_S3_KEY_VARS.join(" and ")))
                })?;
            Self::s3(&S3Settings {
                endpoint: m.s3_endpoint.clone(),
                bucket: m.s3_bucket.clone(),
                region: m.s3_region.clone(),
                access_key_id,
                secret_access_key,
            })
        } else {
            Self::local(std::path::Path::new(&m.local_dir))
        }
    }

    /// Objects as files under `dir` (created if missing).
    pub fn local(dir: &std::path::Path) -> Result<Self, StorageError> {
        std::fs::create_dir_all(dir).map_err(|e| StorageError::Config(format!("creating {}: {e}", dir.display())))?;
        let store = LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| StorageError::Config(format!("{}: {e}", dir.display())))?
            .with_automatic_cleanup(true);
        Ok(Self { store: Arc::new(store), name: "local", bucket: "media".into(), signer: None })
    }

    /// Supabase Storage's S3 endpoint: path-style requests (the endpoint keeps its
    /// `/storage/v1/s3` path), signed payloads, static keys.
    pub fn s3(settings: &S3Settings) -> Result<Self, StorageError> {
        let store = AmazonS3Builder::new()
            .with_endpoint(&settings.endpoint)
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region)
            .with_access_key_id(settings.access_key_id.expose_secret())
            .with_secret_access_key(settings.secret_access_key.expose_secret())
            .with_virtual_hosted_style_request(false)
            .build()
            .map_err(|e| StorageError::Config(e.to_string()))?;
        let store = Arc::new(store);
        Ok(Self { store: Arc::clone(&store) as Arc<dyn ObjectStore>, name: "s3", bucket: settings.bucket.clone(), signer: Some(store) })
    }

    /// Objects in memory (tests).
    pub fn in_memory() -> Self {
        Self { store: Arc::new(InMemory::new()), name: "memory", bucket: "media".into(), signer: None }
    }

    /// The bucket name stored on media rows.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    fn err(&self, source: object_store::Error) -> StorageError {
        match source {
            object_store::Error::NotFound { .. } => StorageError::NotFound { store: self.name },
            source => StorageError::Backend { store: self.name, source },
        }
    }

    /// Writes one object whole.
    pub async fn put(&self, path: &str, bytes: Bytes) -> Result<(), StorageError> {
        self.store.put(&Path::from(path), PutPayload::from_bytes(bytes)).await.map(|_| ()).map_err(|e| self.err(e))
    }

    /// Reads one object whole (chunks, thumbnails: bounded sizes).
    pub async fn read(&self, path: &str) -> Result<Bytes, StorageError> {
        let got = self.get(path).await?;
        got.bytes().await.map_err(|e| self.err(e))
    }

    /// Opens an object for streaming.
    pub async fn get(&self, path: &str) -> Result<GetResult, StorageError> {
        self.store.get(&Path::from(path)).await.map_err(|e| self.err(e))
    }

    /// Opens bytes `range` of an object (all of it for `None`) for streaming; the result's
    /// `meta.size` is the whole object's. A range past the end is the caller's to prevent
    /// (check [`Self::head`] first): backends refuse it.
    pub async fn get_range(&self, path: &str, range: Option<Range<u64>>) -> Result<GetResult, StorageError> {
        let options = GetOptions { range: range.map(GetRange::Bounded), ..GetOptions::default() };
        self.store.get_opts(&Path::from(path), options).await.map_err(|e| self.err(e))
    }

    /// An object's size and version tag, without its bytes.
    pub async fn head(&self, path: &str) -> Result<ObjectMeta, StorageError> {
        self.store.head(&Path::from(path)).await.map_err(|e| self.err(e))
    }

    /// Removes an object; a missing one is not an error.
    pub async fn delete(&self, path: &str) -> Result<(), StorageError> {
        match self.store.delete(&Path::from(path)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.err(e)),
        }
    }

    /// Every object under `prefix` with its size, sorted by path.
    pub async fn list(&self, prefix: &str) -> Result<Vec<(String, u64)>, StorageError> {
        let prefix = Path::from(prefix);
        let mut out: Vec<(String, u64)> =
            self.store.list(Some(&prefix)).map_ok(|m| (m.location.to_string(), m.size)).try_collect().await.map_err(|e| self.err(e))?;
        out.sort();
        Ok(out)
    }

    /// Removes every object under `prefix`.
    pub async fn delete_prefix(&self, prefix: &str) -> Result<(), StorageError> {
        for (path, _) in self.list(prefix).await? {
            self.delete(&path).await?;
        }
        Ok(())
    }

    /// Best-effort removal after a failure: logs instead of failing, because the request is
    /// already answering with the original error. An object left behind is only storage; a
    /// row without its object would be a broken asset, which is why bytes go first.
    pub async fn discard(&self, paths: &[String]) {
        for path in paths {
            if let Err(e) = self.delete(path).await {
                tracing::warn!(object.path = %path, error = %e, "could not remove an object after a failed upload");
            }
        }
    }

    /// A streaming writer for one large object (multipart upload on S3, a staged file locally).
    pub async fn writer(&self, path: &str) -> Result<ObjectWriter, StorageError> {
        let upload = self.store.put_multipart(&Path::from(path)).await.map_err(|e| self.err(e))?;
        Ok(ObjectWriter { inner: WriteMultipart::new_with_chunk_size(upload, 8 * 1024 * 1024), name: self.name })
    }
}

/// Writes an object in parts; [`ObjectWriter::abort`] leaves nothing behind.
pub struct ObjectWriter {
    inner: WriteMultipart,
    name: &'static str,
}

impl std::fmt::Debug for ObjectWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectWriter").field("backend", &self.name).finish_non_exhaustive()
    }
}

impl ObjectWriter {
    /// Appends bytes (waits when too many parts are in flight).
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), StorageError> {
        self.inner.wait_for_capacity(4).await.map_err(|source| StorageError::Backend { store: self.name, source })?;
        self.inner.write(bytes);
        Ok(())
    }

    /// Completes the object.
    pub async fn finish(self) -> Result<(), StorageError> {
        let name = self.name;
        self.inner.finish().await.map(|_| ()).map_err(|source| StorageError::Backend { store: name, source })
    }

    /// Abandons the object.
    pub async fn abort(self) {
        let name = self.name;
        if let Err(e) = self.inner.abort().await {
            tracing::warn!(store = name, error = %e, "could not abort a multipart upload");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_read_list_delete_on_the_local_store() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = MediaStorage::local(dir.path()).expect("store");
        s.put("w/a/original.png", Bytes::from_static(b"png")).await.expect("put");
        s.put("w/uploads/u/00000000000000000000", Bytes::from_static(b"c0")).await.expect("put");
        assert_eq!(s.read("w/a/original.png").await.expect("read"), Bytes::from_static(b"png"));
        assert_eq!(s.list("w/uploads/u").await.expect("list").len(), 1);
        s.delete_prefix("w/uploads/u").await.expect("delete prefix");
        assert!(s.list("w/uploads/u").await.expect("list").is_empty());
        s.delete("w/a/original.png").await.expect("delete");
        s.delete("w/a/original.png").await.expect("deleting twice is fine");
        assert!(matches!(s.read("w/a/original.png").await, Err(StorageError::NotFound { .. })));
    }

    #[tokio::test]
    async fn a_streamed_object_is_whole_and_an_aborted_one_absent() {
        let s = MediaStorage::in_memory();
        let mut w = s.writer("w/a/original.mp4").await.expect("writer");
        w.write(b"abc").await.expect("write");
        w.write(b"def").await.expect("write");
        w.finish().await.expect("finish");
        assert_eq!(s.read("w/a/original.mp4").await.expect("read"), Bytes::from_static(b"abcdef"));
        let mut w = s.writer("w/b/original.mp4").await.expect("writer");
        w.write(b"abc").await.expect("write");
        w.abort().await;
        assert!(s.list("w/b").await.expect("list").is_empty());
    }

    #[test]
    fn s3_settings_build_a_store_and_hide_keys() {
        let settings = S3Settings {
            endpoint: "https://abcd.supabase.co/storage/v1/s3".into(),
            bucket: "media".into(),
            region: "eu-central-1".into(),
            access_key_id: SecretString::from("AKIDEXAMPLE".to_owned()),
            secret_access_key: SecretString::from("secret-example".to_owned()),
        };
        assert!(!format!("{settings:?}").contains("secret-example"));
        let s = MediaStorage::s3(&settings).expect("builds without network access");
        assert_eq!(s.bucket(), "media");
    }
}

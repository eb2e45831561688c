use serde::Deserialize;

/// All non-secret settings, one struct per `config.toml` section.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `[server]`: the module API.
    #[serde(default)]
    pub server: ServerSettings,
    /// `[database]`: where the system of record lives.
    #[serde(default)]
    pub database: DatabaseSettings,
    /// `[supabase]`: the host's Supabase project.
    #[serde(default)]
    pub supabase: SupabaseSettings,
    /// `[worker]`: the publish worker.
    #[serde(default)]
    pub worker: WorkerSettings,
    /// `[local_db]`: the project's private development cluster.
    #[serde(default)]
    pub local_db: LocalDbSettings,
    /// `[oauth]`: connecting accounts and keeping their tokens fresh.
    #[serde(default)]
    pub oauth: OAuthSettings,
    /// `[media]`: where uploaded media is stored and how large it may be.
    #[serde(default)]
    pub media: MediaSettings,
    /// `[public_api]`: the API-key API for automations (`/public/v1`).
    #[serde(default)]
    pub public_api: PublicApiSettings,
    /// `[analytics]`: when the worker reads published posts' numbers.
    #[serde(default)]
    pub analytics: AnalyticsSettings,
    /// `[private_servers]`: private networks and host names user-entered server addresses
    /// may reach (connect, publish, refresh, media imports).
    #[serde(default)]
    pub private_servers: crate::PrivateServersSettings,
    /// `[email]`: the SMTP server notification emails go through.
    #[serde(default)]
    pub email: crate::EmailSettings,
    /// `[webhooks]`: delivering outgoing webhooks.
    #[serde(default)]
    pub webhooks: WebhookSettings,
}

/// `[webhooks]` section: how the worker delivers outgoing webhooks (their URLs pass
/// `[private_servers]` too).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookSettings {
    /// Seconds one request may take, answer included.
    pub timeout_secs: u32,
    /// Attempts before a delivery is failed (it can still be redelivered by hand).
    pub max_attempts: u32,
    /// Seconds before the first retry; doubles per attempt, at most an hour.
    pub retry_base_secs: u32,
    /// Failed attempts in a row that disable an endpoint (its admins are notified).
    pub disable_after_failures: u32,
    /// Hours of failures without a success that disable an endpoint at its next failure.
    pub disable_after_hours: u32,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self { timeout_secs: 10, max_attempts: 12, retry_base_secs: 30, disable_after_failures: 10, disable_after_hours: 24 }
    }
}

/// `[analytics]` section.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AnalyticsSettings {
    /// Hours after publishing at which a post's numbers are read, ascending; after the last,
    /// reads stop. The worker writes them to the database at start (one cadence for every
    /// worker: the last one started wins).
    pub post_cadence_hours: Vec<u32>,
}

impl Default for AnalyticsSettings {
    fn default() -> Self {
        Self { post_cadence_hours: vec![1, 6, 24, 72, 168, 720] }
    }
}

/// `[server]` section.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Socket address to listen on.
    pub bind: std::net::SocketAddr,
    /// Path prefix the host mounts the API under.
    pub base_path: String,
    /// Origin browsers use to reach the module (OAuth redirect URLs are built from it).
    pub public_url: String,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            bind: std::net::SocketAddr::from(([127, 0, 0, 1], 8787)),
            base_path: "/dashboard/postiz/api".into(),
            public_url: "http://127.0.0.1:8787".into(),
        }
    }
}

/// `[database]` section. The password-carrying URL comes from `SUPABASE_DB_URL`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// Password-free connection string used when `SUPABASE_DB_URL` is not set.
    pub url: String,
    /// Connections per process.
    pub pool_size: usize,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self { url: "postgresql://postgres@127.0.0.1:54329/postgres".into(), pool_size: 16 }
    }
}

/// `[supabase]` section.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SupabaseSettings {
    /// Project URL (`https://<ref>.supabase.co`); `SUPABASE_URL` overrides it.
    pub url: String,
    /// Expected `aud` claim of user access tokens.
    pub jwt_audience: String,
    /// With `SUPABASE_ANON_KEY` set, the API confirms the caller's session with Supabase Auth
    /// before sensitive actions; a confirmed session is trusted this many seconds.
    pub session_check_secs: u64,
    /// With `SUPABASE_SERVICE_ROLE_KEY` set, an invitee without an account gets Supabase Auth's
    /// invite email, whose link lands here (`?invite=<token>` added). Empty means
    /// `{server.public_url}/dashboard/postiz/invite`; list it in Auth's redirect URLs.
    pub invite_redirect_url: String,
}

impl Default for SupabaseSettings {
    fn default() -> Self {
        Self {
            url: "http://127.0.0.1:8787".into(),
            jwt_audience: "authenticated".into(),
            session_check_secs: 30,
            invite_redirect_url: String::new(),
        }
    }
}

/// `[worker]` section.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct WorkerSettings {
    /// Messages read per batch.
    pub batch_size: u32,
    /// Seconds a read message stays invisible; longer than the provider timeout.
    pub visibility_timeout_secs: u32,
    /// Provider HTTP timeout in seconds.
    pub provider_timeout_secs: u32,
    /// Attempts per job before it fails (the first included).
    pub max_attempts: u32,
    /// Backoff after the first failure, in milliseconds; doubles with each further one.
    pub retry_base_ms: u64,
    /// Most publish jobs in flight at once in one worker process.
    pub max_in_flight: usize,
    /// Seconds before a scheduled post within which its account's token is verified (the
    /// pre-flight check); 0 turns the check off.
    pub preflight_before_secs: u32,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            batch_size: 64,
            visibility_timeout_secs: 120,
            provider_timeout_secs: 30,
            max_attempts: 6,
            retry_base_ms: 5_000,
            max_in_flight: 512,
            preflight_before_secs: 7_200,
        }
    }
}

/// `[local_db]` section: the private PostgreSQL 15 cluster for development and tests.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LocalDbSettings {
    /// Cluster directory, relative to the repository root.
    pub dir: String,
    /// TCP port on 127.0.0.1.
    pub port: u16,
}

impl Default for LocalDbSettings {
    fn default() -> Self {
        Self { dir: ".postiz/pg".into(), port: 54329 }
    }
}

/// `[oauth]` section: OAuth client ids (secrets come from `POSTIZ_OAUTH_<NETWORK>_CLIENT_SECRET`),
/// the connect flow and the worker's token refresh sweep.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct OAuthSettings {
    /// Where networks send the browser back after consent: a page of the host UI that posts
    /// `code` and `state` to the API. Empty means `{server.public_url}/dashboard/postiz/oauth/callback`.
    pub redirect_url: String,
    /// How long a started connect flow stays valid, in seconds.
    pub state_ttl_secs: u32,
    /// Client name registered on Mastodon-style instances.
    pub client_name: String,
    /// Refresh tokens that expire within this many seconds (the worker's sweep).
    pub refresh_ahead_secs: u32,
    /// Seconds between two sweeps.
    pub sweep_every_secs: u32,
    /// Accounts refreshed per sweep at most.
    pub sweep_batch: u32,
    /// Refreshes in flight at once during a sweep.
    pub sweep_concurrency: u32,
    /// Pause between starting two refreshes of a sweep, in milliseconds.
    pub sweep_pace_ms: u64,
    /// Client ids per network wire name (`x`, `linkedin`, `facebook`, …): `[oauth.clients.x]`.
    pub clients: std::collections::BTreeMap<String, OAuthClientSettings>,
}

impl Default for OAuthSettings {
    fn default() -> Self {
        Self {
            redirect_url: String::new(),
            state_ttl_secs: 600,
            client_name: "Postiz".into(),
            refresh_ahead_secs: 3600,
            sweep_every_secs: 60,
            sweep_batch: 100,
            sweep_concurrency: 4,
            sweep_pace_ms: 200,
            clients: std::collections::BTreeMap::new(),
        }
    }
}

/// `[oauth.clients.<network>]`: the operator's OAuth app on one network.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct OAuthClientSettings {
    /// The app's client id (public). Its secret is `POSTIZ_OAUTH_<NETWORK>_CLIENT_SECRET`.
    pub client_id: String,
}

/// `[media]` section. S3 keys come from `POSTIZ_MEDIA_S3_ACCESS_KEY_ID` and
/// `POSTIZ_MEDIA_S3_SECRET_ACCESS_KEY`, never from a file.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MediaSettings {
    /// `local` (a directory) or `s3` (Supabase Storage's S3 endpoint).
    pub backend: String,
    /// `local`: the directory, relative to the working directory (git-ignored by default).
    pub local_dir: String,
    /// `s3`: `https://<ref>.supabase.co/storage/v1/s3`.
    pub s3_endpoint: String,
    /// `s3`: the bucket.
    pub s3_bucket: String,
    /// `s3`: the project's region.
    pub s3_region: String,
    /// Largest multipart upload in bytes (held in memory while checked).
    pub max_upload_bytes: u64,
    /// Largest image in bytes.
    pub max_image_bytes: u64,
    /// Largest video in bytes (resumable uploads).
    pub max_video_bytes: u64,
    /// Largest chunk of a resumable upload in bytes.
    pub max_chunk_bytes: u64,
    /// Longest image side in pixels.
    pub max_image_side: u32,
    /// Thumbnails fit in a square of this many pixels.
    pub thumbnail_side: u32,
    /// Seconds an unfinished resumable upload is kept.
    pub upload_ttl_secs: u64,
    /// Seconds an import from a URL (`POST …/media/from-url`) may take in all.
    pub fetch_timeout_secs: u64,
    /// Where networks that pull media by URL (Instagram, Threads, Slack, Facebook videos) reach
    /// this API's base path from the internet, e.g. `https://app.example.com/dashboard/postiz/api`.
    /// Empty means `server.public_url` + `server.base_path`. Only the `local` backend's signed
    /// links use it; `s3` hands out the store's own presigned URLs.
    pub public_base_url: String,
    /// Seconds a public media link stays valid.
    pub public_url_ttl_secs: u64,
}

impl Default for MediaSettings {
    fn default() -> Self {
        Self {
            backend: "local".into(),
            local_dir: ".postiz/media".into(),
            s3_endpoint: String::new(),
            s3_bucket: "media".into(),
            s3_region: String::new(),
            max_upload_bytes: 64 * 1024 * 1024,
            max_image_bytes: 20 * 1024 * 1024,
            max_video_bytes: 1024 * 1024 * 1024,
            max_chunk_bytes: 16 * 1024 * 1024,
            max_image_side: 8192,
            thumbnail_side: 320,
            upload_ttl_secs: 24 * 3600,
            fetch_timeout_secs: 30,
            public_base_url: String::new(),
            public_url_ttl_secs: 3600,
        }
    }
}

/// `[public_api]` section.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PublicApiSettings {
    /// Requests per API key and minute, on average (per API process).
    pub requests_per_minute: u32,
    /// Requests a key may send at once before the average applies.
    pub burst: u32,
}

impl Default for PublicApiSettings {
    fn default() -> Self {
        Self { requests_per_minute: 60, burst: 20 }
    }
}

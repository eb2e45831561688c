use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use secrecy::{ExposeSecret, SecretString};

use crate::{ConfigError, Secrets, Settings};

/// Loads settings from `config.toml` (or the file named by `POSTIZ_CONFIG`) and the environment.
pub fn load() -> Result<Settings, ConfigError> {
    let path = std::env::var("POSTIZ_CONFIG").unwrap_or_else(|_| "config.toml".into());
    load_from(Path::new(&path))
}

/// Loads settings with `file` as the TOML layer. A missing file is allowed: defaults apply.
pub fn load_from(file: &Path) -> Result<Settings, ConfigError> {
    let figment = Figment::new()
        .merge(Toml::file(file))
        .merge(Env::prefixed("POSTIZ__").split("__"))
        // Supabase's own variable name wins over our section key, as hosts already set it.
        .merge(Env::raw().only(&["SUPABASE_URL"]).map(|_| "supabase.url".into()));
    let settings: Settings = figment.extract().map_err(Box::new)?;
    settings.validate()?;
    Ok(settings)
}

impl Settings {
    fn validate(&self) -> Result<(), ConfigError> {
        let db = parse_url("database.url", &self.database.url, "postgresql://postgres@127.0.0.1:54329/postgres")?;
        if db.password().is_some() {
            return Err(ConfigError::PasswordInFile);
        }
        parse_url("supabase.url", &self.supabase.url, "https://abcd.supabase.co")?;
        parse_url("server.public_url", &self.server.public_url, "https://app.example.com")?;
        if !self.oauth.redirect_url.is_empty() {
            parse_url("oauth.redirect_url", &self.oauth.redirect_url, "https://app.example.com/dashboard/postiz/oauth/callback")?;
        }
        if !self.supabase.invite_redirect_url.is_empty() {
            parse_url(
                "supabase.invite_redirect_url",
                &self.supabase.invite_redirect_url,
                "https://app.example.com/dashboard/postiz/invite",
            )?;
        }
        for (network, client) in &self.oauth.clients {
            let key = format!("oauth.clients.{network}");
            let wire = network.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && network.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !wire {
                return Err(ConfigError::BadOAuth {
                    key,
                    problem: "use the network's wire name, e.g. `x`, `linkedin_page`, `facebook`".into(),
                });
            }
            if client.client_id.trim().is_empty() {
                return Err(ConfigError::BadOAuth {
                    key: format!("{key}.client_id"),
                    problem: "must not be empty; copy it from the network's developer console".into(),
                });
            }
        }
        self.validate_media()?;
        if self.oauth.state_ttl_secs == 0 || self.oauth.sweep_concurrency == 0 || self.oauth.sweep_batch == 0 {
            return Err(ConfigError::BadOAuth {
                key: "oauth".into(),
                problem: "state_ttl_secs, sweep_batch and sweep_concurrency must be at least 1".into(),
            });
        }
        Ok(())
    }

    fn validate_media(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, problem: &str| Err(ConfigError::BadSetting { key: key.into(), problem: problem.into() });
        let m = &self.media;
        match m.backend.as_str() {
            "local" if m.local_dir.trim().is_empty() => return bad("media.local_dir", "must name a directory, e.g. .postiz/media"),
            "local" => {}
            "s3" => {
                if m.s3_endpoint.trim().is_empty() || m.s3_region.trim().is_empty() || m.s3_bucket.trim().is_empty() {
                    return bad(
                        "media",
                        "backend = \"s3\" needs s3_endpoint (https://<ref>.supabase.co/storage/v1/s3), s3_region and s3_bucket",
                    );
                }
                parse_url("media.s3_endpoint", &m.s3_endpoint, "https://abcd.supabase.co/storage/v1/s3")?;
            }
            _ => return bad("media.backend", "must be \"local\" or \"s3\""),
        }
        let sizes = [m.max_upload_bytes, m.max_image_bytes, m.max_video_bytes, m.max_chunk_bytes, m.upload_ttl_secs];
        if sizes.contains(&0) || m.max_image_side == 0 || m.thumbnail_side == 0 {
            return bad("media", "sizes, sides and upload_ttl_secs must be at least 1");
        }
        if m.fetch_timeout_secs == 0 {
            return bad("media.fetch_timeout_secs", "must be at least 1");
        }
        if !m.public_base_url.is_empty() {
            let url = parse_url("media.public_base_url", &m.public_base_url, "https://app.example.com/dashboard/postiz/api")?;
            if !matches!(url.scheme(), "http" | "https") || url.query().is_some() || url.fragment().is_some() {
                return bad(
                    "media.public_base_url",
                    "must be an http(s) address without query or fragment, e.g. https://app.example.com/dashboard/postiz/api",
                );
            }
        }
        // A week is the longest a SigV4 presigned URL may live.
        if !(60..=MAX_PUBLIC_URL_TTL_SECS).contains(&m.public_url_ttl_secs) {
            return bad("media.public_url_ttl_secs", "must be between 60 and 604800 (7 days, the longest an S3 presigned URL may live)");
        }
        if self.public_api.requests_per_minute == 0 || self.public_api.burst == 0 {
            return bad("public_api", "requests_per_minute and burst must be at least 1");
        }
        Ok(())
    }

    /// Where networks redirect after consent: `oauth.redirect_url`, or the host UI's callback
    /// page under `server.public_url`.
    pub fn oauth_redirect_url(&self) -> String {
        if self.oauth.redirect_url.is_empty() {
            format!("{}/dashboard/postiz/oauth/callback", self.server.public_url.trim_end_matches('/'))
        } else {
            self.oauth.redirect_url.clone()
        }
    }

    /// Where Supabase Auth's invite email lands: `supabase.invite_redirect_url`, or the host
    /// UI's acceptance screen under `server.public_url`.
    pub fn invite_redirect_url(&self) -> String {
        if self.supabase.invite_redirect_url.is_empty() {
            format!("{}/dashboard/postiz/invite", self.server.public_url.trim_end_matches('/'))
        } else {
            self.supabase.invite_redirect_url.clone()
        }
    }

    /// Where networks reach this API's base path for public media links:
    /// `media.public_base_url`, or `server.public_url` + `server.base_path`; no trailing slash.
    pub fn media_public_base_url(&self) -> String {
        if self.media.public_base_url.is_empty() {
            format!("{}/{}", self.server.public_url.trim_end_matches('/'), self.server.base_path.trim_matches('/'))
        } else {
            self.media.public_base_url.trim_end_matches('/').to_owned()
        }
    }

    /// The database connection string: `SUPABASE_DB_URL` when set, else `database.url`.
    pub fn database_url(&self, secrets: &Secrets) -> SecretString {
        match &secrets.db_url {
            Some(url) => SecretString::from(url.expose_secret().to_owned()),
            None => SecretString::from(self.database.url.clone()),
        }
    }
}

/// Seconds in a week: the longest a SigV4 presigned URL may be valid.
const MAX_PUBLIC_URL_TTL_SECS: u64 = 7 * 24 * 3600;

fn parse_url(key: &'static str, value: &str, example: &'static str) -> Result<url::Url, ConfigError> {
    url::Url::parse(value).map_err(|e| ConfigError::BadUrl { key, reason: e.to_string(), example })
}

#[cfg(test)]
#[allow(clippy::result_large_err, reason = "figment::Jail's closures return figment::Result")]
mod tests {
    use figment::Jail;

    use super::*;

    fn load_in(jail: &Jail) -> Result<Settings, ConfigError> {
        load_from(&jail.directory().join("config.toml"))
    }

    /// Runs `f` in a jail whose environment starts empty, so the caller's own overrides
    /// (e.g. `POSTIZ__LOCAL_DB__PORT` in CI) cannot leak into the expectations.
    fn jailed(f: impl FnOnce(&mut Jail) -> figment::error::Result<()>) {
        Jail::expect_with(|jail| {
            jail.clear_env();
            f(jail)
        });
    }

    #[test]
    fn media_settings_are_checked_and_s3_keys_come_in_pairs() {
        jailed(|jail| {
            jail.create_file("config.toml", "[media]\nbackend = \"s3\"\n")?;
            assert!(load_in(jail).unwrap_err().to_string().contains("s3_endpoint"));
            jail.create_file("config.toml", "[media]\nbackend = \"ftp\"\n")?;
            assert!(load_in(jail).unwrap_err().to_string().contains("media.backend"));
            jail.create_file(
                "config.toml",
                "[media]\nbackend = \"s3\"\ns3_endpoint = \"https://abcd.supabase.co/storage/v1/s3\"\ns3_region = \"eu-central-1\"\n",
            )?;
            assert_eq!(load_in(jail).expect("loads").media.s3_bucket, "media");
            jail.set_env("POSTIZ__PUBLIC_API__REQUESTS_PER_MINUTE", "0");
            assert!(load_in(jail).unwrap_err().to_string().contains("public_api"));
            Ok(())
        });
        let only_id = crate::media_s3_keys_from(|k| (k == "POSTIZ_MEDIA_S3_ACCESS_KEY_ID").then(|| "id".into()));
        assert!(only_id.unwrap_err().to_string().contains("POSTIZ_MEDIA_S3_SECRET_ACCESS_KEY"));
        assert!(crate::media_s3_keys_from(|_| None).expect("none").is_none());
        assert!(crate::media_s3_keys_from(|_| Some("x".into())).expect("both").is_some());
    }

    #[test]
    fn public_media_links_default_to_the_api_address_and_their_settings_are_checked() {
        jailed(|jail| {
            let s = load_in(jail).expect("defaults");
            assert_eq!(s.media_public_base_url(), "http://127.0.0.1:8787/dashboard/postiz/api");
            assert_eq!(s.media.public_url_ttl_secs, 3600);
            jail.create_file("config.toml", "[media]\npublic_base_url = \"https://abc.trycloudflare.com/dashboard/postiz/api/\"\n")?;
            assert_eq!(load_in(jail).expect("loads").media_public_base_url(), "https://abc.trycloudflare.com/dashboard/postiz/api");
            jail.create_file("config.toml", "[media]\npublic_base_url = \"ftp://x.example\"\n")?;
            assert!(load_in(jail).unwrap_err().to_string().contains("media.public_base_url"));
            jail.create_file("config.toml", "[media]\npublic_url_ttl_secs = 700000\n")?;
            assert!(load_in(jail).unwrap_err().to_string().contains("media.public_url_ttl_secs"));
            Ok(())
        });
        assert!(crate::media_url_secret_from(|_| None).expect("unset is fine").is_none());
        assert!(crate::media_url_secret_from(|_| Some("short".into())).unwrap_err().to_string().contains("POSTIZ_MEDIA_URL_SECRET"));
        assert!(crate::media_url_secret_from(|_| Some("k".repeat(32))).expect("long enough").is_some());
    }

    #[test]
    fn the_checked_in_config_loads_with_the_default_media_and_public_api_settings() {
        jailed(|_| {
            let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config.toml");
            let s = load_from(&file).expect("config.toml loads");
            assert_eq!(s.media, crate::MediaSettings::default());
            assert_eq!(s.public_api, crate::PublicApiSettings::default());
            assert_eq!(s.webhooks, crate::WebhookSettings::default());
            assert_eq!(s.email, crate::EmailSettings::default(), "[email] documents the defaults");
            Ok(())
        });
    }

    #[test]
    fn defaults_apply_without_a_file() {
        jailed(|jail| {
            let s = load_in(jail).expect("defaults load");
            assert_eq!(s, Settings::default());
            Ok(())
        });
    }

    #[test]
    fn env_overrides_file_and_file_overrides_defaults() {
        jailed(|jail| {
            jail.create_file("config.toml", "[worker]\nbatch_size = 8\nvisibility_timeout_secs = 90\n")?;
            jail.set_env("POSTIZ__WORKER__BATCH_SIZE", "32");
            let s = load_in(jail).expect("loads");
            assert_eq!(s.worker.batch_size, 32, "env beats file");
            assert_eq!(s.worker.visibility_timeout_secs, 90, "file beats default");
            assert_eq!(s.worker.provider_timeout_secs, 30, "default kept");
            Ok(())
        });
    }

    #[test]
    fn supabase_url_variable_beats_section_override() {
        jailed(|jail| {
            jail.set_env("POSTIZ__SUPABASE__URL", "https://from-postiz.example");
            jail.set_env("SUPABASE_URL", "https://abcd.supabase.co");
            let s = load_in(jail).expect("loads");
            assert_eq!(s.supabase.url, "https://abcd.supabase.co");
            Ok(())
        });
    }

    #[test]
    fn unknown_key_is_rejected_naming_key() {
        jailed(|jail| {
            jail.create_file("config.toml", "[server]\nbnd = \"127.0.0.1:1\"\n")?;
            let err = load_in(jail).expect_err("typo must fail").to_string();
            assert!(err.contains("bnd"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn unknown_env_key_is_rejected() {
        jailed(|jail| {
            jail.set_env("POSTIZ__SUPABASE__JWT_SECRET", "s3cret");
            let err = load_in(jail).expect_err("secrets are not settings").to_string();
            assert!(err.contains("jwt_secret"), "{err}");
            assert!(!err.contains("s3cret"), "the value must not be echoed: {err}");
            Ok(())
        });
    }

    #[test]
    fn wrong_type_names_the_key() {
        jailed(|jail| {
            jail.create_file("config.toml", "[local_db]\nport = \"high\"\n")?;
            let err = load_in(jail).expect_err("type error").to_string();
            assert!(err.contains("port"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn private_servers_are_listed_by_the_operator_and_a_bad_entry_names_the_key() {
        jailed(|jail| {
            assert!(load_in(jail).expect("defaults").private_servers.allow.is_empty(), "nothing private is reachable by default");
            jail.create_file("config.toml", "[private_servers]\nallow = [\"10.20.0.0/16\", \"fd00::/8\", \"pds.intranet.example\"]\n")?;
            let allow = load_in(jail).expect("loads").private_servers.allow;
            assert_eq!(allow.networks(), &["10.20.0.0/16".parse::<ipnet::IpNet>().unwrap(), "fd00::/8".parse().unwrap()]);
            assert_eq!(allow.hosts(), &["pds.intranet.example".to_owned()]);
            jail.set_env("POSTIZ__PRIVATE_SERVERS__ALLOW", "[\"127.0.0.1/32\", \"localhost\"]");
            let allow = load_in(jail).expect("env loads").private_servers.allow;
            assert_eq!(allow.networks(), &["127.0.0.1/32".parse::<ipnet::IpNet>().unwrap()], "the environment overrides the file");
            assert!(allow.lists_host("localhost"));
            jail.clear_env();
            jail.create_file("config.toml", "[private_servers]\nallow = [\"10.20.0.0/33\"]\n")?;
            let err = load_in(jail).expect_err("bad CIDR").to_string();
            assert!(err.contains("allow") && err.contains("10.20.0.0/33"), "{err}");
            jail.create_file("config.toml", "[media]\nfetch_timeout_secs = 0\n")?;
            let err = load_in(jail).expect_err("zero timeout").to_string();
            assert!(err.contains("media.fetch_timeout_secs"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn password_in_file_is_refused() {
        jailed(|jail| {
            jail.create_file("config.toml", "[database]\nurl = \"postgresql://postgres:hunter2@db/postgres\"\n")?;
            let err = load_in(jail).expect_err("password in file");
            assert!(matches!(err, ConfigError::PasswordInFile));
            assert!(err.to_string().contains("SUPABASE_DB_URL"));
            Ok(())
        });
    }

    #[test]
    fn bad_url_says_what_to_write() {
        jailed(|jail| {
            jail.set_env("SUPABASE_URL", "not a url");
            let err = load_in(jail).expect_err("bad url").to_string();
            assert!(err.contains("supabase.url") && err.contains("https://abcd.supabase.co"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn db_url_secret_overrides_file_and_secrets_are_redacted() {
        let secrets = Secrets::from_lookup(|k| match k {
            "SUPABASE_DB_URL" => Some("postgresql://postgres:pw-123@db.example/postgres".into()),
            "SUPABASE_JWT_SECRET" => Some("jwt-secret-value".into()),
            _ => None,
        })
        .expect("valid");
        let url = Settings::default().database_url(&secrets);
        assert!(url.expose_secret().contains("db.example"));
        let debug = format!("{secrets:?}");
        assert!(!debug.contains("pw-123") && !debug.contains("jwt-secret-value"), "{debug}");
        assert!(debug.contains("[REDACTED]") && debug.contains("unset"));
    }

    #[test]
    fn oauth_clients_load_from_file_and_env() {
        jailed(|jail| {
            jail.create_file(
                "config.toml",
                "[oauth]\nstate_ttl_secs = 300\n[oauth.clients.x]\nclient_id = \"x-id\"\n[oauth.clients.linkedin_page]\nclient_id = \"li\"\n",
            )?;
            jail.set_env("POSTIZ__OAUTH__CLIENTS__FACEBOOK__CLIENT_ID", "fb-id");
            jail.set_env("POSTIZ__OAUTH__SWEEP_CONCURRENCY", "2");
            let s = load_in(jail).expect("loads");
            assert_eq!(s.oauth.state_ttl_secs, 300);
            assert_eq!(s.oauth.sweep_concurrency, 2);
            assert_eq!(s.oauth.clients["x"].client_id, "x-id");
            assert_eq!(s.oauth.clients["linkedin_page"].client_id, "li");
            assert_eq!(s.oauth.clients["facebook"].client_id, "fb-id");
            assert_eq!(s.oauth_redirect_url(), "http://127.0.0.1:8787/dashboard/postiz/oauth/callback");
            Ok(())
        });
    }

    #[test]
    fn oauth_client_secret_in_config_is_rejected() {
        jailed(|jail| {
            jail.create_file("config.toml", "[oauth.clients.x]\nclient_id = \"a\"\nclient_secret = \"leak-me\"\n")?;
            let err = load_in(jail).expect_err("secrets are env-only").to_string();
            assert!(err.contains("client_secret"), "{err}");
            assert!(!err.contains("leak-me"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn oauth_bad_values_name_the_key() {
        jailed(|jail| {
            jail.create_file("config.toml", "[oauth.clients.X]\nclient_id = \"a\"\n")?;
            assert!(load_in(jail).expect_err("bad name").to_string().contains("oauth.clients.X"));
            jail.create_file("config.toml", "[oauth.clients.x]\nclient_id = \" \"\n")?;
            assert!(load_in(jail).expect_err("empty id").to_string().contains("oauth.clients.x.client_id"));
            jail.create_file("config.toml", "[oauth]\nredirect_url = \"nope\"\n")?;
            assert!(load_in(jail).expect_err("bad url").to_string().contains("oauth.redirect_url"));
            jail.create_file("config.toml", "[oauth]\nsweep_concurrency = 0\n")?;
            assert!(load_in(jail).expect_err("zero").to_string().contains("sweep_concurrency"));
            jail.create_file("config.toml", "[oauth]\nredirect_url = \"https://app.example/cb\"\n")?;
            assert_eq!(load_in(jail).expect("loads").oauth_redirect_url(), "https://app.example/cb");
            Ok(())
        });
    }

    #[test]
    fn oauth_client_secret_comes_from_its_own_variable() {
        use crate::secrets::oauth_client_secret_from;
        assert_eq!(crate::oauth_client_secret_var("linkedin_page"), "POSTIZ_OAUTH_LINKEDIN_PAGE_CLIENT_SECRET");
        let got = oauth_client_secret_from("x", |k| (k == "POSTIZ_OAUTH_X_CLIENT_SECRET").then(|| "s3".into())).expect("ok");
        assert_eq!(got.map(|s| s.expose_secret().to_owned()).as_deref(), Some("s3"));
        assert!(oauth_client_secret_from("x", |_| None).expect("ok").is_none());
        let err = oauth_client_secret_from("x", |_| Some("".into())).expect_err("empty");
        assert!(err.to_string().contains("POSTIZ_OAUTH_X_CLIENT_SECRET"));
    }

    #[test]
    fn empty_secret_is_an_error_naming_the_variable() {
        let err = Secrets::from_lookup(|k| (k == "SUPABASE_JWT_SECRET").then(|| " ".into())).expect_err("empty");
        assert!(err.to_string().contains("SUPABASE_JWT_SECRET"));
    }
}

/// Why the configuration could not be used; every message says what to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A value has the wrong type, a key is unknown, or a file cannot be parsed.
    #[error("invalid configuration: {0}")]
    Invalid(#[from] Box<figment::Error>),
    /// `database.url` in a file carries a password.
    #[error(
        "database.url in the configuration file contains a password; remove it and set the full \
         connection string in the SUPABASE_DB_URL environment variable instead"
    )]
    PasswordInFile,
    /// A URL setting does not parse.
    #[error("{key} is not a valid URL ({reason}); example: {example}")]
    BadUrl {
        /// The dotted key, e.g. `supabase.url`.
        key: &'static str,
        /// What the URL parser said.
        reason: String,
        /// A well-formed value to copy.
        example: &'static str,
    },
    /// A secret variable is present but empty.
    #[error("environment variable {0} is set but empty; unset it or give it a value")]
    EmptySecret(&'static str),
    /// An OAuth client secret variable is present but empty.
    #[error("environment variable {0} is set but empty; unset it or give it a value")]
    EmptyOAuthSecret(String),
    /// A secret that goes with another one that is set is missing.
    #[error("environment variable {0} is not set, but its companion is; set both or neither")]
    MissingSecret(&'static str),
    /// A setting outside `[oauth]` is unusable.
    #[error("{key}: {problem}")]
    BadSetting {
        /// The dotted key, e.g. `media.backend`.
        key: String,
        /// What is wrong and what would be accepted.
        problem: String,
    },
    /// An `[oauth]` setting is unusable.
    #[error("{key}: {problem}")]
    BadOAuth {
        /// The dotted key, e.g. `oauth.clients.X`.
        key: String,
        /// What is wrong and what would be accepted.
        problem: String,
    },
}

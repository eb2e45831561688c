//! `cargo xtask functions`: which Edge Functions (`supabase/functions/`) this configuration
//! needs, the URL to enter in each network's console, and the secrets each one reads (set or
//! not in this environment; values are never printed).

use postiz_config::Settings;

/// One receiver: what it is for and what it needs.
struct Receiver {
    name: &'static str,
    /// Networks whose configured OAuth client makes it needed.
    networks: &'static [&'static str],
    /// Where the URL goes in the network's console.
    console: &'static str,
    /// Secrets it reads (besides `SUPABASE_DB_URL`, which Supabase gives every function): every
    /// group is needed, and any one secret of a group is enough.
    secrets: &'static [&'static [&'static str]],
}

/// The Meta apps' secrets: the one of any configured app verifies its requests.
const META_APP_SECRETS: &[&str] =
    &["POSTIZ_OAUTH_FACEBOOK_CLIENT_SECRET", "POSTIZ_OAUTH_INSTAGRAM_CLIENT_SECRET", "POSTIZ_OAUTH_THREADS_CLIENT_SECRET"];

const RECEIVERS: [Receiver; 5] = [
    Receiver {
        name: "meta-deauthorize",
        networks: &["facebook", "instagram", "threads"],
        console: "Meta app: Facebook Login settings > Deauthorize callback URL (Threads: Uninstall callback URL)",
        secrets: &[META_APP_SECRETS],
    },
    Receiver {
        name: "meta-data-deletion",
        networks: &["facebook", "instagram", "threads"],
        console: "Meta app: Facebook Login settings > Data Deletion Request URL (Instagram and Threads apps: the same field)",
        secrets: &[META_APP_SECRETS],
    },
    Receiver {
        name: "meta-webhooks",
        networks: &["facebook", "instagram", "threads"],
        console: "Meta app: Webhooks > Callback URL and Verify Token; subscribe the Permissions object to the permissions the app publishes with",
        secrets: &[META_APP_SECRETS, &["POSTIZ_META_WEBHOOK_VERIFY_TOKEN"]],
    },
    Receiver {
        name: "tiktok-webhooks",
        networks: &["tiktok"],
        console: "TikTok for Developers: your app > Webhooks > Callback URL (every event is subscribed)",
        secrets: &[&["POSTIZ_OAUTH_TIKTOK_CLIENT_SECRET"]],
    },
    Receiver {
        name: "slack-events",
        networks: &["slack"],
        console: "Slack app: Event Subscriptions > Request URL; subscribe to the bot events app_uninstalled and tokens_revoked",
        secrets: &[&["POSTIZ_SLACK_SIGNING_SECRET"]],
    },
];

/// Prints the list for `settings`, reading the environment through `env`.
pub fn report(settings: &Settings, env: impl Fn(&str) -> Option<String>) -> String {
    let base = format!("{}/functions/v1", settings.supabase.url.trim_end_matches('/'));
    let mut out = String::new();
    let configured: Vec<&str> = settings.oauth.clients.keys().map(String::as_str).collect();
    for r in &RECEIVERS {
        let by: Vec<&str> = r.networks.iter().copied().filter(|n| configured.contains(n)).collect();
        if by.is_empty() {
            out.push_str(&format!("{}: not needed (no OAuth client for {})\n", r.name, r.networks.join(", ")));
            continue;
        }
        out.push_str(&format!("{}: needed for {}\n", r.name, by.join(", ")));
        out.push_str(&format!("  deploy:  supabase functions deploy {}\n", r.name));
        out.push_str(&format!("  URL:     {base}/{}\n", r.name));
        out.push_str(&format!("  where:   {}\n", r.console));
        let set = |name: &&str| env(name).is_some_and(|v| !v.trim().is_empty());
        let groups: Vec<String> = r
            .secrets
            .iter()
            .map(|group| {
                let each: Vec<String> =
                    group.iter().map(|s| format!("{s} ({})", if set(s) { "set here" } else { "not set here" })).collect();
                each.join(" or ")
            })
            .collect();
        out.push_str(&format!("  secrets: supabase secrets set {}\n", groups.join(", ")));
    }
    out
}

pub fn run() -> anyhow::Result<()> {
    print!("{}", report(&crate::settings()?, |name| std::env::var(name).ok()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_what_the_configured_networks_need_and_never_a_secret_value() {
        let mut settings = Settings::default();
        settings.supabase.url = "https://abcd.supabase.co/".into();
        let client = |id: &str| postiz_config::OAuthClientSettings { client_id: id.into() };
        settings.oauth.clients.insert("instagram".into(), client("ig"));
        let out = report(&settings, |name| (name == "POSTIZ_OAUTH_INSTAGRAM_CLIENT_SECRET").then(|| "s3cr3t".to_owned()));
        assert!(out.contains("meta-deauthorize: needed for instagram"), "{out}");
        assert!(out.contains("URL:     https://abcd.supabase.co/functions/v1/meta-data-deletion"), "{out}");
        assert!(out.contains("POSTIZ_OAUTH_INSTAGRAM_CLIENT_SECRET (set here)"), "{out}");
        assert!(out.contains("POSTIZ_OAUTH_FACEBOOK_CLIENT_SECRET (not set here) or "), "{out}");
        assert!(out.contains("slack-events: not needed"), "{out}");
        assert!(
            out.contains("POSTIZ_OAUTH_THREADS_CLIENT_SECRET (not set here), POSTIZ_META_WEBHOOK_VERIFY_TOKEN (not set here)"),
            "meta-webhooks needs an app secret and its verify token: {out}"
        );
        assert!(!out.contains("s3cr3t"), "values are never printed");
    }
}

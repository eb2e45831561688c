//! The host's own pages: deliberately plain HTML with its own (aggressive) CSS, to show that the
//! module keeps its layout inside the host and follows the host's theme variables.

use crate::mailbox::Mail;
use crate::seed::DemoUser;

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Percent-encodes a query value.
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The host's stylesheet. Global rules on purpose: they must not reach inside the module.
const HOST_CSS: &str = r#"
:root { --host-bg: #f3f4f6; --host-fg: #111827; --host-accent: #0f766e; }
:root[data-theme="dark"] { --host-bg: #0b0f14; --host-fg: #e5e7eb; --host-accent: #2dd4bf; }
body { margin: 0; font-family: Georgia, serif; background: var(--host-bg); color: var(--host-fg); }
header.host-nav { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; padding: .75rem 1rem; background: var(--host-accent); color: white; }
/* On a phone the header wraps instead of widening the page past the screen. */
.host-user { overflow-wrap: anywhere; }
header.host-nav a { color: white; font-weight: bold; }
main.host-main { padding: 1rem; }
/* Hostile global rules a real app might have: */
div { line-height: 2; }
button { text-transform: uppercase; font-size: 18px; }
select, input, textarea { font-size: 20px; }
a { text-decoration: underline wavy; }
/* The module follows the host's palette through custom properties: */
postiz-planner, #postiz-host { --postiz-accent: var(--host-accent); --postiz-radius: 4px; }
"#;

/// Extra rules turned on with `?hostile=1` (the layout test compares with and without).
const HOSTILE_CSS: &str = r#"
* { margin: 3px !important; padding: 5px !important; font-size: 23px !important; letter-spacing: 2px !important; }
.postiz-chip, .postiz-cell, .postiz-root { display: none !important; }
div div div { border: 4px solid red !important; }
"#;

fn shell(title: &str, user: Option<&DemoUser>, body: &str, head: &str) -> String {
    let who = user
        .map(|u| {
            format!(
                r#"<span class="host-user">{} ({})</span><form method="post" action="/logout" style="display:inline"><button class="host-logout">Sign out</button></form><form method="post" action="/logout" style="display:inline"><input type="hidden" name="scope" value="global"><button class="host-logout-everywhere" title="Ends every session of this account, in every browser">Sign out everywhere</button></form>"#,
                esc(&u.name),
                esc(&u.email)
            )
        })
        .unwrap_or_default();
    format!(
        r##"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} · Host app</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{HOST_CSS}</style>
<script>
  const t = localStorage.getItem('host-theme') || 'light';
  document.documentElement.dataset.theme = t;
  if (new URLSearchParams(location.search).get('hostile')) document.write('<style>{HOSTILE_CSS}</style>');
</script>
{head}
</head><body>
<header class="host-nav">
  <strong>HostApp</strong>
  <a href="/dashboard">Dashboard</a>
  <a href="/dashboard/postiz">Social planner</a>
  <a href="/mailbox">Mailbox</a>
  <a href="#" onclick="const n = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark'; localStorage.setItem('host-theme', n); location.reload(); return false;">Toggle theme</a>
  <span style="flex:1"></span>{who}
</header>
<main class="host-main">{body}</main>
</body></html>"##,
        title = esc(title),
        HOSTILE_CSS = HOSTILE_CSS.replace('\n', " "),
    )
}

/// The login page: pick a demo user (or someone who joined through an invite email); `problem`
/// says why the visitor landed here, when something went wrong.
pub fn login(users: &[DemoUser], next: &str, problem: Option<&str>) -> String {
    let buttons: String = users
        .iter()
        .map(|u| {
            format!(
                r#"<form method="post" action="/login" class="host-login"><input type="hidden" name="user" value="{id}"><input type="hidden" name="next" value="{next}"><button data-user="{email}">Sign in as {name}</button> <small>{email} — {note}</small></form>"#,
                id = u.id,
                next = esc(next),
                email = esc(&u.email),
                name = esc(&u.name),
                note = esc(&u.role_note),
            )
        })
        .collect();
    shell(
        "Sign in",
        None,
        &format!(
            "<h1>Sign in to HostApp</h1>{}<p>Demo users (sessions are signed like Supabase Auth's):</p>{buttons}",
            problem.map(|p| format!(r#"<p class="host-problem" role="alert">{}</p>"#, esc(p))).unwrap_or_default()
        ),
        "",
    )
}

/// The host's own dashboard page.
pub fn dashboard(user: &DemoUser) -> String {
    shell(
        "Dashboard",
        Some(user),
        &format!(
            "<h1>Welcome, {}</h1><p>This is the host app. The <a href=\"/dashboard/postiz\">social planner</a> is a module mounted inside it.</p>",
            esc(&user.name)
        ),
        "",
    )
}

/// The mailbox: what the stand-in for Supabase Auth emailed, newest first.
pub fn mailbox(mails: &[Mail]) -> String {
    let items: String = mails
        .iter()
        .map(|m| {
            format!(
                r#"<article class="host-mail"><h2>{subject}</h2><p><small>To <span class="host-mail-to">{to}</span> · {sent}</small></p><p>{text}</p><p><a class="host-mail-link" href="{link}">Accept the invite</a></p></article>"#,
                subject = esc(&m.subject),
                to = esc(&m.to),
                sent = esc(&m.sent_at),
                text = esc(&m.text),
                link = esc(&m.link),
            )
        })
        .collect();
    let body = if items.is_empty() { "<p>No email has been sent yet.</p>".to_owned() } else { items };
    shell(
        "Mailbox",
        None,
        &format!("<h1>Mailbox</h1><p>Emails Supabase Auth would have sent (locally the demo host stands in for it).</p>{body}"),
        "",
    )
}

/// The content-named files of the bundle (from its `manifest.json`), for preload hints.
#[derive(Debug, Clone)]
pub struct BundleFiles {
    pub glue: String,
    pub wasm: String,
}

/// The module page: the host shell plus the mount script. With `files`, the page asks for the
/// glue and the module at once, next to the entry file, instead of one after the other.
pub fn module(user: &DemoUser, base_route: &str, api_base: &str, files: Option<&BundleFiles>, built: bool) -> String {
    if !built {
        return shell("Social planner", Some(user), "<p>The UI bundle is not built: run <code>cargo xtask ui</code>.</p>", "");
    }
    let preload = files
        .map(|f| {
            format!(
                // `crossorigin` makes the preload a CORS fetch with same-origin credentials, as
                // the glue's `fetch()` of the module is, so the browser reuses it.
                r#"<link rel="modulepreload" href="{base_route}/pkg/{glue}"><link rel="preload" as="fetch" type="application/wasm" crossorigin href="{base_route}/pkg/{wasm}">"#,
                glue = esc(&f.glue),
                wasm = esc(&f.wasm),
            )
        })
        .unwrap_or_default();
    let script = format!(
        r#"{preload}<script type="module">
  import {{ mount }} from "{base_route}/pkg/postiz.js";
  const params = new URLSearchParams(location.search);
  // The session callback: what a Next.js host would do with supabase.auth.getSession()/refreshSession().
  const refresh = () => fetch("/auth/refresh", {{ method: "POST" }}).then(r => r.ok ? r.json() : null).then(j => j && j.access_token);
  let session = {{ mode: "cookie", refresh }};
  if (params.get("session") === "bearer") {{
    const s = await fetch("/auth/session").then(r => r.json());
    session = {{ accessToken: s.access_token, refresh }};
  }}
  window.postizHandle = await mount(document.getElementById("postiz-host"), {{
    apiBase: "{api_base}",
    baseRoute: "{base_route}",
    theme: document.documentElement.dataset.theme,
    session,
  }});
  document.body.dataset.postizMounted = "1";
</script>"#
    );
    shell(
        "Social planner",
        Some(user),
        r#"<div class="host-breadcrumb">Dashboard › Social planner</div><div id="postiz-host"></div>"#,
        &script,
    )
}

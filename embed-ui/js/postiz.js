// The bundle's entry point for hosts: `import { mount } from "/dashboard/postiz/pkg/postiz.js"`,
// or a <script type="module" src="…/postiz.js"> and the <postiz-planner> element.
// `cargo xtask ui` rewrites the two file names below to the content-named copies it writes
// (cached for a year); this file keeps its name and is revalidated on every load.
//
// The glue is imported dynamically so this file runs (and shows the skeleton) as soon as it
// arrives, while the glue and the module download (hosts can preload both: manifest.json
// names them).
let glue = null;
const ready = import("./postiz_embed_ui.js").then(async (m) => {
  await m.default({ module_or_path: new URL("./postiz_embed_ui_bg.wasm", import.meta.url) });
  glue = m;
});

/** The bundle's version (after `await ready`). */
export function version() {
  if (!glue) throw new Error("postiz: version() is available once `ready` has resolved");
  return glue.version();
}

// What the mount point shows until the planner has drawn its first screen: the header, the
// toolbar and a week grid in the host's colours (the same --postiz-* variables and fallbacks as
// the module's stylesheet), CSS only, so it appears before the module is even downloaded.
const SKELETON_CSS = `
.postiz-skeleton { --s-bg: var(--postiz-bg, #ffffff); --s-surface: var(--postiz-surface, #f6f7f9);
  --s-border: var(--postiz-border, #dde1e6); --s-block: var(--postiz-border, #e6e9ed);
  background: var(--s-bg); font: 14px/1.4 var(--postiz-font, system-ui, sans-serif); }
.postiz-skeleton[data-theme="dark"] { --s-bg: var(--postiz-bg, #15171a); --s-surface: var(--postiz-surface, #1f2226);
  --s-border: var(--postiz-border, #33383e); --s-block: var(--postiz-border, #2b2f34); }
@media (prefers-color-scheme: dark) {
  .postiz-skeleton[data-theme="auto"] { --s-bg: var(--postiz-bg, #15171a); --s-surface: var(--postiz-surface, #1f2226);
    --s-border: var(--postiz-border, #33383e); --s-block: var(--postiz-border, #2b2f34); }
}
.postiz-skeleton .postiz-sk-header { display: flex; gap: 10.5px; align-items: center; padding: 7px 10.5px; min-height: 42px;
  background: var(--s-surface); border-bottom: 1px solid var(--s-border); }
.postiz-skeleton .postiz-sk-main { padding: 10.5px; }
.postiz-skeleton .postiz-sk-bar { display: inline-block; height: 14px; border-radius: var(--postiz-radius, 6px); background: var(--s-block);
  animation: postiz-sk-pulse 1.4s ease-in-out infinite; }
.postiz-skeleton .postiz-sk-toolbar { display: flex; gap: 10.5px; align-items: center; margin-bottom: 8.4px; min-height: 30px; }
.postiz-skeleton .postiz-sk-grid { display: grid; grid-template-columns: 3.5rem repeat(7, 1fr); gap: 1px;
  background: var(--s-border); border: 1px solid var(--s-border); }
.postiz-skeleton .postiz-sk-grid > div { background: var(--s-bg); min-height: 33.6px; }
.postiz-skeleton .postiz-sk-grid > .postiz-sk-head { background: var(--s-surface); min-height: 24px; }
@keyframes postiz-sk-pulse { 50% { opacity: .45; } }
@media (prefers-reduced-motion: reduce) { .postiz-skeleton .postiz-sk-bar { animation: none; } }
`;

function skeleton(root, theme) {
  const el = document.createElement("div");
  el.className = "postiz-skeleton";
  el.dataset.theme = theme || "auto";
  el.setAttribute("aria-busy", "true");
  el.setAttribute("aria-label", "Loading the planner");
  const bar = (w) => `<span class="postiz-sk-bar" style="width:${w}px"></span>`;
  const cells = [`<div class="postiz-sk-head"></div>`, ...Array(7).fill(`<div class="postiz-sk-head"></div>`)];
  for (let row = 0; row < 10; row++) cells.push(...Array(8).fill("<div></div>"));
  el.innerHTML = `<style>${SKELETON_CSS}</style>
    <div class="postiz-sk-header">${bar(64)}${bar(120)}${bar(380)}</div>
    <div class="postiz-sk-main">
      <div class="postiz-sk-toolbar">${bar(90)}${bar(160)}${bar(220)}</div>
      <div class="postiz-sk-grid">${cells.join("")}</div>
    </div>`;
  root.prepend(el);
  return el;
}

/** Whether the planner has drawn a screen of its own: its header with no "Loading…" left in
 * it, or an error. */
function drawn(container) {
  if (container.querySelector(".postiz-error")) return true;
  return !!container.querySelector(".postiz-header") && !container.querySelector(".postiz-loading");
}

/**
 * Until the planner has drawn its first screen, shows the skeleton and keeps the planner laid
 * out but invisible (so the week view can scroll to working hours before it is shown).
 */
function revealWhenDrawn(container, placeholder) {
  const hidden = "visibility:hidden;height:0;overflow:hidden";
  container.setAttribute("style", hidden);
  let done = false;
  const reveal = () => {
    if (done) return;
    done = true;
    observer.disconnect();
    clearTimeout(timer);
    container.removeAttribute("style");
    placeholder.remove();
  };
  const observer = new MutationObserver(() => drawn(container) && reveal());
  observer.observe(container, { childList: true, subtree: true });
  // A screen that keeps a "Loading…" line forever is still better shown than hidden.
  const timer = setTimeout(reveal, 15000);
  if (drawn(container)) reveal();
  return reveal;
}

/**
 * With a cookie session, asks for the two answers every screen starts with while the module
 * downloads (the module takes them, or asks again when one is not a 200: embed-ui/src/prefetch.rs).
 * A bearer session is left to the module, which owns the token and its renewal.
 */
function prefetch(options) {
  const s = options.session;
  const cookie = s === undefined || s === null || s === "cookie" || (typeof s === "object" && s.mode === "cookie");
  if (!cookie) return undefined;
  const base = "/" + (options.baseRoute || "/dashboard/postiz").replace(/^\/+|\/+$/g, "");
  const api = (options.apiBase || `${base}/api`).replace(/\/+$/, "");
  const get = (path) => {
    const answer = fetch(`${api}${path}`, { credentials: "same-origin", headers: { accept: "application/json" } });
    answer.catch(() => {}); // a failure is the module's to retry, not an unhandled rejection
    return answer;
  };
  return { "/session": get("/session"), "/workspaces": get("/workspaces") };
}

/** Mounts the planner into `element`; resolves to a handle with `unmount()`. */
export async function mount(element, options = {}) {
  const shadow = options.shadow !== false;
  const root = shadow ? element.shadowRoot || element.attachShadow({ mode: "open" }) : element;
  const placeholder = skeleton(root, options.theme);
  options = { ...options, prefetch: prefetch(options) };
  try {
    await ready;
  } catch (e) {
    placeholder.remove();
    throw e;
  }
  // (`:scope` selects nothing in a shadow root: walk the children.)
  const mounts = () => [...root.children].filter((c) => c.classList.contains("postiz-mount"));
  const before = new Set(mounts());
  let handle;
  try {
    handle = glue.mount(element, options);
  } catch (e) {
    placeholder.remove();
    throw e;
  }
  const container = mounts().find((c) => !before.has(c));
  const reveal = container ? revealWhenDrawn(container, placeholder) : (placeholder.remove(), () => {});
  const unmount = handle.unmount.bind(handle);
  handle.unmount = () => {
    reveal();
    unmount();
  };
  return handle;
}

export { ready };

/**
 * <postiz-planner api-base="/dashboard/postiz/api" base-route="/dashboard/postiz" theme="auto">
 * Renders into its shadow root. Cookie session by default; for a bearer session set the
 * `session` property ({ accessToken, refresh }) before adding the element to the page.
 */
class PostizPlanner extends HTMLElement {
  async connectedCallback() {
    if (this._handle) return;
    const options = {
      apiBase: this.getAttribute("api-base") || undefined,
      baseRoute: this.getAttribute("base-route") || undefined,
      theme: this.getAttribute("theme") || "auto",
      session: this.session || "cookie",
    };
    this._pending = mount(this, options);
    this._handle = await this._pending;
    if (!this.isConnected) this.disconnectedCallback();
  }
  disconnectedCallback() {
    if (this._handle) {
      this._handle.unmount();
      this._handle = null;
    }
  }
}

if (!customElements.get("postiz-planner")) customElements.define("postiz-planner", PostizPlanner);

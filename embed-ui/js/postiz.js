// The bundle's entry point for hosts: `import { mount } from "/dashboard/postiz/pkg/postiz.js"`,
// or a <script type="module" src="…/postiz.js"> and the <postiz-planner> element.
import init, { mount as wasmMount, version } from "./postiz_embed_ui.js";

const ready = init({ module_or_path: new URL("./postiz_embed_ui_bg.wasm", import.meta.url) });

/** Mounts the planner into `element`; resolves to a handle with `unmount()`. */
export async function mount(element, options = {}) {
  await ready;
  return wasmMount(element, options);
}

export { ready, version };

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

/*
 * The host side of the plugin contract, shared by every page that shows a plugin (the worker
 * page and the collaboration labelling page).
 *
 * It defines window.Workbench.register before the plugin's scripts run (pages load it deferred,
 * ahead of them), reads the page's bundle from <script type="application/json">, and mounts the
 * registered plugin with ctx = {bundle, submit, readOnly, initial, onChange}. Where a result goes
 * (an HTTP endpoint, a WebSocket) is the page's business: it passes its own submit.
 */
(function () {
  "use strict";

  const registry = new Map();
  window.Workbench = {
    register(name, impl) {
      if (typeof name !== "string" || !impl || typeof impl.mount !== "function") {
        throw new Error("Workbench.register(name, {mount}) needs a name and a mount function");
      }
      registry.set(name, impl);
    },
  };

  /* What a plugin sees of the page's bundle: no URLs of the page's own, no ids of the worker. */
  function bundleFor(page) {
    return {
      task: page.task,
      asset: page.asset,
      task_type: page.task_type,
      definition: page.definition,
      plugin: { name: page.plugin.name, version: page.plugin.version },
    };
  }

  function readBundle(id) {
    const node = document.getElementById(id);
    if (!node) throw new Error("This task could not be read.");
    try {
      return JSON.parse(node.textContent);
    } catch (err) {
      throw new Error("This task could not be read.");
    }
  }

  /*
   * Mount the page's plugin in root. options: {submit, readOnly, initial, onChange}. Returns what
   * the plugin's mount returned ({getResult, destroy}); throws an Error whose message a worker can
   * read when the plugin did not load or failed to start.
   */
  function mount(root, page, options) {
    const plugin = page.plugin && registry.get(page.plugin.name);
    if (!plugin) throw new Error("The annotation tool did not load. Reload the page.");
    const ctx = {
      bundle: bundleFor(page),
      readOnly: options.readOnly === true,
      initial: options.initial === undefined ? null : options.initial,
      submit: options.submit,
      onChange: typeof options.onChange === "function" ? options.onChange : function () {},
    };
    try {
      return plugin.mount(root, ctx);
    } catch (err) {
      throw new Error("The annotation tool failed to start: " + (err && err.message ? err.message : err));
    }
  }

  window.WorkbenchHost = Object.freeze({ readBundle: readBundle, mount: mount });
})();

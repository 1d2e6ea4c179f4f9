/*
 * Plugin playground: the host side of the plugin contract, run locally without a server.
 *
 * The worker pages' host (server_ext/static/plugin_host.js, loaded first) defines
 * window.Workbench.register and mounts the plugin. This page loads the chosen plugin's
 * manifest, CSS and JS, builds a fake bundle from the manifest's default_definition and the
 * sample image, and shows what the plugin submits. Query string:
 *   plugin=<name>        plugin folder next to this one (default: classification)
 *   readonly=1           MTurk-preview mode: the plugin must not allow editing or submitting
 *   initial=<json>       a prefilled result (e.g. an agent's proposal)
 *   ui_config=<json>     merged over the default ui_config
 *   payload=<json>       replaces the task payload
 *   metadata=<json>      replaces the asset metadata
 *   asset=none           no asset at all
 *   asset_url=<url>      another image instead of sample.png (size read from the image)
 *   reject=<message>     the first submit is rejected with Error(message)
 * For tests it exposes window.__ready, __lastResult, __submissions, __lastChange, __changes,
 * __handle (what mount returned) and __rejectNext (set it to reject the next submit).
 */
(function () {
  "use strict";

  const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
  const REQUIRED_KEYS = ["name", "task_type", "version", "root", "js", "css", "result_schema_version"];
  window.__ready = false;
  window.__lastResult = null;
  window.__submissions = [];
  window.__lastChange = null;
  window.__changes = 0;
  window.__handle = null;
  window.__rejectNext = null;

  const $ = (id) => document.getElementById(id);

  function showJson(id, value) {
    $(id).textContent = JSON.stringify(value, null, 2);
  }

  function fail(message) {
    $("pg-error").textContent = message;
    document.body.dataset.state = "error";
  }

  function parseJsonParam(params, key) {
    const raw = params.get(key);
    if (raw === null || raw.trim() === "") return undefined;
    try {
      return JSON.parse(raw);
    } catch (err) {
      throw new Error("The " + key + " parameter is not valid JSON: " + err.message);
    }
  }

  /* A manifest file path stays inside its plugin folder: relative, no "..", no scheme. */
  function pluginFileUrl(baseUrl, path) {
    if (typeof path !== "string" || path === "" || path.startsWith("/") || path.includes("\\") ||
        path.split("/").some((part) => part === ".." || part === "") || /^[a-z][a-z0-9+.-]*:/i.test(path)) {
      throw new Error("Manifest file path is not allowed: " + JSON.stringify(path));
    }
    return new URL(path, baseUrl).href;
  }

  function load(tag, attrs) {
    return new Promise((resolve, reject) => {
      const node = document.createElement(tag);
      for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
      node.addEventListener("load", () => resolve(node));
      node.addEventListener("error", () => reject(new Error("Could not load " + (attrs.src || attrs.href))));
      document.head.append(node);
    });
  }

  function fakeBundle(manifest, params) {
    const definition = manifest.default_definition || {};
    const uiOverrides = parseJsonParam(params, "ui_config");
    const payload = parseJsonParam(params, "payload");
    const metadata = parseJsonParam(params, "metadata");
    const assetUrl = params.get("asset_url");
    const asset = params.get("asset") === "none" ? null : {
      id: 1,
      url: assetUrl === null ? new URL("sample.png", document.baseURI).href : assetUrl,
      media_type: "image/png",
      width: assetUrl === null ? 640 : null,
      height: assetUrl === null ? 480 : null,
      metadata: metadata !== undefined ? metadata : { alt: "Sample image with a red square, a blue circle and a green triangle", source: "playground" },
    };
    return {
      task: {
        id: 1,
        payload: payload !== undefined ? payload : { text: "Sample payload text: a red square, a blue circle and a green triangle." },
        priority: 0,
        status: "assigned",
      },
      asset,
      task_type: { slug: manifest.task_type, name: manifest.title || manifest.task_type },
      definition: {
        version: 1,
        ui_config: Object.assign({}, definition.ui_config || {}, uiOverrides || {}),
        label_schema: definition.label_schema || {},
      },
      plugin: { name: manifest.name, version: manifest.version },
    };
  }

  function fakeSubmit(result) {
    const copy = JSON.parse(JSON.stringify(result));
    const rejection = window.__rejectNext;
    window.__rejectNext = null;
    if (rejection) {
      window.__submissions.push({ result: copy, outcome: "rejected" });
      return Promise.reject(new Error(rejection));
    }
    window.__submissions.push({ result: copy, outcome: "accepted" });
    window.__lastResult = copy;
    showJson("pg-result", copy);
    return Promise.resolve({ ok: true });
  }

  function fillControls(params, name) {
    $("pg-plugin").value = name;
    $("pg-readonly").checked = params.get("readonly") === "1";
    $("pg-reject").value = params.get("reject") || "";
    $("pg-initial").value = params.get("initial") || "";
    $("pg-ui-config").value = params.get("ui_config") || "";
  }

  async function start() {
    const params = new URLSearchParams(location.search);
    const name = params.get("plugin") || "classification";
    fillControls(params, name);
    if (!NAME_PATTERN.test(name)) throw new Error("Not a plugin name: " + name);
    if (!Array.from($("pg-plugin").options).some((option) => option.value === name)) {
      $("pg-plugin").append(new Option(name, name, true, true));
    }

    const manifestUrl = new URL("../" + name + "/manifest.json", document.baseURI).href;
    const response = await fetch(manifestUrl);
    if (!response.ok) throw new Error("No manifest for plugin " + name + " (HTTP " + response.status + ")");
    const manifest = await response.json();
    const missing = REQUIRED_KEYS.filter((key) => !(key in manifest));
    if (missing.length) throw new Error("Manifest lacks " + missing.join(", "));
    if (manifest.name !== name) throw new Error("Manifest name " + manifest.name + " is not the folder name " + name);

    for (const path of manifest.css) await load("link", { rel: "stylesheet", href: pluginFileUrl(manifestUrl, path) });
    for (const path of manifest.js) await load("script", { src: pluginFileUrl(manifestUrl, path) });

    const bundle = fakeBundle(manifest, params);
    showJson("pg-bundle", bundle);
    window.__rejectNext = params.get("reject") || null;
    // The worker pages' own host (server_ext/static/plugin_host.js) mounts the plugin, as it will there.
    try {
      window.__handle = window.WorkbenchHost.mount($("plugin-root"), bundle, {
        readOnly: params.get("readonly") === "1",
        initial: parseJsonParam(params, "initial"),
        submit: fakeSubmit,
        onChange(result) {
          window.__changes += 1;
          window.__lastChange = JSON.parse(JSON.stringify(result));
          showJson("pg-change", window.__lastChange);
        },
      });
    } catch (err) {
      throw new Error(err.message + " (does the plugin call Workbench.register(" + JSON.stringify(name) + ", …)?)");
    }
    window.__ready = true;
    document.body.dataset.state = "ready";
  }

  start().catch((err) => fail(err && err.message ? err.message : String(err)));
})();

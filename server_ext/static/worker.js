/*
 * The worker page's host side of the plugin contract.
 *
 * It defines window.Workbench.register before the plugin's scripts run (they are deferred
 * after this one), reads the bundle from <script id="wb-bundle">, mounts the plugin with
 * ctx = {bundle, submit, readOnly, initial, onChange}, and owns everything a plugin must not
 * know: the submission endpoint, the XSRF token, MTurk's answer form and the link-out flow.
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

  const $ = (id) => document.getElementById(id);
  let page = null;
  let handle = null;
  let sent = false;

  function status(text, state) {
    $("wb-status").textContent = text;
    if (state) document.body.dataset.state = state;
  }

  function bundleFor(page) {
    return {
      task: page.task,
      asset: page.asset,
      task_type: page.task_type,
      definition: page.definition,
      plugin: { name: page.plugin.name, version: page.plugin.version },
    };
  }

  /* MTurk takes the answer as a form posted from this frame to turkSubmitTo/mturk/externalSubmit. */
  function postToMTurk(result) {
    const form = document.createElement("form");
    form.method = "POST";
    form.action = page.external_submit_url;
    form.id = "wb-mturk-form";
    for (const [name, value] of [["assignmentId", page.assignment_id], ["result", JSON.stringify(result)]]) {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = value;
      form.append(input);
    }
    document.body.append(form);
    form.submit();
  }

  async function submit(result) {
    if (page.readonly) throw new Error("This is a preview: accept the HIT before submitting.");
    if (sent) throw new Error("This task has already been submitted.");
    const token = document.querySelector('meta[name="wb-xsrf"]').content;
    let response;
    try {
      response = await fetch(page.submit_url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-XSRFToken": token },
        body: JSON.stringify({
          task_id: page.task.id,
          assignment_id: page.assignment_id,
          hit_id: page.hit_id || "",
          worker_id: page.worker_id,
          result: result,
        }),
      });
    } catch (err) {
      throw new Error("Could not reach the server; check your connection and submit again.");
    }
    let data = {};
    try {
      data = await response.json();
    } catch (err) {
      data = {};
    }
    if (!response.ok) {
      const where = data.field ? " (" + data.field + ")" : "";
      throw new Error((data.message || "The submission was refused (HTTP " + response.status + ")") + where);
    }
    sent = true;
    status(data.duplicate ? "Already submitted: thank you." : "Submitted: thank you.", "submitted");
    if (page.mode === "mturk") postToMTurk(result);
    else if (page.mode === "link-out") window.setTimeout(() => window.location.assign(page.next_url), 300);
    return data;
  }

  function start() {
    try {
      page = JSON.parse($("wb-bundle").textContent);
    } catch (err) {
      status("This task could not be read.", "error");
      return;
    }
    const plugin = page.plugin && registry.get(page.plugin.name);
    if (!plugin) {
      status("The annotation tool did not load. Reload the page or return the HIT.", "error");
      return;
    }
    const ctx = {
      bundle: bundleFor(page),
      readOnly: page.readonly === true,
      initial: null,
      submit: submit,
      onChange() {},
    };
    try {
      handle = plugin.mount($("wb-plugin-root"), ctx);
    } catch (err) {
      status("The annotation tool failed to start: " + (err && err.message ? err.message : err), "error");
      return;
    }
    window.__wbHandle = handle;
    document.body.dataset.state = page.readonly ? "preview" : "ready";
  }

  document.addEventListener("DOMContentLoaded", start);
})();

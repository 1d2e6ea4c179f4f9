/*
 * The worker page: the annotate page's plugin, mounted by plugin_host.js, and everything a
 * plugin must not know: the submission endpoint, the page's signed submission token (a framed page
 * gets no cookies in browsers that block third-party ones, so nothing here depends on a cookie),
 * MTurk's answer form and the link-out flow.
 */
(function () {
  "use strict";

  const $ = (id) => document.getElementById(id);
  let page = null;
  let handle = null;
  let sent = false;

  function status(text, state) {
    $("wb-status").textContent = text;
    if (state) document.body.dataset.state = state;
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
    const token = document.querySelector('meta[name="wb-submit-token"]').content;
    let response;
    try {
      response = await fetch(page.submit_url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-Workbench-Token": token },
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
      page = window.WorkbenchHost.readBundle("wb-bundle");
      handle = window.WorkbenchHost.mount($("wb-plugin-root"), page, {
        readOnly: page.readonly === true,
        initial: null,
        submit: submit,
      });
    } catch (err) {
      status(err.message, "error");
      return;
    }
    window.__wbHandle = handle;
    document.body.dataset.state = page.readonly ? "preview" : "ready";
  }

  document.addEventListener("DOMContentLoaded", start);
})();

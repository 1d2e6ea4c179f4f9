/*
 * The worker page: the annotate page's plugin, mounted by plugin_host.js, and everything a
 * plugin must not know: the submission endpoint, the page's signed submission token (a framed page
 * gets no cookies in browsers that block third-party ones, so nothing here depends on a cookie),
 * MTurk's answer form and the link-out flow.
 *
 * An assignment that has answered its task already opens read-only with that answer (the server
 * says so in page.submitted); in MTurk's frame the worker may send that same answer to MTurk
 * again, for the case where MTurk never got the form.
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

  /*
   * What the worker reads when the server refuses a submission: plain words and what to do, never a
   * field path. A refused answer keeps the schema's reason, which names the value it is about.
   */
  function refusal(response, data) {
    const code = response.status;
    const field = typeof data.field === "string" ? data.field : "";
    if (code === 400 && (field === "result" || field.startsWith("result."))) {
      return "This answer was not accepted" + (data.reason ? " (" + data.reason + ")" : "") +
        ". Check it against the instructions and submit again.";
    }
    if (code === 403) return "This page has expired or was opened in another browser. Reload it, then submit again.";
    if (code === 404) return "This task is no longer available. Return the HIT and contact the requester.";
    if (code === 413) return "This answer is too large to send. Make it shorter and submit again.";
    if (code === 429) return "Too many submissions at once. Wait a minute, then submit again.";
    if (code >= 500) return "Something went wrong on our side. Wait a minute, then submit again.";
    return "The submission was not accepted (error " + code + "). Reload the page and submit again; if that " +
      "fails, return the HIT and contact the requester.";
  }

  async function submit(result) {
    if (page.readonly) {
      throw new Error(page.submitted ? "This task has already been submitted."
        : "This is a preview: accept the HIT before submitting.");
    }
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
    if (!response.ok) throw new Error(refusal(response, data));
    sent = true;
    // A second answer for the same assignment is not stored: the first one stands, and MTurk gets that one.
    const kept = data.duplicate && data.result !== undefined ? data.result : result;
    status(data.duplicate ? "You had already submitted this task; your first answer is kept. Thank you."
      : "Submitted: thank you.", "submitted");
    if (page.mode === "external") postToMTurk(kept);
    else if (page.mode === "link-out") window.setTimeout(() => window.location.assign(page.next_url), 300);
    return data;
  }

  function offerSendingAgain() {
    const button = $("wb-send-again");
    if (!button || page.mode !== "external" || !page.submitted || page.submitted.result === null) return;
    button.hidden = false;
    button.addEventListener("click", () => {
      button.disabled = true;
      status("Sending your answer to MTurk…");
      postToMTurk(page.submitted.result);
    });
  }

  function start() {
    try {
      page = window.WorkbenchHost.readBundle("wb-bundle");
      handle = window.WorkbenchHost.mount($("wb-plugin-root"), page, {
        readOnly: page.readonly === true,
        initial: page.submitted ? page.submitted.result : null,
        submit: submit,
      });
    } catch (err) {
      status(err.message, "error");
      return;
    }
    window.__wbHandle = handle;
    offerSendingAgain();
    document.body.dataset.state = page.submitted ? "submitted" : page.readonly ? "preview" : "ready";
  }

  document.addEventListener("DOMContentLoaded", start);
})();

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

  /*
   * What the page measures while the task is open, sent with the submission (workbench.study.telemetry):
   * times in ms since the page was shown, counts, and lengths. Never which keys were pressed, never what
   * was pasted (only its length), and nothing outside this page; the footer says so to the worker.
   */
  const MAX_EVENTS = 1000;
  const shownAt = performance.now();
  const measured = { focus: 0, blur: 0, keys: 0, first: null, pastes: [], blurs: [],
    visibleMs: 0, visibleSince: null, activeMs: 0, activeSince: null };

  function sinceShown() {
    return Math.max(0, Math.round(performance.now() - shownAt));
  }

  /* Visible: the tab is shown; active: shown and focused. Each adds up its own spans. */
  function track() {
    const t = performance.now();
    const visible = document.visibilityState === "visible";
    const active = visible && document.hasFocus();
    if (visible && measured.visibleSince === null) measured.visibleSince = t;
    if (!visible && measured.visibleSince !== null) {
      measured.visibleMs += t - measured.visibleSince;
      measured.visibleSince = null;
    }
    if (active && measured.activeSince === null) measured.activeSince = t;
    if (!active && measured.activeSince !== null) {
      measured.activeMs += t - measured.activeSince;
      measured.activeSince = null;
    }
  }

  function firstInteraction() {
    if (measured.first === null) measured.first = sinceShown();
  }

  function watch() {
    track();
    window.addEventListener("focus", () => { measured.focus += 1; track(); });
    window.addEventListener("blur", () => {
      measured.blur += 1;
      if (measured.blurs.length < MAX_EVENTS) measured.blurs.push(sinceShown());
      track();
    });
    document.addEventListener("visibilitychange", track);
    document.addEventListener("keydown", () => { measured.keys += 1; firstInteraction(); }, true);
    document.addEventListener("pointerdown", firstInteraction, true);
    document.addEventListener("paste", (event) => {
      firstInteraction();
      const noPaste = page && page.definition && page.definition.ui_config &&
        page.definition.ui_config.disable_paste === true;
      if (noPaste && event.target && /^(TEXTAREA|INPUT)$/.test(event.target.tagName)) {
        event.preventDefault();
        status("Pasting is turned off for this task: please type your answer.");
        return;
      }
      const length = event.clipboardData ? event.clipboardData.getData("text").length : 0;
      if (measured.pastes.length < MAX_EVENTS) measured.pastes.push({ at_ms: sinceShown(), length: length });
    }, true);
  }

  function telemetry(result) {
    track();
    const now = performance.now();
    const open = (since) => (since === null ? 0 : now - since);
    const record = {
      visible_ms: Math.round(measured.visibleMs + open(measured.visibleSince)),
      active_ms: Math.round(measured.activeMs + open(measured.activeSince)),
      focus_count: measured.focus, blur_count: measured.blur, keystrokes: measured.keys,
      pastes: measured.pastes, blurs_at_ms: measured.blurs,
    };
    if (measured.first !== null) record.first_interaction_ms = measured.first;
    if (result && typeof result.text === "string") record.final_text_length = result.text.length;
    return record;
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
          telemetry: telemetry(result),
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
    if (!page.readonly) watch();
    offerSendingAgain();
    document.body.dataset.state = page.submitted ? "submitted" : page.readonly ? "preview" : "ready";
  }

  document.addEventListener("DOMContentLoaded", start);
})();

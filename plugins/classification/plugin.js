/*
 * Classification plugin: one label (radio behaviour) or several (checkboxes) for an item.
 *
 * The question (ui_config.instructions) comes first, then the item; on a wide screen the labels
 * and Submit sit beside the item, so that all of it fits a 760 px MTurk frame. A missing label is
 * said in the group of labels, which is scrolled into view.
 * Keys: 1-9 select (single) or toggle (multi) the n-th label, Enter submits.
 * Result: {"labels": ["cat"]}, labels in the order of ui_config.labels.
 * Everything from the bundle is written with textContent or attribute values, never parsed
 * as HTML, so a label or payload cannot inject markup.
 */
(function () {
  "use strict";

  const NAME = "classification";
  const SAFE_URL_PROTOCOLS = ["http:", "https:", "data:", "blob:"];

  function el(tag, props, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "text") node.textContent = String(value);
      else if (key === "className") node.className = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children || []) if (child) node.append(child);
    return node;
  }

  function safeUrl(url) {
    try {
      const parsed = new URL(String(url), document.baseURI);
      return SAFE_URL_PROTOCOLS.includes(parsed.protocol) ? parsed.href : null;
    } catch (err) {
      return null;
    }
  }

  function asObject(value) {
    return value && typeof value === "object" && !Array.isArray(value) ? value : {};
  }

  /* The item shown to the worker: the asset (image, audio, video or a link) and the
     payload's text, each only when present. */
  function renderItem(bundle) {
    const box = el("div", { className: "wb-cls-item" });
    const asset = bundle.asset;
    const url = asset && safeUrl(asset.url);
    if (url) {
      const meta = asObject(asset.metadata);
      const type = String(asset.media_type || "");
      let media;
      if (type.startsWith("audio/")) media = el("audio", { controls: true, preload: "metadata", src: url });
      else if (type.startsWith("video/")) media = el("video", { controls: true, preload: "metadata", src: url });
      else if (type === "" || type.startsWith("image/")) {
        media = el("img", { className: "wb-cls-image", src: url, alt: meta.alt || "Item to classify" });
      } else media = el("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: "Open the item" });
      const caption = typeof meta.caption === "string" ? el("figcaption", { text: meta.caption }) : null;
      box.append(el("figure", { className: "wb-cls-figure" }, [media, caption]));
    }
    const payload = asObject(bundle.task && bundle.task.payload);
    if (typeof payload.text === "string") {
      box.append(el("p", { className: "wb-cls-text", text: payload.text }));
    }
    return box;
  }

  function isTextEntry(target) {
    if (!target || !target.tagName) return false;
    const tag = target.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable) return true;
    return tag === "INPUT" && !["radio", "checkbox", "button", "submit", "reset"].includes(target.type);
  }

  function mount(root, ctx) {
    const bundle = ctx.bundle || {};
    const definition = asObject(bundle.definition);
    const ui = asObject(definition.ui_config);
    const labels = (Array.isArray(ui.labels) ? ui.labels : []).map(String);
    const multi = ui.multi === true;
    const readOnly = ctx.readOnly === true;
    let submitted = false;
    let busy = false;

    const id = "wb-cls-" + Math.random().toString(36).slice(2);
    const container = el("div", { className: "wb-plugin wb-cls" + (readOnly ? " wb-readonly" : "") });
    const instructions = typeof ui.instructions === "string" && ui.instructions ? ui.instructions : "";
    const question = instructions ? el("p", { className: "wb-question", id: id + "-question", text: instructions }) : null;
    // The group is named by the question above the item and by its legend, and described by its message.
    const fieldset = el("fieldset", {
      className: "wb-cls-options",
      "aria-labelledby": question ? id + "-question " + id + "-legend" : null,
      "aria-describedby": id + "-error",
    }, [
      el("legend", { id: id + "-legend", text: multi ? "Choose every label that applies" : "Choose one label" }),
    ]);
    const error = el("p", { className: "wb-field-error", id: id + "-error", role: "alert" });
    fieldset.append(error);
    const inputs = labels.map((label, index) => {
      const input = el("input", {
        type: multi ? "checkbox" : "radio",
        name: id,
        value: label,
        disabled: readOnly,
      });
      const key = index < 9 ? el("kbd", { className: "wb-cls-key", "aria-hidden": "true", text: String(index + 1) }) : null;
      const option = el("label", { className: "wb-cls-option" }, [input, key, el("span", { text: label })]);
      if (index < 9) input.setAttribute("aria-keyshortcuts", String(index + 1));
      fieldset.append(option);
      input.addEventListener("change", changed);
      return input;
    });

    const initial = asObject(ctx.initial);
    const chosen = new Set(Array.isArray(initial.labels) ? initial.labels.map(String) : []);
    let prefilled = false;
    for (const input of inputs) {
      if (chosen.has(input.value) && (multi || !prefilled)) {
        input.checked = true;
        prefilled = true;
      }
    }

    const button = el("button", { type: "button", className: "wb-submit", text: "Submit", disabled: readOnly });
    button.setAttribute("aria-keyshortcuts", "Enter");
    const status = el("p", { className: "wb-status", role: "status", "aria-live": "polite" });
    const hint = el("p", { className: "wb-hint", text: readOnly
      ? "Read-only: choosing labels and submitting are turned off."
      : "Keys 1-" + Math.min(labels.length, 9) + " choose a label, Enter submits." });

    const item = renderItem(bundle);
    const answer = el("div", { className: "wb-cls-answer" }, [
      fieldset, el("div", { className: "wb-actions" }, [button, status]), hint,
    ]);
    const body = el("div", { className: "wb-cls-body" + (item.childElementCount ? " wb-cls-split" : "") }, [item, answer]);
    container.append(...(question ? [question, body] : [body]));
    root.append(container);

    function result() {
      return { labels: inputs.filter((input) => input.checked).map((input) => input.value) };
    }

    function setStatus(text, kind) {
      status.textContent = text;
      status.className = "wb-status" + (kind ? " wb-status-" + kind : "");
      if (kind === "error") status.scrollIntoView({ block: "nearest" });
    }

    /* A message about the labels, in their group: read out, marked invalid, scrolled into view. */
    function setError(text) {
      error.textContent = text;
      if (text) {
        fieldset.setAttribute("aria-invalid", "true");
        error.scrollIntoView({ block: "nearest" });
      } else {
        fieldset.removeAttribute("aria-invalid");
      }
    }

    function changed() {
      if (status.classList.contains("wb-status-error")) setStatus("", null);
      if (error.textContent) setError("");
      if (typeof ctx.onChange === "function") ctx.onChange(result());
    }

    function editable() {
      return !readOnly && !submitted && !busy;
    }

    function choose(index) {
      const input = inputs[index];
      if (!input || !editable()) return;
      input.checked = multi ? !input.checked : true;
      input.focus();
      changed();
    }

    async function submit() {
      if (!editable()) return;
      const value = result();
      if (value.labels.length === 0) {
        setError(multi ? "Choose at least one label." : "Choose a label.");
        return;
      }
      busy = true;
      button.disabled = true;
      setStatus("Submitting…", "busy");
      try {
        await Promise.resolve().then(() => ctx.submit(value));
        submitted = true;
        for (const input of inputs) input.disabled = true;
        setStatus("Submitted", "ok");
      } catch (err) {
        setStatus(err && err.message ? err.message : String(err), "error");
        button.disabled = false;
      } finally {
        busy = false;
      }
    }

    function onKeyDown(event) {
      if (event.defaultPrevented || event.isComposing || event.ctrlKey || event.metaKey || event.altKey) return;
      const target = event.target;
      const ours = container.contains(target) || target === document.body || target === document.documentElement;
      if (!ours || isTextEntry(target)) return;
      if (/^[1-9]$/.test(event.key)) {
        event.preventDefault();
        choose(Number(event.key) - 1);
      } else if (event.key === "Enter" && !(target && target.tagName === "BUTTON")) {
        event.preventDefault();
        submit();
      }
    }

    button.addEventListener("click", submit);
    document.addEventListener("keydown", onKeyDown);
    container.dataset.ready = "true";

    return {
      getResult: result,
      destroy() {
        document.removeEventListener("keydown", onKeyDown);
        container.remove();
      },
    };
  }

  if (!window.Workbench || typeof window.Workbench.register !== "function") {
    throw new Error("The " + NAME + " plugin needs a host page that defines window.Workbench.register");
  }
  window.Workbench.register(NAME, { mount });
})();

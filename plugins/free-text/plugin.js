/*
 * Free-text plugin: a transcription or description of the item, within length bounds.
 *
 * Shows the prompt first, then the asset (if any) and the payload's text (if any), a textarea
 * and a live character counter; on a wide screen the textarea and Submit sit beside the item. Submit stays disabled until the trimmed text is within
 * [min_length, max_length] characters (Unicode code points, as JSON Schema counts them).
 * Ctrl+Enter (or Cmd+Enter) submits from the textarea.
 * Result: {"text": "..."} with surrounding white space trimmed.
 */
(function () {
  "use strict";

  const NAME = "free-text";
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

  function count(text) {
    return Array.from(text).length;
  }

  function renderItem(bundle) {
    const box = el("div", { className: "wb-ft-item" });
    const asset = bundle.asset;
    const url = asset && safeUrl(asset.url);
    if (url) {
      const meta = asObject(asset.metadata);
      const type = String(asset.media_type || "");
      let media;
      if (type.startsWith("audio/")) media = el("audio", { controls: true, preload: "metadata", src: url });
      else if (type.startsWith("video/")) media = el("video", { controls: true, preload: "metadata", src: url });
      else if (type === "" || type.startsWith("image/")) {
        media = el("img", { className: "wb-ft-image", src: url, alt: meta.alt || "Item to describe" });
      } else media = el("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: "Open the item" });
      const caption = typeof meta.caption === "string" ? el("figcaption", { text: meta.caption }) : null;
      box.append(el("figure", { className: "wb-ft-figure" }, [media, caption]));
    }
    const payload = asObject(bundle.task && bundle.task.payload);
    if (typeof payload.text === "string") box.append(el("blockquote", { className: "wb-ft-source", text: payload.text }));
    return box;
  }

  function mount(root, ctx) {
    const bundle = ctx.bundle || {};
    const ui = asObject(asObject(bundle.definition).ui_config);
    const minLength = Number.isInteger(ui.min_length) && ui.min_length > 0 ? ui.min_length : 1;
    const maxLength = Number.isInteger(ui.max_length) && ui.max_length >= minLength ? ui.max_length : 5000;
    const readOnly = ctx.readOnly === true;
    const id = "wb-ft-" + Math.random().toString(36).slice(2);
    let submitted = false;
    let busy = false;

    const container = el("div", { className: "wb-plugin wb-ft" + (readOnly ? " wb-readonly" : "") });
    const textarea = el("textarea", {
      id: id + "-text",
      className: "wb-ft-input",
      rows: "6",
      placeholder: typeof ui.placeholder === "string" ? ui.placeholder : null,
      "aria-describedby": id + "-bounds " + id + "-counter",
      readonly: readOnly,
      spellcheck: "true",
    });
    const prompt = el("label", {
      className: "wb-question wb-ft-prompt", for: id + "-text",
      text: typeof ui.prompt === "string" && ui.prompt ? ui.prompt : "Your answer",
    });
    const bounds = el("p", {
      className: "wb-hint", id: id + "-bounds",
      text: "Between " + minLength + " and " + maxLength + " characters." + (readOnly ? "" : " Ctrl+Enter submits."),
    });
    const counter = el("p", { className: "wb-ft-counter", id: id + "-counter" });
    const button = el("button", { type: "button", className: "wb-submit", text: "Submit", disabled: true });
    const status = el("p", { className: "wb-status", role: "status", "aria-live": "polite" });

    const item = renderItem(bundle);
    const answer = el("div", { className: "wb-ft-answer" }, [
      textarea, el("div", { className: "wb-ft-meta" }, [bounds, counter]),
      el("div", { className: "wb-actions" }, [button, status]),
      readOnly ? el("p", { className: "wb-hint", text: "Read-only: typing and submitting are turned off." }) : null,
    ]);
    container.append(prompt, el("div", { className: "wb-ft-body" + (item.childElementCount ? " wb-ft-split" : "") },
      [item, answer]));
    root.append(container);

    const initial = asObject(ctx.initial);
    if (typeof initial.text === "string") textarea.value = initial.text;

    function result() {
      return { text: textarea.value.trim() };
    }

    function length() {
      return count(result().text);
    }

    function withinBounds() {
      const n = length();
      return n >= minLength && n <= maxLength;
    }

    function setStatus(text, kind) {
      status.textContent = text;
      status.className = "wb-status" + (kind ? " wb-status-" + kind : "");
      if (kind === "error") status.scrollIntoView({ block: "nearest" });
    }

    function update() {
      const n = length();
      counter.textContent = n + " / " + maxLength;
      const over = n > maxLength;
      const under = n < minLength;
      counter.className = "wb-ft-counter" + (over ? " wb-ft-over" : under ? " wb-ft-under" : " wb-ft-ok");
      textarea.setAttribute("aria-invalid", String(over));
      button.disabled = readOnly || submitted || busy || !withinBounds();
      if (over) counter.textContent += " — " + (n - maxLength) + " too many";
      else if (under) counter.textContent += " — " + (minLength - n) + " more needed";
    }

    function onInput() {
      if (status.classList.contains("wb-status-error")) setStatus("", null);
      update();
      if (typeof ctx.onChange === "function") ctx.onChange(result());
    }

    async function submit() {
      if (readOnly || submitted || busy || !withinBounds()) return;
      const value = result();
      busy = true;
      update();
      setStatus("Submitting…", "busy");
      try {
        await Promise.resolve().then(() => ctx.submit(value));
        submitted = true;
        textarea.readOnly = true;
        setStatus("Submitted", "ok");
      } catch (err) {
        setStatus(err && err.message ? err.message : String(err), "error");
      } finally {
        busy = false;
        update();
      }
    }

    function onKeyDown(event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !event.isComposing) {
        event.preventDefault();
        submit();
      }
    }

    textarea.addEventListener("input", onInput);
    textarea.addEventListener("keydown", onKeyDown);
    button.addEventListener("click", submit);
    update();
    container.dataset.ready = "true";

    return {
      getResult: result,
      destroy() {
        container.remove();
      },
    };
  }

  if (!window.Workbench || typeof window.Workbench.register !== "function") {
    throw new Error("The " + NAME + " plugin needs a host page that defines window.Workbench.register");
  }
  window.Workbench.register(NAME, { mount });
})();

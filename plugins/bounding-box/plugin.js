/*
 * Bounding-box plugin: draw, move, resize, label and delete boxes on the asset image.
 *
 * Boxes live in the image's natural pixel coordinates; an SVG overlay with
 * viewBox="0 0 naturalWidth naturalHeight" over the <img> maps them to the displayed size.
 * Mouse: drag on the image draws, drag a box moves it, drag a corner handle resizes.
 * Keyboard: n new box, Tab/Shift+Tab cycle boxes (on the image), arrows move (Shift: 10 px),
 * Alt+arrows or Ctrl+arrows resize, 1-9 label the selected box (with none selected: new boxes),
 * Delete/Backspace delete, Escape deselect.
 * Labels: the toolbar's "Label for new boxes" is for the boxes still to be drawn, never the one
 * just drawn; each box has its own label in the list of boxes.
 * A drag under min_size, fewer boxes than min_boxes or a box without a label is said at the
 * image (role=alert), scrolled into view.
 * Result: {"boxes": [{"x", "y", "w", "h", "label"}]} rounded to 0.1 px, clamped to the image.
 */
(function () {
  "use strict";

  const NAME = "bounding-box";
  const SVG_NS = "http://www.w3.org/2000/svg";
  const SAFE_URL_PROTOCOLS = ["http:", "https:", "data:", "blob:"];
  const COLOURS = ["#e8590c", "#1971c2", "#2f9e44", "#c2255c", "#7048e8", "#0c8599", "#f08c00", "#5c940d", "#862e9c"];
  const HANDLE_PX = 12;
  const CORNERS = ["nw", "ne", "sw", "se"];

  function el(tag, props, children) {
    const node = document.createElement(tag);
    return fill(node, props, children);
  }

  function svg(tag, props, children) {
    return fill(document.createElementNS(SVG_NS, tag), props, children);
  }

  function fill(node, props, children) {
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "text") node.textContent = String(value);
      else if (key === "className") node.setAttribute("class", value);
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

  function isTextEntry(target) {
    if (!target || !target.tagName) return false;
    const tag = target.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable) return true;
    return tag === "INPUT" && !["radio", "checkbox", "button", "submit", "reset"].includes(target.type);
  }

  const clamp = (value, low, high) => Math.min(Math.max(value, low), high);
  const round1 = (value) => Math.round(value * 10) / 10;
  const count = (n) => n + (n === 1 ? " box" : " boxes");

  function mount(root, ctx) {
    const bundle = ctx.bundle || {};
    const ui = asObject(asObject(bundle.definition).ui_config);
    const labels = (Array.isArray(ui.labels) ? ui.labels : []).map(String);
    const minSize = Number.isFinite(ui.min_size) && ui.min_size > 0 ? ui.min_size : 4;
    const minBoxes = Number.isInteger(ui.min_boxes) && ui.min_boxes > 0 ? ui.min_boxes : 0;
    const maxBoxes = Number.isInteger(ui.max_boxes) && ui.max_boxes >= Math.max(minBoxes, 1) ? ui.max_boxes : Infinity;
    const readOnly = ctx.readOnly === true;
    const asset = bundle.asset;
    const meta = asObject(asset && asset.metadata);
    const payload = asObject(bundle.task && bundle.task.payload);

    let width = asset && asset.width > 0 ? asset.width : 0;
    let height = asset && asset.height > 0 ? asset.height : 0;
    let ready = false;
    let submitted = false;
    let busy = false;
    let boxes = [];
    let selected = -1;
    let drag = null;
    let currentLabel = labels.length ? labels[0] : "";
    const id = "wb-bb-" + Math.random().toString(36).slice(2);

    /* ---- DOM ---- */
    const container = el("div", { className: "wb-plugin wb-bb" + (readOnly ? " wb-readonly" : "") });
    if (typeof ui.instructions === "string" && ui.instructions) {
      container.append(el("p", { className: "wb-question wb-bb-instructions", text: ui.instructions }));
    }
    const requirement = maxBoxes === Infinity ? (minBoxes > 0 ? "Draw at least " + count(minBoxes) + "." : "")
      : minBoxes === maxBoxes ? "Draw exactly " + count(minBoxes) + "."
      : minBoxes > 0 ? "Draw between " + minBoxes + " and " + count(maxBoxes) + "." : "Draw at most " + count(maxBoxes) + ".";
    if (requirement) container.append(el("p", { className: "wb-bb-requirement", text: requirement }));
    if (typeof payload.text === "string") container.append(el("p", { className: "wb-bb-text", text: payload.text }));

    const labelSelect = el("select", { id: id + "-label", disabled: readOnly || labels.length === 0 });
    labels.forEach((label, index) => labelSelect.append(new Option((index < 9 ? index + 1 + ": " : "") + label, label)));
    const newButton = el("button", { type: "button", className: "wb-bb-new", text: "New box", disabled: readOnly });
    newButton.setAttribute("aria-keyshortcuts", "N");
    const deleteButton = el("button", { type: "button", className: "wb-bb-delete", text: "Delete box", disabled: true });
    deleteButton.setAttribute("aria-keyshortcuts", "Delete Backspace");
    const toolbar = el("div", { className: "wb-bb-toolbar", role: "toolbar", "aria-label": "Box tools" }, [
      el("label", { for: id + "-label", text: "Label for new boxes" }), labelSelect, newButton, deleteButton,
    ]);

    const hintText = readOnly
      ? "Read-only: drawing and submitting are turned off."
      : "Drag on the image to draw a box; drag a box to move it and its corners to resize it. " +
        "Keys: n new box, Tab cycles boxes, arrows move (Shift: 10 px), Alt+arrows or Ctrl+arrows resize, " +
        "1-9 set the label of the selected box (of new boxes when none is selected), Delete removes, " +
        "Escape deselects.";
    const hint = el("p", { className: "wb-hint", id: id + "-hint", text: hintText });
    const image = el("img", { className: "wb-bb-image", alt: meta.alt || "Image to annotate", draggable: "false" });
    const overlay = svg("svg", { className: "wb-bb-overlay", preserveAspectRatio: "none", "aria-hidden": "true" });
    const stage = el("div", {
      className: "wb-bb-stage",
      tabindex: "0",
      role: "application",
      "aria-roledescription": "box drawing area",
      "aria-label": "Image with boxes",
      "aria-describedby": id + "-hint",
    }, [image, overlay]);
    const note = el("p", { className: "wb-bb-note", role: "alert" });
    const figure = el("figure", { className: "wb-bb-figure" }, [
      note,
      stage,
      typeof meta.caption === "string" ? el("figcaption", { text: meta.caption }) : null,
    ]);
    const list = el("ol", { className: "wb-bb-list", "aria-label": "Boxes" });
    const live = el("p", { className: "wb-sr-only", "aria-live": "polite" });
    const button = el("button", { type: "button", className: "wb-submit", text: "Submit", disabled: true });
    const status = el("p", { className: "wb-status", role: "status", "aria-live": "polite" });

    // One grid: stacked on a narrow plugin, the tools, list and Submit beside the image on a wide one.
    container.append(el("div", { className: "wb-bb-work" }, [
      toolbar, figure, list, el("div", { className: "wb-actions" }, [button, status]), hint,
    ]), live);
    root.append(container);

    /* ---- state helpers ---- */
    function editable() {
      return ready && !readOnly && !submitted && !busy;
    }

    function setStatus(text, kind) {
      status.textContent = text;
      status.className = "wb-status" + (kind ? " wb-status-" + kind : "");
      if (kind === "error") status.scrollIntoView({ block: "nearest" });
    }

    /* A message about the drawing, shown at the image (and read out); "" removes it. */
    function warn(text) {
      note.textContent = text;
      if (text) note.scrollIntoView({ block: "nearest" });
    }

    function announce(text) {
      live.textContent = text;
    }

    function normalise(x1, y1, x2, y2) {
      const left = clamp(Math.min(x1, x2), 0, width);
      const top = clamp(Math.min(y1, y2), 0, height);
      const right = clamp(Math.max(x1, x2), 0, width);
      const bottom = clamp(Math.max(y1, y2), 0, height);
      return { x: left, y: top, w: right - left, h: bottom - top };
    }

    function exported(box) {
      const x = round1(clamp(box.x, 0, width));
      const y = round1(clamp(box.y, 0, height));
      const right = round1(clamp(box.x + box.w, 0, width));
      const bottom = round1(clamp(box.y + box.h, 0, height));
      return { x, y, w: round1(right - x), h: round1(bottom - y), label: box.label };
    }

    function result() {
      return { boxes: boxes.map(exported) };
    }

    function describe(box, index) {
      const b = exported(box);
      return "Box " + (index + 1) + ": " + (b.label || "no label") + ", x " + b.x + ", y " + b.y + ", " + b.w + " by " + b.h;
    }

    function changed() {
      if (status.classList.contains("wb-status-error")) setStatus("", null);
      warn("");
      render();
      if (typeof ctx.onChange === "function") ctx.onChange(result());
    }

    function select(index, quiet) {
      selected = index >= 0 && index < boxes.length ? index : -1;
      render();
      if (!quiet) announce(selected >= 0 ? describe(boxes[selected], selected) + " selected" : "No box selected");
    }

    /* ---- rendering ---- */
    function unitsPerPixel() {
      const rect = overlay.getBoundingClientRect();
      return rect.width > 0 ? width / rect.width : 1;
    }

    function colour(label) {
      const index = labels.indexOf(label);
      return COLOURS[(index < 0 ? 0 : index) % COLOURS.length];
    }

    function render() {
      const scale = unitsPerPixel();
      const children = [];
      let selectedGroup = null;
      boxes.forEach((box, index) => {
        const isSelected = index === selected;
        const group = svg("g", { className: "wb-bb-box" + (isSelected ? " wb-bb-selected" : "") }, [
          svg("rect", {
            className: "wb-bb-rect", "data-index": index,
            x: box.x, y: box.y, width: box.w, height: box.h, stroke: colour(box.label),
          }),
          svg("text", {
            className: "wb-bb-tag", x: box.x + 3 * scale, y: box.y + 14 * scale, "font-size": 13 * scale,
            text: (index + 1) + (box.label ? " " + box.label : ""),
          }),
        ]);
        if (isSelected && editable()) {
          const size = HANDLE_PX * scale;
          for (const corner of CORNERS) {
            const cx = corner.includes("w") ? box.x : box.x + box.w;
            const cy = corner.includes("n") ? box.y : box.y + box.h;
            group.append(svg("rect", {
              className: "wb-bb-handle wb-bb-handle-" + corner, "data-index": index, "data-corner": corner,
              x: cx - size / 2, y: cy - size / 2, width: size, height: size,
            }));
          }
        }
        if (isSelected) selectedGroup = group;
        else children.push(group);
      });
      // The selected box is drawn last so that its handles stay on top of overlapping boxes.
      if (selectedGroup) children.push(selectedGroup);
      if (drag && drag.mode === "draw" && drag.rect) {
        const r = drag.rect;
        children.push(svg("rect", { className: "wb-bb-draft", x: r.x, y: r.y, width: r.w, height: r.h }));
      }
      overlay.replaceChildren(...children);

      const focused = list.contains(document.activeElement) ? document.activeElement.dataset.role : null;
      list.replaceChildren(...boxes.map((box, index) => {
        const item = el("button", {
          type: "button", className: "wb-bb-item", "aria-pressed": String(index === selected), text: describe(box, index),
          "data-role": "item-" + index,
        });
        item.addEventListener("click", () => select(index));
        const own = labelChoice("Label of box " + (index + 1), box.label, "label-" + index);
        own.addEventListener("change", () => setBoxLabel(index, own.value));
        return el("li", { className: "wb-bb-entry" }, [item, own]);
      }));
      // The list is drawn anew on each change: keep the keyboard where it was.
      const again = focused && list.querySelector('[data-role="' + focused + '"]');
      if (again) again.focus({ preventScroll: true });
      deleteButton.disabled = !editable() || selected < 0;
      button.disabled = !editable();
    }

    /* A box's own label: a select named for its box (labels outside ui_config.labels, from a prefill, kept). */
    function labelChoice(name, value, role) {
      const choice = el("select", { className: "wb-bb-own-label", "aria-label": name, "data-role": role,
        disabled: !editable() || labels.length === 0 });
      const options = labels.includes(value) || !value ? labels : labels.concat([value]);
      if (!value) choice.append(new Option("(no label)", "", true, true));
      for (const label of options) choice.append(new Option(label, label, false, label === value));
      return choice;
    }

    /* ---- editing operations, shared by mouse and keyboard ---- */
    function addBox(box) {
      boxes.push({ x: box.x, y: box.y, w: box.w, h: box.h, label: currentLabel });
      selected = boxes.length - 1;
      changed();
      announce(describe(boxes[selected], selected) + " added");
    }

    function newBoxAtCentre() {
      if (!editable()) return;
      const w = Math.min(width, Math.max(minSize, Math.round(width / 5)));
      const h = Math.min(height, Math.max(minSize, Math.round(height / 5)));
      addBox({ x: Math.round((width - w) / 2), y: Math.round((height - h) / 2), w, h });
      stage.focus({ preventScroll: true });
    }

    function deleteSelected() {
      if (!editable() || selected < 0) return;
      const gone = selected + 1;
      boxes.splice(selected, 1);
      selected = -1;
      changed();
      announce("Box " + gone + " deleted");
    }

    /* The label of the boxes still to be drawn; the boxes drawn keep theirs. */
    function setNextLabel(label) {
      currentLabel = label;
      labelSelect.value = label;
      announce("New boxes: " + label);
    }

    function setBoxLabel(index, label) {
      if (!editable() || index < 0 || index >= boxes.length) return;
      boxes[index].label = label;
      changed();
      announce(describe(boxes[index], index));
    }

    function nudge(dx, dy, resize) {
      const box = boxes[selected];
      if (resize) {
        box.w = clamp(box.w + dx, minSize, width - box.x);
        box.h = clamp(box.h + dy, minSize, height - box.y);
      } else {
        box.x = clamp(box.x + dx, 0, width - box.w);
        box.y = clamp(box.y + dy, 0, height - box.h);
      }
      changed();
      announce(describe(box, selected));
    }

    /* ---- mouse ---- */
    function toImage(event) {
      const rect = overlay.getBoundingClientRect();
      return {
        x: clamp((event.clientX - rect.left) * width / rect.width, 0, width),
        y: clamp((event.clientY - rect.top) * height / rect.height, 0, height),
      };
    }

    function onPointerDown(event) {
      if (event.button !== 0 || !editable()) return;
      event.preventDefault();
      stage.focus({ preventScroll: true });
      const point = toImage(event);
      const target = event.target;
      const index = target && target.dataset ? Number(target.dataset.index) : NaN;
      if (target.dataset && target.dataset.corner && index === selected) {
        const box = boxes[index];
        const corner = target.dataset.corner;
        drag = {
          mode: "resize", index, before: { ...box },
          fixedX: corner.includes("w") ? box.x + box.w : box.x,
          fixedY: corner.includes("n") ? box.y + box.h : box.y,
        };
      } else if (Number.isInteger(index) && index >= 0) {
        select(index);
        drag = { mode: "move", index, start: point, before: { ...boxes[index] }, moved: false };
      } else {
        drag = { mode: "draw", start: point, rect: null };
      }
      overlay.setPointerCapture(event.pointerId);
    }

    function onPointerMove(event) {
      if (!drag) return;
      const point = toImage(event);
      const box = boxes[drag.index];
      if (drag.mode === "draw") {
        drag.rect = normalise(drag.start.x, drag.start.y, point.x, point.y);
      } else if (drag.mode === "move") {
        box.x = clamp(drag.before.x + point.x - drag.start.x, 0, width - box.w);
        box.y = clamp(drag.before.y + point.y - drag.start.y, 0, height - box.h);
        drag.moved = true;
      } else if (drag.mode === "resize") {
        Object.assign(box, normalise(drag.fixedX, drag.fixedY, point.x, point.y));
      }
      render();
    }

    function onPointerUp(event) {
      if (!drag) return;
      const current = drag;
      drag = null;
      if (overlay.hasPointerCapture(event.pointerId)) overlay.releasePointerCapture(event.pointerId);
      if (current.mode === "draw") {
        const r = current.rect;
        if (r && r.w >= minSize && r.h >= minSize) addBox(r);
        else if (r && (r.w > 1 || r.h > 1)) {
          render();
          warn("That box is too small: draw it at least " + minSize + " pixels wide and " + minSize +
               " pixels high (of the image).");
        } else select(-1);
      } else if (current.mode === "resize") {
        const box = boxes[current.index];
        if (box.w < minSize || box.h < minSize) Object.assign(box, current.before);
        changed();
      } else if (current.moved) {
        changed();
      }
    }

    function onPointerCancel() {
      if (drag && drag.before) Object.assign(boxes[drag.index], drag.before);
      drag = null;
      render();
    }

    /* ---- keyboard ---- */
    function onKeyDown(event) {
      if (event.defaultPrevented || event.isComposing || event.metaKey) return;
      const resize = event.altKey || event.ctrlKey;
      if (event.ctrlKey && !event.key.startsWith("Arrow")) return;
      const target = event.target;
      const ours = container.contains(target) || target === document.body || target === document.documentElement;
      if (!ours || isTextEntry(target) || !editable()) return;
      const key = event.key;
      if (key === "Tab" && target === stage && !event.altKey) {
        const next = selected < 0 ? (event.shiftKey ? boxes.length - 1 : 0) : selected + (event.shiftKey ? -1 : 1);
        if (next >= 0 && next < boxes.length) {
          event.preventDefault();
          select(next);
        } else if (selected >= 0) {
          select(-1, true);
        }
        return;
      }
      if (event.altKey && !key.startsWith("Arrow")) return;
      if ((key === "n" || key === "N") && !event.shiftKey) {
        event.preventDefault();
        newBoxAtCentre();
      } else if (/^[1-9]$/.test(key)) {
        const label = labels[Number(key) - 1];
        if (label !== undefined) {
          event.preventDefault();
          if (selected >= 0) setBoxLabel(selected, label);
          else setNextLabel(label);
        }
      } else if ((key === "Delete" || key === "Backspace") && selected >= 0) {
        event.preventDefault();
        deleteSelected();
      } else if (key === "Escape" && selected >= 0) {
        event.preventDefault();
        select(-1);
      } else if (key.startsWith("Arrow") && selected >= 0) {
        event.preventDefault();
        const step = event.shiftKey ? 10 : 1;
        const dx = key === "ArrowLeft" ? -step : key === "ArrowRight" ? step : 0;
        const dy = key === "ArrowUp" ? -step : key === "ArrowDown" ? step : 0;
        nudge(dx, dy, resize);
      }
    }

    /* ---- submit ---- */
    async function submit() {
      if (!editable()) return;
      const value = result();
      const unlabelled = labels.length ? value.boxes.findIndex((box) => !box.label) : -1;
      if (value.boxes.length < minBoxes) {
        warn("Draw at least " + count(minBoxes) + (value.boxes.length ? ": " + value.boxes.length + " so far." : "."));
        return;
      }
      if (value.boxes.length > maxBoxes) {
        warn("Draw at most " + count(maxBoxes) + ": there are " + value.boxes.length + "; delete " +
             (value.boxes.length - maxBoxes) + ".");
        return;
      }
      if (unlabelled >= 0) {
        warn("Box " + (unlabelled + 1) + " has no label: choose one in the list of boxes.");
        return;
      }
      busy = true;
      render();
      setStatus("Submitting…", "busy");
      try {
        await Promise.resolve().then(() => ctx.submit(value));
        submitted = true;
        labelSelect.disabled = true;
        newButton.disabled = true;
        selected = -1;
        setStatus("Submitted", "ok");
      } catch (err) {
        setStatus(err && err.message ? err.message : String(err), "error");
      } finally {
        busy = false;
        render();
      }
    }

    /* ---- start ---- */
    function loadInitial() {
      const initial = asObject(ctx.initial);
      if (!Array.isArray(initial.boxes)) return;
      for (const raw of initial.boxes) {
        const box = asObject(raw);
        const numbers = [box.x, box.y, box.w, box.h].map(Number);
        if (!numbers.every(Number.isFinite)) continue;
        const [x, y, w, h] = numbers;
        const clean = normalise(x, y, x + w, y + h);
        if (clean.w <= 0 || clean.h <= 0) continue;
        boxes.push({ ...clean, label: typeof box.label === "string" ? box.label : "" });
      }
    }

    function onImageReady() {
      width = image.naturalWidth || width;
      height = image.naturalHeight || height;
      overlay.setAttribute("viewBox", "0 0 " + width + " " + height);
      ready = true;
      loadInitial();
      render();
      container.dataset.ready = "true";
    }

    const url = asset && safeUrl(asset.url);
    if (!url) {
      setStatus("This task has no image to draw on.", "error");
    } else {
      image.addEventListener("load", onImageReady, { once: true });
      image.addEventListener("error", () => setStatus("The image could not be loaded.", "error"), { once: true });
      image.src = url;
    }

    overlay.addEventListener("pointerdown", onPointerDown);
    overlay.addEventListener("pointermove", onPointerMove);
    overlay.addEventListener("pointerup", onPointerUp);
    overlay.addEventListener("pointercancel", onPointerCancel);
    labelSelect.addEventListener("change", () => setNextLabel(labelSelect.value));
    newButton.addEventListener("click", newBoxAtCentre);
    deleteButton.addEventListener("click", () => {
      deleteSelected();
      stage.focus({ preventScroll: true });
    });
    button.addEventListener("click", submit);
    document.addEventListener("keydown", onKeyDown);
    const resizeObserver = new ResizeObserver(() => ready && render());
    resizeObserver.observe(stage);

    return {
      getResult: result,
      destroy() {
        document.removeEventListener("keydown", onKeyDown);
        resizeObserver.disconnect();
        container.remove();
      },
    };
  }

  if (!window.Workbench || typeof window.Workbench.register !== "function") {
    throw new Error("The " + NAME + " plugin needs a host page that defines window.Workbench.register");
  }
  window.Workbench.register(NAME, { mount });
})();

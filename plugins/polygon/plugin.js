/*
 * Polygon plugin (the "salient polygon" task): outline regions of the asset image.
 *
 * Points live in the image's natural pixel coordinates; an SVG overlay with
 * viewBox="0 0 naturalWidth naturalHeight" over the <img> maps them to the displayed size.
 * Mouse: click to add vertices, click the first vertex (or Enter) to close, click a polygon
 * to select it, drag its vertices (or the polygon) to edit.
 * Keys: Enter closes, Escape cancels the shape in progress, Ctrl+Z removes its last vertex,
 * Delete removes the selected vertex (or polygon), 1-9 label the selected polygon (with none
 * selected: new polygons), Tab cycles polygons, [ and ] cycle vertices, arrows move (Shift: 10 px),
 * n adds a square polygon for keyboard users.
 * Labels: the toolbar's "Label for new polygons" is for the polygons still to be drawn, never the
 * one just closed; each polygon has its own label in the list of polygons.
 * A shape that cannot close, fewer polygons than min_polygons or a polygon without a label is said
 * at the image (role=alert), scrolled into view.
 * Result: {"polygons": [{"points": [[x, y], ...], "label": "..."}]}, at least 3 points each.
 */
(function () {
  "use strict";

  const NAME = "polygon";
  const SVG_NS = "http://www.w3.org/2000/svg";
  const SAFE_URL_PROTOCOLS = ["http:", "https:", "data:", "blob:"];
  const COLOURS = ["#e8590c", "#1971c2", "#2f9e44", "#c2255c", "#7048e8", "#0c8599", "#f08c00", "#5c940d", "#862e9c"];
  const VERTEX_PX = 6;
  const SAME_POINT_PX = 3;

  function el(tag, props, children) {
    return fill(document.createElement(tag), props, children);
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
  const pointsAttr = (points) => points.map(([x, y]) => x + "," + y).join(" ");
  const count = (n) => n + (n === 1 ? " polygon" : " polygons");

  function mount(root, ctx) {
    const bundle = ctx.bundle || {};
    const ui = asObject(asObject(bundle.definition).ui_config);
    const labels = (Array.isArray(ui.labels) ? ui.labels : []).map(String);
    const minPolygons = Number.isInteger(ui.min_polygons) && ui.min_polygons >= 0 ? ui.min_polygons : 1;
    const maxPolygons = Number.isInteger(ui.max_polygons) && ui.max_polygons >= Math.max(minPolygons, 1) ? ui.max_polygons : Infinity;
    const readOnly = ctx.readOnly === true;
    const asset = bundle.asset;
    const meta = asObject(asset && asset.metadata);
    const payload = asObject(bundle.task && bundle.task.payload);

    let width = asset && asset.width > 0 ? asset.width : 0;
    let height = asset && asset.height > 0 ? asset.height : 0;
    let ready = false;
    let submitted = false;
    let busy = false;
    let polygons = [];
    let draft = null; // points of the shape in progress, or null
    let pointer = null; // last pointer position, for the rubber band of the draft
    let selected = -1;
    let vertex = -1;
    let drag = null;
    let currentLabel = labels.length ? labels[0] : "";
    const id = "wb-pg-" + Math.random().toString(36).slice(2);

    /* ---- DOM ---- */
    const container = el("div", { className: "wb-plugin wb-poly" + (readOnly ? " wb-readonly" : "") });
    if (typeof ui.instructions === "string" && ui.instructions) {
      container.append(el("p", { className: "wb-question wb-poly-instructions", text: ui.instructions }));
    }
    const requirement = maxPolygons === Infinity ? (minPolygons > 0 ? "Draw at least " + count(minPolygons) + "." : "")
      : minPolygons === maxPolygons ? "Draw exactly " + count(minPolygons) + "."
      : minPolygons > 0 ? "Draw between " + minPolygons + " and " + count(maxPolygons) + "." : "Draw at most " + count(maxPolygons) + ".";
    if (requirement) container.append(el("p", { className: "wb-poly-requirement", text: requirement }));
    if (typeof payload.text === "string") container.append(el("p", { className: "wb-poly-text", text: payload.text }));

    const labelSelect = el("select", { id: id + "-label", disabled: readOnly || labels.length === 0 });
    labels.forEach((label, index) => labelSelect.append(new Option((index < 9 ? index + 1 + ": " : "") + label, label)));
    const closeButton = el("button", { type: "button", text: "Close shape", disabled: true });
    closeButton.setAttribute("aria-keyshortcuts", "Enter");
    const undoButton = el("button", { type: "button", text: "Undo vertex", disabled: true });
    undoButton.setAttribute("aria-keyshortcuts", "Control+Z");
    const deleteButton = el("button", { type: "button", text: "Delete polygon", disabled: true });
    const toolbar = el("div", { className: "wb-poly-toolbar", role: "toolbar", "aria-label": "Polygon tools" }, [
      el("label", { for: id + "-label", text: "Label for new polygons" }), labelSelect, closeButton, undoButton,
      deleteButton,
    ]);

    const hint = el("p", {
      className: "wb-hint", id: id + "-hint",
      text: readOnly
        ? "Read-only: drawing and submitting are turned off."
        : "Click on the image to add vertices; click the first vertex or press Enter to close the shape. " +
          "Escape cancels the shape in progress, Ctrl+Z removes its last vertex. Click a polygon to select it, " +
          "drag its vertices to edit; Delete removes the selected vertex or polygon; 1-9 set the label of the " +
          "selected polygon (of new polygons when none is selected). " +
          "Keyboard: n adds a square, Tab cycles polygons, [ and ] cycle vertices, arrows move (Shift: 10 px).",
    });
    const image = el("img", { className: "wb-poly-image", alt: meta.alt || "Image to annotate", draggable: "false" });
    const overlay = svg("svg", { className: "wb-poly-overlay", preserveAspectRatio: "none", "aria-hidden": "true" });
    const stage = el("div", {
      className: "wb-poly-stage", tabindex: "0", role: "application",
      "aria-roledescription": "polygon drawing area", "aria-label": "Image with polygons",
      "aria-describedby": id + "-hint",
    }, [image, overlay]);
    const note = el("p", { className: "wb-poly-note", role: "alert" });
    const figure = el("figure", { className: "wb-poly-figure" }, [
      note, stage, typeof meta.caption === "string" ? el("figcaption", { text: meta.caption }) : null,
    ]);
    const list = el("ol", { className: "wb-poly-list", "aria-label": "Polygons" });
    const live = el("p", { className: "wb-sr-only", "aria-live": "polite" });
    const button = el("button", { type: "button", className: "wb-submit", text: "Submit", disabled: true });
    const status = el("p", { className: "wb-status", role: "status", "aria-live": "polite" });
    // One grid: stacked on a narrow plugin, the tools, list and Submit beside the image on a wide one.
    container.append(el("div", { className: "wb-poly-work" }, [
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

    function clampPoint(x, y) {
      return [clamp(x, 0, width), clamp(y, 0, height)];
    }

    function exported(polygon) {
      return {
        points: polygon.points.map(([x, y]) => [round1(clamp(x, 0, width)), round1(clamp(y, 0, height))]),
        label: polygon.label,
      };
    }

    function result() {
      return { polygons: polygons.map(exported) };
    }

    function describe(index) {
      const polygon = polygons[index];
      return "Polygon " + (index + 1) + ": " + (polygon.label || "no label") + ", " + polygon.points.length + " points";
    }

    function changed() {
      if (status.classList.contains("wb-status-error")) setStatus("", null);
      warn("");
      render();
      if (typeof ctx.onChange === "function") ctx.onChange(result());
    }

    function select(index, quiet) {
      selected = index >= 0 && index < polygons.length ? index : -1;
      vertex = -1;
      render();
      if (!quiet) announce(selected >= 0 ? describe(selected) + " selected" : "No polygon selected");
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
      const radius = VERTEX_PX * scale;
      const children = [];
      let top = null;
      polygons.forEach((polygon, index) => {
        const isSelected = index === selected;
        const [tx, ty] = polygon.points[0];
        const group = svg("g", { className: "wb-poly-shape" + (isSelected ? " wb-poly-selected" : "") }, [
          svg("polygon", {
            className: "wb-poly-area", "data-poly": index, points: pointsAttr(polygon.points),
            stroke: colour(polygon.label), fill: colour(polygon.label),
          }),
          svg("text", {
            className: "wb-poly-tag", x: tx + 4 * scale, y: ty - 4 * scale, "font-size": 13 * scale,
            text: (index + 1) + (polygon.label ? " " + polygon.label : ""),
          }),
        ]);
        if (isSelected && editable()) {
          polygon.points.forEach(([x, y], v) => group.append(svg("circle", {
            className: "wb-poly-vertex" + (v === vertex ? " wb-poly-vertex-selected" : ""),
            "data-poly": index, "data-vertex": v, cx: x, cy: y, r: radius,
          })));
        }
        if (isSelected) top = group;
        else children.push(group);
      });
      if (top) children.push(top);
      if (draft) {
        const line = pointer && editable() ? draft.concat([pointer]) : draft;
        children.push(svg("polyline", { className: "wb-poly-draft", points: pointsAttr(line) }));
        draft.forEach(([x, y], v) => children.push(svg("circle", {
          className: "wb-poly-vertex" + (v === 0 && draft.length >= 3 ? " wb-poly-closer" : ""),
          "data-draft-vertex": v, cx: x, cy: y, r: v === 0 && draft.length >= 3 ? radius * 1.5 : radius,
        })));
      }
      overlay.replaceChildren(...children);

      const focused = list.contains(document.activeElement) ? document.activeElement.dataset.role : null;
      list.replaceChildren(...polygons.map((polygon, index) => {
        const item = el("button", {
          type: "button", className: "wb-poly-item", "aria-pressed": String(index === selected), text: describe(index),
          "data-role": "item-" + index,
        });
        item.addEventListener("click", () => select(index));
        const own = labelChoice("Label of polygon " + (index + 1), polygon.label, "label-" + index);
        own.addEventListener("change", () => setPolygonLabel(index, own.value));
        return el("li", { className: "wb-poly-entry" }, [item, own]);
      }));
      // The list is drawn anew on each change: keep the keyboard where it was.
      const again = focused && list.querySelector('[data-role="' + focused + '"]');
      if (again) again.focus({ preventScroll: true });
      closeButton.disabled = !editable() || !draft || draft.length < 3;
      undoButton.disabled = !editable() || !draft;
      deleteButton.disabled = !editable() || selected < 0;
      button.disabled = !editable();
    }

    /* A polygon's own label: a select named for it (a label outside ui_config.labels, from a prefill, kept). */
    function labelChoice(name, value, role) {
      const choice = el("select", { className: "wb-poly-own-label", "aria-label": name, "data-role": role,
        disabled: !editable() || labels.length === 0 });
      const options = labels.includes(value) || !value ? labels : labels.concat([value]);
      if (!value) choice.append(new Option("(no label)", "", true, true));
      for (const label of options) choice.append(new Option(label, label, false, label === value));
      return choice;
    }

    /* ---- editing operations, shared by mouse and keyboard ---- */
    function addVertex(point) {
      if (!draft) {
        draft = [];
        selected = -1;
        vertex = -1;
      }
      const last = draft[draft.length - 1];
      const near = SAME_POINT_PX * unitsPerPixel();
      if (last && Math.abs(last[0] - point[0]) <= near && Math.abs(last[1] - point[1]) <= near) return;
      draft.push(point);
      render();
      announce("Vertex " + draft.length + " added");
    }

    function closeDraft() {
      if (!draft) return;
      if (draft.length < 3) {
        warn("A polygon needs at least 3 points.");
        return;
      }
      polygons.push({ points: draft, label: currentLabel });
      draft = null;
      selected = polygons.length - 1;
      vertex = -1;
      changed();
      announce(describe(selected) + " closed");
    }

    function cancelDraft() {
      draft = null;
      render();
      announce("Shape cancelled");
    }

    function undoVertex() {
      if (!draft) return;
      draft.pop();
      if (draft.length === 0) draft = null;
      render();
      announce(draft ? draft.length + " vertices left" : "Shape cancelled");
    }

    function deleteSelection() {
      if (selected < 0) return;
      const polygon = polygons[selected];
      if (vertex >= 0) {
        if (polygon.points.length <= 3) {
          warn("A polygon needs at least 3 points; delete the polygon instead.");
          return;
        }
        polygon.points.splice(vertex, 1);
        vertex = Math.min(vertex, polygon.points.length - 1);
        changed();
        announce("Vertex deleted, " + polygon.points.length + " points left");
      } else {
        const gone = selected + 1;
        polygons.splice(selected, 1);
        selected = -1;
        changed();
        announce("Polygon " + gone + " deleted");
      }
    }

    /* The label of the polygons still to be drawn; those drawn keep theirs. */
    function setNextLabel(label) {
      currentLabel = label;
      labelSelect.value = label;
      announce("New polygons: " + label);
    }

    function setPolygonLabel(index, label) {
      if (!editable() || index < 0 || index >= polygons.length) return;
      polygons[index].label = label;
      changed();
      announce(describe(index));
    }

    /* Moves the selected vertex, or the whole polygon, keeping every point on the image. */
    function translate(polygon, dx, dy, only) {
      if (only >= 0) {
        const [x, y] = polygon.points[only];
        polygon.points[only] = clampPoint(x + dx, y + dy);
        return;
      }
      const xs = polygon.points.map((p) => p[0]);
      const ys = polygon.points.map((p) => p[1]);
      const ddx = clamp(dx, -Math.min(...xs), width - Math.max(...xs));
      const ddy = clamp(dy, -Math.min(...ys), height - Math.max(...ys));
      polygon.points = polygon.points.map(([x, y]) => [x + ddx, y + ddy]);
    }

    function newSquare() {
      const side = Math.round(Math.min(width, height) / 5);
      const x = Math.round((width - side) / 2);
      const y = Math.round((height - side) / 2);
      draft = [[x, y], [x + side, y], [x + side, y + side], [x, y + side]];
      closeDraft();
      stage.focus({ preventScroll: true });
    }

    /* ---- mouse ---- */
    function toImage(event) {
      const rect = overlay.getBoundingClientRect();
      return clampPoint((event.clientX - rect.left) * width / rect.width, (event.clientY - rect.top) * height / rect.height);
    }

    function onPointerDown(event) {
      if (event.button !== 0 || !editable()) return;
      event.preventDefault();
      stage.focus({ preventScroll: true });
      const point = toImage(event);
      const data = event.target.dataset || {};
      if (draft) {
        if (data.draftVertex === "0" && draft.length >= 3) closeDraft();
        else addVertex(point);
        return;
      }
      const index = data.poly === undefined ? -1 : Number(data.poly);
      if (index >= 0 && data.vertex !== undefined) {
        vertex = Number(data.vertex);
        drag = { mode: "vertex", index, before: polygons[index].points.map((p) => p.slice()), moved: false };
        render();
        announce("Vertex " + (vertex + 1) + " of polygon " + (index + 1) + " selected");
      } else if (index >= 0) {
        select(index);
        drag = { mode: "move", index, start: point, before: polygons[index].points.map((p) => p.slice()), moved: false };
      } else {
        addVertex(point);
        return;
      }
      overlay.setPointerCapture(event.pointerId);
    }

    function onPointerMove(event) {
      const point = toImage(event);
      if (!drag) {
        if (draft) {
          pointer = point;
          render();
        }
        return;
      }
      const polygon = polygons[drag.index];
      if (drag.mode === "vertex") {
        polygon.points[vertex] = point;
      } else {
        polygon.points = drag.before.map((p) => p.slice());
        translate(polygon, point[0] - drag.start[0], point[1] - drag.start[1], -1);
      }
      drag.moved = true;
      render();
    }

    function onPointerUp(event) {
      if (!drag) return;
      const moved = drag.moved;
      drag = null;
      if (overlay.hasPointerCapture(event.pointerId)) overlay.releasePointerCapture(event.pointerId);
      if (moved) changed();
    }

    function onPointerCancel() {
      if (drag) polygons[drag.index].points = drag.before;
      drag = null;
      render();
    }

    function onPointerLeave() {
      if (draft && pointer) {
        pointer = null;
        render();
      }
    }

    /* ---- keyboard ---- */
    function onKeyDown(event) {
      if (event.defaultPrevented || event.isComposing || event.altKey) return;
      const target = event.target;
      const ours = container.contains(target) || target === document.body || target === document.documentElement;
      if (!ours || isTextEntry(target) || !editable()) return;
      const key = event.key;
      if (event.ctrlKey || event.metaKey) {
        if ((key === "z" || key === "Z") && !event.shiftKey && draft) {
          event.preventDefault();
          undoVertex();
        }
        return;
      }
      if (key === "Tab" && target === stage && !draft) {
        const next = selected < 0 ? (event.shiftKey ? polygons.length - 1 : 0) : selected + (event.shiftKey ? -1 : 1);
        if (next >= 0 && next < polygons.length) {
          event.preventDefault();
          select(next);
        } else if (selected >= 0) {
          select(-1, true);
        }
        return;
      }
      if (key === "Enter" && draft && target.tagName !== "BUTTON") {
        event.preventDefault();
        closeDraft();
      } else if (key === "Escape") {
        if (draft) cancelDraft();
        else if (vertex >= 0) {
          vertex = -1;
          render();
        } else if (selected >= 0) select(-1);
        else return;
        event.preventDefault();
      } else if ((key === "Delete" || key === "Backspace") && selected >= 0 && !draft) {
        event.preventDefault();
        deleteSelection();
      } else if (/^[1-9]$/.test(key) && labels[Number(key) - 1] !== undefined) {
        event.preventDefault();
        if (selected >= 0) setPolygonLabel(selected, labels[Number(key) - 1]);
        else setNextLabel(labels[Number(key) - 1]);
      } else if ((key === "n" || key === "N") && !draft) {
        event.preventDefault();
        newSquare();
      } else if ((key === "[" || key === "]") && selected >= 0) {
        event.preventDefault();
        const count = polygons[selected].points.length;
        vertex = vertex < 0 ? (key === "]" ? 0 : count - 1) : (vertex + (key === "]" ? 1 : count - 1)) % count;
        render();
        announce("Vertex " + (vertex + 1) + " of " + count + " selected");
      } else if (key.startsWith("Arrow") && selected >= 0 && !draft) {
        event.preventDefault();
        const step = event.shiftKey ? 10 : 1;
        const dx = key === "ArrowLeft" ? -step : key === "ArrowRight" ? step : 0;
        const dy = key === "ArrowUp" ? -step : key === "ArrowDown" ? step : 0;
        translate(polygons[selected], dx, dy, vertex);
        changed();
      }
    }

    /* ---- submit ---- */
    async function submit() {
      if (!editable()) return;
      if (draft) {
        warn("Close the shape in progress (Enter) or cancel it (Escape) first.");
        return;
      }
      const value = result();
      if (value.polygons.length < minPolygons) {
        warn("Draw at least " + count(minPolygons) + (value.polygons.length ? ": " + value.polygons.length + " so far." : "."));
        return;
      }
      if (value.polygons.length > maxPolygons) {
        warn("Draw at most " + count(maxPolygons) + ": there are " + value.polygons.length + "; delete " +
             (value.polygons.length - maxPolygons) + ".");
        return;
      }
      const unlabelled = labels.length ? value.polygons.findIndex((polygon) => !polygon.label) : -1;
      if (unlabelled >= 0) {
        warn("Polygon " + (unlabelled + 1) + " has no label: choose one in the list of polygons.");
        return;
      }
      busy = true;
      render();
      setStatus("Submitting…", "busy");
      try {
        await Promise.resolve().then(() => ctx.submit(value));
        submitted = true;
        labelSelect.disabled = true;
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
      if (!Array.isArray(initial.polygons)) return;
      for (const raw of initial.polygons) {
        const polygon = asObject(raw);
        if (!Array.isArray(polygon.points)) continue;
        const points = polygon.points
          .filter((p) => Array.isArray(p) && p.length === 2 && p.every((n) => Number.isFinite(Number(n))))
          .map(([x, y]) => clampPoint(Number(x), Number(y)));
        if (points.length < 3) continue;
        polygons.push({ points, label: typeof polygon.label === "string" ? polygon.label : "" });
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
    overlay.addEventListener("pointerleave", onPointerLeave);
    labelSelect.addEventListener("change", () => setNextLabel(labelSelect.value));
    closeButton.addEventListener("click", closeDraft);
    undoButton.addEventListener("click", undoVertex);
    deleteButton.addEventListener("click", () => {
      vertex = -1;
      deleteSelection();
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

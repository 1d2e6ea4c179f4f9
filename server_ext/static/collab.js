// The collaboration session page: one WebSocket, the word game or the labelling task, and the chat.
// Everything shown is set with textContent, never parsed as HTML. The labelling task is the task
// type's own plugin, mounted by plugin_host.js and pre-filled with the assistant's proposal; its
// submit goes over the socket. Each frame the page sends names the control it came from in its
// client_id, so a refusal shows beside that control; a move or line that goes through clears it.
(function () {
  "use strict";
  const EDIT_DELAY = 400; // ms of quiet before a working copy is sent: held arrow keys must not flood the socket
  const root = document.getElementById("collab");
  const $ = (id) => document.getElementById(id);
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const url = proto + "//" + location.host + root.dataset.ws;
  let socket = null, ended = false, refused = false, retry = 500, view = null;
  let role = root.dataset.role, chatOn = true, paradigm = "";
  let tool = null, submitted = false, pending = null, editTimer = null, sequence = 0;
  // Where a refusal of a frame from each control is shown (the client_id's prefix).
  const ERROR_SLOTS = { board: "board-error", hint: "hint-error", chat: "chat-error" };
  const STATUS_WORDS = { waiting: "waiting for your partner", active: "in play", ending: "finishing…", ended: "ended" };
  const END_WORDS = {
    completed: "The session is complete.", timeout: "The session reached its time limit.",
    dropout: "The session ended because someone left.", no_partner: "No partner joined in time, so the session ended.",
  };

  function send(frame, from) {
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      if (from) showError(from, "Not connected; wait for the page to reconnect and try again.");
      return;
    }
    if (from) { sequence += 1; frame.client_id = from + "-" + sequence; }
    socket.send(JSON.stringify(frame));
  }

  function showError(from, message) {
    const slot = $(ERROR_SLOTS[from] || "notice");
    slot.textContent = message;
    slot.scrollIntoView({ block: "nearest" });  // on a phone the control may sit below the rules
  }

  function clearErrors(...slots) {
    slots.forEach((id) => { $(id).textContent = ""; });
  }

  function connect() {
    socket = new WebSocket(url);
    socket.addEventListener("open", () => { retry = 500; send({ type: "hello", token: root.dataset.token }); });
    socket.addEventListener("message", (event) => handle(JSON.parse(event.data)));
    socket.addEventListener("close", (event) => {
      failPending("The connection dropped; submit again once it is back.");
      if (event.code === 4403) {
        refused = true;
        $("status").textContent = "not allowed";
        $("notice").textContent = "This page may not join the session. Open the session again from the HIT.";
        return;
      }
      if (ended || refused) return;
      $("status").textContent = "reconnecting…";
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 8000);
    });
  }

  function handle(frame) {
    root.dataset.lastFrame = frame.type;
    if (frame.type === "welcome") {
      role = frame.role; chatOn = frame.chat; paradigm = frame.paradigm;
      $("role").textContent = role;
      $("chat").hidden = !chatOn;
      $("messages").replaceChildren();
      frame.messages.forEach(addMessage);
      render(frame.status, frame.state);
    } else if (frame.type === "state") {
      render(frame.status, frame.state);
    } else if (frame.type === "message") {
      addMessage(frame);
      if (frame.client_id) clearErrors("chat-error");  // our own line came back: it went through
    } else if (frame.type === "ack") {
      if (pending && frame.client_id === pending.id) {
        submitted = true;
        pending.resolve();
        pending = null;
      }
    } else if (frame.type === "error" && pending && (!frame.client_id || frame.client_id === pending.id)) {
      // The submit's own refusal, or the socket's (too large, too fast), which names no frame:
      // either way the plugin shows it beside its Submit button.
      failPending(frame.message);
    } else if (frame.type === "error") {
      showError(String(frame.client_id || "").split("-")[0], frame.message);
    } else if (frame.type === "notice") {
      $("notice").textContent = frame.text;
    } else if (frame.type === "end") {
      ended = true;
      render("ended", frame.state);
      closeChat();
      clearErrors("notice", "board-error", "hint-error", "chat-error");
      $("done").hidden = false;
      $("end-reason").textContent = END_WORDS[frame.reason] || "The session has ended.";
      $("code").textContent = frame.completion_code || "";
      $("status").textContent = STATUS_WORDS.ended;
      root.dataset.outcome = JSON.stringify(frame.outcome);
      $("done").scrollIntoView({ block: "nearest" });
    }
  }

  // At the end nobody is listening: the chat stays readable but takes no more lines.
  function closeChat() {
    $("chat-text").disabled = true;
    $("chat-text").placeholder = "The session has ended.";
    $("chat-form").querySelector("button").disabled = true;
  }

  function addMessage(m) {
    const li = document.createElement("li");
    li.className = m.kind;
    li.textContent = m.role + ": " + m.text;
    $("messages").appendChild(li);
    $("messages").scrollTop = $("messages").scrollHeight;
  }

  function render(status, state) {
    root.dataset.status = status;
    $("status").textContent = STATUS_WORDS[status] || status;
    // A state that moved on makes earlier refusals of moves stale.
    clearErrors("notice", "board-error", "hint-error");
    $("waiting").hidden = status !== "waiting";
    view = state;
    if (!state) return;
    if (paradigm === "word_guessing") renderGame(state, status);
    else renderLabelling(state, status);
  }

  function renderGame(state, status) {
    $("game").hidden = false;
    const myTurn = status === "active" && state.turn === role && !state.result;
    const board = $("board");
    board.replaceChildren();
    state.board.forEach((word) => {
      const b = document.createElement("button");
      b.type = "button"; b.textContent = word; b.dataset.word = word;
      if (state.guesses.includes(word)) b.className = "guessed";
      if (word === state.target) b.classList.add("target");
      b.disabled = !(myTurn && role === "guesser") || state.guesses.includes(word);
      b.addEventListener("click", () => send({ type: "action", action: { kind: "guess", word: word } }, "board"));
      board.appendChild(b);
    });
    $("target-line").hidden = !state.target;
    $("target").textContent = state.target || "";
    $("hints").textContent = state.hints.join(", ");
    $("guesses").textContent = state.guesses.join(", ");
    $("hint-form").hidden = !(myTurn && role === "hinter");
    $("turn").textContent = turnText(state, myTurn, status);
    root.dataset.turn = state.turn;
  }

  function turnText(state, myTurn, status) {
    if (state.result === "won") return "You won together: the secret word was “" + state.target + "”.";
    if (state.result === "lost") return "Out of guesses: the secret word was “" + state.target + "”.";
    if (status !== "active") return "";
    if (!myTurn) return "Waiting for the " + state.turn + ".";
    return role === "hinter" ? "Your turn: give a one-word hint." : "Your turn: pick a word on the board.";
  }

  function renderLabelling(state, status) {
    $("labelling").hidden = false;
    const open = status === "active" && state.turn === "annotator" && !state.result;
    if (!tool && !open && status === "active" && !state.result) {
      $("labelling-note").textContent = "Waiting for the assistant's proposal…";
      return;
    }
    if (open) {
      $("labelling-note").textContent = state.proposal
        ? "The assistant's proposal is filled in below: accept it as it is, or correct it, then submit."
        : "Label the task below, then submit.";
    } else {
      $("labelling-note").textContent = "";
    }
    // A submit in flight settles with its ack, which comes after the state it produced.
    if (tool && (open || tool.readOnly || submitted || pending)) return;
    // First render, or the session closed under an unsubmitted tool: show the last result, read-only.
    const last = tool ? tool.handle.getResult() : null;
    if (tool) tool.handle.destroy();
    const initial = open ? (state.current || state.proposal) : (state.final || last || state.current);
    mountTool(initial || null, !open);
  }

  function mountTool(initial, readOnly) {
    try {
      const page = window.WorkbenchHost.readBundle("wb-bundle");
      const handle = window.WorkbenchHost.mount($("wb-plugin-root"), page, {
        initial: initial, readOnly: readOnly, submit: submitResult, onChange: queueEdit,
      });
      tool = { handle: handle, readOnly: readOnly };
    } catch (err) {
      $("notice").textContent = err.message;
    }
  }

  // The plugin's submit: one "submit" action over the socket, settled by its ack or its error frame.
  function submitResult(result) {
    if (pending) return Promise.reject(new Error("Already submitting."));
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new Error("Not connected; wait for the page to reconnect and submit again."));
    }
    window.clearTimeout(editTimer);
    editTimer = null;
    sequence += 1;
    const id = "submit-" + sequence;
    return new Promise((resolve, reject) => {
      pending = { id: id, resolve: resolve, reject: reject };
      send({ type: "action", action: { kind: "submit", result: result }, client_id: id });
    });
  }

  function failPending(message) {
    if (!pending) return;
    pending.reject(new Error(message || "The submission was refused."));
    pending = null;
  }

  // The working copy goes to the session as an "edit", so a reload starts from the human's edits.
  function queueEdit(result) {
    window.clearTimeout(editTimer);
    editTimer = window.setTimeout(() => {
      editTimer = null;
      if (!pending && !submitted) send({ type: "action", action: { kind: "edit", result: result } });
    }, EDIT_DELAY);
  }

  $("hint-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const word = $("hint-word").value.trim();
    if (!word) { showError("hint", "Write a hint first."); return; }
    send({ type: "action", action: { kind: "hint", word: word } }, "hint");
    $("hint-word").value = "";
  });
  $("chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("chat-text").value.trim();
    if (!text) { showError("chat", "Write a message first."); return; }
    send({ type: "chat", text: text }, "chat");
    $("chat-text").value = "";
  });
  // Deferred scripts (plugin_host.js, the plugin) have all run by now: the first state can mount the plugin.
  document.addEventListener("DOMContentLoaded", connect);
})();

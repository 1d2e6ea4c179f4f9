// The collaboration session page: one WebSocket, the word game or the labelling task, and the chat.
// Everything shown is set with textContent, never parsed as HTML.
(function () {
  "use strict";
  const root = document.getElementById("collab");
  const $ = (id) => document.getElementById(id);
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const url = proto + "//" + location.host + root.dataset.ws;
  let socket = null, ended = false, refused = false, retry = 500, view = null;
  let role = root.dataset.role, chatOn = true, paradigm = "";

  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }

  function connect() {
    socket = new WebSocket(url);
    socket.addEventListener("open", () => { retry = 500; send({ type: "hello", token: root.dataset.token }); });
    socket.addEventListener("message", (event) => handle(JSON.parse(event.data)));
    socket.addEventListener("close", (event) => {
      if (event.code === 4403) { refused = true; $("status").textContent = "not allowed"; return; }
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
    } else if (frame.type === "error" || frame.type === "notice") {
      $("notice").textContent = frame.message || frame.text;
    } else if (frame.type === "end") {
      ended = true;
      render("ended", frame.state);
      $("done").hidden = false;
      $("code").textContent = frame.completion_code || "";
      $("status").textContent = "ended (" + frame.reason + ")";
      root.dataset.outcome = JSON.stringify(frame.outcome);
    }
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
    $("status").textContent = status;
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
      b.disabled = !(myTurn && role === "guesser") || state.guesses.includes(word);
      b.addEventListener("click", () => send({ type: "action", action: { kind: "guess", word: word } }));
      board.appendChild(b);
    });
    $("target-line").hidden = !state.target;
    $("target").textContent = state.target || "";
    $("hints").textContent = state.hints.join(", ");
    $("guesses").textContent = state.guesses.join(", ");
    $("hint-form").hidden = !(myTurn && role === "hinter");
    $("turn").textContent = state.result ? "Game over: " + state.result
      : (myTurn ? "Your turn." : "Waiting for the " + state.turn + ".");
    root.dataset.turn = state.turn;
  }

  function renderLabelling(state, status) {
    $("labelling").hidden = false;
    $("proposal").textContent = state.proposal ? JSON.stringify(state.proposal) : "(none yet)";
    if (state.current && document.activeElement !== $("result")) $("result").value = JSON.stringify(state.current);
    $("submit-result").disabled = !(status === "active" && state.turn === "annotator" && !state.result);
  }

  $("hint-form").addEventListener("submit", (event) => {
    event.preventDefault();
    send({ type: "action", action: { kind: "hint", word: $("hint-word").value } });
    $("hint-word").value = "";
  });
  $("chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("chat-text").value.trim();
    if (text) send({ type: "chat", text: text });
    $("chat-text").value = "";
  });
  $("submit-result").addEventListener("click", () => {
    let result;
    try { result = JSON.parse($("result").value); } catch (e) { $("notice").textContent = "That is not valid JSON."; return; }
    send({ type: "action", action: { kind: "submit", result: result } });
  });
  connect();
})();

"""A small local HTTP server that speaks the OpenAI chat-completions API, for the agent tests."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeOpenAI:
    """Replies with ``reply(request_body) -> str`` as the assistant's content; ``mode`` breaks it on purpose."""

    def __init__(self, reply=None) -> None:
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.mode = "ok"  # ok | error | slow | garbage
        self.reply = reply or (lambda body: json.dumps({"say": "hi", "act": None}))
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append({"path": self.path, "body": body})
                outer.headers.append(dict(self.headers))
                if outer.mode == "slow":
                    time.sleep(1.5)
                if outer.mode == "error":
                    self._send(500, {"error": {"message": "model overloaded"}})
                    return
                if outer.mode == "garbage":
                    self._send(200, {"nothing": "useful"})
                    return
                content = outer.reply(body)
                self._send(200, {"id": "cmpl-1", "object": "chat.completion", "model": body["model"],
                                 "choices": [{"index": 0, "finish_reason": "stop",
                                              "message": {"role": "assistant", "content": content}}],
                                 "usage": {"prompt_tokens": 42, "completion_tokens": 7, "total_tokens": 49}})

            def _send(self, status, data):
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

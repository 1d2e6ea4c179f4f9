"""A tornado application served on a background thread with its own IOLoop: the simulators' server."""
from __future__ import annotations

import asyncio
import threading
from typing import Callable

import click
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.netutil import bind_sockets
from tornado.web import Application


class BackgroundServer:
    """Serves ``make_app(self)`` on ``host``:``port`` (0: a free port) from a daemon thread.

    Subclasses set ``host`` and ``port`` and call ``serve``/``stop_serving`` from their own
    ``start``/``stop``; ``url`` is where they listen.
    """

    host: str = "127.0.0.1"
    port: int = 0
    _loop: IOLoop | None = None
    _thread: threading.Thread | None = None

    def serve(self, make_app: Callable[["BackgroundServer"], Application], name: str) -> None:
        """Listen, and return once listening (or raise what stopped it)."""
        ready, failure = threading.Event(), []

        def run():
            asyncio.set_event_loop(asyncio.new_event_loop())
            try:
                sockets = bind_sockets(self.port, self.host)
                self.port = sockets[0].getsockname()[1]
                server = HTTPServer(make_app(self), xheaders=False)
                server.add_sockets(sockets)
                self._loop = IOLoop.current()
            except Exception as exc:  # reported to the caller of serve()
                failure.append(exc)
                ready.set()
                return
            ready.set()
            self._loop.start()
            server.stop()
            self._loop.close(all_fds=True)

        self._thread = threading.Thread(target=run, name=name, daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            raise failure[0]

    def stop_serving(self) -> None:
        if self._loop is not None:
            self._loop.add_callback(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop = None

    def start(self) -> "BackgroundServer":
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def serve_until_interrupted(server: BackgroundServer, title: str, snippet: str, *, realtime: bool) -> None:
    """The simulators' commands: start ``server``, say where it listens and how to call it, serve until Ctrl-C."""
    server.start()
    click.echo(f"{title} listening on {server.url}")
    click.echo(f"admin: {server.url}/_sim/status   clock: {'realtime' if realtime else 'virtual'}")
    click.echo(snippet.format(url=server.url))
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        server.stop()

"""The ``workbench`` ExtensionApp: configuration, the store, the plugin catalogue, and the handlers.

Loaded into any Jupyter server it adds the researcher API and the worker pages under
``/workbench/``. ``jupyter workbench`` (``server_ext.public``) runs it alone in a public
server with terminals off, no other extension, and the kernel, contents, session and
kernelspec services not routed at all.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, Callable

from jupyter_server.extension.application import ExtensionApp, ExtensionAppJinjaMixin
from traitlets import Bool, Enum, Float, Int, List, TraitError, Unicode, default, validate

from workbench import config, logs, open_store, resources
from workbench.crowd import providers
from workbench.study import bundles, plugins
from workbench.errors import ValidationError, WorkbenchError
from workbench.store import Store

from . import collab_ext, csp, gate
from .group_commit import SubmissionWriter
from .handlers import all_handlers
from .ratelimit import TokenBuckets
from .request_log import RequestIdTransform, access_log

HERE = Path(__file__).parent


class WorkbenchApp(ExtensionAppJinjaMixin, ExtensionApp):
    """HITL Workbench: researcher REST API and public worker pages."""

    name = "workbench"
    description = "HITL Workbench: researcher REST API and public worker pages"
    extension_url = "/workbench/api/docs"
    load_other_extensions = True
    template_paths = [str(HERE / "templates")]

    # -- configuration --------------------------------------------------------------
    database_url = Unicode(
        help="SQLAlchemy URL of the store. Default: WORKBENCH_DATABASE_URL, else SQLite in WORKBENCH_HOME. "
             "Put passwords in WORKBENCH_DATABASE_URL, not in a config file.").tag(config=True)

    @default("database_url")
    def _default_database_url(self) -> str:
        return config.database_url()

    public_base_url = Unicode(
        help="The public origin and path workers reach this server at (https://annotate.example.org), "
             "used for the links handed to crowd platforms. Default: WORKBENCH_PUBLIC_BASE_URL; empty: the "
             "request's own host.").tag(config=True)

    @default("public_base_url")
    def _default_public_base_url(self) -> str:
        return self._check_base_url(config.public_base_url(), "WORKBENCH_PUBLIC_BASE_URL")

    @staticmethod
    def _check_base_url(value: str, source: str) -> str:
        """A set value, or the environment's (which traitlets never validates), checked alike."""
        try:
            return config.check_base_url(value) if value.strip() else ""
        except ValidationError as exc:
            raise TraitError(f"{source}: {exc.reason}") from None

    frame_ancestors = List(
        Unicode(), help="Origins allowed to frame the worker pages, besides MTurk's worker and sandbox sites "
                        "(Content-Security-Policy frame-ancestors).").tag(config=True)
    submit_origins = List(
        Unicode(), help="Origins a worker page may post MTurk's answer form to (turkSubmitTo), besides MTurk's "
                        "own and loopback addresses (for the local simulator).").tag(config=True)

    @validate("frame_ancestors", "submit_origins")
    def _check_origins(self, proposal) -> list[str]:
        # Refused at start-up: written into the CSP as they are, a malformed origin would refuse every frame or form.
        name = proposal["trait"].name
        try:
            return [csp.origin_setting(name, value, wildcard=name == "frame_ancestors") for value in proposal["value"]]
        except ValueError as exc:
            raise TraitError(str(exc)) from None

    @validate("public_base_url")
    def _check_public_base_url(self, proposal) -> str:
        return self._check_base_url(proposal["value"], "WorkbenchApp.public_base_url")

    plugins_dir = Unicode(
        help="The plugins folder (one sub-folder with manifest.json per plugin). Default: the repository's "
             "plugins/ when present.").tag(config=True)

    @default("plugins_dir")
    def _default_plugins_dir(self) -> str:
        return str(resources.plugins_root())

    plugins_url = Unicode(
        None, allow_none=True,
        help="Base URL plugins are served from: a bucket or CDN holding <name>/<version>/<file>, as "
             "`workbench plugins upload` writes them (https://B.s3.amazonaws.com/plugins). Default: "
             "WORKBENCH_PLUGINS_URL; None: served by this server under /workbench/plugins/.").tag(config=True)

    @default("plugins_url")
    def _default_plugins_url(self) -> str | None:
        return config.plugins_url()

    # Not ``log_format``: traitlets' Application already has that trait (the logging template).
    log_style = Enum(
        logs.STYLES, help="Log lines as text (Jupyter's format) or one JSON object per line with the request id "
                          "(for log aggregation). Default: WORKBENCH_LOG_FORMAT, else text.").tag(config=True)

    @default("log_style")
    def _default_log_style(self) -> str:
        return logs.style_from_env()

    asset_url_ttl = Int(3600, help="Seconds a signed asset link or presigned S3 URL stays valid.").tag(config=True)
    submit_token_ttl = Int(
        2 * 86400, min=60,
        help="Seconds a worker page's submission token stays valid (it stands in for a cookie, which a page framed "
             "by MTurk does not get). A worker who keeps the page open longer is asked to reload it.").tag(config=True)
    max_body_bytes = Int(64 * 1024,
                         help="Largest body a public route accepts (bytes; a submission is the largest there is): a "
                              "larger Content-Length gets 413 before the body is read, and a chunked body is cut "
                              "off past it.").tag(config=True)
    max_api_body_bytes = Int(16 * 1024 * 1024,
                             help="Largest body a researcher route of the workbench accepts (bytes), checked the "
                                  "same way before it is read.").tag(config=True)
    rate_limit_ip = Float(20.0, help="Submissions per second allowed from one IP address (0: no limit)."
                          ).tag(config=True)
    rate_limit_ip_burst = Int(60, help="Submissions one IP address may make at once before the rate applies."
                              ).tag(config=True)
    rate_limit_worker = Float(2.0, help="Submissions per second allowed for one worker id (0: no limit)."
                              ).tag(config=True)
    rate_limit_worker_burst = Int(10, help="Submissions one worker may make at once before the rate applies."
                                  ).tag(config=True)
    group_commit_max = Int(256, help="Most worker submissions written in one transaction by the submission "
                                     "writer (group commit).").tag(config=True)
    group_commit_send_at = Int(8, help="Submissions handed to the writer process as soon as this many wait, "
                                       "so that it starts on them while the server reads the next ones."
                               ).tag(config=True)
    writer_at_start = Bool(False, help="Start the submission writer process with the server, restart it at once "
                                       "if it dies, and report not ready until it runs (the public server does); "
                                       "otherwise the first submission starts it.").tag(config=True)
    store_threads = Int(4, help="Threads that run store calls, so that the event loop never waits on the "
                               "database.").tag(config=True)
    tasks_per_session = Int(1, help="Tasks handed to one link-out session.").tag(config=True)
    provider = Unicode(help="The crowd provider whose workers this server's pages receive: mturk, prolific or "
                            "link-out. Default: WORKBENCH_PROVIDER, else mturk.").tag(config=True)

    @default("provider")
    def _default_provider(self) -> str:
        return self._check_provider(config.provider(), "WORKBENCH_PROVIDER")

    @validate("provider")
    def _check_provider_trait(self, proposal) -> str:
        return self._check_provider(proposal["value"], "WorkbenchApp.provider")

    @staticmethod
    def _check_provider(value: str, source: str) -> str:
        known = providers.names()
        if value not in known:
            raise TraitError(f"{source}: {value!r} is not a crowd provider; known: {', '.join(known)}")
        return value
    register_plugins = Bool(True, help="Record discovered plugins in the store at start-up.").tag(config=True)

    # -- state ----------------------------------------------------------------------
    store: Store | None = None
    executor: ThreadPoolExecutor | None = None
    submission_writer: SubmissionWriter | None = None
    catalog: dict[tuple[str, str], Path]

    _config_error: TraitError | None = None

    def initialize_settings(self) -> None:
        if self._config_error is not None:
            raise self._config_error
        self.public_base_url  # noqa: B018 - its default comes from the environment: checked now, not at a request
        self._install_request_log()
        gate.install(self.serverapp.web_app, self)
        self.store = open_store(self.database_url)
        self.executor = ThreadPoolExecutor(max_workers=max(1, self.store_threads), thread_name_prefix="workbench")
        self.ip_limits = TokenBuckets(self.rate_limit_ip, self.rate_limit_ip_burst)
        self.worker_limits = TokenBuckets(self.rate_limit_worker, self.rate_limit_worker_burst)
        self.submission_writer = SubmissionWriter(self.store.url, provider=self.provider,
                                                  max_batch=max(1, self.group_commit_max),
                                                  max_body_bytes=self.max_body_bytes, log_style=self.log_style,
                                                  keep_running=self.writer_at_start,
                                                  send_at=self.group_commit_send_at)
        self.catalog = {}
        found = plugins.discover(self.plugins_dir or None)
        for plugin in found:
            self.catalog[plugin.key] = plugin.root
        if self.register_plugins and found:
            self._register(found)
        self.log.info("workbench: store %s, %d plugin(s)", config.redact(self.store.url), len(found))
        # Live collaboration sessions (server_ext/handlers/collab.py) and their one hub, on this store; the routes
        # are among this extension's own (``initialize_handlers``).
        self.collab = collab_ext.install(self.serverapp.web_app, self.serverapp.base_url, self.store,
                                         add_routes=False, plugin_urls=self.plugin_urls,
                                         **collab_ext.hub_options(self.serverapp))

    async def _start_jupyter_server_extension(self, serverapp) -> None:
        """Once the event loop runs."""
        if self.writer_at_start:
            # The same task a submission arriving meanwhile would wait on: one child, one retry loop.
            await self.submission_writer.keep_alive_soon()

    def _link_jupyter_server_extension(self, serverapp) -> None:
        try:
            super()._link_jupyter_server_extension(serverapp)
        except TraitError as exc:
            # Jupyter logs a failed link and loads the extension anyway, with the setting left at its default;
            # kept here so that loading fails too and no page is served under settings nobody chose.
            self._config_error = exc
            raise
        # As early as the server's logging exists, so that every line after start-up has one format.
        logs.install(self.log_style, [serverapp.log, self.log, logging.getLogger("workbench"),
                                      logging.getLogger("server_ext")])

    def _install_request_log(self) -> None:
        """Request ids on every response (Jupyter's routes too) and the access log that names them."""
        serverapp = self.serverapp
        serverapp.web_app.add_transform(RequestIdTransform)
        # ExtensionApp copies self.settings over the web app's after initialize_settings.
        self.settings["log_function"] = partial(access_log, style=self.log_style,
                                                metrics=serverapp.record_http_request_metrics)

    def _register(self, found: list[plugins.Found]) -> None:
        for plugin in found:
            try:
                with self.store.transaction() as session:
                    plugins.register_found(session, plugin)
            except WorkbenchError as exc:
                self.log.warning("plugin %s %s not registered: %s", *plugin.key, exc)

    def initialize_handlers(self) -> None:
        self.handlers.extend(all_handlers())

    async def stop_extension(self) -> None:
        if getattr(self, "collab", None) is not None:
            await self.collab.hub.stop()
        if self.submission_writer is not None:
            await self.submission_writer.close()
        if self.executor is not None:
            self.executor.shutdown(wait=False)
        if self.store is not None:
            self.store.dispose()

    # -- helpers handlers share -----------------------------------------------------
    async def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a blocking store call on the store's threads (with this request's context: its request id)."""
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(self.executor, context.run,
                                                                partial(fn, *args, **kwargs))

    async def read(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``fn(session, ...)`` in a read session, off the event loop."""
        return await self.run(self._in_session, False, fn, args, kwargs)

    async def write(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``fn(session, ...)`` in a transaction, off the event loop."""
        return await self.run(self._in_session, True, fn, args, kwargs)

    def _in_session(self, write: bool, fn: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
        with (self.store.transaction() if write else self.store.session()) as session:
            return fn(session, *args, **kwargs)

    def plugin_root(self, name: str, version: str) -> Path | None:
        return self.catalog.get((name, version))

    @property
    def plugin_urls(self) -> bundles.PluginUrls:
        """Where this server publishes plugin files and signed asset links: every page's bundle uses them."""
        base_url = self.serverapp.base_url
        return bundles.PluginUrls(self.plugins_url or base_url + "workbench/plugins", base_url + "workbench/assets",
                                  self.asset_url_ttl)

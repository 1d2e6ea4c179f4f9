"""The collaboration face exists once per server: one hub and one set of routes, whichever of the workbench
extension (``server_ext``) and the collaboration extension (``server_ext.collab_ext``) are enabled, on a real
Jupyter server. Two hubs would split the sessions in play: a seat taken through one would not be live in the
other."""

from __future__ import annotations

import pytest
from traitlets.config import Config

from server_ext import collab_ext
from server_ext.handlers import collab
from tests.collab.wsclient import Client, join
from workbench.collab import sessions
from workbench.collab.hub import Hub

from .conftest import PLUGINS

FACE = (collab.CollabPageHandler, collab.CollabSocketHandler, collab.CollabStaticHandler)
BOTH = ("server_ext", "server_ext.collab_ext")


@pytest.fixture(params=[BOTH, ("server_ext",), ("server_ext.collab_ext",)], ids="+".join)
def extensions(request) -> tuple[str, ...]:
    return request.param


@pytest.fixture
def hubs(monkeypatch) -> list[Hub]:
    """Every hub the server makes."""
    made: list[Hub] = []

    class CountedHub(Hub):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(collab_ext, "Hub", CountedHub)
    return made


@pytest.fixture
def jp_server_config(hubs, wb_store, extensions):
    return Config({
        "ServerApp": {"jpserver_extensions": {**{name: True for name in extensions}, "jupyter_server_terminals": False},
                      "allow_unauthenticated_access": False},
        "WorkbenchApp": {"database_url": wb_store.url, "plugins_dir": str(PLUGINS), "register_plugins": False},
        "CollabHub": {"database_url": wb_store.url, "tick_interval": 0.5},
    })


def face_routes(router) -> list[type]:
    """The collaboration handlers among the routes under ``router``, however deep."""
    found = []
    for rule in getattr(router, "rules", ()):
        if rule.target in FACE:
            found.append(rule.target)
        else:
            found.extend(face_routes(rule.target))
    return found


async def test_one_hub_and_one_set_of_routes(jp_serverapp, hubs, extensions):
    web_app = jp_serverapp.web_app
    assert sorted(face_routes(web_app.default_router), key=FACE.index) == list(FACE)
    assert len(hubs) == 1
    service = web_app.settings[collab.SETTINGS_KEY]
    assert service.hub is hubs[0]
    assert service.hub.tick_interval == 0.5  # the CollabHub settings tune the one hub, whoever made it
    if "server_ext" in extensions:
        # The workbench's: its store and its plugins, which assisted labelling needs.
        assert web_app.settings["workbench"].collab is service and service.plugin_urls is not None


async def test_a_seat_taken_through_the_join_page_is_live_on_the_socket(jp_serverapp, wb_store, jp_fetch,
                                                                       jp_http_port, jp_base_url, hubs):
    with wb_store.transaction() as s:
        sessions.create_study(s, "duo", {"paradigm": "word_guessing"})
    seat = await join(jp_fetch, "duo", "W1", "A1")
    me = await Client.open(jp_http_port, jp_base_url, seat["session"], seat["token"])
    welcome = await me.until(lambda f: f["type"] == "welcome")
    assert welcome["status"] == "active"
    assert seat["session"] in hubs[0].live  # the hub of the page's seat is the socket's
    me.close()
    await hubs[0].stop()

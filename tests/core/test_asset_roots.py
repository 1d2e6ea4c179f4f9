"""Local assets come only from the asset roots, checked on real paths when registered and again when served.

The suite's default roots (pytest's temporary folders, tests/conftest.py) are replaced here by
the roots under test. Serving is checked over HTTP, on a real public server, with a signed link.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from workbench.study import assets, bundles, projects
from workbench.errors import NotFoundError, ValidationError
from workbench.store.models import Asset

from .test_assets import png

SECRET = "TOP-SECRET-4419"


@pytest.fixture
def places(tmp_path, monkeypatch):
    """``media`` is the one configured root; ``private`` is outside it and holds a secret; project "cats"."""
    media, private = tmp_path / "media", tmp_path / "private"
    private.mkdir()
    (private / "secret.png").write_text(SECRET)
    monkeypatch.setenv("WORKBENCH_ASSET_ROOTS", str(media))
    return media, private


@pytest.fixture
def cats(store):
    with store.transaction() as s:
        projects.create(s, "cats", "Cats")
    return store


def _count(store) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(Asset))


def _refusal(store, *sources: str, add: bool = False) -> ValidationError:
    with pytest.raises(ValidationError) as caught, store.transaction() as s:
        if add:
            assets.add(s, "cats", list(sources))
        else:
            assets.register_file(s, "cats", sources[0])
    return caught.value


def test_a_file_outside_the_roots_is_refused_alike_whether_it_exists_or_not(cats, places):
    media, private = places
    png(media / "ok.png", (8, 6))
    (media / "link.png").symlink_to(private / "secret.png")
    (media / "dangling.png").symlink_to(private / "nothing.png")
    for add in (False, True):
        said = {}
        for name, path in {"there": private / "secret.png", "missing": private / "nothing.png",
                           "system": Path("/etc/passwd"), "link": media / "link.png",
                           "dangling": media / "dangling.png", "dotdot": media / ".." / "private" / "secret.png"}.items():
            error = _refusal(cats, str(path), add=add)
            assert error.field == "path" and "asset folder" in error.reason, (name, error.reason)
            said[name] = error.reason.replace(repr(str(path)), "PATH")
            assert SECRET not in error.reason
        assert len(set(said.values())) == 1, said  # one sentence for all: nothing told of what is outside
    assert _count(cats) == 0
    with cats.transaction() as s:
        assert assets.register_file(s, "cats", media / "ok.png").local_path == str((media / "ok.png").resolve())


def test_add_refuses_folders_globs_and_links_that_lead_out_all_or_nothing(cats, places):
    media, private = places
    png(media / "shots" / "a.png", (8, 6))
    png(private / "b.png", (8, 6))
    (media / "shots" / "z.png").symlink_to(private / "b.png")  # inside a folder that is inside the roots
    for sources in ([str(private)], [str(private / "*.png")], [str(media / ".." / "private" / "**" / "*.png")],
                    [str(media / "shots")], [str(media / "shots" / "*.png")]):
        error = _refusal(cats, *sources, add=True)
        assert error.field == "path" and "asset folder" in error.reason, sources
    assert _count(cats) == 0  # a.png, found before the link, was not kept either
    (media / "shots" / "z.png").unlink()
    with cats.transaction() as s:
        assert assets.add(s, "cats", [str(media)]).to_dict()["new"] == 1


def test_the_default_roots_are_the_homes_assets_folder_and_the_projects(cats, monkeypatch, tmp_path):
    monkeypatch.delenv("WORKBENCH_ASSET_ROOTS")
    home = Path(os.environ["WORKBENCH_HOME"])
    shared, own = png(home / "assets" / "x.png", (4, 4)), png(home / "cats" / "assets" / "y.png", (4, 4))
    other = png(home / "dogs" / "assets" / "z.png", (4, 4))
    beside = png(tmp_path / "beside.png", (4, 4))
    with cats.transaction() as s:
        assert len(assets.add(s, "cats", [str(shared), str(own)]).assets) == 2
    (home / "secret").write_text(SECRET)  # the signing secret's place, and other files of the home
    for path in (other, beside, home / "secret", home / "workbench.db", home / "cats" / "notes.txt"):
        assert _refusal(cats, str(path)).field == "path"
    monkeypatch.setenv("WORKBENCH_ASSET_ROOTS", os.pathsep.join([str(tmp_path / "nowhere"), str(tmp_path)]))
    with cats.transaction() as s:
        assert assets.register_file(s, "cats", beside).local_path == str(beside)


def test_a_relative_root_is_refused_naming_the_variable(cats, monkeypatch, tmp_path):
    """Read from the current folder, "images:." would be / for a server started there (found by review)."""
    png(tmp_path / "x.png", (4, 4))
    monkeypatch.chdir(tmp_path)
    for value in (".", f"{tmp_path}{os.pathsep}images"):
        monkeypatch.setenv("WORKBENCH_ASSET_ROOTS", value)
        refusal = _refusal(cats, str(tmp_path / "x.png"))
        assert refusal.field == "WORKBENCH_ASSET_ROOTS" and "relative" in refusal.reason


def test_a_glob_that_goes_up_after_its_wildcard_is_refused_unseen(cats, places):
    """Else the answer told whether a file outside the roots exists (found by review)."""
    media, private = places
    (media / "shots").mkdir(parents=True)
    climb = "/".join([".."] * (len(media.parts)))
    said = {_refusal(cats, f"{media}/*/{climb}{target}", add=True).message
            for target in (private / "secret.png", private / "nothing.png")}
    assert len(said) == 1 and "wildcard" in said.pop()


@pytest.mark.parametrize("path", ["a\x00b.png", "~nosuchuser-4419/x.png", "x" * 300 + ".png", ""])
def test_a_path_no_file_can_have_is_refused_naming_the_field(cats, places, path):
    assert _refusal(cats, path).field == "path"
    assert _refusal(cats, path, add=True).field == "path"


def test_file_to_serve_checks_again_now(cats, places, monkeypatch):
    media, private = places
    png(media / "real.png", (8, 6))
    with cats.transaction() as s:
        asset = assets.register_file(s, "cats", media / "real.png")
    with cats.session() as s:
        assert assets.file_to_serve(s, asset.id)[1] == (media / "real.png").resolve()
    monkeypatch.setenv("WORKBENCH_ASSET_ROOTS", str(private))  # the root was taken away since
    with pytest.raises(NotFoundError), cats.session() as s:
        assets.file_to_serve(s, asset.id)


def test_the_signed_link_serves_only_files_inside_the_roots_now(make_store, places, tmp_path):
    """Over HTTP, a real public server, signed links: a file registered outside the roots (before the rule), and a
    file replaced by a symlink that leads out after it was registered, are not served."""
    from tests.server.processes import get, public_server

    media, private = places
    store = make_store("sqlite")
    png(media / "ok.png", (8, 6))
    png(media / "swapped.png", (8, 6))
    with store.transaction() as s:
        projects.create(s, "cats", "Cats")
        good = assets.register_file(s, "cats", media / "ok.png")
        swapped = assets.register_file(s, "cats", media / "swapped.png")
        s.add(old := Asset(project_id=good.project_id, media_type="image", local_path=str(private / "secret.png")))
        s.flush()
        links = {a.id: bundles.asset_url(a, "/workbench/assets") for a in (good, swapped, old)}
    (media / "swapped.png").unlink()
    (media / "swapped.png").symlink_to(private / "secret.png")
    workdir = tmp_path / "server"
    workdir.mkdir()
    with public_server(store.url, workdir) as (base, _):
        answers = {asset_id: get(base + link) for asset_id, link in links.items()}
    assert answers[good.id] == (200, (media / "ok.png").read_bytes())
    for refused in (swapped.id, old.id):
        status, body = answers[refused]
        assert status == 404 and SECRET.encode() not in body and b"private" not in body

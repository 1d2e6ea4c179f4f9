"""Hostile requests to the file routes (issue 14): NUL bytes in file paths, signatures that are not ASCII, and an
asset's file or folder swapped between the server's check and its open (the race a local user could win).
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

import pytest

ANON = {"Authorization": ""}


# -- defect 7: file routes ------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", [
    "workbench/static/worker.css%00", "workbench/static/%00",
    "workbench/plugins/classification/1.1.0/plugin.js%00", "workbench/api/docs/static/swagger-ui.css%00",
])
async def test_a_nul_in_a_file_path_is_a_404(http_server_client, jp_base_url, jp_auth_header, study, path):
    # Sent as it is: jp_fetch would escape the % itself.
    response = await http_server_client.fetch(jp_base_url + path, headers=jp_auth_header, raise_error=False)
    assert response.code == 404


async def test_a_signature_that_is_not_ascii_is_a_403_naming_sig(fetch_json, study):
    # As long as a real one (an HMAC-SHA256 in hex: 64 characters), so that no length check stops it before the
    # comparison, which raises on text that is not ASCII.
    status, data, _ = await fetch_json("workbench", "assets", str(study.asset.id), headers=dict(ANON),
                                       params={"exp": "99999999999", "sig": "é" * 64})
    assert (status, data["field"]) == (403, "sig")


# -- review of issue 14's fixes: a file swapped between the check and the open ----------------------------------
@pytest.fixture
def swapped_asset(study, tmp_path, monkeypatch):
    """An asset in a folder of its own, and ``swap(change)``: ``change(folder, file)`` runs just after the server
    has checked the file it will serve, and before it opens it (the race a local user could win)."""
    from workbench.study import assets

    folder = tmp_path / "pics"
    folder.mkdir()
    file = folder / "cat.png"
    file.write_bytes(Path(study.asset.local_path).read_bytes())
    with study.store.transaction() as s:
        asset_id = assets.register_file(s, "cats", file).id
    checked = assets.file_to_serve

    def swap(change):
        def file_to_serve(session, wanted):
            found = checked(session, wanted)
            change(folder, file)
            return found

        monkeypatch.setattr(assets, "file_to_serve", file_to_serve)

    return asset_id, swap


async def fetch_asset(fetch_json, asset_id: int):
    from workbench.study import bundles, signing

    return await fetch_json("workbench", "assets", str(asset_id), headers=dict(ANON),
                            params=signing.sign(bundles.asset_message(asset_id)))


async def test_an_asset_folder_swapped_for_a_symlink_after_the_check_is_not_followed(fetch_json, swapped_asset,
                                                                                      tmp_path):
    asset_id, swap = swapped_asset
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "cat.png").write_bytes(b"SECRET")

    def folder_to_symlink(folder, file):
        folder.rename(folder.with_name("pics-before"))
        folder.symlink_to(elsewhere, target_is_directory=True)

    status, _, response = await fetch_asset(fetch_json, asset_id)
    assert status == 200  # as registered
    swap(folder_to_symlink)
    status, data, response = await fetch_asset(fetch_json, asset_id)
    assert status == 404 and data["error"] == "not_found", response.body[:100]


async def test_an_asset_file_swapped_for_a_fifo_after_the_check_is_a_404_not_a_wait(fetch_json, swapped_asset):
    asset_id, swap = swapped_asset
    fifos, writers = [], []

    def file_to_fifo(folder, file):
        file.unlink()
        os.mkfifo(file)
        fifos.append(file)
        # A writer, so that a server that opened the FIFO as a file would read "SECRET" rather than wait forever.
        writers.append(threading.Thread(target=write_fifo, args=(file,), daemon=True))
        writers[-1].start()

    swap(file_to_fifo)
    try:
        status, data, response = await fetch_asset(fetch_json, asset_id)
        assert status == 404 and data["error"] == "not_found", response.body[:100]
    finally:
        # A writer still waiting for a reader is let go. Its open() may come after a first reader came and went
        # (then it would wait for ever, and so would this test): open and close a reader until it has finished.
        for fifo, writer in zip(fifos, writers):
            while writer.is_alive():
                with contextlib.suppress(OSError):
                    os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
                writer.join(timeout=0.05)


def write_fifo(path) -> None:
    with contextlib.suppress(BrokenPipeError), open(path, "wb") as pipe:
        pipe.write(b"SECRET")

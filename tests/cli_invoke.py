"""``workbench …`` in-process through click's runner, on a given store: what the provider CLI tests share."""

from __future__ import annotations

from click.testing import CliRunner

from workbench.cli import cli


def invoker(store):
    """``invoke(*args, ok=True)``: run ``workbench --database-url <store> *args``; with ``ok``, exit 0 or fail."""
    runner = CliRunner()

    def invoke(*args: str, ok: bool = True):
        result = runner.invoke(cli, ["--database-url", store.url, *args])
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return invoke

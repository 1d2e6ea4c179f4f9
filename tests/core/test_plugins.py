import json
from pathlib import Path

import pytest

from workbench import ConflictError, ValidationError, events
from workbench.study import plugins

REPO_PLUGINS = Path(__file__).resolve().parents[2] / "plugins"


def make_plugin(base: Path, name="demo", task_type="classification", version="1.0.0", **overrides):
    folder = base / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "plugin.js").write_text("/* js */")
    (folder / "plugin.css").write_text("/* css */")
    manifest = {"name": name, "task_type": task_type, "version": version, "root": f"{base.name}/{name}",
                "js": ["plugin.js"], "css": ["plugin.css"], "result_schema_version": "1.0", **overrides}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return manifest


@pytest.fixture
def plugins_root(tmp_path):
    return tmp_path / "plugins"


def test_valid_manifest(plugins_root):
    manifest = make_plugin(plugins_root)
    found = plugins.validate_manifest(manifest, plugins_root)
    assert found.root == (plugins_root / "demo").resolve()
    assert found.key == ("demo", "1.0.0")


@pytest.mark.parametrize("change, field, reason", [
    ({"name": None}, "manifest.name", "lower-case"),
    ({"version": ""}, "manifest.version", "characters"),
    ({"root": "/etc"}, "manifest.root", "relative"),
    ({"root": "plugins/../../etc"}, "manifest.root", "'..'"),
    ({"root": "other/demo"}, "manifest.root", "outside the plugins root"),
    ({"root": "plugins"}, "manifest.root", "plugin folder"),
    ({"js": ["/etc/passwd"]}, "manifest.js[0]", "relative"),
    ({"js": ["../demo/plugin.js"]}, "manifest.js[0]", "'..'"),
    ({"js": ["missing.js"]}, "manifest.js[0]", "no such file"),
    ({"js": []}, "manifest.js", "at least one"),
    ({"css": "plugin.css"}, "manifest.css", "list"),
    ({"css": ["https://evil.example/x.css"]}, "manifest.css[0]", "scheme"),
])
def test_invalid_manifests(plugins_root, change, field, reason):
    manifest = {**make_plugin(plugins_root), **change}
    if change.get("name", "") is None:
        manifest["name"] = None
    with pytest.raises(ValidationError) as info:
        plugins.validate_manifest(manifest, plugins_root)
    assert info.value.field == field
    assert reason in info.value.reason


@pytest.mark.parametrize("key", plugins.REQUIRED)
def test_required_keys(plugins_root, key):
    manifest = make_plugin(plugins_root)
    del manifest[key]
    with pytest.raises(ValidationError) as info:
        plugins.validate_manifest(manifest, plugins_root)
    assert info.value.field == f"manifest.{key}" and info.value.reason == "is required"


def test_symlink_out_of_the_root_is_refused(plugins_root, tmp_path):
    manifest = make_plugin(plugins_root)
    (tmp_path / "secret.js").write_text("secret")
    (plugins_root / "demo" / "leak.js").symlink_to(tmp_path / "secret.js")
    with pytest.raises(ValidationError) as info:
        plugins.validate_manifest({**manifest, "js": ["leak.js"]}, plugins_root)
    assert "outside" in info.value.reason


def test_repository_plugins_are_discovered():
    found = {p.manifest["name"]: p for p in plugins.discover(REPO_PLUGINS, use_entry_points=False)}
    assert {"classification", "bounding-box", "polygon"} <= set(found)
    assert "_playground" not in found


def test_scan_skips_invalid_and_mislocated(plugins_root):
    make_plugin(plugins_root, "good")
    make_plugin(plugins_root, "bad", js=["nope.js"])
    make_plugin(plugins_root, "moved", root="plugins/good")
    assert [p.manifest["name"] for p in plugins.scan(plugins_root)] == ["good"]


def test_entry_point_plugins(plugins_root, monkeypatch):
    make_plugin(plugins_root, "packaged")

    class EP:
        name = "pkg"

        def load(self):
            return lambda: str(plugins_root)

    monkeypatch.setattr(plugins, "entry_points", lambda group: [EP()] if group == plugins.ENTRY_POINT_GROUP else [])
    assert [p.manifest["name"] for p in plugins.discover(None)] == ["packaged"]


def test_register_lookup_and_conflict(study, plugins_root):
    manifest = make_plugin(plugins_root, "cls")
    with study.store.transaction() as s:
        row = plugins.register(s, manifest, plugins_root, actor="alice")
        assert plugins.register(s, manifest, plugins_root).id == row.id
    with study.store.session() as s:
        assert plugins.for_task_type(s, study.task_type).name == "cls"
        assert [e.actor for e in events.query(s, type="plugin.registered")] == ["alice"]
    newer = make_plugin(plugins_root, "cls", version="1.1.0")
    with study.store.transaction() as s:
        plugins.register(s, newer, plugins_root)
    with study.store.session() as s:
        assert plugins.for_task_type(s, study.task_type).version == "1.1.0"
        assert plugins.get(s, "cls").version == "1.1.0"
        assert plugins.get(s, "cls", "1.0.0").active is False
    with pytest.raises(ConflictError), study.store.transaction() as s:
        plugins.register(s, {**newer, "css": []}, plugins_root)


def test_urls_are_versioned():
    manifest = {"name": "cls", "version": "2.0", "js": ["a b.js"], "css": ["./x.css"]}
    assert plugins.urls(manifest, "/workbench/plugins/") == {
        "js": ["/workbench/plugins/cls/2.0/a%20b.js"], "css": ["/workbench/plugins/cls/2.0/x.css"]}


def test_tasks_keep_the_plugin_version_they_were_created_with(study, plugins_root, tmp_path):
    from workbench.study import bulk, bundles, tasks

    with study.store.transaction() as s:
        plugins.register(s, make_plugin(plugins_root, name="labels", version="1.0.0"), plugins_root)
        old = tasks.create(s, "cats", study.definition.id, asset_id=study.asset.id)
    with study.store.transaction() as s:
        plugins.register(s, make_plugin(plugins_root, name="labels", version="2.0.0"), plugins_root)
        new = tasks.create(s, "cats", study.definition.id, asset_id=study.asset.id)
        copy = tasks.duplicate(s, old.id)
    csv = tmp_path / "more.csv"
    csv.write_text("priority\n1\n")
    with study.store.transaction() as s:
        bulk.import_file(s, "cats", study.definition.id, csv)
    with study.store.session() as s:
        versions = {task.id: bundles.for_task(s, task.id)["plugin"]["version"] for task in tasks.list_(s)}
    imported = max(versions)
    assert versions == {old.id: "1.0.0", new.id: "2.0.0", copy.id: "1.0.0", imported: "2.0.0"}
    with study.store.session() as s:
        assert bundles.for_task(s, old.id)["plugin"]["js"] == ["/workbench/plugins/labels/1.0.0/plugin.js"]

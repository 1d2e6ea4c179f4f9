"""``workbench project``, ``tasktype``, ``definition`` and ``tasks`` commands."""

from __future__ import annotations

import json
from pathlib import Path

import click

from workbench.study import bulk, definitions, projects
from .base import State, cli, emit


@cli.group()
def project() -> None:
    """Create and inspect projects."""


@project.command("create")
@click.argument("slug")
@click.option("--name", default=None, help="Display name (default: the slug).")
@click.option("--description", default="", help="What the project studies.")
@click.pass_obj
def project_create(state: State, slug: str, name: str | None, description: str) -> None:
    """Create a project named SLUG."""
    with state.store().transaction() as session:
        row = projects.create(session, slug, name, description, actor="cli")
    click.echo(f"created project {row.slug!r} (id {row.id})")


@project.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def project_list(state: State, as_json: bool) -> None:
    """List projects."""
    with state.store().session() as session:
        rows = [p.to_dict() for p in projects.list_(session, limit=10_000)]
    lines = [f"{r['id']:>4}  {r['slug']:<24} {r['name']}" for r in rows] or ["no projects yet"]
    emit(rows, as_json, "\n".join(lines))


@project.command("stats")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def project_stats(state: State, slug: str, as_json: bool) -> None:
    """Tasks by status, annotations and assignments of a project."""
    with state.store().session() as session:
        data = projects.stats(session, slug)
    tasks, notes, jobs = data["tasks"], data["annotations"], data["assignments"]
    text = "\n".join([
        f"project {data['project_slug']} (id {data['project_id']})",
        "tasks:       " + ", ".join(f"{k} {v}" for k, v in tasks.items()),
        f"annotations: total {notes['total']}, unique actors {notes['unique_actors']}",
        "assignments: " + ", ".join(f"{k} {v}" for k, v in jobs.items()),
    ])
    emit(data, as_json, text)


@cli.group()
def tasktype() -> None:
    """Task types."""


@tasktype.command("create")
@click.argument("slug")
@click.option("--name", default=None)
@click.option("--description", default="")
@click.pass_obj
def tasktype_create(state: State, slug: str, name: str | None, description: str) -> None:
    """Create a task type named SLUG."""
    with state.store().transaction() as session:
        row = definitions.create_type(session, slug, name, description, actor="cli")
    click.echo(f"created task type {row.slug!r} (id {row.id})")


@cli.group()
def definition() -> None:
    """Versioned task definitions (ui_config and label_schema)."""


@definition.command("create")
@click.argument("ref", metavar="TYPE:VERSION")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="JSON file with ui_config and label_schema.")
@click.pass_obj
def definition_create(state: State, ref: str, path: Path) -> None:
    """Add version VERSION to task type TYPE from a JSON file."""
    if ":" not in ref:
        raise click.BadParameter("must be TYPE:VERSION, for example bounding-box:1.0", param_hint="TYPE:VERSION")
    type_slug, version = ref.rsplit(":", 1)
    try:
        body = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"{path} is not JSON: {exc}", param_hint="--file") from None
    with state.store().transaction() as session:
        row = definitions.create_definition(session, type_slug, version, body, actor="cli")
    click.echo(f"created definition {type_slug}:{row.version} (id {row.id})")


@cli.group()
def tasks() -> None:
    """Tasks."""


@tasks.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--project", "project_slug", required=True, help="Project slug.")
@click.option("--definition", "definition_ref", required=True, metavar="TYPE:VERSION",
              help="Task definition, for example bounding-box:1.0.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_obj
def tasks_import(state: State, file: Path, project_slug: str, definition_ref: str, quiet: bool) -> None:
    """Create one task per row of a CSV or JSONL FILE, all or nothing.

    A CSV may use commas, semicolons or tabs and start with a byte-order mark (as Excel
    writes it); a relative path in its asset column is read from the CSV's folder."""
    from tqdm import tqdm  # only this command draws a progress bar (as in mturk_cmds)

    with tqdm(total=bulk.count_rows(file), unit="task", disable=quiet, desc="checking") as bar:
        with state.store().transaction() as session:
            result = bulk.import_file(session, project_slug, definition_ref, file, progress=bar.update, actor="cli")
            bar.set_description("writing")
        bar.set_description("done")
    click.echo(f"imported {result.created} tasks into {project_slug} from {file.name}")

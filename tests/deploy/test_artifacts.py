"""The deployment files, checked statically: there is no container engine on this machine.

Compose and Kubernetes manifests are parsed; services, ports and probes must agree; every
variable a deployment file uses must be documented in deploy/.env.example; no file may
carry a real-looking secret.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
#: Variables of the platform, not settings of the workbench.
SYSTEM_VARIABLES = {"PYTHONPATH", "PATH", "HOME"}


def env_example() -> dict[str, str]:
    out = {}
    for line in (DEPLOY / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            out[name.strip()] = value
    return out


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def k8s_docs() -> list[dict]:
    return [d for f in sorted((DEPLOY / "k8s").glob("*.yaml")) for d in yaml.safe_load_all(f.read_text()) if d]


def test_compose_services_and_ports():
    services = compose()["services"]
    assert set(services) == {"postgres", "migrate", "worker", "lab", "scheduler", "nginx"}
    worker = services["worker"]
    assert "ports" not in worker and "container_name" not in worker, "the worker must scale with --scale"
    assert worker["expose"] == ["8888"] and "--port=8888" in worker["command"]
    assert services["lab"]["ports"] == ["127.0.0.1:8889:8888"], "the lab is never public"
    assert services["nginx"]["ports"] == ["80:80"]
    assert services["migrate"]["command"] == ["workbench", "db", "upgrade"]
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    for name in ("worker", "lab", "scheduler"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    nginx_conf = (DEPLOY / "nginx" / "compose.conf").read_text()
    assert re.search(r"server\s+worker:8888;", nginx_conf)


def test_every_variable_used_is_documented():
    documented = set(env_example())
    used = set(re.findall(r"\$\{(\w+)\}", (DEPLOY / "docker-compose.yml").read_text()))
    for doc in k8s_docs():
        if doc["kind"] == "ConfigMap":
            used |= set(doc["data"])
    used |= set(re.findall(r"key: (\w+)\}", (DEPLOY / "k8s" / "cronjobs.yaml").read_text()))
    used |= set(re.findall(r"key: (\w+)\}", (DEPLOY / "k8s" / "worker-deployment.yaml").read_text()))
    for unit in (DEPLOY / "systemd").glob("*.service"):
        used |= set(re.findall(r"\$\{(\w+)\}", unit.read_text()))
    code = "\n".join(p.read_text() for p in [*ROOT.glob("workbench/**/*.py"), *ROOT.glob("server_ext/**/*.py")])
    used |= {v for v in re.findall(r"environ(?:\.get)?\(\s*[\"']([A-Z][A-Z0-9_]+)[\"']", code)
             if not v.startswith(("WORKBENCH_TEST", "CI")) and v not in SYSTEM_VARIABLES}
    missing = sorted(used - documented)
    assert not missing, f"not in deploy/.env.example: {missing}"


def test_kubernetes_manifests_agree():
    docs = {(d["kind"], d["metadata"]["name"]): d for d in k8s_docs()}
    deployment = docs[("Deployment", "workbench-worker")]
    service = docs[("Service", "workbench-worker")]
    pod = deployment["spec"]["template"]
    assert deployment["spec"]["selector"]["matchLabels"] == pod["metadata"]["labels"] == service["spec"]["selector"]
    container = pod["spec"]["containers"][0]
    port_names = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert service["spec"]["ports"][0]["targetPort"] in port_names
    assert f"--port={port_names['http']}" in container["command"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/workbench/api/health/live"
    assert container["readinessProbe"]["httpGet"]["path"] == "/workbench/api/health/ready"
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    cron = {name: d for (kind, name), d in docs.items() if kind == "CronJob"}
    assert set(cron) == {"workbench-sync", "workbench-ingest", "workbench-export"}
    for name, job in cron.items():
        assert job["spec"]["concurrencyPolicy"] == "Forbid"
        command = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"]
        assert command[:3] == ["workbench", "run", name.split("-")[1]]
    assert docs[("Job", "workbench-migrate")]["spec"]["template"]["spec"]["containers"][0]["command"] == [
        "workbench", "db", "upgrade"]


def test_dockerfile_is_slim_non_root_pinned_and_healthchecked():
    text = (DEPLOY / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in text
    assert re.search(r"^USER workbench$", text, re.M)
    assert "HEALTHCHECK" in text and "/workbench/api/health/live" in text
    pins = [line for line in (DEPLOY / "constraints.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    assert pins and all(re.match(r"^[A-Za-z0-9_.\-\[\]]+==[\w.+!-]+$", p) for p in pins), "pin every package"
    names = {p.split("==")[0].lower().replace("_", "-") for p in pins}
    assert {"sqlalchemy", "jupyter-server", "boto3", "duckdb", "psycopg"} <= names


def test_procfile_and_crontab():
    procfile = dict(line.split(": ", 1) for line in (DEPLOY / "Procfile").read_text().splitlines() if line)
    assert procfile["release"] == "workbench db upgrade"
    assert procfile["web"].startswith("jupyter workbench ") and "$PORT" in procfile["web"]
    jobs = [line.split()[6:9] for line in (DEPLOY / "crontab").read_text().splitlines()
            if line and line[0] in "0123456789*"]
    assert [j[:3] for j in jobs] == [["workbench", "run", "sync"], ["workbench", "run", "ingest"],
                                     ["workbench", "run", "export"]]


@pytest.mark.parametrize("path", sorted(p.relative_to(ROOT) for p in DEPLOY.rglob("*") if p.is_file()), ids=str)
def test_no_real_secret_in_deploy_files(path):
    text = (ROOT / path).read_text(errors="replace")
    assert not re.search(r"AKIA[0-9A-Z]{16}", text), "an AWS access key id"
    assert not re.search(r"sk-[A-Za-z0-9]{20,}", text), "an OpenAI key"
    for name, value in env_example().items() if path.name == ".env.example" else []:
        if any(word in name for word in ("SECRET", "PASSWORD", "TOKEN", "KEY")):
            assert value in ("", "change-me"), f"{name} has a value in .env.example"

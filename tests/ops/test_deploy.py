"""The deployment files agree with the code: compose.yaml is valid Compose, runs real `sirisma`
commands with real settings, the cluster runs the same commands, and the proxy's path map sends
each route to the service that mounts it."""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess
import sys
import tomllib
import uuid
from pathlib import Path
from typing import Any

import click
import httpx
import pytest
import yaml

from services.app import create_app
from services.cli import main
from services.config import Settings, load_settings
from services.identity.throttle import ADDRESS_FAILURES
from services.ops.cluster import COMMANDS, Cluster, Options
from services.ops.servers import free_port
from tests.ops.procs import Sirisma, settings_env, wait_for
from tests.ops.routing import NginxRoutes

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "compose.yaml"
NGINX = ROOT / "deploy" / "nginx.conf"
SETTING = re.compile(r"\bSIRISMA_[A-Z0-9_]+\b")


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())  # type: ignore[no-any-return]


def app_services() -> dict[str, dict[str, Any]]:
    """The services that run the project's image (every other one is postgres, redis, nginx)."""
    return {
        name: spec
        for name, spec in compose()["services"].items()
        if spec.get("image", "").startswith("sirisma")
    }


def test_compose_file_validates_against_the_compose_specification() -> None:
    checker = Path(sys.executable).with_name("check-jsonschema")
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_entry_point_is_the_sirisma_command() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r'^ENTRYPOINT \["sirisma"\]$', dockerfile, re.M)
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["sirisma"] == "services.cli:main"


def resolve(argv: list[str]) -> click.Command:
    """Parse ``sirisma <argv>`` with click's command tree, as the container would (without
    running it): an unknown command or option raises a UsageError."""
    ctx = click.Context(main, info_name="sirisma")
    name, command, rest = main.resolve_command(ctx, list(argv))
    assert command is not None and name is not None
    with command.make_context(name, list(rest), parent=ctx):
        return command


def test_every_service_command_is_a_real_sirisma_command() -> None:
    services = app_services()
    assert set(services) >= {"migrate", "submission", "review", "projector", "relay", "worker"}
    assert "beat" in services
    for name, spec in services.items():
        command = spec["command"]
        resolved = resolve(command)
        assert resolved.name == command[0], name
    # A command that does not exist is refused by the same check.
    with pytest.raises(click.UsageError):
        resolve(["serv"])
    with pytest.raises(click.UsageError):
        resolve(["serve", "--worker", "2"])


def test_the_cluster_runs_the_commands_compose_runs() -> None:
    services = app_services()
    for name, argv in COMMANDS.items():
        assert name in services, name
        assert services[name]["command"][0] == argv[0], name
        resolve(argv)
    assert set(COMMANDS) == set(services)


def test_every_sirisma_variable_in_compose_and_the_image_is_a_setting() -> None:
    fields = {f"SIRISMA_{name.upper()}" for name in Settings.__struct_fields__}
    for path in (COMPOSE, ROOT / "Dockerfile"):
        used = set(SETTING.findall(path.read_text()))
        assert used, path
        assert used <= fields, f"{path.name}: {sorted(used - fields)} are not settings"
    for name, spec in app_services().items():
        env = spec["environment"]
        assert env["SIRISMA_DATABASE_URL"].startswith("postgresql://"), name
        assert env["SIRISMA_REDIS_URL"].startswith("redis://"), name
        load_settings(env={k: str(v) for k, v in env.items() if "${" not in str(v)})
    http = {n: s for n, s in app_services().items() if s["command"][0] == "serve"}
    assert {s["environment"]["SIRISMA_SERVICE"] for s in http.values()} == {"submission", "review"}
    for spec in http.values():
        assert "/health/ready" in " ".join(spec["healthcheck"]["test"])


def sample_path(template: str) -> str:
    """A concrete path for a route template (``{id:uuid}`` → a uuid)."""

    def value(match: re.Match[str]) -> str:
        kind = match.group(2) or "str"
        return {"uuid": str(uuid.uuid4()), "int": "7"}.get(kind, "contoh")

    return re.sub(r"\{(\w+)(?::(\w+))?\}", value, template)


def routes(tmp_path: Path, service: str) -> set[str]:
    settings = load_settings(env={}, data_dir=str(tmp_path / service), service=service)
    app = create_app(settings)
    try:
        return {route.path for route in app.routes}
    finally:
        app.state.runtime.close()


def test_the_proxy_sends_every_route_to_the_service_that_mounts_it(tmp_path: Path) -> None:
    nginx = NginxRoutes.parse(NGINX)
    submission, review = routes(tmp_path, "submission"), routes(tmp_path, "review")
    only_review, only_submission = review - submission, submission - review
    assert only_review and only_submission
    for template in only_review:
        assert nginx.service_for(sample_path(template)) == "review", template
    for template in only_submission:
        assert nginx.service_for(sample_path(template)) == "submission", template
    # Routes both mount (login, read models, inbox, health) may go either way; the default is
    # the submission service, so a browser's whole session stays on one service.
    assert nginx.service_for("/api/auth/login") == "submission"


def test_health_checks_probe_the_port_each_process_serves() -> None:
    defaults = load_settings(env={})
    for name, spec in app_services().items():
        if "healthcheck" not in spec:
            continue
        probe = " ".join(spec["healthcheck"]["test"])
        (port,) = re.findall(r"127\.0\.0\.1:(\d+)/", probe)
        command, env = spec["command"], spec.get("environment", {})
        if command[0] == "serve":
            served = int(env.get("SIRISMA_PORT", defaults.port))
        elif "--metrics-port" in command:
            served = int(command[command.index("--metrics-port") + 1])
        else:
            served = int(env.get("SIRISMA_METRICS_PORT", 0))
        assert int(port) == served, name
    checked = {n for n, s in app_services().items() if "healthcheck" in s}
    assert checked >= {"submission", "review", "projector", "worker"}


# --- proxy trust (issue 15 item 5) ----------------------------------------------------------

PROXY_ADDRESS = "172.30.80.10"  # compose.yaml's x-proxy-address


def test_only_the_proxy_is_trusted_for_the_client_address(tmp_path: Path) -> None:
    """compose: the services believe X-Forwarded-For from the proxy's fixed address alone, and
    nginx writes the address it saw instead of appending to the client's; the cluster (no
    proxy) believes none."""
    spec = compose()
    assert spec["services"]["proxy"]["networks"]["default"]["ipv4_address"] == PROXY_ADDRESS
    subnet = spec["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_address(PROXY_ADDRESS) in ipaddress.ip_network(subnet)
    for name, service in app_services().items():
        env = service.get("environment", {})
        assert "FORWARDED_ALLOW_IPS" not in env, name
        if service["command"][0] == "serve":
            assert env["SIRISMA_TRUSTED_PROXIES"] == PROXY_ADDRESS, name
    text = NGINX.read_text()
    assert re.search(r"proxy_set_header X-Forwarded-For \$remote_addr;", text)
    assert "$proxy_add_x_forwarded_for" not in text
    cluster_env = Cluster(Options(run_dir=tmp_path)).app_env()
    assert cluster_env["SIRISMA_TRUSTED_PROXIES"] == ""
    assert "FORWARDED_ALLOW_IPS" not in cluster_env


def _nginx() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    assert found, "nginx is needed for this test (.ci/run installs nginx-light)"
    return found


def _local_proxy_conf(folder: Path, listen: int, backend: int) -> Path:
    """deploy/nginx.conf with only the addresses changed: both upstreams are the one local
    service, it listens on a free port, temp files and logs stay in the test's folder."""
    text = NGINX.read_text()
    for upstream in ("submission", "review"):
        text, count = re.subn(rf"server {upstream}:8000;", f"server 127.0.0.1:{backend};", text)
        assert count == 1, upstream
    text, count = re.subn(r"listen 80;", f"listen 127.0.0.1:{listen};", text)
    assert count == 1
    local = (
        f"http {{\n  access_log off;\n  client_body_temp_path {folder}/body;\n"
        f"  proxy_temp_path {folder}/proxy;\n"
    )
    text = text.replace("http {\n", local, 1)
    path = folder / "nginx.conf"
    path.write_text(text)
    return path


def _compose_http_env() -> dict[str, str]:
    """The submission service's environment from compose.yaml, minus what names a container
    (database, Redis, folders, listen address) and with the proxy's address as seen here."""
    env = app_services()["submission"]["environment"]
    dropped = {"SIRISMA_DATABASE_URL", "SIRISMA_REDIS_URL", "SIRISMA_DATA_DIR", "SIRISMA_BLOB_DIR"}
    return {
        name: str(value).replace(PROXY_ADDRESS, "127.0.0.1")
        for name, value in env.items()
        if name not in dropped | {"SIRISMA_HOST"} and "${" not in str(value)
    }


@pytest.mark.slow
def test_spoofed_forwarded_addresses_through_the_proxy_are_still_throttled(
    tmp_path: Path,
) -> None:
    """Before: nginx appended to the client's X-Forwarded-For and uvicorn trusted "*", so each
    request chose its own address: 45 failed logins, no 429."""
    backend, listen = free_port(), free_port()
    settings = load_settings(env={}, data_dir=str(tmp_path / "data"), port=backend)
    env = settings_env(settings, **_compose_http_env())
    server = Sirisma("serve", ["serve", "--port", str(backend)], env, tmp_path).start()
    conf = _local_proxy_conf(tmp_path, listen, backend)
    directives = f"daemon off; master_process off; pid {tmp_path}/nginx.pid; error_log stderr;"
    with (tmp_path / "nginx.log").open("ab") as log:
        proxy = subprocess.Popen(
            [_nginx(), "-p", str(tmp_path), "-c", str(conf), "-g", directives],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{listen}"
        with httpx.Client(base_url=base, timeout=30) as client:

            def up() -> bool:
                server.check_alive()
                assert proxy.poll() is None, (tmp_path / "nginx.log").read_text()
                return client.get("/health/live").status_code == 200

            wait_for(up, timeout=60, what="sirisma behind nginx")
            statuses = [
                client.post(
                    "/api/auth/login",
                    json={"username": f"tebak.{i}", "password": "tebakan-salah"},
                    headers={"X-Forwarded-For": f"10.{i}.{i}.{i}"},
                ).status_code
                for i in range(45)
            ]
    finally:
        proxy.terminate()
        proxy.wait(20)
        server.stop()
    assert statuses[:ADDRESS_FAILURES] == [401] * ADDRESS_FAILURES
    assert set(statuses[ADDRESS_FAILURES:]) == {429}, statuses

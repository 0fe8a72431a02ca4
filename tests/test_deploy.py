"""deploy/ stays true to the code: the example settings name every setting and nothing else; the
image, the compose file, the systemd units and the Kubernetes manifests start what exists, with
real settings, migrating once before two instances serve."""

from __future__ import annotations

import configparser
import ipaddress
import json
import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from pydantic import ValidationError
from typer.main import get_command

from db.engine import make_engine
from duban.cli import app
from duban.cli.process import Only
from scheduler.settings import Settings
from tests.web_world import app_for

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
UNITS = [DEPLOY / "duban.service", *sorted((DEPLOY / "systemd").glob("*.service"))]
POSTGRESQL_DOWN = "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2"
WEB_PORT = Settings.model_fields["web_port"].default


def env_name(field: str) -> str:
    return "DATABASE_URL" if field == "database_url" else f"DUBAN_{field.upper()}"


SETTING_NAMES = {env_name(f) for f in Settings.model_fields}


def example_lines() -> dict[str, str]:
    text = (DEPLOY / "duban.env.example").read_text(encoding="utf-8")
    return dict(re.findall(r"^# ([A-Z_]+)=(.*)$", text, flags=re.MULTILINE))


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def built(services: dict) -> dict[str, dict]:
    """The services that run the image deploy/Dockerfile builds."""
    return {name: s for name, s in services.items() if "build" in s}


def migrations(services: dict) -> dict[str, dict]:
    return {name: s for name, s in built(services).items() if "upgrade" in s["command"]}


def instances(services: dict) -> dict[str, dict]:
    return {name: s for name, s in built(services).items() if name not in migrations(services)}


def dockerfile_stages() -> list[str]:
    """The Dockerfile's stages, each from its FROM line on."""
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    return ["FROM " + s for s in re.split(r"^FROM ", text, flags=re.MULTILINE)[1:]]


def instruction(stage: str, name: str) -> str:
    """The last `name` instruction of the stage, its continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", stage)
    return re.findall(rf"^{name} (.*)$", joined, flags=re.MULTILINE)[-1]


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser


def manifests() -> dict[str, list[dict]]:
    return {p.name: [d for d in yaml.safe_load_all(p.read_text(encoding="utf-8")) if d]
            for p in sorted(KUBERNETES.glob("*.yaml"))}


def resource(kind: str) -> dict:
    (found,) = [d for docs in manifests().values() for d in docs if d["kind"] == kind]
    return found


def pod(kind: str) -> dict:
    return resource(kind)["spec"]["template"]


def container(kind: str) -> dict:
    (only,) = pod(kind)["spec"]["containers"]
    return only


def test_the_example_settings_file_names_every_setting_and_nothing_else():
    assert set(example_lines()) == SETTING_NAMES


def test_the_example_values_are_valid_settings(tmp_path):
    values = {k: v for k, v in example_lines().items() if v}
    path = tmp_path / "duban.env"
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")
    loaded = Settings(_env_file=path)
    assert loaded.telegram_rate_per_second == 30 and loaded.channels == ["email", "telegram"]
    assert str(loaded.extra_holidays[0]) == "2027-01-01"


# -- the image ---------------------------------------------------------------------------------
def test_the_image_is_built_in_one_stage_and_run_from_another_as_a_numeric_non_root_user():
    *_, final = stages = dockerfile_stages()
    assert len(stages) >= 2
    assert "pip install" not in final and "COPY --from=build /opt/venv /opt/venv" in final
    uid, _, gid = instruction(final, "USER").partition(":")
    assert uid.isdigit() and int(uid) != 0 and gid.isdigit() and int(gid) != 0  # runAsNonRoot can check it
    assert "libreoffice-writer-nogui" in final  # converts .doc notices
    health = instruction(final, "HEALTHCHECK")
    assert f"127.0.0.1:{WEB_PORT}/healthz" in health


def test_the_image_keeps_every_package_and_the_folders_the_code_reads_beside_them():
    """Duban finds templates/, locales/ and plans/ beside its packages (an editable install), so the
    build stage copies each of them under /app, which the final stage copies whole."""
    build, *_, final = dockerfile_stages()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = [p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]]
    for folder in [*packages, "templates", "locales", "plans"]:
        assert re.search(rf"^COPY {folder}/? {folder}/?$", build, flags=re.MULTILINE), folder
        assert (ROOT / folder).is_dir()
    assert "pip install -c constraints.txt -e ." in build and "COPY --from=build /app /app" in final


# -- compose ------------------------------------------------------------------------------------
def test_compose_runs_duban_on_postgresql_with_real_settings():
    services = compose()["services"]
    assert len(built(services)) >= 3 and services["db"]["image"].startswith("postgres:")
    for name, service in built(services).items():
        assert set(service["environment"]) <= SETTING_NAMES, name
        assert service["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
        assert (ROOT / service["build"]["dockerfile"]).is_file()
        assert service["depends_on"]["db"]["condition"] == "service_healthy"


def test_compose_migrates_once_then_starts_two_instances():
    services = compose()["services"]
    ((migrate, migration),) = migrations(services).items()
    assert migration["command"] == ["duban", "db", "upgrade"] and migration["restart"] == "no"
    assert "deploy" not in migration  # one container, one run
    assert len(instances(services)) == 2
    for name, service in instances(services).items():
        assert service["command"] == ["duban", "run"], name  # not the image's default, which migrates
        assert service["depends_on"][migrate]["condition"] == "service_completed_successfully"


def test_compose_trusts_exactly_its_proxy_and_reaches_duban_only_through_it(monkeypatch):
    whole = compose()
    proxy = whole["services"]["proxy"]
    address = ipaddress.ip_address(proxy["networks"]["default"]["ipv4_address"])
    for name, service in instances(whole["services"]).items():
        monkeypatch.setenv("DUBAN_TRUSTED_PROXIES", service["environment"]["DUBAN_TRUSTED_PROXIES"])
        assert Settings().trusted_proxies == [ipaddress.ip_network(address)], name
        assert "ports" not in service, name  # nobody goes round the proxy
    (network,) = whole["networks"]["default"]["ipam"]["config"]
    # inside the subnet, outside the range Docker hands out: no container started first can take it
    assert address in ipaddress.ip_network(network["subnet"])
    assert address not in ipaddress.ip_network(network["ip_range"])


def test_the_proxy_balances_both_instances_and_checks_them_on_healthz():
    services = compose()["services"]
    mounts = {target: source for source, target, *_ in (v.split(":") for v in services["proxy"]["volumes"])}
    caddyfile = (DEPLOY / mounts["/etc/caddy/Caddyfile"]).read_text(encoding="utf-8")  # where caddy reads it
    (upstreams,) = re.findall(r"^\s*reverse_proxy ([^{\n]+?)\s*\{", caddyfile, flags=re.MULTILINE)
    assert set(upstreams.split()) == {f"{name}:{WEB_PORT}" for name in instances(services)}
    assert re.search(r"^\s*health_uri /healthz$", caddyfile, flags=re.MULTILINE)
    assert re.search(r"^\s*lb_policy \w+$", caddyfile, flags=re.MULTILINE)


# -- systemd ------------------------------------------------------------------------------------
HARDENING = ("User", "WorkingDirectory", "Environment", "NoNewPrivileges", "ProtectSystem", "ReadWritePaths",
             "PrivateTmp")


def test_the_part_units_start_after_one_migration_and_are_hardened_like_the_whole_unit():
    whole, part = unit(DEPLOY / "duban.service"), unit(DEPLOY / "systemd" / "duban@.service")
    migrate = unit(DEPLOY / "systemd" / "duban-migrate.service")
    assert shlex.split(part["Service"]["ExecStart"])[1:] == ["run", "--only", "%i"]
    assert "duban-migrate.service" in part["Unit"]["Wants"].split()
    assert "duban-migrate.service" in part["Unit"]["After"].split()
    assert part["Unit"]["Conflicts"] == "duban.service"  # one bot and one port per machine
    assert migrate["Service"]["Type"] == "oneshot" and migrate["Service"]["RemainAfterExit"] == "yes"
    for key in HARDENING:
        assert part["Service"][key] == migrate["Service"][key] == whole["Service"][key], key
    for key in ("KillSignal", "TimeoutStopSec", "Restart"):
        assert part["Service"][key] == whole["Service"][key], key


def named_parts() -> set[str]:
    """The parts the units and deploy/README.md tell people to start (duban@web, ...)."""
    texts = [p.read_text(encoding="utf-8") for p in [*UNITS, DEPLOY / "README.md"]]
    return {m for t in texts for m in re.findall(r"duban@([a-z]+)\b", t)}


def after_duban(argv: list[str]) -> list[str]:
    """The arguments of a command line that starts duban (possibly through `exec` or by its path)."""
    program, *args = argv[1:] if argv[0] == "exec" else argv
    assert Path(program).name == "duban", argv
    return args


def duban_calls() -> list[list[str]]:
    """Every `duban ...` that deploy/ starts, as its arguments after `duban`."""
    lines = [shlex.split(line) for path in UNITS
             for line in re.findall(r"^Exec\w+=(.*)$", path.read_text(encoding="utf-8"), flags=re.MULTILINE)]
    sh, c, script = json.loads(instruction(dockerfile_stages()[-1], "CMD"))
    assert (sh, c) == ("sh", "-c")
    lines += [shlex.split(step) for step in script.split("&&")]
    lines += [s["command"] for s in built(compose()["services"]).values()]
    lines += [container(kind)["command"] for kind in ("Deployment", "Job")]
    calls = []
    for args in map(after_duban, lines):  # a template unit (%i) stands for each part it is started as
        calls += [[a.replace("%i", part) for a in args] for part in named_parts()] if "%i" in args else [args]
    return calls


def parsed(args: list[str]) -> dict:
    """The options `duban args` would run with; an unknown command, option or value raises."""
    command, rest = get_command(app), list(args)
    while hasattr(command, "commands"):
        command = command.commands[rest.pop(0)]
    return command.make_context(command.name, rest).params


def test_the_units_the_image_compose_and_kubernetes_call_real_duban_commands():
    calls = duban_calls()
    assert {args[0] for args in calls} == {"db", "run"}
    options = [parsed(args) for args in calls]  # each one as duban would read it, or an error
    only = {o["only"] for args, o in zip(calls, options, strict=True) if args[0] == "run"}
    assert only == {None, *Only}  # the whole service, and each part alone
    assert named_parts() == {o.value for o in Only}


# -- Kubernetes ---------------------------------------------------------------------------------
def test_every_manifest_parses_and_the_kustomization_applies_each_file():
    found = manifests()
    (kustomization,) = found.pop("kustomization.yaml")
    assert sorted(kustomization["resources"]) == sorted(found)
    assert kustomization["namespace"] == resource("Namespace")["metadata"]["name"]
    for name, docs in found.items():
        assert docs and all({"apiVersion", "kind", "metadata"} <= set(d) for d in docs), name
    images = {container(kind)["image"] for kind in ("Deployment", "Job")}
    assert images == {i["name"] for i in kustomization["images"]}  # one image, set in one place


def test_the_deployment_runs_two_non_root_replicas_probed_on_the_web_port():
    deployment, spec = resource("Deployment"), pod("Deployment")["spec"]
    duban = container("Deployment")
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod("Deployment")["metadata"]["labels"].items()
    assert duban["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": WEB_PORT}
    assert duban["livenessProbe"]["httpGet"]["port"] == WEB_PORT
    assert [p["containerPort"] for p in duban["ports"]] == [WEB_PORT]
    user = instruction(dockerfile_stages()[-1], "USER").split(":")
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert [str(spec["securityContext"][k]) for k in ("runAsUser", "runAsGroup")] == user
    assert duban["securityContext"]["allowPrivilegeEscalation"] is False
    assert {"cpu", "memory"} <= set(duban["resources"]["requests"]) and "memory" in duban["resources"]["limits"]


def test_liveness_answers_while_postgresql_is_down_and_readiness_does_not():
    """A database outage takes the pods out of the Service, but does not restart them all."""
    probes = container("Deployment")
    down = make_engine(POSTGRESQL_DOWN)
    try:
        client = TestClient(app_for(down))
        live = client.get(probes["livenessProbe"]["httpGet"]["path"])
        ready = client.get(probes["readinessProbe"]["httpGet"]["path"])
    finally:
        down.dispose()
    assert live.status_code == 200 and ready.status_code == 503


def test_the_service_and_the_budget_select_the_deployments_pods_and_not_the_migration():
    pods, job = pod("Deployment")["metadata"]["labels"], pod("Job")["metadata"]["labels"]
    service, budget = resource("Service")["spec"], resource("PodDisruptionBudget")["spec"]
    for selector in (service["selector"], budget["selector"]["matchLabels"]):
        assert selector.items() <= pods.items() and not selector.items() <= job.items()
    assert budget["minAvailable"] == 1
    ports = {p["name"]: p["containerPort"] for p in container("Deployment")["ports"]}
    assert [ports[p["targetPort"]] for p in service["ports"]] == [WEB_PORT]


def test_the_job_migrates_once_and_the_pods_only_run():
    assert container("Job")["command"] == ["duban", "db", "upgrade"]
    assert container("Deployment")["command"] == ["duban", "run"]  # not the image's default, which migrates
    assert pod("Job")["spec"]["restartPolicy"] in ("OnFailure", "Never")
    assert pod("Job")["spec"]["securityContext"]["runAsNonRoot"] is True
    assert resource("Job")["spec"].get("parallelism", 1) == 1 and resource("Job")["spec"].get("completions", 1) == 1


def test_the_pods_take_real_settings_from_the_configmap_and_the_secret(monkeypatch):
    config, secret = resource("ConfigMap"), resource("Secret")
    sources = {(k, v["name"]) for e in container("Deployment")["envFrom"] for k, v in e.items()}
    assert sources == {("configMapRef", config["metadata"]["name"]), ("secretRef", secret["metadata"]["name"])}
    assert container("Job")["envFrom"] == container("Deployment")["envFrom"]
    assert {e["name"] for kind in ("Deployment", "Job") for e in container(kind).get("env", [])} <= SETTING_NAMES
    assert set(config["data"]) <= SETTING_NAMES and not set(config["data"]) & set(secret["stringData"])
    assert all(isinstance(v, str) for v in config["data"].values())  # a ConfigMap holds strings only
    for name, value in config["data"].items():
        monkeypatch.setenv(name, value)
    assert Settings().web_port == WEB_PORT


def test_the_secret_holds_placeholders_only():
    secret = resource("Secret")
    assert "data" not in secret  # nothing base64-encoded to hide a real value
    assert set(secret["stringData"]) <= SETTING_NAMES
    assert all("CHANGE-ME" in value for value in secret["stringData"].values())
    with pytest.raises(ValidationError, match="32"):  # applied unedited, duban refuses to start
        Settings(secret_key=secret["stringData"]["DUBAN_SECRET_KEY"])

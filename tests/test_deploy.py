"""deploy/ stays true to the code: the example settings name every setting and nothing else, and
the compose file and the systemd unit start what exists."""

from __future__ import annotations

import ipaddress
import re
import shlex
from pathlib import Path

import yaml

from duban.cli import app
from scheduler.settings import Settings

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def env_name(field: str) -> str:
    return "DATABASE_URL" if field == "database_url" else f"DUBAN_{field.upper()}"


def example_lines() -> dict[str, str]:
    text = (DEPLOY / "duban.env.example").read_text(encoding="utf-8")
    return dict(re.findall(r"^# ([A-Z_]+)=(.*)$", text, flags=re.MULTILINE))


def test_the_example_settings_file_names_every_setting_and_nothing_else():
    named = set(example_lines())
    assert named == {env_name(f) for f in Settings.model_fields}


def test_the_example_values_are_valid_settings(tmp_path):
    values = {k: v for k, v in example_lines().items() if v}
    path = tmp_path / "duban.env"
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")
    loaded = Settings(_env_file=path)
    assert loaded.telegram_rate_per_second == 30 and loaded.channels == ["email", "telegram"]
    assert str(loaded.extra_holidays[0]) == "2027-01-01"


def test_compose_runs_duban_on_postgresql_with_real_settings():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    duban = compose["services"]["duban"]
    known = {env_name(f) for f in Settings.model_fields}
    assert set(duban["environment"]) <= known
    assert duban["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert (DEPLOY.parent / duban["build"]["dockerfile"]).is_file()
    assert "db" in duban["depends_on"] and compose["services"]["db"]["image"].startswith("postgres:")


def test_compose_trusts_exactly_its_proxy_and_reaches_duban_only_through_it(monkeypatch):
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    duban, proxy = compose["services"]["duban"], compose["services"]["proxy"]
    address = proxy["networks"]["default"]["ipv4_address"]
    monkeypatch.setenv("DUBAN_TRUSTED_PROXIES", duban["environment"]["DUBAN_TRUSTED_PROXIES"])
    settings = Settings()
    assert [str(n) for n in settings.trusted_proxies] == [f"{address}/32"]
    subnet = compose["networks"]["default"]["ipam"]["config"][0]["subnet"]
    assert ipaddress.ip_address(address) in ipaddress.ip_network(subnet)
    assert "ports" not in duban and "duban:8080" in proxy["command"]  # nobody goes round the proxy


def test_the_unit_and_the_image_call_real_duban_commands():
    commands = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
    unit = (DEPLOY / "duban.service").read_text(encoding="utf-8")
    calls = re.findall(r"^Exec\w+=(.*)$", unit, flags=re.MULTILINE)
    docker = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    calls += re.findall(r"(duban [a-z ]+?)(?: &&|\"|$)", docker, flags=re.MULTILINE)
    used = {shlex.split(c)[1] for c in calls if "duban" in c}
    assert used == {"db", "run"} and used <= commands

"""Dashboards as of a past date: the read models rebuilt from the log up to the end of that day
(WIB) into their own schema, on demand, cached and bounded (projections/as_of.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from projections import as_of
from services.app import create_app
from services.commands import account_id_for
from services.config import Settings
from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.domain.call import JAKARTA
from services.identity.passwords import hash_password
from services.startup import start_runtime
from tests.factories import World
from tests.projections.conftest import PASSWORD, catch_up


class Past:
    """A regency whose history spans days: the first innovation is submitted on ``day0``, the
    second three days later; today both wait in the queue."""

    def __init__(self, settings: Settings) -> None:
        self.runtime = start_runtime(settings, background=False)
        self.day0 = datetime.now(JAKARTA).date() - timedelta(days=10)
        noon = datetime.combine(self.day0, time(12), JAKARTA).astimezone(UTC)
        world = World(self.runtime.commands, now=noon)
        c = self.runtime.commands
        system = Context(actor=Actor.system(), now=noon)
        c.create_account(
            system,
            username="auditor.uji",
            full_name="Auditor Uji",
            email="auditor.uji@sragenkab.go.id",
            role=Role.AUDITOR,
            organisation_id=world.opd_id,
            password_hash=hash_password(PASSWORD),
        )
        c.create_account(
            system,
            username="operator.uji",
            full_name="Operator Uji",
            email="operator.uji@sragenkab.go.id",
            role=Role.OPERATOR,
            organisation_id=world.opd_id,
            password_hash=hash_password(PASSWORD),
        )
        self.auditor = account_id_for("auditor.uji")
        first = world.complete_draft("Inovasi Pertama")
        c.submit(world.ctx(world.operator), first)
        world.now = noon + timedelta(days=3)
        second = world.complete_draft("Inovasi Kedua")
        c.submit(world.ctx(world.operator), second)
        catch_up(settings, self.runtime.store)
        self.client = TestClient(create_app(runtime=self.runtime), base_url="http://t.local")
        self.client.__enter__()
        self.tokens: dict[str, str] = {}

    def get(self, url: str, as_: str | None = "auditor.uji") -> Any:
        headers = {}
        if as_ is not None:
            if as_ not in self.tokens:
                login = self.client.post(
                    "/api/auth/login", json={"username": as_, "password": PASSWORD}
                )
                assert login.status_code == 200, login.text
                self.tokens[as_] = login.json()["token"]
            self.client.cookies.clear()
            headers["Authorization"] = f"Bearer {self.tokens[as_]}"
        return self.client.get(url, headers=headers)

    def day(self, n: int) -> str:
        return (self.day0 + timedelta(days=n)).isoformat()

    def close(self) -> None:
        self.client.__exit__(None, None, None)
        self.runtime.close()


@pytest.fixture
def past(settings: Settings) -> Iterator[Past]:
    world = Past(settings)
    try:
        yield world
    finally:
        world.close()


def titles(response: Any) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["title"] for item in response.json()["items"]}


def test_the_queue_as_of_a_past_day_shows_what_waited_then(past: Past) -> None:
    live = past.get("/api/review/queue")
    assert titles(live) == {"Inovasi Pertama", "Inovasi Kedua"}
    assert "X-As-Of" not in live.headers
    then = past.get(f"/api/review/queue?as_of={past.day(1)}")
    assert titles(then) == {"Inovasi Pertama"}
    assert then.headers["X-As-Of"] == past.day(1)
    assert titles(past.get(f"/api/review/queue?as_of={past.day(5)}")) == {
        "Inovasi Pertama",
        "Inovasi Kedua",
    }
    # Age is counted to the end of that day, not to today.
    (item,) = then.json()["items"]
    assert item["age_working_days"] <= 1

    models = as_of.of(past.runtime)
    assert set(models.built()) == {as_of.schema_for(past.day0 + timedelta(days=n)) for n in (1, 5)}
    # Cached: asking again reuses the schema; the bound drops the oldest build.
    assert titles(past.get(f"/api/review/queue?as_of={past.day(1)}")) == {"Inovasi Pertama"}
    models.keep = 2
    past.get(f"/api/dashboard/compliance?as_of={past.day(2)}").raise_for_status()
    assert set(models.built()) == {as_of.schema_for(past.day0 + timedelta(days=n)) for n in (5, 2)}
    # A schema dropped under a cached pool (another process's bound) is built again.
    models.drop(as_of.schema_for(past.day0 + timedelta(days=2)))
    assert titles(past.get(f"/api/review/queue?as_of={past.day(2)}")) == {"Inovasi Pertama"}


def test_dashboards_and_catalogue_answer_as_of(past: Past) -> None:
    day = past.day(4)
    for url in ("/api/dashboard/index", "/api/dashboard/compliance", "/api/public/innovations"):
        response = past.get(f"{url}?as_of={day}")
        assert response.status_code == 200, (url, response.text)
        assert response.headers["X-As-Of"] == day


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("kemarin", "tidak valid"),
        ("2025-02-30", "tidak valid"),
        (datetime.now(JAKARTA).date().isoformat(), "belum lewat"),
        ("2099-01-01", "belum lewat"),
        ("2000-01-01", "sebelum peristiwa pertama"),
    ],
)
def test_bad_dates_are_refused_in_indonesian(past: Past, value: str, message: str) -> None:
    response = past.get(f"/api/dashboard/compliance?as_of={value}")
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert message in response.json()["detail"]
    assert as_of.of(past.runtime).built() == []


def test_only_staff_may_look_into_the_past(past: Past) -> None:
    day = past.day(1)
    anonymous = past.get(f"/api/public/innovations?as_of={day}", as_=None)
    assert anonymous.status_code == 403
    assert "hanya untuk" in anonymous.json()["detail"]
    operator = past.get(f"/api/dashboard/compliance?as_of={day}", as_="operator.uji")
    assert operator.status_code == 403
    assert as_of.of(past.runtime).built() == []


def test_pages_show_the_date_they_are_as_of(past: Past) -> None:
    day = past.day(1)
    for path in ("/verifikasi", "/kepatuhan", "/dasbor-daerah", "/katalog"):
        page = past.get(f"{path}?per={day}")
        assert page.status_code == 200, (path, page.text[:500])
        assert "Data per" in page.text, path
        assert 'type="date"' in page.text, path
    queue = past.get(f"/verifikasi?per={day}")
    assert "Inovasi Pertama" in queue.text
    assert "Inovasi Kedua" not in queue.text
    assert "Inovasi Kedua" in past.get("/verifikasi").text
    refused = past.get("/kepatuhan?per=2099-01-01")
    assert refused.status_code == 400
    assert "belum lewat" in refused.text


def test_a_day_prebuilt_with_the_cli_is_reused(past: Past) -> None:
    """`sirisma rebuild --until <end of day WIB> --into asof_YYYYMMDD` (README) is what the
    routes would build, so they use it as it is."""
    from click.testing import CliRunner

    from services.cli import main

    settings = past.runtime.settings
    day = past.day0 + timedelta(days=1)
    schema = as_of.schema_for(day)
    env = {"SIRISMA_DATABASE_URL": settings.database_url, "SIRISMA_DATA_DIR": settings.data_dir}
    until = f"{day.isoformat()}T23:59:59.999999+07:00"
    built = CliRunner(env=env).invoke(
        main, ["rebuild", "--until", until, "--into", schema, "--quiet"]
    )
    assert built.exit_code == 0, built.output
    models = as_of.of(past.runtime)
    assert models.built() == [schema]
    before = built_at(settings, schema)
    assert titles(past.get(f"/api/review/queue?as_of={day.isoformat()}")) == {"Inovasi Pertama"}
    assert built_at(settings, schema) == before  # not built again


def built_at(settings: Settings, schema: str) -> Any:
    from projections.target import Target

    session = Target(settings, schema).connect()
    try:
        return session.rows("SELECT max(updated_at) FROM projection_tracking")[0][0]
    finally:
        session.close()


def test_a_day_another_process_is_building_is_built_once(
    past: Past, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build lock is shared by processes: while another holds it the answer is 503 with
    Retry-After (nothing built twice); once it is free the day is built."""
    from projections.target import Target

    monkeypatch.setattr(as_of, "BUILD_WAIT", 0.5)
    day = past.day0 + timedelta(days=2)
    other = Target(past.runtime.settings).connect()
    try:
        assert other.try_lock(f"as-of:{as_of.schema_for(day)}")
        busy = past.get(f"/api/review/queue?as_of={day.isoformat()}")
        assert busy.status_code == 503, busy.text
        assert busy.headers["retry-after"] == "30"
        assert "sedang dibangun" in busy.json()["detail"]
        page = past.get(f"/kepatuhan?per={day.isoformat()}")
        assert page.status_code == 503
    finally:
        other.close()
    assert titles(past.get(f"/api/review/queue?as_of={day.isoformat()}")) == {"Inovasi Pertama"}

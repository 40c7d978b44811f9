"""The authorisation matrix, generated from the served OpenAPI document.

Rules and their format: tests/authz_matrix.py.

1. Every (method, path) in ``/schema/openapi.json`` has a rule, every rule names a served route,
   and no ``/api`` route hides from the schema (so none escapes the matrix).
2. Every rule is exercised once per caller kind against a seeded world (org A's innovation in the
   rule's status, path parameters filled) and the answer is judged allow/deny as documented.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from services.app import create_app
from services.blobs import BlobStore
from services.commands import Commands, account_id_for
from services.config import load_settings
from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.domain.lifecycle import Status
from services.domain.values import (
    CallKind,
    Document,
    DocumentKind,
    KrenovaEntry,
    KrenovaField,
    ParticipantCategory,
    Profile,
    RevisionItem,
)
from services.identity.auth import SESSION_IN_LOAD
from services.runtime import Runtime
from services.startup import start_runtime
from tests.authz_matrix import (
    ALLOW,
    CONFLICT,
    DENY,
    FORBID,
    HIDDEN,
    KINDS,
    LEADERSHIP_SELF_SERVICE,
    MATRIX,
    OUTCOMES,
    UNAUTH,
    Rule,
)
from tests.factories import MANDATORY, World, complete_profile
from tests.identity.conftest import record_settles

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
ALLOWED_ERRORS = {409, 412, 422, 428}  # domain answers given after the policy let the call in
INNOVATION_SUBJECTS = {s.value for s in Status} | {"published", "krenova"}
SUBJECTS = INNOVATION_SUBJECTS | {"account", "organisation", "call", None}


# --- the seeded world ---------------------------------------------------------------------


@dataclass
class Ctx:
    """What a rule's callables see (documented in tests/authz_matrix.py)."""

    caller: str
    subject: str | None
    ids: dict[str, str]
    unique: str
    runtime: Runtime
    world: World
    documents: list[str] = field(default_factory=list)


class MatrixWorld:
    """Org A (DISDUKCAPIL) owns the subjects; org B (DINKES) is the other organisation."""

    LOGIN_PASSWORD = "matriks-sandi-2025"

    def __init__(self, runtime: Runtime) -> None:
        from services.identity.passwords import hash_password

        self.runtime = runtime
        self.c: Commands = runtime.commands
        self.world = World(self.c)
        self.blobs = BlobStore(runtime.settings.blob_path)
        w = self.world
        system = Context(actor=Actor.system(), now=w.now)
        self.auditor = w._account(system, "auditor.matriks", Role.AUDITOR, None)
        self.participant = w._account(system, "peserta.matriks", Role.PARTICIPANT, None)
        self.kepala = w._account(system, "kepala.matriks", Role.KEPALA_OPD, w.opd_id)
        self.pimpinan = w._account(system, "pimpinan.matriks", Role.PIMPINAN, None)
        self.c.create_account(
            system,
            username="login.matriks",
            full_name="Login Matriks",
            email="",
            role=Role.OPERATOR,
            organisation_id=w.opd_id,
            password_hash=hash_password(self.LOGIN_PASSWORD),
        )
        self.krenova_call = self.c.open_call(
            w.ctx(w.admin),
            kind=CallKind.KRENOVA,
            title="Krenova 2025",
            budget_year=2025,
            opens_at=w.now - timedelta(days=10),
            deadline=w.now + timedelta(days=10),
            eligible_kinds=("masyarakat",),
            rubric_year=2025,
        ).id
        self.callers: dict[str, Actor] = {
            "admin": w.admin,
            "reviewer": w.reviewer,
            "reviewer_same_org": w.conflicted_reviewer,
            "operator": w.operator,
            "operator_other_org": w.other_operator,
            "auditor": self.auditor,
            "participant": self.participant,
            "kepala_opd": self.kepala,
            "pimpinan": self.pimpinan,
        }
        self.ids: dict[str, str] = {
            "org_a": str(w.opd_id),
            "org_b": str(w.other_opd_id),
            "bappeda": str(w.bappeda_id),
            "call": str(w.call_id),
            "krenova_call": str(self.krenova_call),
            "login_username": "login.matriks",
            "login_password": self.LOGIN_PASSWORD,
            **{kind: str(actor.account_id) for kind, actor in self.callers.items()},
        }
        self.ids["account"] = self.spare_account()
        self._shared: dict[str | None, str | None] = {}

    # -- subjects ----------------------------------------------------------------------------

    def subject(self, kind: str | None, fresh: bool) -> str | None:
        if not fresh and kind in self._shared:
            return self._shared[kind]
        value = self._build(kind)
        if not fresh:
            self._shared[kind] = value
        return value

    def _build(self, kind: str | None) -> str | None:
        if kind is None:
            return None
        if kind == "account":
            return self.spare_account()
        if kind == "organisation":
            return self.ids["org_a"]
        if kind == "call":
            return self.ids["call"]
        if kind == "krenova":
            return str(self.krenova_entry())
        return str(self.innovation(kind))

    def spare_account(self) -> str:
        username = f"cadangan.{uuid4().hex[:10]}"
        w = self.world
        w._account(Context(actor=Actor.system(), now=w.now), username, Role.OPERATOR, w.opd_id)
        return str(account_id_for(username))

    def _document(self, kind: DocumentKind, no: int) -> Document:
        body = f"%PDF-1.4\n% matriks {uuid4()} {kind} {no}\n%%EOF\n".encode()
        stored = self.blobs.put_bytes(body)
        return Document(
            doc_id=uuid4(),
            kind=kind,
            name=f"{kind.value}-{no}.pdf",
            content_type="application/pdf",
            size=stored.size,
            sha256=hashlib.sha256(body).hexdigest(),
            storage_key=stored.key,
            indicator=no,
        )

    def krenova_entry(self) -> UUID:
        ctx = self.world.ctx(self.participant)
        profile = Profile(
            title="Pengering Gabah Tenaga Surya",
            krenova=KrenovaEntry(
                field=KrenovaField.ENERGI,
                participant_category=ParticipantCategory.UMUM,
                abstract="Pengering gabah murah dari kaca bekas dan panel surya kecil.",
                advantages="Biaya rendah.",
                benefits="Susut panen turun.",
                application="Diuji di Desa Gesi.",
            ),
        )
        return self.c.propose(ctx, call_id=self.krenova_call, profile=profile).id

    def innovation(self, status: str) -> UUID:
        """A fresh innovation of org A walked along the lifecycle to ``status``."""
        w, c = self.world, self.c
        op, rev, admin = w.ctx(w.operator), w.ctx(w.reviewer), w.ctx(w.admin)
        iid = c.propose(op, call_id=w.call_id, profile=complete_profile()).id
        if status == Status.WITHDRAWN:
            c.withdraw(op, iid, "digabung")
            return iid
        for no in MANDATORY:
            doc = self._document(DocumentKind.SK if no == 1 else DocumentKind.REPORT, no)
            c.attach_document(op, iid, doc)
            c.claim_indicator(op, iid, no=no, level=3, evidence=[doc.doc_id])
        if status == Status.DRAFT:
            return iid
        c.submit(op, iid)
        if status == Status.SUBMITTED:
            return iid
        assert w.reviewer.account_id is not None
        c.assign_reviewer(admin, iid, w.reviewer.account_id)
        if status == Status.UNDER_REVIEW:
            return iid
        if status in (Status.REVISION_REQUESTED, Status.RESUBMITTED):
            item = RevisionItem(kind="indicator", key="1", note="SK Kepala Daerah")
            c.request_revision(rev, iid, note="Lengkapi SK", items=[item])
            if status == Status.RESUBMITTED:
                c.resubmit(op, iid, note="sudah")
            return iid
        for state in list(c.innovation(iid).documents.values()):
            c.verify_document(rev, iid, state.document.doc_id, accepted=True, note="sah")
        c.score(rev, iid, w.verdicts(3))
        if status == Status.SCORED:
            return iid
        if status == Status.REJECTED:
            c.reject(admin, iid, "belum memenuhi")
            return iid
        c.approve(admin, iid, note="layak")
        if status == Status.APPROVED:
            return iid
        c.establish(admin, iid, sk_number="188/1/2025", sk_date=date(2025, 10, 1))
        if status == Status.ESTABLISHED:
            return iid
        if status == "published":
            c.publish(admin, iid)
            return iid
        c.select_for_iga(admin, iid, 2025)
        if status == Status.SELECTED_FOR_IGA:
            return iid
        c.report_to_iga(admin, iid, year=2025, report_id=uuid4())
        assert status == Status.REPORTED_TO_IGA, f"unknown subject {status!r}"
        return iid

    def documents(self, subject: str | None, kind: str | None) -> list[str]:
        if subject is None or kind not in INNOVATION_SUBJECTS:
            return []
        innovation = self.c.innovation(UUID(subject))
        return [str(d.document.doc_id) for d in innovation.documents.values() if not d.removed]

    def version(self, subject: str) -> int:
        return self.c.innovation(UUID(subject)).version

    def token(self, kind: str) -> str | None:
        actor = self.callers.get(kind)
        if actor is None or actor.account_id is None:
            return None
        token, _ = self.runtime.sessions.issue(actor.account_id)
        return token


@pytest.fixture(scope="module")
def matrix_app(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TestClient[Litestar], MatrixWorld]]:
    settings = load_settings(env={}, data_dir=str(tmp_path_factory.mktemp("matrix") / "data"))
    runtime = start_runtime(settings)
    world = MatrixWorld(runtime)
    with TestClient(create_app(runtime=runtime)) as client:
        yield client, world


# --- 1. coverage --------------------------------------------------------------------------


def served_routes(client: TestClient[Litestar]) -> set[tuple[str, str]]:
    document = client.get("/schema/openapi.json").json()
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}
    }


def test_every_served_route_has_a_matrix_entry(matrix_app: Any) -> None:
    client, _ = matrix_app
    served = served_routes(client)
    missing = sorted(served - set(MATRIX))
    stale = sorted(set(MATRIX) - served)
    assert not missing, f"routes without an entry in tests/authz_matrix.py: {missing}"
    assert not stale, f"entries in tests/authz_matrix.py for routes that are not served: {stale}"


def test_no_api_route_hides_from_the_schema(matrix_app: Any) -> None:
    """A route excluded from OpenAPI would escape the matrix, so /api routes may not hide."""
    client, _ = matrix_app
    hidden = sorted(
        (method, route.path)
        for route in client.app.routes
        if isinstance(route, HTTPRoute) and route.path.startswith("/api")
        for handler in route.route_handlers
        if not handler.resolve_include_in_schema()
        for method in handler.http_methods
        if method != "OPTIONS"  # Litestar's automatic CORS preflight answer
    )
    assert not hidden, f"/api routes hidden from the OpenAPI document: {hidden}"


def test_leadership_gives_no_command() -> None:
    """``pimpinan`` reads; every write route refuses it with 403 (its own session and inbox
    aside), so a new write route cannot quietly let leadership in."""
    writes = [key for key in MATRIX if key[0] in UNSAFE and key not in LEADERSHIP_SELF_SERVICE]
    assert len(writes) > 50
    let_in = sorted(key for key in writes if MATRIX[key].expect["pimpinan"] != FORBID)
    assert not let_in, f"write routes not 403 for pimpinan: {let_in}"


def test_every_rule_is_well_formed() -> None:
    for key, rule in MATRIX.items():
        assert set(rule.expect) == set(KINDS), f"{key}: expect must name every caller kind"
        assert set(rule.expect.values()) <= OUTCOMES, f"{key}: unknown outcome"
        assert rule.subject in SUBJECTS, f"{key}: unknown subject {rule.subject!r}"


# --- 2. exercise ----------------------------------------------------------------------------


def judge(expected: str, status: int, body: Any) -> str | None:
    """None when the answer matches, else what went wrong."""
    if status >= 500:
        return f"server error {status}"
    if expected == ALLOW:
        if 200 <= status < 400 or status in ALLOWED_ERRORS:
            return None
        hint = " (invalid body in the rule?)" if status in (400, 413, 415) else ""
        return f"expected allow, got {status}{hint}"
    if expected == DENY:
        return None if status in (401, 403, 404) else f"expected deny, got {status}"
    if expected == CONFLICT:
        type_ = body.get("type", "") if isinstance(body, dict) else ""
        detail = body.get("detail", "") if isinstance(body, dict) else ""
        if status == 403 and type_.endswith("conflict-of-interest") and detail:
            return None
        return f"expected 403 conflict-of-interest with a reason, got {status} {type_}"
    wanted = {UNAUTH: 401, FORBID: 403, HIDDEN: 404}[expected]
    return None if status == wanted else f"expected {wanted}, got {status}"


def _value(value: Any, ctx: Ctx) -> Any:
    return value(ctx) if callable(value) else value


def _path(template: str, rule: Rule, ctx: Ctx) -> str:
    defaults = {
        "doc_id": ctx.documents[0] if ctx.documents else str(uuid4()),
        "no": "1",
        "call_id": ctx.ids["call"],
        "organisation_id": ctx.ids["org_a"],
        "account_id": ctx.subject if rule.subject == "account" else ctx.ids["account"],
        "innovation_id": ctx.subject,
        "id": ctx.subject,
    }
    path = template
    while "{" in path:
        start = path.index("{")
        name = path[start + 1 : path.index("}", start)]
        value = _value(rule.params[name], ctx) if name in rule.params else defaults.get(name)
        assert value is not None, (
            f"{template}: no value for {{{name}}}; give the rule a subject or params[{name!r}]"
        )
        path = path.replace("{" + name + "}", str(value), 1)
    return path


def _call(
    client: TestClient[Litestar],
    world: MatrixWorld,
    key: tuple[str, str],
    rule: Rule,
    caller: str,
    subject: str | None,
    keyed: bool = True,
) -> tuple[int, Any]:
    """One call; ``keyed``: an unsafe call carries an ``Idempotency-Key`` (which makes the
    middleware look the session up, so a route never defers it)."""
    method, template = key
    ctx = Ctx(
        caller=caller,
        subject=subject,
        ids=world.ids,
        unique=uuid4().hex[:10],
        runtime=world.runtime,
        world=world.world,
        documents=world.documents(subject, rule.subject),
    )
    headers: dict[str, str] = dict(_value(rule.headers, ctx) or {})
    token = world.token(caller)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if method in UNSAFE and keyed:
        headers.setdefault("Idempotency-Key", uuid4().hex)
        if subject and rule.subject in INNOVATION_SUBJECTS:
            headers.setdefault("If-Match", f'"{world.version(subject)}"')
    kwargs: dict[str, Any] = {"headers": headers, "params": _value(rule.query, ctx)}
    body = _value(rule.body, ctx)
    if body is not None:
        kwargs["json"] = body
    if rule.files is not None:
        kwargs["files"] = _value(rule.files, ctx)
    if rule.data is not None:
        kwargs["data"] = _value(rule.data, ctx)
    client.cookies.clear()
    response = client.request(method, _path(template, rule, ctx), **kwargs)
    try:
        payload = response.json()
    except ValueError:
        payload = None
    return response.status_code, payload


@pytest.mark.parametrize("key", sorted(MATRIX), ids=lambda k: f"{k[0]} {k[1]}")
def test_route_answers_each_caller_as_the_matrix_says(
    matrix_app: Any, key: tuple[str, str]
) -> None:
    client, world = matrix_app
    _judge_route(client, world, key)


@pytest.fixture(scope="module")
def pg_matrix_app(
    postgres_server: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient[Litestar], MatrixWorld]]:
    """The matrix world on PostgreSQL, where command routes read the bearer session in their
    load's statement (``auth.DeferredSession``; SQLite keeps the middleware's lookup)."""
    postgres_server.ensure_running()
    name = f"test_{uuid4().hex[:16]}"
    url = postgres_server.create_database(name)
    data = str(tmp_path_factory.mktemp("matrix_pg") / "data")
    runtime = start_runtime(load_settings(env={}, data_dir=data, database_url=url))
    try:
        world = MatrixWorld(runtime)
        with TestClient(create_app(runtime=runtime)) as client:
            yield client, world
    finally:
        runtime.close()
        postgres_server.ensure_running()
        postgres_server.drop_database(name)


def deferred_routes(app: Litestar) -> list[tuple[str, str]]:
    """The matrix keys of the routes whose bearer session is read in the handler's load."""
    keys = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        path = re.sub(r"\{(\w+):[^}]+\}", r"{\1}", route.path)
        for handler in route.route_handlers:
            if handler.opt.get(SESSION_IN_LOAD):
                keys += [(m, path) for m in handler.http_methods if m != "OPTIONS"]
    return sorted(keys)


def test_deferred_session_routes_answer_as_the_matrix_says_on_postgres(
    pg_matrix_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every caller kind on every route that defers its session lookup, on PostgreSQL and
    without an ``Idempotency-Key``: the lookup read in the load's statement forbids and allows
    exactly as the middleware's does."""
    client, world = pg_matrix_app
    by_load = record_settles(monkeypatch)
    keys = deferred_routes(client.app)
    assert len(keys) >= 10, keys  # the submission and review commands
    assert not set(keys) - set(MATRIX), sorted(set(keys) - set(MATRIX))
    failures = []
    for key in keys:
        try:
            _judge_route(client, world, key, keyed=False)
        except AssertionError as failed:
            failures.append(str(failed))
    assert not failures, "\n".join(failures)
    assert by_load.count(True) >= len(keys), "the loads did not answer the session lookups"


def _judge_route(
    client: TestClient[Litestar], world: MatrixWorld, key: tuple[str, str], keyed: bool = True
) -> None:
    method, template = key
    assert key in served_routes(client), f"{method} {template} is not served"
    rule = MATRIX[key]
    # Refusals first, all on one shared subject; then each allowed caller (on a fresh subject
    # when the call changes state, so one success never changes what the next caller sees).
    order = sorted(KINDS, key=lambda kind: rule.expect[kind] == ALLOW)
    failures = []
    for caller in order:
        expected = rule.expect[caller]
        fresh = expected == ALLOW and method in UNSAFE
        subject = world.subject(rule.subject, fresh=fresh)
        status, body = _call(client, world, key, rule, caller, subject, keyed)
        problem = judge(expected, status, body)
        if problem:
            detail = body.get("detail") if isinstance(body, dict) else body
            failures.append(f"{caller}: {problem} — {detail}")
    assert not failures, f"{method} {template}:\n  " + "\n  ".join(failures)


def test_matrix_world_is_what_the_format_promises(matrix_app: Any) -> None:
    """The guarantees the rules rely on: owners, assignment and statuses of the subjects."""
    _, world = matrix_app
    scored = world.c.innovation(UUID(world.subject("scored", fresh=False) or ""))
    assert scored.status == Status.SCORED
    assert scored.organisation_id == world.world.opd_id
    assert world.world.reviewer.account_id in scored.reviewers
    published = world.c.innovation(UUID(world.subject("published", fresh=False) or ""))
    assert published.published and published.status == Status.ESTABLISHED
    entry = world.c.innovation(UUID(world.subject("krenova", fresh=False) or ""))
    assert entry.submitter_id == world.participant.account_id
    assert world.documents(world.subject("under_review", fresh=False), "under_review")
    assert datetime.now(UTC) < world.world.now + timedelta(days=30)

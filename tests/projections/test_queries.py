"""The review queue, the innovation search and the public catalogue search at more than a
handful of rows, on SQLite and PostgreSQL: filtered, counted, sorted and paged in SQL, with the
answers a plain Python computation over every row gives (the way the queue used to be computed),
and only the page's rows read."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import msgspec
import pytest

from projections import queries
from projections.target import Target
from services.commands import Commands, account_id_for
from services.config import Settings
from services.db import Database
from services.domain import urusan
from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.domain.call import JAKARTA
from services.domain.innovation import Innovation
from services.domain.principal import Principal
from services.domain.rubric import load_rubric
from services.domain.values import (
    DocumentKind,
    InnovationKind,
    OrganisationKind,
    RevisionItem,
    Theme,
)
from services.domain.workdays import add_working_days, working_days
from services.eventstore.store import EventStore
from tests.factories import MANDATORY, World, complete_profile, document
from tests.projections.conftest import assert_equal_to_rebuild, catch_up

#: The season's clock: the call is open from BASE - 30 days to BASE + 30 days.
BASE = datetime(2025, 6, 20, 3, 0, tzinfo=UTC)  # a Friday, 10.00 in Jakarta
SLA_DAYS = (0, 1, 2, 5)
#: Query times: mid-day, the last and first moments of a Jakarta day (17.00 UTC is midnight
#: there), a weekend, and long after everything arrived.
NOWS = (
    BASE,
    datetime(2025, 6, 23, 16, 59, 59, 999999, tzinfo=UTC),
    datetime(2025, 6, 23, 17, 0, tzinfo=UTC),
    datetime(2025, 6, 28, 12, 0, tzinfo=UTC),
    datetime(2025, 7, 2, 2, 0, tzinfo=UTC),
    datetime(2025, 9, 1, 5, 0, tzinfo=UTC),
)
#: Titles whose order depends on Python's lower() (SQL's lower() folds only ASCII).
TITLES = ("alpha", "Alpha", "ÄRZTE", "ärzte", "Émile", "emile", "İlmu", "ilmu", "Zebra", "zebra")


class Spy:
    """The read-model database, counting the rows each query hands back to Python."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.dialect = db.dialect
        self.returned: list[int] = []

    def rows(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        found = self.db.rows(sql, params)
        self.returned.append(len(found))
        return found

    def scalar(self, sql: str, params: Any = ()) -> Any:
        self.returned.append(1)
        return self.db.scalar(sql, params)

    @contextmanager
    def transaction(self) -> Iterator[Spy]:
        """The same counting over one transaction's statements."""
        with self.db.transaction() as tx:
            inner = Spy(tx)  # type: ignore[arg-type]
            inner.returned = self.returned
            yield inner


def _account(c: Commands, username: str, role: Role, org: UUID | None) -> Actor:
    c.create_account(
        Context(actor=Actor.system(), now=BASE - timedelta(days=40)),
        username=username,
        full_name=username,
        email=f"{username}@contoh.id",
        role=role,
        organisation_id=org,
        password_hash="x",
    )
    return Actor(account_id=account_id_for(username), role=role, organisation_id=org)


def seed_queue(world: World, count: int, rng: random.Random) -> list[UUID]:
    """``count`` innovations submitted at scattered times over four weeks (some exactly at a
    Jakarta midnight or a moment before it), some resubmitted later, scored, left as drafts or
    sent back for revision; three organisations, one with a name only Python lower-cases right."""
    c = world.commands
    system = Context(actor=Actor.system(), now=BASE - timedelta(days=40))
    unit = c.register_organisation(
        system, kind=OrganisationKind.OPD, code="UNIT", name="Ünit Ölçme"
    ).id
    operators = [world.operator, world.other_operator, _account(c, "op.unit", Role.OPERATOR, unit)]
    call = c.call(world.call_id)
    rubric = load_rubric(call.rubric_year)
    start = BASE - timedelta(days=28)
    reviewer_id = world.reviewer.account_id
    assert reviewer_id is not None
    made: list[Innovation] = []
    for n in range(count):
        op = operators[n % len(operators)]
        if n % 4 == 0:  # on a Jakarta day boundary: 17.00 UTC, or the microsecond before it
            day = start + timedelta(days=rng.randrange(28))
            when = day.replace(hour=17, minute=0, second=0) - timedelta(microseconds=n % 8 // 4)
        else:
            when = start + timedelta(seconds=rng.randrange(28 * 86400))
        ctx = Context(actor=op, now=when - timedelta(hours=1))
        title = f"{TITLES[n % len(TITLES)]} {n // len(TITLES)}" if n % 3 else TITLES[n % 10]
        i = Innovation.propose(
            ctx,
            uuid4(),
            call=call,
            organisation_id=op.organisation_id,
            submitter_kind="opd",
            profile=complete_profile(title),
        )
        for no in MANDATORY:
            doc = document(DocumentKind.SK if no == 1 else DocumentKind.REPORT, indicator=no)
            i.attach_document(ctx, doc, rubric)
            level = rng.choice((1, 2, 3))
            i.claim_indicator(ctx, rubric, no=no, level=level, evidence=[doc.doc_id])
        fate = rng.random()
        if fate < 0.08:  # stays a draft: never in the queue
            made.append(i)
            continue
        i.submit(Context(actor=op, now=when), call, rubric)
        assigned = when + timedelta(hours=rng.randrange(1, 200))
        later = Context(actor=world.admin, now=assigned)
        review = Context(actor=world.reviewer, now=assigned)
        if fate < 0.55:
            i.assign_reviewer(
                later,
                reviewer_id=reviewer_id,
                reviewer_organisation_id=world.bappeda_id,
                reviewer_name="Rev Satu",
            )
            if fate < 0.25:
                i.request_revision(
                    review, note="Lengkapi", items=[RevisionItem(kind="field", key="goals")]
                )
                if fate < 0.18:
                    back = Context(actor=op, now=assigned + timedelta(hours=rng.randrange(200)))
                    i.resubmit(back, call, rubric, note="Sudah")
            elif fate < 0.4:
                i.score(review, rubric, world.verdicts(rng.choice((1, 2, 3))))
        made.append(i)
    for part in range(0, len(made), 50):
        c.store.save(*made[part : part + 50])
    return [i.id for i in made]


def expected_queue(
    rows: list[dict[str, Any]], principal: Principal, sla_days: int, now: datetime, **f: Any
) -> tuple[list[tuple[str, int, str, str | None]], dict[str, int]]:
    """The queue as computed before it moved to SQL: every row in Python, sorted by Python's
    keys. Returns (id, age, state, sla due) in order, and the counts by SLA state."""
    today = now.astimezone(JAKARTA).date()
    wanted = f.get("status") or [s.value for s in queries.common.QUEUE_STATUSES]
    items = []
    for r in rows:
        if r["status"] not in wanted:
            continue
        if principal.role == Role.REVIEWER and r["organisation_id"] == str(
            principal.organisation_id
        ):
            continue
        if f.get("reviewer") == "none" and r["reviewers"] != "[]":
            continue
        if f.get("reviewer") == "me" and str(principal.account_id) not in r["reviewers"]:
            continue
        if f.get("kind") and r["call_kind"] != f["kind"]:
            continue
        since = queries.common.jakarta_date(r["waiting_since"])
        age = working_days(since, today) if since else 0
        state = "breached" if age > sla_days else "due" if age == sla_days else "ok"
        due = add_working_days(since, sla_days).isoformat() if since else None
        title = r["title"] or ""
        keys = {
            "age": queries.common.jakarta(r["waiting_since"]) or "",
            "score": r["claimed_score"] or 0,
            "completeness": r["completeness"] or 0,
            "submitted": queries.common.jakarta(r["submitted_at"]) or "",
            "organisation": (r["organisation_name"] or "").lower(),
            "title": title.lower(),
        }
        items.append((r["id"], age, state, due, keys))
    counts = Counter(i[2] for i in items)
    if f.get("sla"):
        items = [i for i in items if i[2] == f["sla"]]
    sort = f.get("sort", "age")
    items.sort(key=lambda i: (i[4][sort], i[0]), reverse=f.get("descending", False))
    return [i[:4] for i in items], {s: counts.get(s, 0) for s in queries.queue.SLA_STATES}


def _principal(actor: Actor, username: str) -> Principal:
    assert actor.account_id is not None
    return Principal(
        account_id=actor.account_id,
        username=username,
        role=actor.role,
        organisation_id=actor.organisation_id,
    )


@pytest.fixture
def seeded(settings: Settings, store: EventStore) -> tuple[World, list[UUID]]:
    world = World(Commands(store), now=BASE)
    ids = seed_queue(world, 90, random.Random(11))
    catch_up(settings, store)
    return world, ids


def test_sla_ranges_follow_the_rule_day_by_day() -> None:
    """Every waiting-since date falls in the range of the state the rule gives its age."""
    for offset in range(21):
        today = date(2025, 6, 2) + timedelta(days=offset)
        for sla_days in (-1, 0, 1, 2, 3, 5, 10):
            ranges = queries.queue.sla_ranges(today, sla_days)
            for back in range(-5, 40):
                day = today - timedelta(days=back)
                rule = queries.queue.sla_state(working_days(day, today), sla_days)
                inside = [
                    s
                    for s, (first, end) in ranges.items()
                    if (first is None or day >= first) and (end is None or day < end)
                ]
                assert inside == [rule], (today, sla_days, day)
            # Rows without a waiting-since date have age 0: the state of today.
            assert ranges[queries.queue.sla_state(0, sla_days)][1] is None


def test_review_queue_pages_sorts_filters_and_counts_like_python(
    settings: Settings, seeded: tuple[World, list[UUID]]
) -> None:
    world, _ = seeded
    db = Target(settings).database()
    try:
        rows = db.rows(
            "SELECT i.*, o.name AS organisation_name FROM rm_innovations i "
            "LEFT JOIN rm_organisations o ON o.id = i.organisation_id"
        )
        reviewer = _principal(world.reviewer, "rev.satu")
        conflicted = _principal(world.conflicted_reviewer, "rev.dukcapil")
        admin = _principal(world.admin, "admin")
        seen_states: Counter[str] = Counter()
        cases: list[tuple[Principal, dict[str, Any]]] = [
            (admin, {"sort": sort, "descending": desc})
            for sort in queries.queue.QUEUE_SORTS
            for desc in (False, True)
        ]
        cases += [(admin, {"sla": sla}) for sla in queries.queue.SLA_STATES]
        cases += [
            (reviewer, {"reviewer": "me", "sort": "title"}),
            (reviewer, {"reviewer": "none", "sla": "breached", "descending": True}),
            (conflicted, {"status": ["under_review", "resubmitted"], "sort": "organisation"}),
            (admin, {"status": ["scored"], "kind": "annual", "sort": "score"}),
        ]
        for now in NOWS:
            for sla_days in SLA_DAYS:
                for principal, filters in cases:
                    order, counts = expected_queue(rows, principal, sla_days, now, **filters)
                    seen_states.update(s for s, n in counts.items() if n)
                    for limit, offset in ((200, 0), (7, 0), (7, 14), (5, len(order) - 3)):
                        spy = Spy(db)
                        queue = queries.queue.review_queue(
                            spy,
                            principal,
                            sla_working_days=sla_days,
                            now=now,
                            limit=limit,
                            offset=max(offset, 0),
                            **filters,
                        )
                        page = order[max(offset, 0) : max(offset, 0) + limit]
                        got = [
                            (str(i.id), i.age_working_days, i.sla_state, i.sla_due)
                            for i in queue.items
                        ]
                        assert got == page, (now, sla_days, filters, limit, offset)
                        assert queue.total == len(order)
                        assert queue.counts == counts
                        # Only the counts' one row and the page's rows reach Python.
                        assert max(spy.returned) <= max(limit, 1), spy.returned
        assert set(seen_states) == set(queries.queue.SLA_STATES)  # the set exercises every state
        assert any(r["organisation_name"] == "Ünit Ölçme" for r in rows)
    finally:
        db.close()


def test_review_queue_item_fields(settings: Settings, seeded: tuple[World, list[UUID]]) -> None:
    world, _ = seeded
    db = Target(settings).database()
    try:
        admin = _principal(world.admin, "admin")
        queue = queries.queue.review_queue(db, admin, sla_working_days=5, now=NOWS[4], limit=200)
        assert queue.items and queue.sla_working_days == 5
        by_id = {
            r["id"]: r
            for r in db.rows(
                "SELECT i.*, o.name AS organisation_name, k.title AS call_title "
                "FROM rm_innovations i LEFT JOIN rm_organisations o ON o.id = i.organisation_id "
                "LEFT JOIN rm_calls k ON k.id = i.call_id"
            )
        }
        for item in queue.items:
            r = by_id[str(item.id)]
            assert item.title == r["title"]
            assert item.organisation_name == r["organisation_name"]
            assert item.call_title == r["call_title"] == "Inovasi Daerah 2025"
            assert item.claimed_score == r["claimed_score"]
            assert item.revision_round == r["revision_round"]
            assert item.waiting_since == queries.common.jakarta(r["waiting_since"])
            assert item.submitted_at == queries.common.jakarta(r["submitted_at"])
            assert item.version == r["version"]
            assert [x["id"] for x in item.reviewers] == [
                x["id"] for x in queries.common.decode_json(r["reviewers"])
            ]
    finally:
        db.close()


def test_search_counts_and_pages_many_matches_in_sql(settings: Settings, store: EventStore) -> None:
    """A word most innovations share: ``total`` counts them all, pages cover them in order
    (newest change first), and only the page's rows reach Python."""
    world = World(Commands(store), now=BASE)
    c = world.commands
    rng = random.Random(5)
    call = c.call(world.call_id)
    made = []
    for n in range(130):
        op = world.operator if n % 3 else world.other_operator
        ctx = Context(actor=op, now=BASE - timedelta(minutes=rng.randrange(5000)))
        title = f"Layanan Desa Terpadu {n}" if n % 5 else f"Posyandu Remaja {n}"
        made.append(
            Innovation.propose(
                ctx,
                uuid4(),
                call=call,
                organisation_id=op.organisation_id,
                submitter_kind="opd",
                profile=complete_profile(title),
            )
        )
    c.store.save(*made)
    catch_up(settings, store)
    db = Target(settings).database()
    try:
        rows = db.rows("SELECT id, title, organisation_id, updated_at FROM rm_innovations")
        for principal, scope in (
            (_principal(world.admin, "admin"), lambda r: True),
            (
                _principal(world.operator, "op.dukcapil"),
                lambda r: r["organisation_id"] == str(world.opd_id),
            ),
        ):
            for q, words in (("layanan desa", ("layanan", "desa")), ("posyan", ("posyan",))):
                matching = [
                    r
                    for r in rows
                    if scope(r)
                    and all(any(w.startswith(x) for w in r["title"].lower().split()) for x in words)
                ]
                # updated_at DESC, then id: the list's order.
                matching.sort(key=lambda r: r["id"])
                matching.sort(key=lambda r: r["updated_at"], reverse=True)
                expected = [UUID(r["id"]) for r in matching]
                assert len(expected) >= 8
                found: list[UUID] = []
                for offset in range(0, len(expected) + 7, 7):
                    spy = Spy(db)
                    page = queries.innovations.list_innovations(
                        spy, principal, q=q, limit=7, offset=offset
                    )
                    assert page.total == len(expected)
                    assert max(spy.returned) <= 7
                    found += [i.id for i in page.items]
                assert found == expected, (principal.username, q)
        admin = _principal(world.admin, "admin")
        assert queries.innovations.list_innovations(db, admin, q="tidakada").total == 0
        filtered = queries.innovations.list_innovations(
            db, admin, q="desa", organisation=world.other_opd_id
        )
        assert filtered.total == sum(
            1
            for r in rows
            if r["organisation_id"] == str(world.other_opd_id) and "Desa" in r["title"]
        )
    finally:
        db.close()


# --- public catalogue -------------------------------------------------------------------------

#: (title, goals) of the catalogue set. Every body also holds the factory profile's narrative
#: (``warga``, ``antrean``, ``layanan`` …). Every fourth title gets its serial appended; the
#: others are identical documents, so their ranks tie and the publication time, then the id,
#: decide.
CATALOGUE_TEMPLATES = (
    ("Layanan Desa Terpadu", "Layanan desa bagi warga."),
    ("Posyandu Remaja", "Layanan kesehatan remaja di desa."),
    ("Café Literasi Desa", "Ruang baca warga."),
    ("Sistem Antrean Puskesmas", "Antrean daring; layanan lebih cepat."),
    ("Layanan Keliling Layanan", "Mobil keliling ke desa."),
    ("Bank Sampah", "Sampah jadi tabungan."),
)
CATALOGUE_QUERIES = (
    "layanan",
    "layanan desa",
    "Desa",
    "warga",  # every document
    "cafe",  # folded: matches "Café"
    "Café lit",
    "lay",  # a prefix
    "antrean puskesmas",
    "sampah tabungan",
    "tidakada",
    "!!!",  # no words: the catalogue's own order
    None,
)


def _search_words(text: str) -> set[str]:
    from projections.text import fold, words

    return set(words(fold(text)))


def seed_catalogue(world: World, rng: random.Random) -> dict[UUID, dict[str, Any]]:
    """110 innovations over two organisations, two kinds and three themes: published at six
    moments (so publication times tie), approved and waiting to be published, approved only,
    in review, or drafts. Returns each one's searchable words and filtered fields."""
    c = world.commands
    call = c.call(world.call_id)
    rubric = load_rubric(call.rubric_year)
    review = BASE - timedelta(days=15)
    reviewer = Context(actor=world.reviewer, now=review)
    admin = Context(actor=world.admin, now=review)
    reviewer_id = world.reviewer.account_id
    assert reviewer_id is not None
    themes = (Theme.DIGITALISASI_LAYANAN, Theme.NON_TEMATIK, Theme.PENANGGULANGAN_KEMISKINAN)
    made: dict[UUID, dict[str, Any]] = {}
    for n in range(110):
        op = world.operator if n % 3 else world.other_operator
        title, goals = CATALOGUE_TEMPLATES[n % len(CATALOGUE_TEMPLATES)]
        if n % 4 == 0:
            title = f"{title} {n}"
        profile = msgspec.structs.replace(
            complete_profile(title),
            goals=goals,
            kind=InnovationKind.DIGITAL if n % 2 else InnovationKind.NON_DIGITAL,
            theme=themes[n % 3],
        )
        body = [
            urusan.text(profile.urusan, profile.urusan_unmatched),
            profile.initiator_name,
            goals,
            profile.benefits,
            profile.results,
        ]
        body += list(msgspec.structs.astuple(profile.design))
        ctx = Context(actor=op, now=BASE - timedelta(days=20, minutes=n))
        i = Innovation.propose(
            ctx,
            uuid4(),
            call=call,
            organisation_id=op.organisation_id,
            submitter_kind="opd",
            profile=profile,
        )
        for no in MANDATORY:
            doc = document(DocumentKind.SK if no == 1 else DocumentKind.REPORT, indicator=no)
            i.attach_document(ctx, doc, rubric)
            i.claim_indicator(ctx, rubric, no=no, level=3, evidence=[doc.doc_id])
        fate = rng.random()
        if fate > 0.1:
            i.submit(Context(actor=op, now=BASE - timedelta(days=19)), call, rubric)
        if fate > 0.2:
            i.assign_reviewer(
                admin,
                reviewer_id=reviewer_id,
                reviewer_organisation_id=world.bappeda_id,
                reviewer_name="Rev Satu",
            )
            i.score(reviewer, rubric, world.verdicts(rng.choice((1, 2, 3))))
            i.approve(admin, rubric)
        made[i.id] = {
            "aggregate": i,
            "title": _search_words(title),
            "body": _search_words(" ".join(body)),
            "organisation_id": str(op.organisation_id),
            "kind": str(profile.kind),
            "theme": str(profile.theme),
            # Approved ones are published, some now, some in a later batch.
            "publish_at": BASE - timedelta(days=10, hours=rng.randrange(6)) if fate > 0.3 else None,
            "published_at": None,
        }
    publish(world, made, lambda n: n % 2 == 0)
    return made


def publish(world: World, made: dict[UUID, dict[str, Any]], which: Any) -> None:
    """Publish the ``which(n)``-th of the innovations still waiting, at their publication time,
    and save every innovation touched since the last save."""
    waiting = [r for r in made.values() if r["publish_at"] and r["published_at"] is None]
    for n, row in enumerate(waiting):
        if which(n):
            row["aggregate"].publish(Context(actor=world.admin, now=row["publish_at"]))
            row["published_at"] = row["publish_at"]
    world.commands.store.save(*(r["aggregate"] for r in made.values()))


def _relevance(db: Database, doc_no: int, words: list[str]) -> float:
    """One document's rank for the query, asked of the search index for that document alone
    (as the catalogue did row by row before): ts_rank on PostgreSQL, bm25 negated on SQLite."""
    from projections.text import fts5_query, pg_tsquery

    if db.dialect == "postgres":
        sql = (
            "SELECT ts_rank(document, to_tsquery('simple', ?)) FROM rm_catalogue_fts "
            "WHERE doc_no = ?"
        )
        return float(db.scalar(sql, [pg_tsquery(words), doc_no]))
    sql = (
        "SELECT bm25(rm_catalogue_fts, 10.0, 1.0) * -1 FROM rm_catalogue_fts "
        "WHERE rm_catalogue_fts MATCH ? AND rowid = ?"
    )
    return float(db.scalar(sql, [fts5_query(words), doc_no]))


def expected_catalogue(
    db: Database, made: dict[UUID, dict[str, Any]], q: str | None, **f: Any
) -> list[tuple[UUID, float, datetime]]:
    """The public catalogue computed in Python: published innovations that pass the filters and
    hold every query word as the prefix of a title or body word; with words, by relevance (each
    document's rank asked of the index alone), then latest published, then id. Returns (id,
    rank, published_at) in order."""
    from projections.text import terms

    doc_nos = {r["id"]: r["doc_no"] for r in db.rows("SELECT id, doc_no FROM rm_catalogue")}
    words = terms(q) if q else []
    wanted = {
        "organisation_id": str(f["organisation"]) if "organisation" in f else None,
        "kind": f.get("kind"),
        "theme": f.get("theme"),
    }
    found = []
    for iid, row in made.items():
        if row["published_at"] is None:
            continue
        if any(value is not None and row[key] != value for key, value in wanted.items()):
            continue
        if f.get("year", 2025) != 2025 or f.get("call_kind", "annual") != "annual":
            continue
        vocabulary = row["title"] | row["body"]
        if not all(any(w.startswith(x) for w in vocabulary) for x in words):
            continue
        rank = _relevance(db, doc_nos[str(iid)], words) if words else 0.0
        found.append((iid, rank, row["published_at"]))
    found.sort(key=lambda r: str(r[0]))  # id ascending breaks the remaining ties
    found.sort(key=lambda r: (r[1], r[2]), reverse=True)  # best rank, then latest publication
    return found


def test_public_catalogue_ranks_counts_and_pages_like_python(
    settings: Settings, store: EventStore
) -> None:
    """Totals, order (relevance, then publication time, then id) and pages of the public
    catalogue search over a generated set, against the same search computed in Python; only
    the page's rows reach Python. Half the published innovations are published after the search
    index holds them (PostgreSQL's index rows carry the publication time)."""
    world = World(Commands(store), now=BASE)
    made = seed_catalogue(world, random.Random(7))
    catch_up(settings, store)
    publish(world, made, lambda n: True)  # the rest, after they were indexed
    catch_up(settings, store)
    assert_equal_to_rebuild(settings, store)
    db = Target(settings).database()
    try:
        published = [r for r in made.values() if r["published_at"] is not None]
        assert 50 < len(published) < len(made)
        filters: list[dict[str, Any]] = [
            {},
            {"organisation": world.other_opd_id},
            {"kind": "digital", "theme": "non_tematik"},
            {"year": 2025, "call_kind": "annual"},
            {"year": 2024},
        ]
        ties = Counter[str]()
        for q in CATALOGUE_QUERIES:
            for f in filters:
                expected = expected_catalogue(db, made, q, **f)
                for a, b in zip(expected, expected[1:], strict=False):
                    ties["rank"] += a[1] > b[1]
                    ties["published"] += a[1] == b[1] and a[2] > b[2]
                    ties["id"] += a[1:] == b[1:]
                order = [e[0] for e in expected]
                for limit in (7, 100):
                    found: list[UUID] = []
                    for offset in range(0, len(order) + limit, limit):
                        spy = Spy(db)
                        page = queries.catalogue.public_catalogue(
                            spy, q=q, limit=limit, offset=offset, **f
                        )
                        assert page.total == len(order), (q, f, limit, offset)
                        assert (page.limit, page.offset) == (limit, offset)
                        assert max(spy.returned) <= limit, spy.returned
                        found += [i.id for i in page.items]
                    assert found == order, (q, f, limit)
                beyond = queries.catalogue.public_catalogue(db, q=q, offset=len(order) + 3, **f)
                assert (beyond.items, beyond.total) == ([], len(order))
        # Each key of the order decides somewhere: the rank, the publication time, the id.
        assert min(ties.values()) > 0, ties
        # A title match outranks a match in the body only.
        for q in ("layanan", "desa", "antrean"):
            titled = [made[e[0]]["title"] for e in expected_catalogue(db, made, q)]
            hits = [any(w.startswith(q) for w in t) for t in titled]
            assert any(hits) and not all(hits) and hits == sorted(hits, reverse=True), q
        assert queries.catalogue.public_catalogue(db, q="warga").total == len(published)
        # The items carry the catalogue row and their organisation's name.
        page = queries.catalogue.public_catalogue(db, q="desa", organisation=world.opd_id, limit=5)
        assert len(page.items) == 5
        for item in page.items:
            assert item.organisation_name == "Dinas Dukcapil"
            assert "desa" in _search_words(item.title) | made[item.id]["body"]
            assert item.published_at is not None
            assert datetime.fromisoformat(item.published_at) == made[item.id]["published_at"]
            assert (item.kind, item.theme) == (made[item.id]["kind"], made[item.id]["theme"])
    finally:
        db.close()

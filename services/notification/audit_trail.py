"""Daily signed digests over the audit-trail records, so that tampering with the past shows.

Each Asia/Jakarta day from the first record on gets one digest row:

    records_hash = SHA-256 over the day's records (every column but recorded_at), in log order
    digest       = HMAC-SHA256(SIRISMA_SECRET_KEY, day | count | records_hash | previous digest)

Changing, adding or deleting a record of a sealed day changes that day's ``records_hash``;
rewriting the digest too needs the secret key; deleting a day's digest breaks the chain of the
next day (days are contiguous). ``verify`` recomputes everything and names the first broken day.

The records are derived from the events, so the same run also signs the EVENT CHAIN's day roots
with the server's Ed25519 key (``services.audit.seals``), and ``verify`` (given the event store)
recomputes every link from the stored events and holds them to those signed roots: an event
rewritten by a superuser, link recomputed, fails there even though its record digest still
matches.

A day is sealed only when it is complete: the day is over, the relay has planned past its end
(plus a grace for clocks of concurrent writers) or has caught up with the log, and every audit
task of the day is done. A dead audit task therefore holds sealing back until an admin retries
it, instead of sealing an incomplete day.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

import msgspec

from services.db import Database, Tx
from services.domain.call import JAKARTA
from services.notification.delivery import Services
from services.notification.outbox import DONE
from services.notification.relay import Tracking
from services.notification.rules import AUDIT
from services.notification.schema import parse_stamp, stamp, utcnow

log = logging.getLogger("sirisma.notification.audit")
GRACE = timedelta(minutes=5)  # events stamped just before midnight may commit just after
GENESIS = ""

_RECORD_COLUMNS = (
    "notification_id, day, originator_id, originator_version, topic, actor_id, actor_role, "
    "actor_name, occurred_at, correlation_id, summary, changes"
)


def _record_line(row: tuple[Any, ...]) -> bytes:
    return json.dumps(list(row), ensure_ascii=False, separators=(",", ":"), default=str).encode()


def records_hash(rows: Iterable[tuple[Any, ...]]) -> tuple[str, int, int | None, int | None]:
    """(hash, count, first id, last id) of the given records (in notification id order)."""
    h = hashlib.sha256()
    count, first, last = 0, None, None
    for row in rows:
        h.update(_record_line(row))
        h.update(b"\n")
        count += 1
        first = row[0] if first is None else first
        last = row[0]
    return h.hexdigest(), count, first, last


def sign(secret: str, day: str, count: int, rhash: str, previous: str) -> str:
    message = f"{day}|{count}|{rhash}|{previous}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _day_rows(tx: Tx, day: str) -> list[tuple[Any, ...]]:
    return tx.execute(
        f"SELECT {_RECORD_COLUMNS} FROM notification_audit_records WHERE day = ? "
        "ORDER BY notification_id",
        (day,),
    ).fetchall()


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=JAKARTA)


def _complete(tx: Tx, day: date, tracking: dict[str, Any], head: int) -> bool:
    end = _end_of(day)
    caught_up = int(tracking["position"]) >= head
    last = tracking["last_event_at"]
    if not caught_up and (last is None or parse_stamp(last) < end + GRACE):
        return False
    open_tasks = tx.scalar(
        "SELECT COUNT(*) FROM notification_outbox WHERE channel = ? AND state <> ? "
        "AND occurred_at < ?",
        (AUDIT, DONE, stamp(end)),
    )
    return not open_tasks


def seal(rt: Services, now: datetime | None = None) -> list[str]:
    """Seal every complete day not yet sealed, in order; returns the days sealed.

    Then sign the event chain's finished days (their completeness does not wait for the audit
    workers: the roots are computed from the events themselves)."""
    moment = now or utcnow()
    sealed = _seal_records(rt, moment)
    _seal_event_roots(rt, moment)
    return sealed


def _seal_records(rt: Services, moment: datetime) -> list[str]:
    today = moment.astimezone(JAKARTA).date()
    secret = rt.settings.secret_key
    head = rt.store.max_notification_id()
    sealed: list[str] = []
    with rt.db.transaction() as tx:
        tracking = Tracking().read(tx, lock=False)
        last = tx.execute(
            "SELECT day, digest FROM notification_audit_digests ORDER BY day DESC LIMIT 1"
        ).fetchone()
        if last is not None:
            day, previous = date.fromisoformat(last[0]) + timedelta(days=1), last[1]
        else:
            first = tx.scalar("SELECT MIN(day) FROM notification_audit_records")
            if first is None:
                return []
            day, previous = date.fromisoformat(first), GENESIS
        while day < today and _complete(tx, day, tracking, head):
            rhash, count, first_id, last_id = records_hash(_day_rows(tx, day.isoformat()))
            digest = sign(secret, day.isoformat(), count, rhash, previous)
            tx.execute(
                "INSERT INTO notification_audit_digests (day, record_count, "
                "first_notification_id, last_notification_id, records_hash, previous_digest, "
                "digest, sealed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (day) DO NOTHING",
                (day.isoformat(), count, first_id, last_id, rhash, previous, digest, stamp(moment)),
            )
            sealed.append(day.isoformat())
            previous = digest
            day += timedelta(days=1)
    if sealed:
        log.info("sealed audit days %s … %s", sealed[0], sealed[-1])
    return sealed


def _seal_event_roots(rt: Services, moment: datetime) -> None:
    from services.audit.keys import SigningKeyMissing, signer_of
    from services.audit.seals import seal_days

    try:
        signer = signer_of(rt.settings, getattr(rt, "extensions", {}))
    except SigningKeyMissing as exc:
        log.error("event-chain day roots not signed: %s", exc)
        return
    roots = seal_days(rt.store, rt.db, signer, moment)
    if roots:
        log.info("signed event-chain day roots %s … %s", roots[0].day, roots[-1].day)


class DigestReport(msgspec.Struct, frozen=True, kw_only=True):
    ok: bool
    days_checked: int
    records_checked: int
    first_broken_day: str | None = None
    problem: str | None = None
    last_sealed_day: str | None = None
    unsealed_records: int = 0
    event_roots: Any = None  # services.audit.integrity.SealReport, when the store was given


def verify(db: Database, secret: str, store: Any = None) -> DigestReport:
    """Recompute the chain; the first day whose records, digest or link do not match fails.

    With ``store``, the event chain is recomputed from the stored events and held to the signed
    day roots too (``event_roots``); a difference there fails the report.
    """
    report = _verify_records(db, secret)
    if store is None:
        return report
    from services.audit.integrity import verify_store
    from services.audit.keys import SigningKeyMissing, load_signer
    from services.audit.seals import live_inputs, trusted_keys

    try:
        signer = load_signer(store.settings)
    except SigningKeyMissing:
        signer = None
    live = verify_store(store, seals=live_inputs(db, trusted_keys(store, signer)))
    roots = live.seals
    if roots is None or roots.ok:
        return msgspec.structs.replace(report, event_roots=roots)
    return msgspec.structs.replace(
        report,
        ok=False,
        first_broken_day=report.first_broken_day
        or (roots.first_break.day if roots.first_break else None),
        problem=report.problem or roots.message,
        event_roots=roots,
    )


def _verify_records(db: Database, secret: str) -> DigestReport:
    with db.transaction() as tx:
        digests = tx.rows(
            "SELECT day, record_count, records_hash, previous_digest, digest "
            "FROM notification_audit_digests ORDER BY day"
        )
        first_record_day = tx.scalar("SELECT MIN(day) FROM notification_audit_records")
        checked_records = 0
        previous = GENESIS
        expected_day: date | None = None

        def broken(day: str, problem: str, n: int) -> DigestReport:
            return DigestReport(
                ok=False,
                days_checked=n,
                records_checked=checked_records,
                first_broken_day=day,
                problem=problem,
                last_sealed_day=digests[-1]["day"] if digests else None,
            )

        if digests and first_record_day is not None and first_record_day < digests[0]["day"]:
            return broken(first_record_day, "ada catatan sebelum hari pertama yang disegel", 0)
        for n, d in enumerate(digests):
            day = date.fromisoformat(d["day"])
            if expected_day is not None and day != expected_day:
                return broken(expected_day.isoformat(), "digest hari ini hilang dari rantai", n)
            if d["previous_digest"] != previous:
                return broken(d["day"], "tautan ke digest hari sebelumnya tidak cocok", n)
            rhash, count, _, _ = records_hash(_day_rows(tx, d["day"]))
            checked_records += count
            if count != d["record_count"] or rhash != d["records_hash"]:
                return broken(
                    d["day"],
                    f"catatan hari ini berubah ({d['record_count']} disegel, {count} sekarang)",
                    n,
                )
            expected = sign(secret, d["day"], count, rhash, previous)
            if not hmac.compare_digest(expected, d["digest"]):
                return broken(d["day"], "tanda tangan (HMAC) digest tidak sah", n)
            previous = d["digest"]
            expected_day = day + timedelta(days=1)
        last_day = digests[-1]["day"] if digests else None
        unsealed = tx.scalar(
            "SELECT COUNT(*) FROM notification_audit_records WHERE day > ?", (last_day or "",)
        )
    return DigestReport(
        ok=True,
        days_checked=len(digests),
        records_checked=checked_records,
        last_sealed_day=last_day,
        unsealed_records=int(unsealed or 0),
    )

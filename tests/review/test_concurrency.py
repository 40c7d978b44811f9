"""Reviewers acting on one item at the same moment: one wins, the other gets 409 with the
current version; no event is lost or duplicated (real PostgreSQL, real threads)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import UUID

from services.domain.events import Approved as ApprovedEvent
from services.domain.events import DocumentVerified, Recommended, Rejected
from tests.review.conftest import Regency


def at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released together by a barrier (bounded by a timeout)."""
    barrier = threading.Barrier(len(calls), timeout=30)

    def run(call: Callable[[], Any]) -> Any:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(run, call) for call in calls]
        return [f.result(timeout=60) for f in futures]


def new_events(r: Regency, before: int) -> int:
    """Events recorded since ``before`` (notification ids may skip: a refused insert on
    PostgreSQL still consumes its sequence number, so the count is read, not subtracted)."""
    return len(r.runtime.store.notifications(before + 1, 10_000))


def two_reviewers(r: Regency, title: str) -> UUID:
    iid = r.walk(6, title, "under_review", reviewer="rev.satu")
    second = r.reviewers["rev.dua"].account_id
    assert second is not None
    r.commands.assign_reviewer(r.ctx(r.admin), iid, second)
    r.auth("rev.satu"), r.auth("rev.dua"), r.auth("admin")  # log in before the race
    return iid


def test_same_version_one_wins_the_other_gets_409(regency: Regency) -> None:
    r = regency
    for round_no in range(5):
        iid = two_reviewers(r, f"Balapan Verifikasi {round_no}")
        innovation = r.commands.innovation(iid)
        version = innovation.version
        docs = [str(d) for d in innovation.documents]
        before = r.max_notification_id()
        responses = at_once(
            [
                lambda who=who, doc=doc, iid=iid, version=version: r.post(
                    f"/api/innovations/{iid}/documents/{doc}/verify",
                    who,
                    {"accepted": True, "note": f"oleh {who}"},
                    headers={"If-Match": f'"{version}"'},
                )
                for who, doc in (("rev.satu", docs[0]), ("rev.dua", docs[1]))
            ]
        )
        statuses = sorted(x.status_code for x in responses)
        assert statuses == [200, 409], [x.text for x in responses]
        winner = next(x for x in responses if x.status_code == 200)
        loser = next(x for x in responses if x.status_code == 409)
        problem = loser.json()
        assert problem["type"].endswith("stale-version")
        assert problem["current_version"] == version + 1
        assert loser.headers["etag"] == f'"{version + 1}"'
        assert winner.json()["version"] == version + 1
        # Exactly one new event, at the next version: nothing lost, nothing doubled.
        assert new_events(r, before) == 1
        events = r.runtime.store.events(iid, gt=version)
        assert [type(e) for e in events] == [DocumentVerified]
        assert [e.originator_version for e in events] == [version + 1]


def test_without_if_match_every_success_is_one_event(regency: Regency) -> None:
    r = regency
    iid = two_reviewers(r, "Balapan Tanpa If-Match")
    innovation = r.commands.innovation(iid)
    version = innovation.version
    docs = [str(d) for d in innovation.documents]
    before = r.max_notification_id()
    calls = [
        lambda who=("rev.satu", "rev.dua")[i % 2], doc=docs[i % len(docs)]: r.post(
            f"/api/innovations/{iid}/documents/{doc}/verify", who, {"accepted": True}
        )
        for i in range(8)
    ]
    responses = at_once(calls)
    ok = [x for x in responses if x.status_code == 200]
    failed = [x for x in responses if x.status_code != 200]
    assert ok, "at least one writer must win"
    for x in failed:
        assert x.status_code == 409 and x.json()["type"].endswith("stale-version"), x.text
    events = r.runtime.store.events(iid, gt=version)
    assert len(events) == len(ok) == new_events(r, before)
    assert [e.originator_version for e in events] == list(range(version + 1, version + 1 + len(ok)))
    # Each success is in the log once, under the version it answered with.
    assert sorted(x.json()["version"] for x in ok) == [e.originator_version for e in events]


def test_two_decisions_at_once_only_one_is_recorded(regency: Regency) -> None:
    r = regency
    iid = r.walk(7, "Keputusan Bersamaan", "scored")
    version = r.commands.innovation(iid).version
    before = r.max_notification_id()
    responses = at_once(
        [
            lambda: r.post(f"/api/innovations/{iid}/approve", "admin", {"note": "layak"}),
            lambda: r.post(f"/api/innovations/{iid}/reject", "admin", {"reason": "kurang bukti"}),
            lambda: r.post(
                f"/api/innovations/{iid}/recommend", "rev.satu", {"recommendation": "approve"}
            ),
        ]
    )
    codes = Counter(x.status_code for x in responses)
    assert codes[200] >= 1 and codes[200] + codes[409] == 3, [x.text for x in responses]
    events = r.runtime.store.events(iid, gt=version)
    assert len(events) == codes[200] == new_events(r, before)
    decisions = [e for e in events if isinstance(e, ApprovedEvent | Rejected)]
    assert len(decisions) <= 1  # never approved and rejected both
    assert all(isinstance(e, ApprovedEvent | Rejected | Recommended) for e in events)
    for x in responses:
        if x.status_code == 409:
            assert x.json()["type"].rsplit("/", 1)[-1] in ("stale-version", "illegal-transition")

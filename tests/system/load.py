"""Simulated users for the system test: threads with httpx that log in and work the way staff do.

Operators propose an innovation, attach the five mandatory documents, claim the indicators and
submit; admins assign each submitted innovation to a reviewer and approve what reviewers
recommend; reviewers verify the documents, score and recommend. Work is handed from one role to
the next through in-memory queues (the people talk to each other; the test is about the
services). Each request goes to the service nginx would route it to (``tests/ops/routing.py``).

Faults make requests fail: a failed POST is retried with the same ``Idempotency-Key`` (a 5xx
frees the key; a request cut off in a killed process leaves its key claimed, answered 409
``idempotency-in-progress``, and the user then starts that piece of work afresh). Every 2xx answer
to a command is recorded (innovation id, version, notification id) for the checks afterwards.
"""

from __future__ import annotations

import contextlib
import queue
import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec

from tests.factories import MANDATORY, complete_profile
from tests.ops.routing import NginxRoutes

ATTEMPTS = 12


class GiveUp(Exception):
    """This piece of work is abandoned (refused, outcome unknown, or time is up)."""


@dataclass(frozen=True)
class Accepted:
    """A command the services answered with 2xx."""

    user: str
    command: str
    innovation_id: str
    version: int | None
    notification_id: int


@dataclass
class Ledger:
    """What the users saw, shared by all threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    accepted: list[Accepted] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    refused: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> None:
        with self.lock:
            self.outcomes[outcome] += 1

    def accept(self, item: Accepted) -> None:
        with self.lock:
            self.accepted.append(item)

    def refuse(self, text: str) -> None:
        with self.lock:
            self.refused.append(text)


@dataclass
class Desk:
    """The hand-offs between roles."""

    submitted: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)
    to_review: dict[str, queue.Queue[dict[str, Any]]] = field(default_factory=dict)
    recommended: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)


def pdf(tag: str) -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        + f"% {tag}\n".encode()
        + b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


class User(threading.Thread):
    def __init__(
        self,
        username: str,
        password: str,
        urls: dict[str, str],
        routes: NginxRoutes,
        ledger: Ledger,
        desk: Desk,
        until: float,
    ) -> None:
        super().__init__(name=username, daemon=True)
        self.username = username
        self.password = password
        self.urls = urls
        self.routes = routes
        self.ledger = ledger
        self.desk = desk
        self.until = until
        self.token = ""
        self.client = httpx.Client(timeout=30)
        self.random = random.Random(username)

    # ---- requests ------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return self.urls[self.routes.service_for(path)] + path

    def request(self, method: str, path: str, *, idempotent: bool = False, **kwargs: Any) -> Any:
        """Send, retrying transport errors and 5xx; any other answer is returned."""
        headers = dict(kwargs.pop("headers", {}))
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if idempotent:
            headers["Idempotency-Key"] = uuid.uuid4().hex
        for attempt in range(ATTEMPTS):
            if time.monotonic() > self.until + 30:
                raise GiveUp("time is up")
            try:
                response = self.client.request(method, self.url(path), headers=headers, **kwargs)
            except httpx.TransportError:
                self.ledger.count("transport error")
                time.sleep(min(0.25 * 2**attempt, 3.0))
                continue
            if response.status_code >= 500:
                self.ledger.count("5xx")
                time.sleep(min(0.25 * 2**attempt, 3.0))
                continue
            self.ledger.count(f"{response.status_code // 100}xx")
            return response
        raise GiveUp(f"{method} {path}: no answer after {ATTEMPTS} attempts")

    def command(self, name: str, method: str, path: str, iid: str | None, **kwargs: Any) -> Any:
        """A state-changing request: 2xx is recorded; anything else abandons this work."""
        response = self.request(method, path, idempotent=method == "POST", **kwargs)
        if response.status_code >= 300:
            kind = ""
            with contextlib.suppress(Exception):
                kind = str(response.json().get("type", "")).rsplit("/", 1)[-1]
            self.ledger.refuse(f"{name} {response.status_code} {kind}".strip())
            raise GiveUp(f"{name}: {response.status_code}")
        body = response.json()
        innovation_id = iid or body["id"]
        etag = response.headers.get("etag", "").strip('W/"')
        self.ledger.accept(
            Accepted(
                user=self.username,
                command=name,
                innovation_id=innovation_id,
                version=int(etag) if etag.isdigit() else None,
                notification_id=int(response.headers["x-notification-id"]),
            )
        )
        return body

    def login(self) -> None:
        while time.monotonic() < self.until:
            try:
                response = self.request(
                    "POST", "/api/auth/login",
                    json={"username": self.username, "password": self.password},
                )  # fmt: skip
            except GiveUp:
                continue
            if response.status_code == 200:
                self.token = response.json()["token"]
                self.client.cookies.clear()  # bearer token only: no session cookie, no CSRF
                return
            time.sleep(1)
        raise GiveUp("could not log in")

    # ---- the loop ------------------------------------------------------------------------

    def run(self) -> None:
        try:
            self.login()
            while time.monotonic() < self.until:
                try:
                    if not self.work():
                        time.sleep(0.2)
                except GiveUp:
                    self.ledger.count("abandoned")
        except GiveUp:
            self.ledger.count("abandoned")
        except Exception as exc:  # a bug in the test itself must show
            self.ledger.refuse(f"crashed {self.username}: {exc!r}")
        finally:
            self.client.close()

    def work(self) -> bool:
        raise NotImplementedError


class Operator(User):
    def work(self) -> bool:
        title = f"Inovasi {self.username} {uuid.uuid4().hex[:6]}"
        profile = msgspec.to_builtins(complete_profile(title))
        iid = self.command("propose", "POST", "/api/innovations", None, json={"profile": profile})[
            "id"
        ]
        documents = []
        for no in MANDATORY:
            body = self.command(
                "attach_document", "POST", f"/api/innovations/{iid}/documents", iid,
                data={"kind": "sk" if no == 1 else "report", "indicator": str(no)},
                files={"file": (f"bukti-{no}.pdf", pdf(f"{iid}-{no}"), "application/pdf")},
            )  # fmt: skip
            documents.append(body["document"]["doc_id"])
        for no, doc in zip(MANDATORY, documents, strict=True):
            self.command(
                "claim_indicator", "PUT", f"/api/innovations/{iid}/indicators/{no}", iid,
                json={"level": 3, "evidence": [doc], "note": "bukti terlampir"},
            )  # fmt: skip
        self.command("submit", "POST", f"/api/innovations/{iid}/submit", iid)
        self.desk.submitted.put({"id": iid, "documents": documents})
        return True


class Admin(User):
    reviewers: list[str] = []

    def work(self) -> bool:
        try:
            item = self.desk.recommended.get_nowait()
        except queue.Empty:
            item = None
        if item is not None:
            iid = item["id"]
            self.command(
                "approve", "POST", f"/api/innovations/{iid}/approve", iid, json={"note": "layak"}
            )
            return True
        try:
            item = self.desk.submitted.get(timeout=0.5)
        except queue.Empty:
            return False
        reviewer = self.random.choice(self.reviewers)
        iid = item["id"]
        self.command(
            "assign_reviewer", "POST", f"/api/innovations/{iid}/assign", iid,
            json={"reviewer": reviewer},
        )  # fmt: skip
        self.desk.to_review[reviewer].put(item)
        return True


class Reviewer(User):
    def work(self) -> bool:
        try:
            item = self.desk.to_review[self.username].get(timeout=0.5)
        except queue.Empty:
            return False
        iid = item["id"]
        for doc in item["documents"]:
            self.command(
                "verify_document", "POST", f"/api/innovations/{iid}/documents/{doc}/verify", iid,
                json={"accepted": True, "note": "sesuai"},
            )  # fmt: skip
        self.command(
            "score", "POST", f"/api/innovations/{iid}/score", iid,
            json={"indicators": [{"no": no, "level": 3, "note": "sesuai"} for no in MANDATORY]},
        )  # fmt: skip
        self.command(
            "recommend", "POST", f"/api/innovations/{iid}/recommend", iid,
            json={"recommendation": "approve"},
        )  # fmt: skip
        self.desk.recommended.put(item)
        return True

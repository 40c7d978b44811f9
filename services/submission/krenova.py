"""Krenova self-registration: a citizen (or a group of up to five) creates a participant account.

Anonymous by nature, so the account is recorded as created by itself (the actor is the new
account, role ``participant``): the audit trail shows a self-registration, not an admin grant.
After registering, the participant logs in (``POST /api/auth/login``), proposes an entry with
``POST /api/innovations`` (the open Krenova call is chosen when ``call_id`` is omitted) and submits
it before the deadline.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.params import JSONBody

from services.commands import Duplicate, account_id_for
from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.domain.errors import InvalidValue
from services.http.context import correlation_id, runtime_of
from services.http.security import REGISTRATION_RATE_LIMIT
from services.http.writes import write_headers
from services.identity.passwords import hash_password
from services.submission.common import TAG, problems
from services.submission.schemas import ParticipantRegistration, ParticipantView

# Names a citizen may not take even when free; a taken name (a staff account's or a
# participant's) gets the same answer, so registration never confirms a staff user name.
RESERVED_USERNAMES = frozenset(
    {
        "admin",
        "administrator",
        "root",
        "sistem",
        "system",
        "operator",
        "reviewer",
        "verifikator",
        "auditor",
        "pimpinan",
        "mentor",
        "bappeda",
        "kepala",
        "peserta",
    }
)
UNAVAILABLE = "Nama pengguna ini tidak tersedia. Pilih nama lain."


@post(
    "/api/krenova/participants",
    tags=[TAG, "krenova"],
    summary="Daftar sebagai peserta Krenova",
    status_code=201,
    sync_to_thread=True,
    responses=problems(400, 409, 422, 429),
    middleware=[REGISTRATION_RATE_LIMIT.middleware],
    opt={"anonymous": True},  # services/http/input_guard.py
)
def register_participant(
    request: Request[Any, Any, Any], data: JSONBody[ParticipantRegistration]
) -> Response[ParticipantView]:
    """Name, e-mail, phone, password and up to five group members; then log in to propose.
    At most ``REGISTRATION_RATE`` per hour per address; a reserved or taken name gets one
    answer that neither echoes it nor says whose it is."""
    if data.username in RESERVED_USERNAMES:
        raise Duplicate("username", UNAVAILABLE)
    members = tuple(m.strip() for m in data.members if m.strip())
    if not data.name.strip():
        raise InvalidValue("name", "Nama wajib diisi.")
    if data.password.strip() != data.password or len(set(data.password)) < 4:
        raise InvalidValue(
            "password", "Kata sandi minimal 8 karakter, bervariasi, tanpa spasi di awal/akhir."
        )
    account_id = account_id_for(data.username)
    ctx = Context(
        actor=Actor(account_id=account_id, role=Role.PARTICIPANT),
        correlation_id=correlation_id(request),
    )
    runtime = runtime_of(request)
    try:
        outcome = runtime.commands.create_account(
            ctx,
            username=data.username,
            full_name=data.name,
            email=data.email,
            role=Role.PARTICIPANT,
            organisation_id=None,
            password_hash=hash_password(data.password),
            phone=data.phone,
            members=members,
        )
    except Duplicate:
        raise Duplicate("username", UNAVAILABLE) from None
    headers = write_headers(outcome.version, outcome.notification_id)
    return Response(
        ParticipantView(
            id=outcome.id,
            username=data.username,
            name=data.name.strip(),
            email=data.email.strip(),
            phone=data.phone.strip(),
            members=list(members),
            role=str(Role.PARTICIPANT),
            version=outcome.version,
            notification_id=outcome.notification_id,
        ),
        status_code=201,
        headers=headers,
    )


route_handlers: list[Any] = [register_participant]

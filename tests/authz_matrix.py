"""The authorisation matrix: for every served route, who may call it and who is refused.

``tests/test_authorization_matrix.py`` reads the served OpenAPI document (``/schema/openapi.json``)
and FAILS when a route (method + path template) has no entry in ``MATRIX`` below, or when an
entry names a route that is not served. It then calls every entry once per caller kind against a
seeded world and checks the answer. So: **every new HTTP route gets an entry here, in the
section of its area** (add surgically; keep the sections so concurrent edits do not collide).

Format
------
``MATRIX[(METHOD, "/path/{template}")] = Rule(expect=..., subject=..., body=..., ...)`` where the
path template is spelled exactly as in the OpenAPI document (``{id}``, ``{doc_id}``, …).

``expect`` maps every caller kind to an expected outcome; build it with ``expect(default,
**overrides)`` or a preset. Caller kinds (all accounts are seeded, tokens sent as
``Authorization: Bearer``, so CSRF never applies here):

=====================  ==========================================================================
``admin``              Bappeda Litbang administrator
``reviewer``           Bappeda reviewer, ASSIGNED to the subject innovation (from under_review on)
``reviewer_same_org``  a reviewer who belongs to the submitting organisation (org A): conflict of
                       interest
``operator``           operator of org A, the organisation that owns the subject innovation
``operator_other_org`` operator of org B
``auditor``            Inspektorat auditor
``participant``        a Krenova participant (owner of the ``krenova`` subject only)
``kepala_opd``         the head of org A (kepala OPD): reads org A's work, endorses its drafts
``anonymous``          no credentials
``pimpinan``           leadership (the regent, the Bappeda head): reads the regency as Bappeda
                       does, gives no command (``test_leadership_gives_no_command``)
=====================  ==========================================================================

Outcomes:

``ALLOW``     authorisation let the request through: 2xx, 3xx, or a domain answer that comes
              AFTER the policy (409 stale/illegal transition, 412, 422 rule violation, 428).
              400/413/415 do NOT count as allowed: they mean the entry's ``body`` is invalid, so
              the handler never ran. 401/403/404/405 and 5xx never count.
``DENY``      401, 403 or 404 (use when which one is a detail of the route).
``UNAUTH``    exactly 401 (anonymous caller on a route that needs an account).
``FORBID``    exactly 403 (role may not do this).
``HIDDEN``    exactly 404 (the caller may not even know the record exists: ids do not leak).
``CONFLICT``  403 whose problem ``type`` ends with ``conflict-of-interest`` and whose ``detail``
              says why.

Subjects (``subject=``) name the seeded record that fills the path's main id (``{id}``,
``{innovation_id}``, ``{account_id}``, …):

- an innovation status of org A, e.g. ``"draft"``, ``"submitted"``, ``"under_review"``,
  ``"revision_requested"``, ``"resubmitted"``, ``"scored"``, ``"approved"``, ``"rejected"``,
  ``"established"``, ``"selected_for_iga"``, ``"reported_to_iga"``, ``"withdrawn"``,
  ``"published"`` (established and published). Pick the status in which the command is LEGAL,
  so that "allow" means success rather than a 409. From ``under_review`` on, ``reviewer`` is
  assigned and every document is attached (blobs stored, so downloads work).
- ``"krenova"``: a draft Krenova entry owned by ``participant``.
- ``"account"``: a spare operator account of org A; ``"organisation"``: org A;
  ``"call"``: the open annual call; ``None``: no subject.

For unsafe methods (POST/PUT/PATCH/DELETE) every ALLOWED caller gets a FRESH subject, so one
caller's success never changes what the next one sees; denied callers share one subject.
Unsafe requests on an innovation subject carry ``If-Match: "<version>"`` and a fresh
``Idempotency-Key``.

Other path parameters are filled by name: ``{doc_id}`` → the subject's first live document,
``{no}`` → ``1``, ``{call_id}`` → the open annual call, ``{organisation_id}`` → org A,
``{account_id}`` → the spare account, ``{innovation_id}`` → the subject. Anything else must be
given in ``params``.

``body`` (JSON), ``files`` (multipart: ``{"file": ("a.pdf", b"%PDF-1.4 ...", "application/pdf")}``
plus ``data`` for the form fields), ``query``, ``params`` and ``headers`` are either plain values
or callables ``f(ctx) -> value`` with ``ctx`` a ``tests.test_authorization_matrix.Ctx``:
``ctx.caller`` (kind), ``ctx.subject`` (id string or None), ``ctx.ids`` (dict: ``org_a``,
``org_b``, ``bappeda``, ``call``, ``krenova_call``, ``account`` and one account id per caller
kind), ``ctx.unique`` (fresh hex, for codes/usernames that must not repeat), ``ctx.runtime``,
``ctx.world`` (``tests.factories.World``), ``ctx.documents`` (live document ids of the subject).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ALLOW = "allow"
DENY = "deny"
UNAUTH = "401"
FORBID = "403"
HIDDEN = "404"
CONFLICT = "conflict"
OUTCOMES = frozenset({ALLOW, DENY, UNAUTH, FORBID, HIDDEN, CONFLICT})

KINDS = (
    "admin",
    "reviewer",
    "reviewer_same_org",
    "operator",
    "operator_other_org",
    "auditor",
    "participant",
    "kepala_opd",
    "anonymous",
    "pimpinan",
)

Value = Any  # a plain value or a callable taking the test's Ctx


def expect(default: str, **by_kind: str) -> dict[str, str]:
    """Every caller kind → ``default``, except the ones named."""
    unknown = set(by_kind) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown caller kinds: {sorted(unknown)}")
    return {kind: by_kind.get(kind, default) for kind in KINDS}


@dataclass(frozen=True)
class Rule:
    expect: Mapping[str, str]
    subject: str | None = None
    body: Value = None
    files: Value = None
    data: Value = None
    query: Value = None
    params: Mapping[str, Value] = field(default_factory=dict)
    headers: Value = None
    note: str = ""


# Presets -----------------------------------------------------------------------------------

PUBLIC = expect(ALLOW)
SIGNED_IN = expect(ALLOW, anonymous=UNAUTH)
ADMIN_ONLY = expect(FORBID, admin=ALLOW, anonymous=UNAUTH)
STAFF_READ = expect(FORBID, admin=ALLOW, reviewer=ALLOW, reviewer_same_org=ALLOW, auditor=ALLOW,
                    anonymous=UNAUTH)  # fmt: skip
# The regency-wide reads leadership opens from /pimpinan (dashboards, compliance, SPD, research).
REGENCY_READ = {**STAFF_READ, "pimpinan": ALLOW}


def _unique_org(ctx: Any) -> dict[str, str]:
    return {"kind": "opd", "code": f"ORG-{ctx.unique}", "name": f"Organisasi Uji {ctx.unique}"}


def _unique_account(ctx: Any) -> dict[str, Any]:
    return {
        "username": f"akun.{ctx.unique}",
        "full_name": "Akun Uji",
        "email": f"akun.{ctx.unique}@sragenkab.go.id",
        "role": "operator",
        "organisation_id": ctx.ids["org_a"],
        "password": "kata-sandi-uji-123",
    }


def _login(ctx: Any) -> dict[str, str]:
    return {"username": ctx.ids["login_username"], "password": ctx.ids["login_password"]}


MATRIX: dict[tuple[str, str], Rule] = {}

# --- identity (auth, organisations, accounts) ----------------------------------------------
MATRIX.update(
    {
        ("POST", "/api/auth/login"): Rule(PUBLIC, body=_login),
        ("POST", "/api/auth/logout"): Rule(PUBLIC, note="without a session it is a no-op"),
        ("GET", "/api/me"): Rule(SIGNED_IN),
        ("POST", "/api/organisations"): Rule(ADMIN_ONLY, body=_unique_org),
        ("POST", "/api/accounts"): Rule(ADMIN_ONLY, body=_unique_account),
        ("POST", "/api/accounts/{id}/disable"): Rule(
            ADMIN_ONLY, subject="account", body={"reason": "pindah tugas"}
        ),
        ("POST", "/api/accounts/{id}/enable"): Rule(ADMIN_ONLY, subject="account"),
        ("POST", "/api/accounts/{id}/role"): Rule(
            ADMIN_ONLY, subject="account", body={"role": "reviewer"}
        ),
        ("POST", "/api/accounts/{id}/organisation"): Rule(
            ADMIN_ONLY, subject="account", body=lambda ctx: {"organisation_id": ctx.ids["org_b"]}
        ),
        ("POST", "/api/accounts/{id}/reset-password"): Rule(
            ADMIN_ONLY, subject="account", body={"password": "sandi-baru-uji-456"}
        ),
        # The directory lists (served by services/reads/routes.py from the directory read model).
        ("GET", "/api/accounts"): Rule(ADMIN_ONLY, note="usernames, roles, disabled flags"),
        ("GET", "/api/organisations"): Rule(
            PUBLIC, note="names and codes only: the public catalogue filters by organisation"
        ),
        ("GET", "/api/calls"): Rule(PUBLIC, note="the public sees calls and their countdowns"),
    }
)

# --- submission (innovations, documents, indicators, Krenova) ------------------------------
# Innovation commands go through ``ensure_command`` before anything else: hidden → 404, a role
# the table never allows → 403. An anonymous write is 401 before its body or its id is looked at
# (services/http/input_guard.py), so ids do not leak either way. A 422 (incomplete, deadline)
# comes after the policy and counts as allowed.
SUBMITTER_CMD = expect(
    FORBID, operator=ALLOW, operator_other_org=HIDDEN, participant=HIDDEN, anonymous=UNAUTH
)
# The internal record (and its documents): staff and the owning organisation; a reviewer of the
# owning organisation is conflicted (403 with the reason, as on /review and /verifikasi/{id});
# outsiders get 404 until it is published, then only its public face (tests/submission/
# test_public_view.py).
INNOVATION_VIEW = expect(
    ALLOW,
    reviewer_same_org=CONFLICT,
    operator_other_org=HIDDEN,
    participant=HIDDEN,
    anonymous=HIDDEN,
)
PROPOSERS = expect(
    FORBID, operator=ALLOW, operator_other_org=ALLOW, participant=ALLOW, anonymous=UNAUTH
)
_MATRIX_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _new_call(ctx: Any) -> dict[str, Any]:
    return {
        "kind": "annual",
        "title": f"Panggilan Uji {ctx.unique}",
        "budget_year": 2026,
        "opens_at": "2026-01-02T08:00:00+07:00",
        "deadline": "2026-12-31T23:59:00+07:00",
        "eligible_kinds": ["opd"],
        "rubric_year": 2025,
    }


def _participant(ctx: Any) -> dict[str, Any]:
    return {
        "username": f"peserta.{ctx.unique}",
        "name": "Peserta Uji",
        "email": f"peserta.{ctx.unique}@contoh.id",
        "phone": "081234567890",
        "password": "sandi-peserta-uji",
        "members": ["Anggota Satu"],
    }


MATRIX.update(
    {
        ("POST", "/api/calls"): Rule(ADMIN_ONLY, body=_new_call),
        ("GET", "/api/calls/{id}"): Rule(PUBLIC, subject="call"),
        ("POST", "/api/innovations"): Rule(
            PROPOSERS,
            body={"profile": {"title": "Usulan Uji Matriks"}},
            note="no call_id: the caller's open annual call, or Krenova for a participant",
        ),
        ("GET", "/api/innovations/{id}"): Rule(INNOVATION_VIEW, subject="draft"),
        ("PATCH", "/api/innovations/{id}"): Rule(
            SUBMITTER_CMD, subject="draft", body={"goals": "Tujuan uji matriks"}
        ),
        ("POST", "/api/innovations/{id}/documents"): Rule(
            SUBMITTER_CMD,
            subject="draft",
            files={"file": ("sk.pdf", _MATRIX_PDF, "application/pdf")},
            data={"kind": "sk", "indicator": "1"},
        ),
        ("GET", "/api/innovations/{id}/documents/{doc_id}"): Rule(
            INNOVATION_VIEW, subject="under_review"
        ),
        ("DELETE", "/api/innovations/{id}/documents/{doc_id}"): Rule(
            SUBMITTER_CMD, subject="revision_requested", query={"reason": "salah unggah"}
        ),
        ("POST", "/api/innovations/{id}/documents/{doc_id}/visibility"): Rule(
            expect(
                FORBID,
                operator=ALLOW,
                admin=ALLOW,
                operator_other_org=HIDDEN,
                participant=HIDDEN,
                anonymous=UNAUTH,
            ),
            subject="draft",
            body={"public": True, "reason": "uji matriks"},
        ),
        ("PUT", "/api/innovations/{id}/indicators/{no}"): Rule(
            SUBMITTER_CMD, subject="draft", body={"level": 1, "note": "uji"}
        ),
        ("POST", "/api/innovations/{id}/submit"): Rule(SUBMITTER_CMD, subject="draft"),
        ("POST", "/api/innovations/{id}/withdraw"): Rule(
            SUBMITTER_CMD, subject="draft", body={"reason": "digabung"}
        ),
        ("POST", "/api/innovations/{id}/endorse"): Rule(
            expect(
                FORBID,
                operator=ALLOW,
                kepala_opd=ALLOW,
                operator_other_org=HIDDEN,
                participant=HIDDEN,
                anonymous=UNAUTH,
            ),
            subject="draft",
            body={"note": "layak diajukan"},
            note="the operator without a letter is a 422 (allowed)",
        ),
        # Pendampingan (services/mentoring): the owning organisation, staff and the mentors see
        # it; the rules table says who may give each command (403 before the record decides).
        ("GET", "/api/innovations/{id}/mentoring"): Rule(
            expect(
                ALLOW,
                reviewer_same_org=CONFLICT,
                operator_other_org=HIDDEN,
                participant=HIDDEN,
                anonymous=UNAUTH,
            ),
            subject="draft",
        ),
        ("POST", "/api/innovations/{id}/mentoring/mentors"): Rule(
            expect(
                FORBID,
                admin=ALLOW,
                reviewer_same_org=CONFLICT,
                operator_other_org=HIDDEN,
                participant=HIDDEN,
                anonymous=UNAUTH,
            ),
            subject="draft",
            body=lambda ctx: {"mentor_id": ctx.ids["reviewer"]},
        ),
        ("POST", "/api/innovations/{id}/mentoring/sessions"): Rule(
            expect(
                FORBID,
                admin=ALLOW,
                reviewer_same_org=CONFLICT,
                operator_other_org=HIDDEN,
                participant=HIDDEN,
                anonymous=UNAUTH,
            ),
            subject="draft",
            body={
                "held_on": "2025-01-15",
                "mode": "klinik",
                "attendees": ["Operator"],
                "topics": ["Rancang bangun"],
            },
            note="the reviewer is not this innovation's mentor: 403",
        ),
        ("POST", "/api/innovations/{id}/mentoring/follow-ups/{follow_up_id}/done"): Rule(
            expect(
                FORBID,
                admin=ALLOW,
                operator=ALLOW,
                kepala_opd=ALLOW,
                reviewer_same_org=CONFLICT,
                operator_other_org=HIDDEN,
                participant=HIDDEN,
                anonymous=UNAUTH,
            ),
            subject="draft",
            params={"follow_up_id": "6f1c1f5e-0000-4000-8000-000000000001"},
            body={"note": "selesai"},
            note="an unknown follow-up is a 422 (allowed)",
        ),
        # Monev (services/monev): whoever sees the internal record reads it; Bappeda staff
        # (admin, reviewer) schedule visits and record reports on an established innovation.
        ("GET", "/api/innovations/{id}/monev"): Rule(
            expect(
                ALLOW,
                reviewer_same_org=CONFLICT,
                operator_other_org=HIDDEN,
                participant=HIDDEN,
                anonymous=UNAUTH,
            ),
            subject="established",
        ),
        ("POST", "/api/innovations/{id}/monev/visits"): Rule(
            expect(
                FORBID,
                admin=ALLOW,
                reviewer=ALLOW,
                reviewer_same_org=CONFLICT,
                operator_other_org=HIDDEN,
                participant=HIDDEN,
                anonymous=UNAUTH,
            ),
            subject="established",
            body={"due_on": "2099-01-15", "kind": "kunjungan"},
        ),
        ("POST", "/api/innovations/{id}/monev/reports"): Rule(
            expect(
                FORBID,
                admin=ALLOW,
                reviewer=ALLOW,
                reviewer_same_org=CONFLICT,
                operator_other_org=HIDDEN,
                participant=HIDDEN,
                anonymous=UNAUTH,
            ),
            subject="established",
            body={
                "kind": "internal",
                "reported_on": "2025-01-15",
                "findings": "Layanan berjalan",
                "recommendation": "lanjutkan",
            },
        ),
        ("POST", "/api/innovations/{id}/resubmit"): Rule(
            SUBMITTER_CMD, subject="revision_requested", body={"note": "sudah diperbaiki"}
        ),
        ("POST", "/api/krenova/participants"): Rule(PUBLIC, body=_participant),
    }
)

# --- review (queue, verification, scoring, decisions, IGA) ---------------------------------
# Commands on one innovation go through ``ensure_command``: a caller who may not see the record
# gets 404 (ids do not leak), a role the lifecycle table never allows gets 403, a reviewer of the
# submitting organisation gets 403 conflict-of-interest. Annual subjects answer Krenova commands
# with 422 (a domain answer after the policy: allowed).
REVIEW_ADMIN_CMD = expect(
    FORBID, admin=ALLOW, operator_other_org=HIDDEN, participant=HIDDEN, anonymous=UNAUTH
)
REVIEWER_CMD = expect(
    FORBID,
    reviewer=ALLOW,
    reviewer_same_org=CONFLICT,
    operator_other_org=HIDDEN,
    participant=HIDDEN,
    anonymous=UNAUTH,  # an anonymous write is 401 before anything is looked up
)
REVIEW_STAFF_CMD = {**REVIEWER_CMD, "admin": ALLOW}
REVIEW_VIEW = {**REVIEW_STAFF_CMD, "auditor": ALLOW, "pimpinan": ALLOW, "anonymous": HIDDEN}
STAGE_CMD = {**REVIEW_ADMIN_CMD, "operator": ALLOW}
IGA_READ = expect(FORBID, admin=ALLOW, auditor=ALLOW, anonymous=UNAUTH)
_LEVEL_3 = {"indicators": [{"no": no, "level": 3} for no in (1, 2, 17, 18, 20)]}


def _one(ctx: Any) -> dict[str, Any]:
    return {"innovation_ids": [ctx.subject], "reviewer": "rev.dua"}


def _iga_selection(ctx: Any) -> dict[str, Any]:
    return {"year": 2025, "innovation_ids": [ctx.subject]}


def _report_of(ctx: Any) -> str:
    """The report the subject (reported_to_iga) was filed in; rebuilt from its events."""
    from uuid import UUID

    return str(ctx.runtime.commands.innovation(UUID(ctx.subject)).iga_report_id)


def _krenova_call(ctx: Any) -> str:
    return str(ctx.ids["krenova_call"])


MATRIX.update(
    {
        ("POST", "/api/innovations/{id}/assign"): Rule(
            REVIEW_ADMIN_CMD, subject="submitted", body={"reviewer": "rev.dua"}
        ),
        ("POST", "/api/review/assignments"): Rule(ADMIN_ONLY, subject="submitted", body=_one),
        ("POST", "/api/innovations/{id}/documents/{doc_id}/verify"): Rule(
            REVIEWER_CMD, subject="under_review", body={"accepted": True, "note": "sah"}
        ),
        ("POST", "/api/innovations/{id}/request-revision"): Rule(
            REVIEW_STAFF_CMD,
            subject="under_review",
            body={"note": "Lengkapi SK", "items": [{"kind": "indicator", "key": "1"}]},
        ),
        ("POST", "/api/innovations/{id}/score"): Rule(
            REVIEWER_CMD, subject="under_review", body=_LEVEL_3
        ),
        ("POST", "/api/innovations/{id}/recommend"): Rule(
            REVIEWER_CMD, subject="scored", body={"recommendation": "approve"}
        ),
        ("POST", "/api/innovations/{id}/approve"): Rule(
            REVIEW_ADMIN_CMD, subject="scored", body={"note": "layak"}
        ),
        ("POST", "/api/innovations/{id}/reject"): Rule(
            REVIEW_ADMIN_CMD, subject="scored", body={"reason": "Bukti manfaat belum cukup"}
        ),
        ("POST", "/api/innovations/{id}/establish"): Rule(
            REVIEW_ADMIN_CMD,
            subject="approved",
            body={"sk_number": "188/9/2025", "sk_date": "2025-10-01"},
        ),
        ("POST", "/api/innovations/{id}/publish"): Rule(REVIEW_ADMIN_CMD, subject="established"),
        ("POST", "/api/innovations/{id}/advance-stage"): Rule(
            STAGE_CMD,
            subject="scored",
            body={"to_stage": "penerapan", "on": "2025-06-01"},
            note="the subject is already in penerapan: a 422 after the policy",
        ),
        ("GET", "/api/innovations/{id}/review"): Rule(REVIEW_VIEW, subject="under_review"),
        ("POST", "/api/innovations/{id}/administration"): Rule(
            REVIEW_STAFF_CMD, subject="under_review", body={"passed": True}
        ),
        ("POST", "/api/innovations/{id}/judge"): Rule(
            REVIEWER_CMD,
            subject="under_review",
            body={"scores": [{"key": "kebaharuan", "score": 80}]},
        ),
        ("GET", "/api/krenova/calls/{call_id}/ranking"): Rule(
            STAFF_READ, params={"call_id": _krenova_call}
        ),
        ("POST", "/api/krenova/calls/{call_id}/shortlist"): Rule(
            ADMIN_ONLY, params={"call_id": _krenova_call}, body={"top": 1}
        ),
        ("POST", "/api/krenova/calls/{call_id}/winners"): Rule(
            ADMIN_ONLY,
            subject="krenova",
            params={"call_id": _krenova_call},
            body=lambda ctx: {
                "winners": [{"innovation_id": ctx.subject, "award": "juara", "rank": 1}]
            },
        ),
        ("POST", "/api/iga/reports/preview"): Rule(
            ADMIN_ONLY, subject="approved", body=_iga_selection
        ),
        ("POST", "/api/iga/reports"): Rule(ADMIN_ONLY, subject="approved", body=_iga_selection),
        ("GET", "/api/iga/reports"): Rule(IGA_READ),
        ("GET", "/api/iga/reports/{report_id}"): Rule(
            IGA_READ, subject="reported_to_iga", params={"report_id": _report_of}
        ),
        ("GET", "/api/iga/reports/{report_id}/export.xlsx"): Rule(
            IGA_READ, subject="reported_to_iga", params={"report_id": _report_of}
        ),
        ("GET", "/api/iga/reports/{report_id}/export.csv"): Rule(
            IGA_READ, subject="reported_to_iga", params={"report_id": _report_of}
        ),
        ("GET", "/api/iga/reports/{report_id}/evidence.zip"): Rule(
            IGA_READ, subject="reported_to_iga", params={"report_id": _report_of}
        ),
    }
)

# --- audit (history, state as of, trail, verify) -------------------------------------------
# Auditors and admins read everything; every other role is refused before any record is read.
AUDIT_READ = expect(FORBID, admin=ALLOW, auditor=ALLOW, anonymous=UNAUTH)
MATRIX.update(
    {
        ("GET", "/api/innovations/{id}/history"): Rule(AUDIT_READ, subject="scored"),
        ("GET", "/api/innovations/{id}/state"): Rule(
            AUDIT_READ, subject="scored", query={"version": 1}
        ),
        ("GET", "/api/innovations/{id}/diff"): Rule(
            AUDIT_READ, subject="scored", query={"from": 1}
        ),
        ("GET", "/api/audit/verify"): Rule(AUDIT_READ),
        ("GET", "/api/audit/trail"): Rule(AUDIT_READ, query={"format": "csv"}),
        ("GET", "/api/audit/roots"): Rule(AUDIT_READ),
        ("POST", "/api/audit/checkpoints"): Rule(
            AUDIT_READ, note="a signed checkpoint is derived, not a change of the log"
        ),
        ("GET", "/api/audit/public-key"): Rule(
            PUBLIC, note="verifying needs only the public key, and it cannot sign"
        ),
    }
)

# --- notification (inbox) ------------------------------------------------------------------


def _own_notification(ctx: Any) -> str:
    """A message in the caller's own inbox (anonymous: someone else's; it gets 401 anyway)."""
    from tests.notification.helpers import inbox_item

    return inbox_item(ctx.runtime, ctx.ids.get(ctx.caller) or ctx.ids["admin"])


def _dead_letter(ctx: Any) -> str:
    from tests.notification.helpers import dead_letter

    return dead_letter(ctx.runtime)


def _quarantined(ctx: Any) -> int:
    """An event quarantined for the innovations read model (as the runner records it)."""
    from projections import tracking
    from projections.target import Target
    from services import quarantine

    session = Target(ctx.runtime.settings).connect()
    try:
        with session.transaction() as tx:
            tracking.ensure_schema(tx)
            quarantine.record(tx, "innovations", 1, "t", None, "galat", 5)
    finally:
        session.close()
    return 1


MATRIX.update(
    {
        ("GET", "/api/admin/quarantine"): Rule(ADMIN_ONLY),
        ("POST", "/api/admin/quarantine/{follower}/{notification_id}/retry"): Rule(
            ADMIN_ONLY, params={"follower": "innovations", "notification_id": _quarantined}
        ),
        ("GET", "/api/me/notifications"): Rule(SIGNED_IN),
        ("POST", "/api/me/notifications/{notification_id}/read"): Rule(
            SIGNED_IN, params={"notification_id": _own_notification}
        ),
        ("POST", "/api/me/notifications/read-all"): Rule(SIGNED_IN),
        ("GET", "/api/admin/dead-letters"): Rule(ADMIN_ONLY),
        ("POST", "/api/admin/dead-letters/{dead_letter_id}/retry"): Rule(
            ADMIN_ONLY, params={"dead_letter_id": _dead_letter}
        ),
        ("GET", "/api/admin/notifications/status"): Rule(ADMIN_ONLY),
        ("GET", "/api/audit/digests"): Rule(
            expect(FORBID, admin=ALLOW, auditor=ALLOW, anonymous=UNAUTH)
        ),
    }
)

# --- projections / read models (lists, dashboards, search, catalogue) ----------------------
# Lists never 404: what a caller may see is narrowed by scope (tests/projections/test_routes.py
# checks the scoping itself); the matrix checks who may call at all.
MATRIX.update(
    {
        ("GET", "/api/innovations"): Rule(
            PUBLIC, note="staff all, operators own org, participants own, anonymous published"
        ),
        ("GET", "/api/status-board"): Rule(SIGNED_IN, note="operator: own org; participant: own"),
        ("GET", "/api/review/queue"): Rule(
            expect(
                FORBID,
                admin=ALLOW,
                reviewer=ALLOW,
                reviewer_same_org=ALLOW,
                auditor=ALLOW,
                anonymous=UNAUTH,
            ),
            note="a reviewer's own organisation's items are left out; auditors read it",
        ),
        ("GET", "/api/dashboard/compliance"): Rule(
            expect(ALLOW, participant=FORBID, anonymous=UNAUTH), note="operators: own org row"
        ),
        ("GET", "/api/dashboard/index"): Rule(REGENCY_READ),
        ("GET", "/api/dashboard/index/plan"): Rule(REGENCY_READ),
        ("GET", "/api/public/innovations"): Rule(PUBLIC),
        ("GET", "/api/organisations"): Rule(PUBLIC),
        ("GET", "/api/accounts"): Rule(ADMIN_ONLY),
        ("GET", "/api/calls"): Rule(PUBLIC),
        ("GET", "/metrics"): Rule(PUBLIC, note="Prometheus scrapes without credentials"),
    }
)

# --- leadership (issue 21 item 5: services/reads/leadership_routes.py) ----------------------
# Leadership and Bappeda staff read the summary; the auditor and the organisations do not.
# Every write route is 403 for ``pimpinan`` (``tests/test_authorization_matrix.py``
# ``test_leadership_gives_no_command``), except the caller's own session and inbox.
LEADERSHIP_SELF_SERVICE = frozenset(
    {
        ("POST", "/api/auth/login"),
        ("POST", "/api/auth/logout"),
        ("POST", "/api/krenova/participants"),  # anonymous registration: not a command on data
        ("POST", "/api/me/notifications/{notification_id}/read"),
        ("POST", "/api/me/notifications/read-all"),
    }
)
MATRIX.update(
    {
        ("GET", "/api/leadership/summary"): Rule(
            expect(
                FORBID,
                pimpinan=ALLOW,
                admin=ALLOW,
                reviewer=ALLOW,
                reviewer_same_org=ALLOW,
                anonymous=UNAUTH,
            ),
            query={"year": 2026},
        ),
    }
)

# --- IGA follow-up: urusan reference, ministry verdicts, carry-forward, SPD sheet ----------
MATRIX.update(
    {
        ("GET", "/api/reference/urusan"): Rule(PUBLIC, note="reference data for every form"),
        ("POST", "/api/innovations/{id}/ministry-verdict"): Rule(
            REVIEW_ADMIN_CMD,
            subject="reported_to_iga",
            body={"year": 2025, "verdict": "accepted"},
        ),
        ("POST", "/api/innovations/{id}/carry-forward"): Rule(
            STAGE_CMD,
            subject="reported_to_iga",
            body={},
            note="no 2026 call is open in the matrix world: the allowed callers get 422",
        ),
        ("POST", "/api/iga/verdicts/import"): Rule(
            ADMIN_ONLY,
            subject="reported_to_iga",
            files=lambda ctx: {
                "file": (
                    "keputusan.csv",
                    f"id,keputusan\n{ctx.subject},diterima\n".encode(),
                    "text/csv",
                )
            },
            data={"year": "2025", "mode": "preview"},
        ),
    }
)

SPD_OWNER_CMD = expect(FORBID, admin=ALLOW, operator=ALLOW, anonymous=UNAUTH)
SPD_YEAR = 2026


def _spd_admin(ctx: Any) -> Any:
    from services.domain.aggregate import Context

    return Context(actor=ctx.world.admin)


def _spd_row_of_org_a(ctx: Any) -> str:
    """Row 14 (RIPJ PID) owned by org A, so org A's operator may fill it."""
    from uuid import UUID

    from services.domain.values import SpdValues
    from services.spd.service import SpdCommands

    spd = SpdCommands(ctx.runtime.store)
    sheet = spd.load(SPD_YEAR)
    if sheet is None or sheet.row("14").owner is None:
        spd.fill(
            _spd_admin(ctx),
            SPD_YEAR,
            "14",
            SpdValues(choice="draf"),
            assign=True,
            owner=UUID(ctx.ids["org_a"]),
        )
    return "14"


def _spd_evidence(ctx: Any) -> str:
    """A stored evidence file on row 15, attached by the admin."""
    from uuid import uuid4

    from services.blobs import BlobStore
    from services.domain.values import Document, DocumentKind
    from services.spd.service import SpdCommands

    stored = BlobStore(ctx.runtime.settings.blob_path).put_bytes(_MATRIX_PDF)
    doc = Document(
        doc_id=uuid4(),
        kind=DocumentKind.REPORT,
        name="laporan-haki.pdf",
        content_type="application/pdf",
        size=stored.size,
        sha256=stored.sha256,
        storage_key=stored.key,
    )
    SpdCommands(ctx.runtime.store).attach(_spd_admin(ctx), SPD_YEAR, "15", doc)
    return str(doc.doc_id)


_SPD_ROW = {"year": SPD_YEAR, "no": _spd_row_of_org_a}
MATRIX.update(
    {
        ("GET", "/api/spd/{year}"): Rule(
            expect(ALLOW, participant=FORBID, kepala_opd=FORBID, anonymous=UNAUTH),
            params={"year": SPD_YEAR},
        ),
        ("PUT", "/api/spd/{year}/indicators/{no}"): Rule(
            SPD_OWNER_CMD,
            params=_SPD_ROW,
            body={"values": {"choice": "disepakati"}},
            note="another organisation's operator: the row is not theirs (403)",
        ),
        ("POST", "/api/spd/{year}/indicators/{no}/evidence"): Rule(
            SPD_OWNER_CMD,
            params=_SPD_ROW,
            files={"file": ("ripj.pdf", _MATRIX_PDF, "application/pdf")},
            data={"kind": "perkada"},
        ),
        ("GET", "/api/spd/{year}/indicators/{no}/evidence/{doc_id}"): Rule(
            expect(ALLOW, participant=FORBID, kepala_opd=FORBID, anonymous=UNAUTH),
            params={"year": SPD_YEAR, "no": "15", "doc_id": _spd_evidence},
        ),
        ("POST", "/api/spd/{year}/indicators/{no}/submit"): Rule(
            SPD_OWNER_CMD, params=_SPD_ROW, note="a row without evidence is a 422 (allowed)"
        ),
        ("POST", "/api/spd/{year}/indicators/{no}/verify"): Rule(
            expect(
                FORBID, admin=ALLOW, reviewer=ALLOW, reviewer_same_org=CONFLICT, anonymous=UNAUTH
            ),
            params=_SPD_ROW,
            body={"accepted": True},
            note="row 14 belongs to org A: its own reviewer is refused as a conflict",
        ),
    }
)

# --- riset daerah (services/research/routes.py) ------------------------------------------------

RESEARCH_YEAR = 2026
PROPOSER_CMD = expect(FORBID, admin=ALLOW, operator=ALLOW, operator_other_org=HIDDEN,
                      anonymous=UNAUTH)  # fmt: skip
RESEARCH_ADMIN_CMD = expect(FORBID, admin=ALLOW, anonymous=UNAUTH)
RESEARCH_RECORD = expect(ALLOW, reviewer_same_org=CONFLICT, operator_other_org=HIDDEN,
                         participant=FORBID, anonymous=UNAUTH)  # fmt: skip


def _research_body() -> dict[str, Any]:
    import msgspec

    from tests.research.factories import complete_body

    return {"year": RESEARCH_YEAR, **msgspec.to_builtins(complete_body("Kajian Matriks"))}


def _research(status: str) -> Any:
    """A fresh research proposal of org A driven to ``status`` (reviewer assigned from
    under_review on; ``scored``: under review with the reviewer's score)."""

    def make(ctx: Any) -> str:
        from uuid import UUID

        from services.domain.aggregate import Context
        from services.domain.call import jakarta_date
        from services.domain.research import criteria
        from services.domain.research.values import CriterionScore
        from services.research.service import ResearchCommands
        from tests.research.factories import THEME, complete_body

        w, r = ctx.world, ResearchCommands(ctx.runtime.store)
        admin, op = Context(actor=w.admin), Context(actor=w.operator)
        if r.agenda(RESEARCH_YEAR) is None:
            r.set_theme(admin, RESEARCH_YEAR, THEME)
        pid = r.propose(op, year=RESEARCH_YEAR, body=complete_body("Kajian Matriks")).id
        if status == "draft":
            return str(pid)
        r.submit(op, pid)
        if status == "submitted":
            return str(pid)
        r.assign_reviewer(admin, pid, UUID(ctx.ids["reviewer"]))
        if status == "under_review":
            return str(pid)
        scores = tuple(CriterionScore(key=c.key, score=70) for c in criteria.criteria(2026))
        r.score(Context(actor=w.reviewer), pid, scores)
        if status == "scored":
            return str(pid)
        r.approve(admin, pid)
        if status == "approved":
            return str(pid)
        r.start(op, pid, "swakelola", jakarta_date(ctx.world.now))
        assert status == "executing", status
        return str(pid)

    return {"id": make}


_RESEARCH_OUTPUTS: dict[str, str] = {}  # ctx.unique → the output made with the subject


def _research_output(with_file: bool) -> dict[str, Any]:
    """An executing proposal of org A with one output (``with_file``: its PDF uploaded)."""

    def make(ctx: Any) -> str:
        from uuid import UUID, uuid4

        from services.blobs import BlobStore, blob_store
        from services.domain.aggregate import Context
        from services.domain.research.values import Output, OutputFile, OutputKind
        from services.research.service import ResearchCommands

        pid = UUID(_research("executing")["id"](ctx))
        r, op = ResearchCommands(ctx.runtime.store), Context(actor=ctx.world.operator)
        output = Output(output_id=uuid4(), kind=OutputKind.LAPORAN_AKHIR, title="Laporan akhir")
        r.add_output(op, pid, output)
        if with_file:
            pdf = b"%PDF-1.4\n% laporan " + ctx.unique.encode()
            stored = blob_store(ctx.runtime).put_bytes(pdf)
            file = OutputFile(
                name="laporan.pdf",
                content_type="application/pdf",
                size=stored.size,
                sha256=stored.sha256,
                storage_key=BlobStore.key_for(stored.sha256),
            )
            r.attach_output_file(op, pid, output.output_id, file)
        _RESEARCH_OUTPUTS[ctx.unique] = str(output.output_id)
        return str(pid)

    return {"id": make, "output_id": lambda ctx: _RESEARCH_OUTPUTS[ctx.unique]}


MATRIX.update(
    {
        ("GET", "/api/research/agenda"): Rule(SIGNED_IN),
        ("PUT", "/api/research/agenda/{year}"): Rule(
            ADMIN_ONLY, params={"year": RESEARCH_YEAR}, body={"title": "Agenda Riset 2026"}
        ),
        ("POST", "/api/research/agenda/{year}/status"): Rule(
            ADMIN_ONLY, params={"year": RESEARCH_YEAR}, body={"status": "disepakati"}
        ),
        ("POST", "/api/research/agenda/{year}/themes/{code}/remove"): Rule(
            ADMIN_ONLY,
            params={"year": RESEARCH_YEAR, "code": "ZZ"},
            body={"reason": "tidak relevan"},
            note="an unknown theme is a 422 (allowed)",
        ),
        ("GET", "/api/research/proposals"): Rule(
            expect(ALLOW, participant=FORBID, anonymous=UNAUTH)
        ),
        ("POST", "/api/research/proposals"): Rule(
            expect(
                FORBID, admin=ALLOW, operator=ALLOW, operator_other_org=ALLOW, anonymous=UNAUTH
            ),  # fmt: skip
            body=lambda ctx: _research_body(),
        ),
        ("GET", "/api/research/proposals/{id}"): Rule(
            expect(
                ALLOW,
                reviewer_same_org=CONFLICT,
                operator_other_org=HIDDEN,
                participant=HIDDEN,
                anonymous=HIDDEN,
            ),  # fmt: skip
            params=_research("draft"),
        ),
        ("PUT", "/api/research/proposals/{id}"): Rule(
            PROPOSER_CMD,
            params=_research("draft"),
            body=lambda ctx: {k: v for k, v in _research_body().items() if k != "year"},
        ),
        ("GET", "/api/research/proposals/{id}/history"): Rule(
            RESEARCH_RECORD, params=_research("draft")
        ),
        ("GET", "/api/research/proposals/{id}/reviews"): Rule(
            RESEARCH_RECORD, params=_research("under_review")
        ),
        ("GET", "/api/research/proposals/{id}/reports"): Rule(
            expect(
                ALLOW,
                reviewer_same_org=CONFLICT,
                operator_other_org=HIDDEN,
                participant=HIDDEN,
                anonymous=HIDDEN,
            ),  # fmt: skip
            params=_research("executing"),
        ),
        ("POST", "/api/research/proposals/{id}/submit"): Rule(
            PROPOSER_CMD, params=_research("draft")
        ),
        ("POST", "/api/research/proposals/{id}/withdraw"): Rule(
            PROPOSER_CMD, params=_research("draft"), body={"reason": "digabung"}
        ),
        ("POST", "/api/research/proposals/{id}/assign"): Rule(
            RESEARCH_ADMIN_CMD,
            params=_research("submitted"),
            body=lambda ctx: {"reviewer_id": str(ctx.world.reviewer2.account_id)},
        ),
        ("POST", "/api/research/proposals/{id}/reviews"): Rule(
            expect(FORBID, reviewer=ALLOW, reviewer_same_org=CONFLICT, anonymous=UNAUTH),
            params=_research("under_review"),
            body={"scores": [{"key": "urgensi", "score": 80}]},
            note="incomplete scores are a 422 (allowed)",
        ),
        ("POST", "/api/research/proposals/{id}/request-revision"): Rule(
            expect(
                FORBID, admin=ALLOW, reviewer=ALLOW, reviewer_same_org=CONFLICT, anonymous=UNAUTH
            ),  # fmt: skip
            params=_research("under_review"),
            body={"note": "perjelas metode"},
        ),
        ("POST", "/api/research/proposals/{id}/approve"): Rule(
            RESEARCH_ADMIN_CMD, params=_research("scored"), body={}
        ),
        ("POST", "/api/research/proposals/{id}/reject"): Rule(
            RESEARCH_ADMIN_CMD, params=_research("under_review"), body={"reason": "duplikat"}
        ),
        ("POST", "/api/research/proposals/{id}/start"): Rule(
            PROPOSER_CMD,
            params=_research("approved"),
            body={"mode": "swakelola", "started_on": "2026-03-01"},
        ),
        ("POST", "/api/research/proposals/{id}/reports"): Rule(
            PROPOSER_CMD,
            params=_research("executing"),
            body={"milestone": "Data", "progress": 30, "reported_on": "2026-04-01"},
        ),
        ("POST", "/api/research/proposals/{id}/outputs"): Rule(
            PROPOSER_CMD,
            params=_research("executing"),
            body={"kind": "laporan_akhir", "title": "Laporan akhir"},
        ),
        ("POST", "/api/research/proposals/{id}/complete"): Rule(
            RESEARCH_ADMIN_CMD,
            params=_research("executing"),
            body={},
            note="without a final report: 422 (allowed)",
        ),
        ("POST", "/api/research/proposals/{id}/disseminate"): Rule(
            RESEARCH_ADMIN_CMD,
            params=_research("executing"),
            body={"forum": "Seminar", "held_on": "2026-09-01"},
            note="not completed yet: 409 (allowed)",
        ),
        ("POST", "/api/research/proposals/{id}/follow-ups"): Rule(
            PROPOSER_CMD,
            params=_research("executing"),
            body=lambda ctx: {
                "output_id": ctx.unique[:8] + "-0000-4000-8000-000000000000",
                "recommendation": 0,
                "organisation_id": ctx.ids["org_b"],
                "status": "direncanakan",
            },
            note="not disseminated yet: 409 (allowed)",
        ),
        ("POST", "/api/research/proposals/{id}/innovations"): Rule(
            PROPOSER_CMD,
            params=_research("executing"),
            body=lambda ctx: {"innovation_id": ctx.ids["org_a"], "link": "asal_inovasi"},
            note="an unknown innovation is a 422 (allowed)",
        ),
        ("GET", "/api/research/published"): Rule(PUBLIC),
        ("GET", "/api/research/spd-evidence"): Rule(
            expect(ALLOW, participant=FORBID, anonymous=UNAUTH)
        ),
        ("POST", "/api/research/proposals/{id}/outputs/{output_id}/file"): Rule(
            PROPOSER_CMD,
            params=_research_output(with_file=False),
            files={"file": ("laporan.pdf", b"%PDF-1.4\n% laporan akhir", "application/pdf")},
        ),
        ("GET", "/api/research/proposals/{id}/outputs/{output_id}/file"): Rule(
            expect(
                ALLOW,
                reviewer_same_org=CONFLICT,
                operator_other_org=HIDDEN,
                participant=HIDDEN,
                anonymous=HIDDEN,
            ),  # fmt: skip
            params=_research_output(with_file=True),
            note="a study not yet disseminated: its files only for the team and Bappeda",
        ),
    }
)

# --- care files and moved visits: monev photos, visit reschedule/cancel, session attachments --


def _care_ctx(ctx: Any) -> Any:
    from services.domain.aggregate import Context

    return Context(actor=ctx.world.admin, now=ctx.world.now)


def _care_services(ctx: Any) -> tuple[Any, Any, Any]:
    from uuid import UUID

    from services.mentoring.service import MentoringCommands
    from services.monev.service import MonevCommands

    innovation = ctx.runtime.commands.innovation(UUID(ctx.subject))
    store, commands = ctx.runtime.store, ctx.runtime.commands
    return MonevCommands(store, commands), MentoringCommands(store, commands), innovation


def _care_visit(ctx: Any) -> str:
    """A planned visit on the subject, 30 days ahead."""
    from datetime import timedelta
    from uuid import uuid4

    from services.domain.call import jakarta_date

    monev, _, innovation = _care_services(ctx)
    visit = uuid4()
    monev.schedule_visit(
        _care_ctx(ctx),
        innovation,
        visit_id=visit,
        due_on=jakarta_date(ctx.world.now) + timedelta(days=30),
        kind="kunjungan",
    )
    return str(visit)


def _care_report(ctx: Any) -> str:
    from uuid import uuid4

    from services.domain.call import jakarta_date

    monev, _, innovation = _care_services(ctx)
    report = uuid4()
    monev.record_report(
        _care_ctx(ctx),
        innovation,
        report_id=report,
        kind="internal",
        reported_on=jakarta_date(ctx.world.now),
        findings="Layanan berjalan",
        recommendation="lanjutkan",
    )
    return str(report)


def _care_file(ctx: Any, caption: str) -> Any:
    from uuid import uuid4

    from services.blobs import BlobStore
    from services.domain.events import FileRef
    from tests.images import png

    stored = BlobStore(ctx.runtime.settings.blob_path).put_bytes(png())
    return FileRef(
        id=uuid4(),
        name="foto.png",
        content_type="image/png",
        size=stored.size,
        sha256=stored.sha256,
        storage_key=stored.key,
        caption=caption,
    )


def _care_photo(ctx: Any) -> str:
    from uuid import UUID

    monev, _, innovation = _care_services(ctx)
    photo = _care_file(ctx, "Loket layanan")
    monev.attach_photo(
        _care_ctx(ctx), innovation, photo=photo, keep=lambda: None, visit_id=UUID(_care_visit(ctx))
    )
    return str(photo.id)


def _care_session(ctx: Any) -> str:
    from uuid import uuid4

    from services.domain.call import jakarta_date

    _, mentoring, innovation = _care_services(ctx)
    session = uuid4()
    mentoring.record_session(
        _care_ctx(ctx),
        innovation,
        session_id=session,
        held_on=jakarta_date(ctx.world.now),
        mode="bimtek",
        attendees=["Operator"],
        topics=["Bukti dukung"],
    )
    return str(session)


def _care_attachment(ctx: Any) -> str:
    from uuid import UUID

    _, mentoring, innovation = _care_services(ctx)
    file = _care_file(ctx, "Peserta bimtek")
    mentoring.attach_file(
        _care_ctx(ctx),
        innovation,
        session_id=UUID(_care_session(ctx)),
        file=file,
        keep=lambda: None,
    )
    return str(file.id)


_MONEV_STAFF_CMD = expect(
    FORBID,
    admin=ALLOW,
    reviewer=ALLOW,
    reviewer_same_org=CONFLICT,
    operator_other_org=HIDDEN,
    participant=HIDDEN,
    anonymous=UNAUTH,
)
_CARE_READ = expect(
    ALLOW,
    reviewer_same_org=CONFLICT,
    operator_other_org=HIDDEN,
    participant=HIDDEN,
    anonymous=UNAUTH,
)


def _photo_files(ctx: Any) -> dict[str, Any]:
    from tests.images import png

    return {"file": ("foto.png", png(), "image/png")}


MATRIX.update(
    {
        ("POST", "/api/innovations/{id}/monev/visits/{visit_id}/reschedule"): Rule(
            _MONEV_STAFF_CMD,
            subject="established",
            params={"visit_id": _care_visit},
            body={"due_on": "2099-02-01", "reason": "Bentrok jadwal"},
        ),
        ("POST", "/api/innovations/{id}/monev/visits/{visit_id}/cancel"): Rule(
            _MONEV_STAFF_CMD,
            subject="established",
            params={"visit_id": _care_visit},
            body={"reason": "Digabung dengan rapat evaluasi"},
        ),
        ("POST", "/api/innovations/{id}/monev/visits/{visit_id}/photos"): Rule(
            _MONEV_STAFF_CMD,
            subject="established",
            params={"visit_id": _care_visit},
            files=_photo_files,
            data={"caption": "Loket layanan saat kunjungan"},
        ),
        ("POST", "/api/innovations/{id}/monev/reports/{report_id}/photos"): Rule(
            _MONEV_STAFF_CMD,
            subject="established",
            params={"report_id": _care_report},
            files=_photo_files,
            data={"caption": "Papan capaian layanan"},
        ),
        ("GET", "/api/innovations/{id}/monev/photos/{photo_id}"): Rule(
            _CARE_READ, subject="established", params={"photo_id": _care_photo}
        ),
        ("POST", "/api/innovations/{id}/mentoring/sessions/{session_id}/attachments"): Rule(
            expect(
                FORBID,
                admin=ALLOW,
                operator=ALLOW,
                reviewer_same_org=CONFLICT,
                operator_other_org=HIDDEN,
                participant=HIDDEN,
                anonymous=UNAUTH,
            ),
            subject="draft",
            params={"session_id": _care_session},
            files=_photo_files,
            data={"caption": "Peserta bimtek"},
            note="the reviewer is not this innovation's mentor: 403",
        ),
        ("GET", "/api/innovations/{id}/mentoring/attachments/{attachment_id}"): Rule(
            _CARE_READ, subject="draft", params={"attachment_id": _care_attachment}
        ),
        ("GET", "/api/innovations/{id}/care-evidence"): Rule(_CARE_READ, subject="established"),
    }
)

# --- web pages served under /api (none expected) -------------------------------------------

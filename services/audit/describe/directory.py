"""Audit lines of calls, organisations, accounts and the audit signing key."""

from __future__ import annotations

from typing import Any

from services.audit.describe.lines import (
    Described,
    _Before,
    _change,
    _short,
    jakarta_time,
)
from services.domain import events as ev
from services.domain import labels


def _call_opened(e: ev.CallOpened, b: _Before) -> Described:
    kind = "Krenova" if e.kind == "krenova" else "tahunan"
    changes = [
        _change("title", None, e.title, "Judul panggilan"),
        _change("kind", None, e.kind, "Jenis panggilan"),
        _change("budget_year", None, e.budget_year, "Tahun anggaran"),
        _change("opens_at", None, e.opens_at, "Dibuka"),
        _change("deadline", None, e.deadline, "Batas waktu"),
        _change("rubric_year", None, e.rubric_year, "Rubrik"),
        _change("eligible_kinds", None, list(e.eligible_kinds), "Pengusul yang berhak"),
        _change("required_documents", None, list(e.required_documents), "Dokumen wajib"),
        _change("threshold", None, e.threshold, "Ambang kematangan"),
        _change("requires_endorsement", None, e.requires_endorsement, "Wajib pengesahan kepala"),
    ]
    return (
        f"membuka panggilan {kind} '{e.title}' (tahun {e.budget_year}, batas waktu "
        f"{jakarta_time(e.deadline)})",
        changes,
    )


def _deadline_changed(e: ev.DeadlineChanged, b: _Before) -> Described:
    title = b.get("title")
    what = f"panggilan '{title}'" if title else f"panggilan {_short(e.originator_id)}"
    return (
        f"mengubah batas waktu {what} menjadi {jakarta_time(e.deadline)} (alasan: {e.reason})",
        [_change("deadline", b.get("deadline"), e.deadline, "Batas waktu")],
    )


def _organisation_registered(e: ev.OrganisationRegistered, b: _Before) -> Described:
    return (
        f"mendaftarkan organisasi {e.code} '{e.name}' ({str(e.kind).upper()})",
        [
            _change("code", None, e.code, "Kode organisasi"),
            _change("name", None, e.name, "Nama organisasi"),
            _change("kind", None, e.kind, "Jenis organisasi"),
        ],
    )


def _organisation_renamed(e: ev.OrganisationRenamed, b: _Before) -> Described:
    return (
        f"mengganti nama organisasi {b.get('code') or _short(e.originator_id)} menjadi '{e.name}'",
        [_change("name", b.get("name"), e.name, "Nama organisasi")],
    )


def _account_name(b: _Before, e: ev.Event) -> str:
    username = b.get("username")
    return f"akun '{username}'" if username else f"akun {_short(e.originator_id)}"


def _account_created(e: ev.AccountCreated, b: _Before) -> Described:
    # Deliberately no password hash: not in the summary, not in the changes.
    return (
        f"membuat akun '{e.username}' ({e.full_name}) dengan peran "
        f"{labels.label(labels.ROLE, e.role)}",
        [
            _change("username", None, e.username, "Nama pengguna"),
            _change("full_name", None, e.full_name, "Nama lengkap"),
            _change("email", None, e.email, "Surel"),
            _change("role", None, e.role, "Peran"),
            _change("organisation_id", None, e.organisation_id, "Organisasi"),
        ],
    )


def _role_changed(e: ev.RoleChanged, b: _Before) -> Described:
    return (
        f"mengubah peran {_account_name(b, e)} dari "
        f"{labels.label(labels.ROLE, e.previous)} menjadi "
        f"{labels.label(labels.ROLE, e.role)}",
        [_change("role", e.previous, e.role, "Peran")],
    )


def _organisation_changed(e: ev.OrganisationChanged, b: _Before) -> Described:
    return (
        f"memindahkan {_account_name(b, e)} ke organisasi "
        f"{_short(e.organisation_id) if e.organisation_id else '(tanpa organisasi)'}",
        [_change("organisation_id", e.previous, e.organisation_id, "Organisasi")],
    )


def _account_disabled(e: ev.AccountDisabled, b: _Before) -> Described:
    reason = f" (alasan: {e.reason})" if e.reason else ""
    return (
        f"menonaktifkan {_account_name(b, e)}{reason}",
        [_change("disabled", False, True, "Nonaktif")],
    )


def _account_enabled(e: ev.AccountEnabled, b: _Before) -> Described:
    return f"mengaktifkan kembali {_account_name(b, e)}", [
        _change("disabled", True, False, "Nonaktif")
    ]


def _password_reset(e: ev.PasswordReset, b: _Before) -> Described:
    # The hash is a secret: the line says that it changed, never what it is.
    return f"mengatur ulang kata sandi {_account_name(b, e)}", []


def _signing_key_activated(e: ev.SigningKeyActivated, b: _Before) -> Described:
    return (
        f"mengaktifkan kunci penanda tangan audit {e.key_id[:16]}… "
        f"(berlaku sejak {jakarta_time(e.valid_from)})",
        [_change("signing_key", None, e.key_id, "Kunci penanda tangan")],
    )


HANDLERS: dict[type[ev.Event], Any] = {
    ev.CallOpened: _call_opened,
    ev.DeadlineChanged: _deadline_changed,
    ev.OrganisationRegistered: _organisation_registered,
    ev.OrganisationRenamed: _organisation_renamed,
    ev.AccountCreated: _account_created,
    ev.RoleChanged: _role_changed,
    ev.OrganisationChanged: _organisation_changed,
    ev.AccountDisabled: _account_disabled,
    ev.AccountEnabled: _account_enabled,
    ev.PasswordReset: _password_reset,
    ev.SigningKeyActivated: _signing_key_activated,
}

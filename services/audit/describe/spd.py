"""Audit lines of the SPD sheet's events: opening, assigning, filling, evidence, verifying."""

from __future__ import annotations

from typing import Any

import msgspec

from services.audit.describe.lines import (
    Described,
    _Before,
    _change,
    _short,
)
from services.domain import events as ev


def _spd_values(values: Any) -> str:
    names = {"t1": "T-1", "t2": "T-2", "value": "jumlah", "choice": "pilihan"}
    parts = [f"{names[k]} {v}" for k, v in msgspec.to_builtins(values).items() if v is not None]
    return ", ".join(parts) or "kosong"


def _spd_opened(e: ev.SpdSheetOpened, b: _Before) -> Described:
    return f"membuka lembar SPD tahun {e.year}", []


def _spd_assigned(e: ev.SpdRowAssigned, b: _Before) -> Described:
    owner = _short(e.organisation_id) if e.organisation_id else "tidak ada"
    return (
        f"menetapkan organisasi pemilik baris SPD {e.row_no}: {owner}",
        [_change(f"spd.{e.row_no}.owner", None, e.organisation_id, f"SPD {e.row_no}: pemilik")],
    )


def _spd_filled(e: ev.SpdRowFilled, b: _Before) -> Described:
    figure = f", angka turunan {e.figure}" if e.figure is not None else ""
    return (
        f"mengisi baris SPD {e.row_no} ({_spd_values(e.values)}{figure}) → level {e.level}",
        [_change(f"spd.{e.row_no}.level", None, e.level, f"SPD {e.row_no}: level klaim")],
    )


def _spd_evidence(e: ev.SpdEvidenceAttached, b: _Before) -> Described:
    d = e.document
    again = f", menggantikan {_short(d.replaces)}" if d.replaces else ""
    return (
        f"mengunggah bukti dukung baris SPD {e.row_no}: '{d.name}' "
        f"(jenis {d.kind}, sha256 {d.sha256[:12]}…{again})",
        [],
    )


def _spd_evidence_removed(e: ev.SpdEvidenceRemoved, b: _Before) -> Described:
    why = f" (alasan: {e.reason})" if e.reason else ""
    return f"menghapus bukti dukung {_short(e.doc_id)} dari baris SPD {e.row_no}{why}", []


def _spd_submitted(e: ev.SpdRowSubmitted, b: _Before) -> Described:
    return f"mengajukan baris SPD {e.row_no} (level {e.level}) untuk diverifikasi", []


def _spd_verified(e: ev.SpdRowVerified, b: _Before) -> Described:
    verdict = (
        f"menerima baris SPD {e.row_no} pada level {e.level}"
        if e.accepted
        else f"mengembalikan baris SPD {e.row_no} (alasan: {e.note})"
    )
    return (
        f"{verdict} (revisi {e.seen_revision})",
        [
            _change(
                f"spd.{e.row_no}.verified", None, e.level, f"SPD {e.row_no}: level terverifikasi"
            )
        ],
    )


HANDLERS: dict[type[ev.Event], Any] = {
    ev.SpdSheetOpened: _spd_opened,
    ev.SpdRowAssigned: _spd_assigned,
    ev.SpdRowFilled: _spd_filled,
    ev.SpdEvidenceAttached: _spd_evidence,
    ev.SpdEvidenceRemoved: _spd_evidence_removed,
    ev.SpdRowSubmitted: _spd_submitted,
    ev.SpdRowVerified: _spd_verified,
}

"""Import the ministry's verdicts from the file the Bappeda downloads (CSV or XLSX).

The IID application's export format is not published, so the reader is forgiving about the
header (Indonesian or English names, any case, any order) and about the verdict words
(``ministry.VERDICT_WORDS``). Each row names the innovation by its SI-RISMA id or, failing that,
by its exact title among the innovations reported for that year (folded case and spaces).

All or nothing: every row is checked first against the innovation as it stands in the log (the
aggregate's own rule); a preview returns the per-row report and records nothing; a commit records
every row's event in one atomic save, or, if any row fails, nothing at all (422 with the report).
A row that repeats the innovation's latest verdict is reported ``unchanged`` and skipped, so
importing the same download twice records nothing new.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

import msgspec

from services.commands import Commands
from services.db import Database
from services.domain.aggregate import Context
from services.domain.errors import DomainError, InvalidValue
from services.domain.innovation import Innovation
from services.domain.ministry import VERDICT_LABELS, parse_verdict
from services.eventstore.store import NotFound

MAX_ROWS = 5_000

COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "id inovasi", "innovation id", "id sirisma", "innovation_id", "id_inovasi"),
    "title": ("nama inovasi", "judul", "judul inovasi", "title", "nama_inovasi", "inovasi"),
    "verdict": ("keputusan", "status", "verdict", "hasil", "hasil verifikasi", "status validasi"),
    "reason": ("alasan", "reason", "alasan penolakan", "alasan_penolakan"),
    "note": ("catatan", "note", "keterangan", "penghargaan"),
    "decided_on": ("tanggal", "date", "decided on", "tanggal keputusan", "decided_on"),
}


class VerdictRow(msgspec.Struct, kw_only=True):
    row: int  # line in the file (the header is line 1)
    innovation_id: UUID | None = None
    title: str = ""
    verdict: str | None = None
    verdict_label: str = ""
    reason: str = ""
    note: str = ""
    decided_on: date | None = None
    outcome: str = "ok"  # ok | unchanged | error
    message: str = ""


class VerdictImport(msgspec.Struct, kw_only=True):
    year: int
    committed: bool
    import_id: UUID | None
    rows: list[VerdictRow]
    ok: int
    unchanged: int
    errors: int
    notification_id: int | None = None


class ImportRefused(DomainError):
    """At least one row cannot be recorded: nothing was recorded (the report says why)."""

    code = "verdict-import-refused"
    status = 422


def _fold(text: Any) -> str:
    return " ".join(str(text if text is not None else "").replace("_", " ").lower().split())


def read_table(content: bytes) -> list[dict[str, str]]:
    """Rows as {our column: text}. XLSX is recognised by its bytes (a ZIP), anything else is
    read as CSV (UTF-8, with or without BOM; comma or semicolon)."""
    if content.startswith(b"PK\x03\x04"):
        raw_rows = _xlsx_rows(content)
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidValue("file", "Berkas CSV harus berenkode UTF-8.") from None
        first = text.splitlines()[0] if text else ""
        delimiter = ";" if first.count(";") > first.count(",") else ","
        raw_rows = [list(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)]
    raw_rows = [r for r in raw_rows if any(str(c or "").strip() for c in r)]
    if not raw_rows:
        raise InvalidValue("file", "Berkas kosong: tidak ada baris keputusan.")
    header = [_fold(c) for c in raw_rows[0]]
    mapping: dict[int, str] = {}
    for index, name in enumerate(header):
        for ours, names in COLUMNS.items():
            if name in names and ours not in mapping.values():
                mapping[index] = ours
    found = set(mapping.values())
    if "verdict" not in found or not found & {"id", "title"}:
        raise InvalidValue(
            "file",
            "Kolom wajib tidak ditemukan: perlu kolom keputusan (mis. 'keputusan' atau 'status') "
            "dan kolom 'id' atau 'nama inovasi'.",
        )
    if len(raw_rows) - 1 > MAX_ROWS:
        raise InvalidValue("file", f"Paling banyak {MAX_ROWS} baris per berkas.")
    return [
        {
            ours: str(row[i]).strip() if i < len(row) and row[i] is not None else ""
            for i, ours in mapping.items()
        }
        for row in raw_rows[1:]
    ]


def _xlsx_rows(content: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise InvalidValue("file", "Berkas XLSX tidak dapat dibaca.") from None
    try:
        sheet = book.worksheets[0]
        return [
            [c.date().isoformat() if isinstance(c, datetime) else c for c in row]
            for row in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 2)
        ]
    finally:
        book.close()


def _date(text: str) -> date | None:
    if not text:
        return None
    for candidate in (text[:10], text):
        try:
            return date.fromisoformat(candidate)
        except ValueError:
            pass
    try:
        return datetime.strptime(text, "%d-%m-%Y").date()  # noqa: DTZ007 (a date only)
    except ValueError:
        try:
            return datetime.strptime(text, "%d/%m/%Y").date()  # noqa: DTZ007 (a date only)
        except ValueError:
            raise InvalidValue("decided_on", f"Tanggal '{text}' tidak dikenali.") from None


def reported_titles(db: Database, year: int) -> dict[str, list[UUID]]:
    """Folded title → ids of the innovations reported to IGA for ``year`` (the read model)."""
    with db.transaction() as tx:
        rows = tx.execute(
            "SELECT id, title FROM rm_innovations WHERE iga_year = ? AND call_kind = 'annual'",
            (year,),
        ).fetchall()
    titles: dict[str, list[UUID]] = {}
    for id, title in rows:
        titles.setdefault(_fold(title), []).append(UUID(str(id)))
    return titles


def run(
    commands: Commands,
    db: Database,
    ctx: Context,
    *,
    year: int,
    content: bytes,
    commit: bool,
) -> VerdictImport:
    """Check every row; with ``commit`` record them all atomically (or refuse them all)."""
    rows = read_table(content)
    titles = reported_titles(db, year) if any(not r.get("id") for r in rows) else {}
    import_id = uuid4() if commit else None
    loaded: dict[UUID, Innovation] = {}
    report: list[VerdictRow] = []
    for number, raw in enumerate(rows, start=2):
        item = VerdictRow(row=number, title=raw.get("title", ""))
        report.append(item)
        try:
            _check_row(commands, ctx, year, raw, item, titles, loaded, import_id)
        except DomainError as exc:
            item.outcome, item.message = "error", exc.message
        except NotFound:
            item.outcome, item.message = "error", "Inovasi tidak ditemukan."
    errors = sum(1 for r in report if r.outcome == "error")
    result = VerdictImport(
        year=year,
        committed=False,
        import_id=None,
        rows=report,
        ok=sum(1 for r in report if r.outcome == "ok"),
        unchanged=sum(1 for r in report if r.outcome == "unchanged"),
        errors=errors,
    )
    if errors and commit:
        raise ImportRefused(
            f"{errors} baris tidak dapat dicatat; tidak ada keputusan yang dicatat.",
            rows=[msgspec.to_builtins(r) for r in report if r.outcome == "error"],
        )
    changed = [a for a in loaded.values() if a.pending_events]
    if commit and changed:
        ids = commands.store.save(*changed)
        result.committed, result.import_id = True, import_id
        result.notification_id = ids[-1] if ids else None
    return result


def _check_row(
    commands: Commands,
    ctx: Context,
    year: int,
    raw: dict[str, str],
    item: VerdictRow,
    titles: dict[str, list[UUID]],
    loaded: dict[UUID, Innovation],
    import_id: UUID | None,
) -> None:
    if raw.get("id"):
        try:
            item.innovation_id = UUID(raw["id"])
        except ValueError:
            raise InvalidValue("id", f"'{raw['id']}' bukan id inovasi SI-RISMA.") from None
    else:
        matches = titles.get(_fold(raw.get("title", "")), [])
        if len(matches) != 1:
            raise InvalidValue(
                "title",
                "Nama inovasi tidak ditemukan di antara inovasi yang dilaporkan tahun ini."
                if not matches
                else "Nama inovasi ini dipakai beberapa inovasi; isi kolom id.",
            )
        item.innovation_id = matches[0]
    verdict = parse_verdict(raw.get("verdict", ""))
    if verdict is None:
        raise InvalidValue("verdict", f"Keputusan '{raw.get('verdict', '')}' tidak dikenali.")
    item.verdict, item.verdict_label = verdict.value, VERDICT_LABELS[verdict]
    item.reason, item.note = raw.get("reason", ""), raw.get("note", "")
    item.decided_on = _date(raw.get("decided_on", ""))
    innovation = loaded.get(item.innovation_id)
    if innovation is None:
        innovation = loaded[item.innovation_id] = commands.innovation(item.innovation_id)
    item.title = item.title or innovation.profile.title
    if innovation.repeats_latest_verdict(verdict, item.reason, item.note):
        item.outcome, item.message = "unchanged", "Sudah tercatat; dilewati."
        return
    # The aggregate's own rule decides; rows of one innovation apply in file order.
    innovation.record_ministry_verdict(
        ctx,
        year=year,
        verdict=verdict,
        reason=item.reason,
        note=item.note,
        decided_on=item.decided_on,
        source="import",
        import_id=import_id,
    )


class VerdictLine(msgspec.Struct, kw_only=True):
    innovation_id: str
    title: str
    verdict: str | None
    label: str


def year_summary(db: Database, year: int) -> tuple[dict[str, int], list[VerdictLine]]:
    """The reported innovations of ``year`` with their latest ministry verdict (read model):
    counts per verdict (``none`` = nothing recorded yet) and the list, for the IGA page."""
    with db.transaction() as tx:
        rows = tx.execute(
            "SELECT id, title, ministry_verdict FROM rm_innovations "
            "WHERE iga_year = ? AND status = 'reported_to_iga' ORDER BY title_sort, id",
            (year,),
        ).fetchall()
    counts: dict[str, int] = {}
    lines = []
    for id, title, verdict in rows:
        counts[verdict or "none"] = counts.get(verdict or "none", 0) + 1
        label = (
            VERDICT_LABELS.get(verdict, "Belum ada keputusan") if verdict else "Belum ada keputusan"
        )
        lines.append(
            VerdictLine(innovation_id=str(id), title=title or "", verdict=verdict, label=label)
        )
    return counts, lines

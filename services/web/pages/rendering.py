"""Templates, static assets and the helpers every page uses to render.

The Jinja environment is strict (an undefined name is an error, not an empty string) so a typo in
a template fails in the tests instead of silently showing nothing to a user. Labels come from the
domain's own tables, so a page never invents its own wording for a status or a stage.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request
from litestar.datastructures import CacheControlHeader
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from markupsafe import Markup

from services.domain import labels
from services.domain.actor import Role
from services.domain.call import JAKARTA, format_date, format_jakarta
from services.domain.lifecycle import COMMAND_LABELS, STATUS_LABELS
from services.domain.principal import Principal
from services.domain.progress import Progress, progress
from services.domain.rubric import DOCUMENT_KIND_LABELS
from services.domain.values import STAGE_LABELS
from services.http.context import principal_of

WEB = Path(__file__).resolve().parent.parent
TEMPLATES = WEB / "templates"
STATIC = WEB / "static"


# Badge colour group per status (CSS class suffix): the label itself always carries the meaning.
STATUS_TONES: dict[str, str] = {
    "draft": "neutral",
    "submitted": "info",
    "under_review": "info",
    "revision_requested": "warn",
    "resubmitted": "info",
    "scored": "info",
    "approved": "good",
    "rejected": "bad",
    "established": "good",
    "selected_for_iga": "good",
    "reported_to_iga": "good",
    "withdrawn": "neutral",
    "published": "good",
}

# Messages shown after a redirect (?pesan=<key>): a fixed list, so no text is reflected from a URL.
NOTICES: dict[str, str] = {
    "masuk": "Anda berhasil masuk.",
    "keluar": "Anda telah keluar.",
    "disimpan": "Perubahan tersimpan.",
    "diusulkan": "Inovasi dibuat sebagai draf. Lengkapi isiannya lalu ajukan.",
    "diunggah": "Dokumen terunggah.",
    "dihapus": "Dokumen dihapus.",
    "dibuka": "Dokumen kini terbuka untuk umum (tampil di katalog bila inovasi dipublikasikan).",
    "ditutup": "Dokumen kini hanya untuk internal.",
    "diklaim": "Penilaian mandiri tersimpan.",
    "diajukan": "Inovasi telah diajukan untuk diverifikasi.",
    "diajukan_ulang": "Perbaikan telah diajukan ulang.",
    "ditarik": "Inovasi telah ditarik.",
    "disahkan": "Pengesahan kepala perangkat daerah tercatat. Inovasi dapat diajukan.",
    "monev": "Monev tercatat.",
    "ditugaskan": "Verifikator telah ditugaskan.",
    "diverifikasi": "Hasil verifikasi dokumen tersimpan.",
    "perbaikan": "Permintaan perbaikan telah dikirim ke pengusul.",
    "dinilai": "Penilaian tersimpan.",
    "diputuskan": "Keputusan tersimpan.",
    "terdaftar": "Pendaftaran berhasil. Silakan masuk dengan akun baru Anda.",
    "terdaftar_masuk": "Pendaftaran berhasil dan Anda sudah masuk. Mulai usulan Krenova Anda.",
    "laporan": "Laporan IGA telah dibuat.",
    "notifikasi_dibaca": "Notifikasi ditandai sudah dibaca.",
    "notifikasi_semua_dibaca": "Semua notifikasi ditandai sudah dibaca.",
    "notifikasi_tidak_ada": "Notifikasi itu tidak ditemukan.",
    "panggilan_dibuka": "Panggilan dibuka.",
    "batas_waktu_diubah": "Batas waktu diubah.",
    "panggilan_ditutup": "Panggilan ditutup; pengajuan berikutnya ditolak.",
    "akun_dibuat": "Akun dibuat.",
    "akun_peran": "Peran akun diubah.",
    "akun_organisasi": "Organisasi akun diubah.",
    "akun_nonaktifkan": "Akun dinonaktifkan; semua sesinya diakhiri.",
    "akun_aktifkan": "Akun diaktifkan kembali.",
    "akun_sandi": "Kata sandi diatur ulang; semua sesi akun itu diakhiri.",
    "organisasi_dibuat": "Organisasi terdaftar.",
    "pendamping_ditugaskan": "Pendamping telah ditugaskan.",
    "sesi_dicatat": "Sesi pendampingan tercatat.",
    "tindak_lanjut_selesai": "Tindak lanjut ditandai selesai.",
    "dibawa": "Draf tahun berikutnya dibuat dari inovasi ini; periksa dan lengkapi isiannya.",
    "lampiran_diunggah": "Lampiran sesi pendampingan terunggah.",
}

# Where each role starts after logging in.
HOME_FOR_ROLE: dict[str, str] = {
    Role.OPERATOR: "/dasbor",
    Role.PARTICIPANT: "/dasbor",
    Role.REVIEWER: "/verifikasi",
    Role.ADMIN: "/verifikasi",
    Role.AUDITOR: "/audit",
    Role.KEPALA_OPD: "/dasbor",
    Role.MENTOR: "/pendampingan",
}


def navigation(principal: Principal) -> list[tuple[str, str]]:
    """(href, label) of the main menu for this caller."""
    role = principal.role
    items: list[tuple[str, str]] = [("/", "Beranda"), ("/katalog", "Katalog Inovasi")]
    if role is None:
        items.append(("/krenova/daftar", "Daftar Krenova"))
        items.append(("/krenova/pemenang", "Pemenang Krenova"))
    elif role == Role.OPERATOR:
        items[1:1] = [
            ("/dasbor", "Inovasi Kami"),
            ("/inovasi/baru", "Usulkan Inovasi"),
            ("/spd", "Lembar SPD"),
        ]
    elif role == Role.PARTICIPANT:
        items[1:1] = [("/dasbor", "Usulan Saya"), ("/inovasi/baru", "Ikut Krenova")]
    elif role == Role.KEPALA_OPD:
        items[1:1] = [("/dasbor", "Inovasi Kami")]
    elif role == Role.REVIEWER:
        items[1:1] = [
            ("/verifikasi", "Antrean Verifikasi"),
            ("/krenova/penjurian", "Penjurian Krenova"),
            ("/dasbor-daerah", "Dasbor Daerah"),
        ]
    elif role == Role.ADMIN:
        items[1:1] = [
            ("/verifikasi", "Antrean"),
            ("/iga", "Laporan IGA"),
            ("/krenova/penjurian", "Krenova"),
            ("/kepatuhan", "Kepatuhan"),
            ("/spd", "Lembar SPD"),
            ("/dasbor-daerah", "Dasbor Daerah"),
            ("/karantina", "Karantina"),
            ("/admin/panggilan", "Panggilan"),
            ("/admin/akun", "Akun"),
            ("/admin/organisasi", "Organisasi"),
        ]
    elif role == Role.AUDITOR:
        items[1:1] = [
            ("/audit", "Audit"),
            ("/verifikasi", "Antrean"),
            ("/kepatuhan", "Kepatuhan"),
            ("/dasbor-daerah", "Dasbor Daerah"),
        ]
    if role in (Role.MENTOR, Role.REVIEWER, Role.ADMIN):
        items.append(("/pendampingan", "Pendampingan"))  # services/web/pages/mentoring.py
    if role in (Role.OPERATOR, Role.REVIEWER, Role.ADMIN, Role.AUDITOR):
        items.append(("/riset", "Riset Daerah"))  # services/web/pages/research.py
    return items


# ---------------------------------------------------------------------------------------------
# filters


def _as_datetime(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def jakarta(value: Any) -> str:
    """A moment as users read it: '31 Desember 2026 23.59 WIB'."""
    moment = _as_datetime(value)
    return format_jakarta(moment) if moment else "—"


def tanggal(value: Any) -> str:
    """A calendar date: '1 Maret 2023'."""
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone(JAKARTA).date()
    if not isinstance(value, date):
        value = date.fromisoformat(str(value)[:10])
    return format_date(value)


def rupiah_digits(value: Any) -> str:
    """1250000 → "1.250.000" (Indonesian grouping, a fraction after a comma); the form's money
    parser reads this back."""
    amount = Decimal(str(value))
    whole = int(amount)
    text = f"{whole:,}".replace(",", ".")
    fraction = abs(amount - whole)
    if fraction:
        text += "," + format(fraction.normalize(), "f").split(".")[1]
    return text


def rupiah(value: Any) -> str:
    """An amount as people read it: "Rp 1.250.000"."""
    if value is None or value == "":
        return "—"
    try:
        return f"Rp {rupiah_digits(value)}"
    except InvalidOperation:
        return str(value)


def angka(value: Any, digits: int = 0) -> str:
    """Indonesian number format: thousands with '.', decimals with ','."""
    if value is None:
        return "—"
    text = f"{float(value):,.{digits}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def role_label(value: Any) -> str:
    return labels.ROLE_TITLE.get(str(value), str(value))


def progress_of(innovation: Any) -> Progress:
    """The stepper of an innovation page (kind of call and status from the record)."""
    return progress(
        innovation.status, str(innovation.call_kind), getattr(innovation, "previous_status", None)
    )


def status_label(value: Any) -> str:
    return STATUS_LABELS.get(str(value), str(value))


def stage_label(value: Any) -> str:
    if value is None or value == "":
        return "Belum diisi"
    return STAGE_LABELS.get(value, str(value))  # type: ignore[call-overload]


def kind_label(value: Any) -> str:
    return DOCUMENT_KIND_LABELS.get(str(value), str(value))


def urusan_text(profile: Any) -> str:
    """Main and overlapping urusan as labels; old text that fits no code says so."""
    from services.domain import urusan

    main = urusan.text(profile.urusan, profile.urusan_unmatched)
    others = urusan.texts(profile.urusan_lain, profile.urusan_lain_unmatched)
    if not others:
        return main or "—"
    return f"{main or '—'} (beririsan: {'; '.join(others)})"


def filesize(value: Any) -> str:
    size = int(value or 0)
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{angka(size / 1024, 0)} KB"
    return f"{angka(size / (1024 * 1024), 1)} MB"


def iso(value: Any) -> str:
    moment = _as_datetime(value)
    return moment.isoformat() if moment else ""


@cache
def _asset_hash(name: str) -> str:
    path = (STATIC / name).resolve()
    if STATIC not in path.parents or not path.is_file():
        raise FileNotFoundError(name)
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


def static_url(name: str) -> str:
    """``/static/<name>?v=<content hash>``: cached for long, refreshed when the file changes."""
    return f"/static/{name}?v={_asset_hash(name)}"


def query(base: Mapping[str, Any], **changes: Any) -> str:
    """The current filters with some changed, as a query string (for sort links and paging)."""
    merged = {k: v for k, v in {**base, **changes}.items() if v not in (None, "", [])}
    return "?" + urlencode(merged, doseq=True) if merged else "?"


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "svg", "xml"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        jakarta=jakarta,
        tanggal=tanggal,
        rupiah=rupiah,
        angka=angka,
        status_label=status_label,
        stage_label=stage_label,
        role_label=role_label,
        kind_label=kind_label,
        urusan_text=urusan_text,
        filesize=filesize,
        iso=iso,
    )
    env.globals.update(
        STATUS_LABELS=STATUS_LABELS,
        STATUS_TONES=STATUS_TONES,
        STAGE_LABELS=STAGE_LABELS,
        DOCUMENT_KIND_LABELS=DOCUMENT_KIND_LABELS,
        COMMAND_LABELS=COMMAND_LABELS,
        ROLE_LABELS=labels.ROLE_TITLE,
        static_url=static_url,
        query=query,
        progress_of=progress_of,
    )
    return env


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment()))


def static_files() -> Any:
    """The app's own assets (CSS, JS, vendored HTMX and axe-core): no CDN anywhere."""
    return create_static_files_router(
        path="/static",
        directories=[STATIC],
        name="static",
        include_in_schema=False,
        cache_control=CacheControlHeader(max_age=86400, public=True),
    )


# ---------------------------------------------------------------------------------------------
# rendering


def csrf_token_of(request: Request[Any, Any, Any]) -> str:
    """The CSRF token for this request's forms (empty when CSRF protection is not configured)."""
    from services.web.pages.security import csrf_token

    return csrf_token(request)


def csrf_header_name() -> str:
    from services.web.pages.security import HEADER

    return HEADER


def unread_of(request: Request[Any, Any, Any]) -> int | None:
    from services.web.pages.notifications import unread_for

    return unread_for(request)


def base_context(request: Request[Any, Any, Any]) -> dict[str, Any]:
    principal = principal_of(request)
    notice_key = request.query_params.get("pesan", "")
    token = csrf_token_of(request)
    return {
        "principal": principal,
        "nav": navigation(principal),
        "current_path": request.url.path,
        "notice": NOTICES.get(notice_key, ""),
        "csrf": token,
        "csrf_header": csrf_header_name(),
        "csrf_field": Markup('<input type="hidden" name="_csrf_token" value="{}">').format(token),
        "is_htmx": request.headers.get("hx-request") == "true",
        "unread": unread_of(request),
    }


def render(
    request: Request[Any, Any, Any],
    template: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Template:
    return Template(
        template_name=template,
        context={**base_context(request), **context},
        status_code=status_code,
        headers=headers,
        media_type="text/html",
    )


def redirect(path: str, notice: str = "") -> Redirect:
    """Post/redirect/get: 303 so a reload never repeats the command."""
    if notice:
        path, _, fragment = path.partition("#")
        path = f"{path}{'&' if '?' in path else '?'}pesan={notice}"
        if fragment:
            path = f"{path}#{fragment}"
    return Redirect(path=path, status_code=303)

"""Public pages: the home page with open calls and their countdowns, the catalogue of published
innovations, one innovation's public page, and Krenova self-registration.

Anonymous visitors only ever see published innovations (the policy's ``can_view``).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery

from services.domain.errors import DomainError
from services.domain.values import STAGE_LABELS
from services.eventstore.store import NotFound
from services.http import limits
from services.http.context import principal_of, runtime_of
from services.http.security import REGISTRATION_RATE_LIMIT
from services.identity import policy
from services.research.queries import published_research
from services.submission.public import public_view
from services.web.pages import queries
from services.web.pages.as_of import page_as_of
from services.web.pages.common import Names, call_handler, now, parse_uuid, rubric_of
from services.web.pages.forms import FORM_LABELS, INITIATOR_LABELS, KIND_LABELS, THEME_LABELS
from services.web.pages.rendering import HOME_FOR_ROLE, redirect, render

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
PAGE_SIZE = 20
RECENTLY_CLOSED = timedelta(days=30)


@get("/", sync_to_thread=True, name="page:home")
def home(request: Request[Any, Any, Any]) -> Any:
    runtime = runtime_of(request)
    moment = now()
    calls = [
        c
        for c in queries.calls(runtime)
        if c.opens_at <= moment and c.deadline > moment - RECENTLY_CLOSED
    ]
    calls.sort(key=lambda c: (c.deadline <= moment, c.deadline))
    latest = queries.catalogue(runtime, limit=6)
    principal = principal_of(request)
    return render(
        request,
        "public/home.html",
        calls=calls,
        server_now=moment,
        published_count=latest.total,
        latest=latest.items,
        workplace=HOME_FOR_ROLE.get(str(principal.role), "") if principal.authenticated else "",
    )


@get("/katalog", sync_to_thread=True, name="page:catalogue")
def catalogue(
    request: Request[Any, Any, Any],
    q: FromQuery[str | None] = None,
    tahapan: FromQuery[str | None] = None,
    jenis: FromQuery[str | None] = None,
    tematik: FromQuery[str | None] = None,
    tahun: FromQuery[str | None] = None,
    halaman: FromQuery[str | None] = None,
    per: FromQuery[str | None] = None,
) -> Any:
    runtime, as_of = page_as_of(request, per)
    filters = {
        "q": (q or "").strip()[:200],
        "tahapan": tahapan if tahapan in STAGE_LABELS else "",
        "jenis": jenis if jenis in KIND_LABELS else "",
        "tematik": tematik if tematik in THEME_LABELS else "",
        "tahun": str(year)
        if (year := limits.page_int(tahun, limits.YEAR_MIN, limits.YEAR_MAX))
        else "",
    }
    page = limits.page_int(halaman, 1, limits.PAGE_MAX) or 1
    result = queries.catalogue(
        runtime,
        q=filters["q"] or None,
        stage=filters["tahapan"] or None,
        kind=filters["jenis"] or None,
        theme=filters["tematik"] or None,
        year=int(filters["tahun"]) if filters["tahun"] else None,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    pages = max(1, -(-result.total // PAGE_SIZE))
    this_year = now().year
    hx = request.headers.get("hx-request") == "true"
    return render(
        request,
        "public/_catalogue_results.html" if hx else "public/catalogue.html",
        items=result.items,
        total=result.total,
        total_is_estimate=result.total_is_estimate,
        page=min(page, pages),
        pages=pages,
        filters=filters,
        stages={str(k): v for k, v in STAGE_LABELS.items()},
        kinds={str(k): v for k, v in KIND_LABELS.items()},
        themes={str(k): v for k, v in THEME_LABELS.items()},
        years=list(range(this_year, this_year - 5, -1)),
        as_of=as_of,
        # Riset daerah: disseminated research matching the same words, on the first page.
        research=published_research(runtime.db, filters["q"] or None, limit=6)
        if page == 1 and as_of is None
        else [],
    )


@get("/katalog/{innovation_id:str}", sync_to_thread=True, name="page:public-innovation")
def public_innovation(request: Request[Any, Any, Any], innovation_id: FromPath[str]) -> Any:
    runtime = runtime_of(request)
    innovation = runtime.commands.innovation(parse_uuid(innovation_id))
    if not innovation.published:
        raise NotFound("Inovasi", innovation.id)
    policy.ensure_view(principal_of(request), innovation)
    names = Names(runtime)
    return render(
        request,
        "public/innovation.html",
        innovation=innovation,
        p=innovation.profile,
        organisation=names.org_name(innovation.organisation_id),
        score=innovation.scorecard(rubric_of(innovation)).verified_total,
        documents=public_view(runtime.store, innovation).documents,  # only those marked public
        labels={
            "initiator": INITIATOR_LABELS,
            "kind": KIND_LABELS,
            "form": FORM_LABELS,
            "theme": THEME_LABELS,
        },
    )


# ---------------------------------------------------------------------------------------------
# Krenova registration

REGISTRATION_FIELDS = ("name", "username", "email", "phone", "password", "password2", "members")
REGISTRATION_MESSAGES = {
    "username": "Nama pengguna 3–64 karakter: huruf kecil, angka, titik, garis bawah atau strip.",
    "name": "Nama wajib diisi (paling banyak 200 karakter).",
    "email": "Alamat surel tidak valid.",
    "phone": "Nomor telepon 8–20 angka, boleh diawali +.",
    "password": "Kata sandi minimal 8 karakter.",
    "members": "Anggota kelompok paling banyak 5 orang.",
}


@get("/krenova/daftar", sync_to_thread=False, name="page:register")
def register_page(request: Request[Any, Any, Any]) -> Any:
    if principal_of(request).authenticated:
        return redirect("/dasbor")
    return render(
        request,
        "public/register.html",
        values={k: "" for k in REGISTRATION_FIELDS},
        errors={},
        error="",
    )


@post(
    "/krenova/daftar",
    name="page:register-submit",
    status_code=303,
    middleware=[REGISTRATION_RATE_LIMIT.middleware],
)
async def register_submit(request: Request[Any, Any, Any], data: Form) -> Any:
    from services.submission.krenova import register_participant
    from services.submission.schemas import ParticipantRegistration

    values = {k: str(data.get(k, "") or "").strip() for k in REGISTRATION_FIELDS}
    values["password"] = str(data.get("password", "") or "")
    values["password2"] = str(data.get("password2", "") or "")
    members = [m.strip() for m in values["members"].splitlines() if m.strip()]
    errors: dict[str, str] = {}
    if values["password"] != values["password2"]:
        errors["password2"] = "Kedua kata sandi tidak sama."
    if len(members) > 5:
        errors["members"] = REGISTRATION_MESSAGES["members"]
    registration = None
    try:
        registration = msgspec.convert(
            {
                "username": values["username"].lower(),
                "name": values["name"],
                "email": values["email"],
                "phone": values["phone"],
                "password": values["password"],
                "members": members,
            },
            ParticipantRegistration,
        )
    except msgspec.ValidationError as exc:
        match = re.search(r"\$\.(\w+)", str(exc))
        field = match.group(1) if match else "name"
        errors.setdefault(field, REGISTRATION_MESSAGES.get(field, "Isian tidak valid."))
    error = ""
    if not errors and registration is not None:
        try:
            await call_handler(register_participant, request, registration)
        except DomainError as exc:
            field = str(exc.details.get("field") or "")
            if field == "id":
                errors["username"] = "Nama pengguna ini sudah dipakai. Pilih nama lain."
            elif field in REGISTRATION_FIELDS:
                errors[field] = exc.message
            else:
                error = exc.message
        else:
            return await _signed_in_after_registration(request, registration)
    values["password"] = values["password2"] = ""
    return render(
        request, "public/register.html", status_code=422, values=values, errors=errors, error=error
    )


async def _signed_in_after_registration(request: Request[Any, Any, Any], registration: Any) -> Any:
    """Log the new participant in with the identity context's own login (its cookie and
    session), so the next page is the entry form, not the login form."""
    from litestar.exceptions import HTTPException

    from services.identity import routes as identity_routes

    try:
        api_response = await call_handler(
            identity_routes.login,
            request,
            identity_routes.LoginRequest(
                username=registration.username, password=registration.password
            ),
        )
    except HTTPException:  # throttled or refused: the account exists, log in by hand
        return redirect("/masuk", "terdaftar")
    response = redirect("/inovasi/baru", "terdaftar_masuk")
    response.cookies.extend(api_response.cookies)
    return response


route_handlers: list[Any] = [home, catalogue, public_innovation, register_page, register_submit]

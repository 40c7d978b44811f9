"""Pages for the people who submit: OPD operators and Krenova participants.

Dashboard of their innovations, a new draft, the form in sections with inline validation,
documents with an upload progress bar, the self-assessment scorecard, and submit/resubmit with a
confirmation. Every change goes through ``Commands`` with the version the form was rendered
from, so a stale form gets a 409 page that shows what someone else changed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID

from litestar import Request, get, post
from litestar.concurrency import sync_to_thread
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException
from litestar.params import Body, FromPath, FromQuery

from services.domain import scoring
from services.domain.actor import Role
from services.domain.call import jakarta_today
from services.domain.errors import DomainError, NotAllowed
from services.domain.innovation import Innovation
from services.domain.lifecycle import Command, Status
from services.domain.rubric import DOCUMENT_KIND_LABELS, load_rubric
from services.domain.rubric import available_years as rubric_years
from services.domain.values import CallKind, DocumentKind, Profile
from services.eventstore.store import ConcurrencyConflict, NotFound
from services.http import limits
from services.http.context import principal_of, runtime_of
from services.identity import policy
from services.submission.uploads import PUBLIC_NO, PUBLIC_YES, public_mark
from services.web.pages import forms, queries, uploads
from services.web.pages.common import (
    Names,
    allowed,
    call_of,
    conflict_page,
    guard,
    load_record,
    load_visible,
    now,
    parse_uuid,
    refusal,
    revision_items,
    rubric_of,
    run_command,
    settle,
    version_of,
)
from services.web.pages.rendering import redirect, render

Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]

SUBMITTERS = (Role.OPERATOR, Role.PARTICIPANT)


def deadline_info(call: Any, moment: Any) -> dict[str, Any]:
    if call is None:
        return {"closed": True, "days": None, "deadline": None}
    remaining = call.deadline - moment
    return {
        "closed": remaining <= timedelta(0),
        "days": max(remaining.days, 0),
        "deadline": call.deadline,
    }


def workspace(request: Request[Any, Any, Any], innovation: Innovation, tab: str) -> dict[str, Any]:
    """Context shared by the tabs of one innovation's pages."""
    runtime = runtime_of(request)
    principal = principal_of(request)
    rubric = rubric_of(innovation)
    call = call_of(runtime, innovation)
    names = Names(runtime)
    return {
        "innovation": innovation,
        "rubric": rubric,
        "call": call,
        "tab": tab,
        "can": allowed(principal, innovation),
        "completeness": innovation.completeness(rubric, call),
        "scorecard": innovation.scorecard(rubric),
        "organisation": names.org_name(innovation.organisation_id),
        "names": names,
        "deadline": deadline_info(call, now()),
        "server_now": now(),
        "revision": innovation.open_revision(),
        "revision_items": revision_items(innovation),
        "is_krenova": innovation.call_kind == CallKind.KRENOVA,
        "head": runtime.commands.head_of(innovation.organisation_id),
        "letters": [
            d.document
            for d in innovation.documents.values()
            if not d.removed and d.document.kind == DocumentKind.ENDORSEMENT
        ],
    }


# ---------------------------------------------------------------------------------------------
# dashboard and new drafts


@get("/dasbor", sync_to_thread=True, name="page:dashboard")
def dashboard(request: Request[Any, Any, Any]) -> Any:
    principal = principal_of(request)
    policy.ensure_role(principal, *SUBMITTERS)
    runtime = runtime_of(request)
    names = Names(runtime)
    moment = now()
    board = queries.status_board(runtime, principal)
    standing = None
    if principal.role == Role.OPERATOR and principal.organisation_id is not None:
        report = queries.compliance(runtime, moment.year)
        standing = next(
            (r for r in report.rows if r.organisation_id == principal.organisation_id), None
        )
    return render(
        request,
        "submission/dashboard.html",
        board=board,
        rows=board.items,
        item_label=queries.revision_item_label,
        calls=open_calls_for(runtime, principal, names, moment),
        server_now=moment,
        organisation=names.org_name(principal.organisation_id) if principal.organisation_id else "",
        year=moment.year,
        standing=standing,
    )


def open_calls_for(runtime: Any, principal: Any, names: Names, moment: Any) -> list[Any]:
    """Open calls this caller may propose to (participants: Krenova; OPDs: by their kind)."""
    return [
        c
        for c in queries.calls(runtime, state="open")
        if c.is_open(moment) and _eligible(principal, c, names)
    ]


def _eligible(principal: Any, call: Any, names: Names) -> bool:
    if principal.role == Role.PARTICIPANT:
        return "masyarakat" in call.eligible_kinds
    org = names.organisation(principal.organisation_id)
    return org is not None and str(org.kind) in call.eligible_kinds


@get("/inovasi/baru", sync_to_thread=True, name="page:new")
def new_page(request: Request[Any, Any, Any], call: FromQuery[str | None] = None) -> Any:
    principal = principal_of(request)
    policy.ensure_role(principal, *SUBMITTERS)
    runtime = runtime_of(request)
    moment = now()
    calls = open_calls_for(runtime, principal, Names(runtime), moment)
    return render(
        request,
        "submission/new.html",
        calls=calls,
        selected=call or (str(calls[0].id) if len(calls) == 1 else ""),
        title="",
        errors={},
        error="",
        server_now=moment,
    )


def starting_profile(runtime: Any, principal: Any, title: str) -> Profile:
    """A new entry's profile: a Krenova participant's group members (given at registration)
    are already in it, so they need not be typed twice."""
    if principal.role != Role.PARTICIPANT or principal.account_id is None:
        return Profile(title=title)
    from services.domain.organisation import Account
    from services.domain.values import KrenovaEntry

    members = runtime.store.load(Account, principal.account_id).members
    return Profile(title=title, krenova=KrenovaEntry(members=tuple(members)) if members else None)


@post("/inovasi/baru", sync_to_thread=True, name="page:new-submit", status_code=303)
def new_submit(request: Request[Any, Any, Any], data: Form) -> Any:
    principal = principal_of(request)
    policy.ensure_role(principal, *SUBMITTERS)
    runtime = runtime_of(request)
    title = str(data.get("title", "")).strip()
    call_raw = str(data.get("call_id", "")).strip()
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "Nama inovasi wajib diisi."
    elif len(title) > limits.TITLE_MAX:
        errors["title"] = f"Nama inovasi paling banyak {limits.TITLE_MAX} karakter."
    if not call_raw:
        errors["call_id"] = "Pilih panggilan yang akan diikuti."
    error = ""
    if not errors:
        try:
            outcome = run_command(
                request,
                lambda ctx: runtime.commands.propose(
                    ctx,
                    call_id=parse_uuid(call_raw),
                    profile=starting_profile(runtime, principal, title),
                ),
            )
        except DomainError as exc:
            error = exc.message
        except NotFound:
            errors["call_id"] = "Panggilan tidak ditemukan."
        else:
            settle(runtime, outcome)
            return redirect(f"/inovasi/{outcome.id}/isian", "diusulkan")
    moment = now()
    return render(
        request,
        "submission/new.html",
        status_code=422,
        calls=open_calls_for(runtime, principal, Names(runtime), moment),
        selected=call_raw,
        title=title,
        errors=errors,
        error=error,
        server_now=moment,
    )


# ---------------------------------------------------------------------------------------------
# one innovation: overview


@get("/inovasi/{innovation_id:str}", sync_to_thread=True, name="page:innovation")
def overview(request: Request[Any, Any, Any], innovation_id: FromPath[str]) -> Any:
    principal = principal_of(request)
    innovation = load_visible(request, parse_uuid(innovation_id))
    if innovation.published and not policy.sees_record(principal, innovation):
        return redirect(f"/katalog/{innovation.id}")  # the public face, for everyone else
    policy.ensure_record(principal, innovation)
    context = workspace(request, innovation, "ringkasan")
    from services.web.pages.monev import monev_section  # the monev page imports this module

    return render(
        request, "submission/overview.html", monev=monev_section(request, innovation), **context
    )


# ---------------------------------------------------------------------------------------------
# the form in sections


def _form_context(
    request: Request[Any, Any, Any],
    innovation: Innovation,
    values: dict[str, dict[str, str]] | None = None,
    errors: dict[str, str] | None = None,
    active: str = "",
    error: str = "",
) -> dict[str, Any]:
    sections = forms.sections_for(innovation)
    current = {s.key: forms.values_of(innovation.profile, s) for s in sections}
    if values:
        current.update(values)
    typed = {
        name: text for section_values in current.values() for name, text in section_values.items()
    }
    return {
        **workspace(request, innovation, "isian"),
        "sections": sections,
        "values": current,
        "errors": errors or {},
        # After a refused save the page shows what was typed: a hint about a field the person
        # has just filled (or a stale word count) would contradict the field beside it.
        "hints": forms.hints(innovation, typed if values else None),
        "active": active,
        "error": error,
        "design_words": forms.typed_design_words(innovation, typed),
    }


@get("/inovasi/{innovation_id:str}/isian", sync_to_thread=True, name="page:form")
def form_page(request: Request[Any, Any, Any], innovation_id: FromPath[str]) -> Any:
    innovation = load_record(request, parse_uuid(innovation_id))
    return render(request, "submission/form.html", **_form_context(request, innovation))


@post(
    "/inovasi/{innovation_id:str}/isian",
    sync_to_thread=True,
    name="page:form-save-all",
    status_code=303,
)
def form_save_all(request: Request[Any, Any, Any], innovation_id: FromPath[str], data: Form) -> Any:
    """The whole form in one post (what Enter in a field submits)."""
    return _save_form(request, innovation_id, "", data)


@post(
    "/inovasi/{innovation_id:str}/isian/{section_key:str}",
    sync_to_thread=True,
    name="page:form-save",
    status_code=303,
)
def form_save(
    request: Request[Any, Any, Any],
    innovation_id: FromPath[str],
    section_key: FromPath[str],
    data: Form,
) -> Any:
    """One "Simpan" button of the form: every section that came with the post is saved (the
    form is one ``<form>``, so nothing typed elsewhere is lost); the page returns to this one."""
    return _save_form(request, innovation_id, section_key, data)


def _save_form(
    request: Request[Any, Any, Any], innovation_id: str, section_key: str, data: dict[str, Any]
) -> Any:
    runtime = runtime_of(request)
    innovation = load_visible(request, parse_uuid(innovation_id))
    guard(request, Command.UPDATE_PROFILE, innovation)
    if section_key and forms.section(innovation, section_key) is None:
        raise NotAllowed("Bagian formulir tidak dikenal.")
    back = f"/inovasi/{innovation.id}/isian" + (f"#bagian-{section_key}" if section_key else "")
    expected = version_of(data)
    patch, errors, raw = forms.parse_form(innovation, data)
    if patch is None:
        context = _form_context(request, innovation, raw, errors, section_key)
        return render(request, "submission/form.html", status_code=422, **context)
    if not patch.changed():
        if expected is not None and expected != innovation.version:
            exc = ConcurrencyConflict(innovation.id, expected + 1, innovation.version)
            return conflict_page(request, innovation.id, exc, f"/inovasi/{innovation.id}/isian")
        return redirect(back, "disimpan")
    try:
        outcome = run_command(
            request,
            lambda ctx: runtime.commands.update_profile(
                ctx, innovation.id, patch, expected_version=expected
            ),
        )
    except ConcurrencyConflict as exc:
        unsaved = forms.typed_changes(innovation, raw)
        return conflict_page(
            request, innovation.id, exc, f"/inovasi/{innovation.id}/isian", unsaved
        )
    except DomainError as exc:
        problem = refusal(exc)
        field_errors = {problem.field: problem.message} if problem.field else {}
        context = _form_context(
            request, innovation, raw, field_errors, section_key, problem.message
        )
        return render(request, "submission/form.html", status_code=problem.status, **context)
    settle(runtime, outcome)
    return redirect(back, "disimpan")


@post(
    "/inovasi/{innovation_id:str}/isian/{section_key:str}/periksa",
    sync_to_thread=True,
    name="page:form-check",
    status_code=200,
)
def form_check(
    request: Request[Any, Any, Any],
    innovation_id: FromPath[str],
    section_key: FromPath[str],
    data: Form,
) -> Any:
    """HTMX: check one field as the user leaves it, without saving anything."""
    innovation = load_visible(request, parse_uuid(innovation_id))
    sec = forms.section(innovation, section_key)
    if sec is None:
        raise NotAllowed("Bagian formulir tidak dikenal.")
    name = request.headers.get("hx-trigger-name", "")
    field = next((f for f in sec.fields if f.name == name), None)
    if field is None:
        raise NotAllowed("Isian tidak dikenal.")
    patch, errors, raw = forms.parse(sec, data, innovation.profile)
    words = None
    if name.startswith("design."):
        words = sum(len(raw.get(f.name, "").split()) for f in sec.fields)
    hint = ""
    if patch is not None:
        # What the domain's completeness check would say once this section is saved.
        draft = copy.copy(innovation)
        draft.profile = patch.apply_to(innovation.profile)
        hint = forms.hints(draft).get(name, "")
    return render(
        request,
        "submission/_field_message.html",
        field=field,
        error=errors.get(name, ""),
        hint=hint,
        filled=bool(raw.get(name)),
        words=words,
    )


# ---------------------------------------------------------------------------------------------
# documents


def _documents_context(
    request: Request[Any, Any, Any], innovation: Innovation, error: str = ""
) -> dict[str, Any]:
    live = [d for d in innovation.documents.values() if not d.removed]
    return {
        **workspace(request, innovation, "dokumen"),
        "documents": live,
        "kinds": DOCUMENT_KIND_LABELS,
        "upload_error": error,
        "max_mb": runtime_of(request).settings.max_upload_mb,
        "accept": uploads.ACCEPT,
    }


@get("/inovasi/{innovation_id:str}/dokumen", sync_to_thread=True, name="page:documents")
def documents_page(request: Request[Any, Any, Any], innovation_id: FromPath[str]) -> Any:
    innovation = load_record(request, parse_uuid(innovation_id))
    return render(request, "submission/documents.html", **_documents_context(request, innovation))


@post("/inovasi/{innovation_id:str}/dokumen", name="page:upload", status_code=303)
async def upload(request: Request[Any, Any, Any], innovation_id: FromPath[str]) -> Any:
    """Streams the file into the blob store as the API's upload does (never into memory)."""
    innovation = await sync_to_thread(load_visible, request, parse_uuid(innovation_id))
    guard(request, Command.ATTACH_DOCUMENT, innovation)
    try:
        form = await uploads.read_form(request)
    except HTTPException as exc:
        message = str(exc.detail or "Unggahan tidak dapat dibaca.")
        return await sync_to_thread(_upload_refused, request, innovation, exc.status_code, message)
    try:
        return await sync_to_thread(_attach_uploaded, request, innovation, form)
    finally:
        form.abort()  # no-op after a commit


def _upload_template(request: Request[Any, Any, Any]) -> str:
    if request.headers.get("hx-request"):
        return "submission/_documents_panel.html"
    return "submission/documents.html"


def _upload_refused(
    request: Request[Any, Any, Any], innovation: Innovation, status: int, message: str
) -> Any:
    context = _documents_context(request, innovation, message)
    return render(request, _upload_template(request), status_code=status, **context)


def _attach_uploaded(
    request: Request[Any, Any, Any], innovation: Innovation, form: uploads.UploadForm
) -> Any:
    runtime = runtime_of(request)
    data = form.fields
    kind = data.get("kind", "")
    url = data.get("url", "")
    indicator_raw = data.get("indicator", "")
    replaces_raw = data.get("replaces", "")
    public_raw = data.get("public", "")
    error = ""
    if kind not in DOCUMENT_KIND_LABELS:
        error = "Pilih jenis dokumen."
    elif public_mark(public_raw, DocumentKind(kind)) is None:
        error = "Pilihan tampil di katalog publik tidak dikenal."
    elif form.writer is None and not url:
        error = "Pilih berkas yang akan diunggah (atau isi tautan untuk video)."
    indicator: int | None = None
    replaces = None
    if not error and indicator_raw:
        try:
            indicator = int(indicator_raw)
        except ValueError:
            error = "Indikator tidak dikenal."
    if not error and replaces_raw:
        replaces = parse_uuid(replaces_raw)
    if error:
        return _upload_refused(request, innovation, 422, error)
    try:
        outcome = uploads.attach(
            request,
            innovation,
            form,
            kind=kind,
            indicator=indicator,
            expected=version_of(data),
            url=url,
            replaces=replaces,
            public=bool(public_mark(public_raw, DocumentKind(kind))),
        )
    except ConcurrencyConflict as exc:
        return conflict_page(request, innovation.id, exc, f"/inovasi/{innovation.id}/dokumen")
    except (uploads.UploadRefused, DomainError) as exc:
        status = exc.status
        return _upload_refused(request, innovation, status, exc.message)
    settle(runtime, outcome)
    if request.headers.get("hx-request"):
        fresh = runtime.commands.innovation(innovation.id)
        context = _documents_context(request, fresh)
        return render(
            request, _upload_template(request), notice_text="Dokumen terunggah.", **context
        )
    return redirect(f"/inovasi/{innovation.id}/dokumen", "diunggah")


def _document_command(
    request: Request[Any, Any, Any],
    innovation: Innovation,
    command: Callable[[Any], Any],
    notice: str,
) -> Any:
    """A command on one document from the documents page: back to the page with ``notice``, or
    the page again with the refusal (a stale version gets the conflict page)."""
    runtime = runtime_of(request)
    try:
        outcome = run_command(request, command)
    except ConcurrencyConflict as exc:
        return conflict_page(request, innovation.id, exc, f"/inovasi/{innovation.id}/dokumen")
    except DomainError as exc:
        context = _documents_context(request, innovation, exc.message)
        return render(request, "submission/documents.html", status_code=exc.status, **context)
    settle(runtime, outcome)
    return redirect(f"/inovasi/{innovation.id}/dokumen", notice)


@post(
    "/inovasi/{innovation_id:str}/dokumen/{doc_id:str}/hapus",
    sync_to_thread=True,
    name="page:remove-document",
    status_code=303,
)
def remove_document(
    request: Request[Any, Any, Any], innovation_id: FromPath[str], doc_id: FromPath[str], data: Form
) -> Any:
    commands = runtime_of(request).commands
    innovation = load_visible(request, parse_uuid(innovation_id))
    guard(request, Command.REMOVE_DOCUMENT, innovation)
    document_id = parse_uuid(doc_id)
    return _document_command(
        request,
        innovation,
        lambda ctx: commands.remove_document(
            ctx,
            innovation.id,
            document_id,
            reason=str(data.get("reason", "")).strip(),
            expected_version=version_of(data),
        ),
        "dihapus",
    )


@post(
    "/inovasi/{innovation_id:str}/dokumen/{doc_id:str}/keterbukaan",
    sync_to_thread=True,
    name="page:document-visibility",
    status_code=303,
)
def set_document_visibility(
    request: Request[Any, Any, Any], innovation_id: FromPath[str], doc_id: FromPath[str], data: Form
) -> Any:
    commands = runtime_of(request).commands
    innovation = load_visible(request, parse_uuid(innovation_id))
    guard(request, Command.SET_DOCUMENT_VISIBILITY, innovation)
    document_id = parse_uuid(doc_id)
    raw = str(data.get("public", "")).strip().lower()
    if raw not in PUBLIC_YES | PUBLIC_NO:
        context = _documents_context(request, innovation, "Pilihan keterbukaan tidak dikenal.")
        return render(request, "submission/documents.html", status_code=400, **context)
    public = raw in PUBLIC_YES
    return _document_command(
        request,
        innovation,
        lambda ctx: commands.set_document_visibility(
            ctx,
            innovation.id,
            document_id,
            public,
            reason=str(data.get("reason", "")).strip(),
            expected_version=version_of(data),
        ),
        "dibuka" if public else "ditutup",
    )


# ---------------------------------------------------------------------------------------------
# self-assessment


def _assessment_context(
    request: Request[Any, Any, Any],
    innovation: Innovation,
    errors: dict[int, str] | None = None,
    error: str = "",
) -> dict[str, Any]:
    context = workspace(request, innovation, "penilaian")
    rubric = context["rubric"]
    card = context["scorecard"]
    rows_by_no = {row.no: row for row in card.indicators}
    recommendations = {
        r.indicator: r for r in scoring.recommendations(rubric, innovation.indicator_inputs())
    }
    live = [d for d in innovation.documents.values() if not d.removed]
    indicators = []
    for ind in rubric.indicators:
        claim = innovation.claims.get(ind.no)
        evidence = innovation.evidence_for(ind.no)
        indicators.append(
            {
                "indicator": ind,
                "row": rows_by_no[ind.no],
                "claim": claim,
                "evidence": evidence,
                "evidence_ids": {str(d.document.doc_id) for d in evidence},
                "recommendation": recommendations.get(ind.no),
                "no_evidence": bool(claim and claim.level and not evidence),
            }
        )
    from services.care_evidence import care_offers  # bimtek sessions and monev reports

    return {
        **context,
        "indicators": indicators,
        "care": care_offers(runtime_of(request), innovation, jakarta_today()),
        "documents": live,
        "errors": errors or {},
        "error": error,
    }


def _what_if(innovation: Innovation, raw: str | None) -> dict[str, Any]:
    """The scorecard under another year's rubric (``?rubrik=``), and the indicators whose level
    wording changes there, so an operator sees next year's rules coming."""
    years = rubric_years()
    if not raw or not raw.isdigit() or int(raw) not in years:
        return {"what_if": None, "rubric_years": years}
    other = load_rubric(int(raw))
    own = load_rubric(innovation.rubric_year)
    changed = [
        ind
        for ind in other.indicators
        if [lv.description for lv in ind.levels]
        != [lv.description for lv in own.indicator(ind.no).levels]
    ]
    return {
        "what_if": {"rubric": other, "card": innovation.scorecard(other), "changed": changed},
        "rubric_years": years,
    }


@get("/inovasi/{innovation_id:str}/penilaian", sync_to_thread=True, name="page:assessment")
def assessment_page(
    request: Request[Any, Any, Any],
    innovation_id: FromPath[str],
    rubrik: FromQuery[str | None] = None,
) -> Any:
    innovation = load_record(request, parse_uuid(innovation_id))
    context = {**_assessment_context(request, innovation), **_what_if(innovation, rubrik)}
    return render(request, "submission/assessment.html", **context)


@post(
    "/inovasi/{innovation_id:str}/penilaian",
    sync_to_thread=True,
    name="page:assessment-save",
    status_code=303,
)
def assessment_save(
    request: Request[Any, Any, Any], innovation_id: FromPath[str], data: Form
) -> Any:
    """Save every indicator whose level, evidence or note changed, one claim event each."""
    runtime = runtime_of(request)
    innovation = load_visible(request, parse_uuid(innovation_id))
    guard(request, Command.CLAIM_INDICATOR, innovation)
    rubric = rubric_of(innovation)
    expected = version_of(data)
    if expected is not None and expected != innovation.version:
        exc = ConcurrencyConflict(innovation.id, expected + 1, innovation.version)
        return conflict_page(request, innovation.id, exc, f"/inovasi/{innovation.id}/penilaian")
    errors: dict[int, str] = {}
    changes: list[tuple[int, int, list[UUID], str]] = []
    live = {str(d.document.doc_id) for d in innovation.documents.values() if not d.removed}
    for ind in rubric.indicators:
        raw_level = data.get(f"level-{ind.no}")
        if raw_level is None:
            continue
        try:
            level = int(str(raw_level[-1] if isinstance(raw_level, list) else raw_level))
        except ValueError:
            errors[ind.no] = "Level tidak valid."
            continue
        chosen = data.get(f"evidence-{ind.no}") or []
        chosen = chosen if isinstance(chosen, list) else [chosen]
        evidence_ids = [UUID(str(x)) for x in chosen if str(x) in live]
        note_raw = data.get(f"note-{ind.no}", "")
        note = str(note_raw[-1] if isinstance(note_raw, list) else note_raw).strip()[:2000]
        claim = innovation.claims.get(ind.no)
        before = (claim.level, list(claim.evidence), claim.note) if claim else (0, [], "")
        if (level, evidence_ids, note) == before or (level == 0 and claim is None):
            continue
        if level and not evidence_ids and not innovation.evidence_for(ind.no):
            errors[ind.no] = "Pilih atau unggah bukti dukung: klaim tanpa bukti bernilai 0 poin."
        changes.append((ind.no, level, evidence_ids, note))

    def claim_all(ctx: Any) -> Any:
        version, last = expected, None
        for no, level, evidence_ids, note in changes:
            last = runtime.commands.claim_indicator(
                ctx,
                innovation.id,
                no=no,
                level=level,
                evidence=evidence_ids,
                note=note,
                expected_version=version,
            )
            version = last.version
        return last

    try:
        outcome = run_command(request, claim_all)
    except ConcurrencyConflict as exc:
        return conflict_page(request, innovation.id, exc, f"/inovasi/{innovation.id}/penilaian")
    except DomainError as exc:
        fresh = runtime.commands.innovation(innovation.id)
        context = _assessment_context(request, fresh, errors, exc.message)
        return render(request, "submission/assessment.html", status_code=exc.status, **context)
    settle(runtime, outcome)
    if errors:
        fresh = runtime.commands.innovation(innovation.id)
        context = _assessment_context(request, fresh, errors)
        return render(request, "submission/assessment.html", status_code=200, **context)
    return redirect(f"/inovasi/{innovation.id}/penilaian", "diklaim")


# ---------------------------------------------------------------------------------------------
# submit, resubmit, withdraw


def _submit_command(innovation: Innovation) -> Command:
    return Command.RESUBMIT if innovation.status == Status.REVISION_REQUESTED else Command.SUBMIT


@get("/inovasi/{innovation_id:str}/ajukan", sync_to_thread=True, name="page:submit")
def submit_page(request: Request[Any, Any, Any], innovation_id: FromPath[str]) -> Any:
    innovation = load_record(request, parse_uuid(innovation_id))
    command = _submit_command(innovation)
    guard(request, command, innovation)
    return render(
        request,
        "submission/submit.html",
        command=str(command),
        error="",
        missing=[],
        note="",
        **workspace(request, innovation, "ajukan"),
    )


@post(
    "/inovasi/{innovation_id:str}/ajukan",
    sync_to_thread=True,
    name="page:submit-confirm",
    status_code=303,
)
def submit_confirm(
    request: Request[Any, Any, Any], innovation_id: FromPath[str], data: Form
) -> Any:
    runtime = runtime_of(request)
    innovation = load_visible(request, parse_uuid(innovation_id))
    command = _submit_command(innovation)
    guard(request, command, innovation)
    expected = version_of(data)
    note = str(data.get("note", "")).strip()[:2000]
    try:
        if command == Command.RESUBMIT:
            outcome = run_command(
                request,
                lambda ctx: runtime.commands.resubmit(
                    ctx, innovation.id, note, expected_version=expected
                ),
            )
        else:
            outcome = run_command(
                request,
                lambda ctx: runtime.commands.submit(ctx, innovation.id, expected_version=expected),
            )
    except ConcurrencyConflict as exc:
        return conflict_page(request, innovation.id, exc, f"/inovasi/{innovation.id}/ajukan")
    except DomainError as exc:
        problem = refusal(exc)
        return render(
            request,
            "submission/submit.html",
            status_code=problem.status,
            command=str(command),
            error=problem.message if not problem.missing else "Inovasi belum lengkap.",
            missing=problem.missing,
            note=note,
            **workspace(request, innovation, "ajukan"),
        )
    settle(runtime, outcome)
    notice = "diajukan_ulang" if command == Command.RESUBMIT else "diajukan"
    return redirect(f"/inovasi/{innovation.id}", notice)


@post(
    "/inovasi/{innovation_id:str}/tarik",
    sync_to_thread=True,
    name="page:withdraw",
    status_code=303,
)
def withdraw(request: Request[Any, Any, Any], innovation_id: FromPath[str], data: Form) -> Any:
    runtime = runtime_of(request)
    innovation = load_visible(request, parse_uuid(innovation_id))
    guard(request, Command.WITHDRAW, innovation)
    reason = str(data.get("reason", "")).strip()[:2000]
    try:
        outcome = run_command(
            request,
            lambda ctx: runtime.commands.withdraw(
                ctx, innovation.id, reason, expected_version=version_of(data)
            ),
        )
    except ConcurrencyConflict as exc:
        return conflict_page(request, innovation.id, exc, f"/inovasi/{innovation.id}")
    settle(runtime, outcome)
    return redirect(f"/inovasi/{innovation.id}", "ditarik")


@post(
    "/inovasi/{innovation_id:str}/bawa",
    sync_to_thread=True,
    name="page:carry-forward",
    status_code=303,
)
def carry_forward(request: Request[Any, Any, Any], innovation_id: FromPath[str], data: Form) -> Any:
    """ "Bawa ke tahun berikutnya": a linked draft in the next year's open call."""
    runtime = runtime_of(request)
    innovation = load_visible(request, parse_uuid(innovation_id))
    guard(request, Command.CARRY_FORWARD, innovation)
    try:
        draft = run_command(
            request,
            lambda ctx: runtime.commands.carry_forward(
                ctx, innovation.id, expected_version=version_of(data)
            )[0],
        )
    except ConcurrencyConflict as exc:
        return conflict_page(request, innovation.id, exc, f"/inovasi/{innovation.id}")
    settle(runtime, draft)
    return redirect(f"/inovasi/{draft.id}", "dibawa")


route_handlers: list[Any] = [
    carry_forward,
    dashboard,
    new_page,
    new_submit,
    overview,
    form_page,
    form_save_all,
    form_save,
    form_check,
    documents_page,
    upload,
    remove_document,
    set_document_visibility,
    assessment_page,
    assessment_save,
    submit_page,
    submit_confirm,
    withdraw,
]

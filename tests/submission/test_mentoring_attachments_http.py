"""Attachments of a mentoring session over HTTP on real PostgreSQL: the mentor and the
organisation's operator attach documents and photos; operator, mentor and Bappeda download them,
nobody else; bad files are problem JSON that record and keep nothing."""

from __future__ import annotations

from typing import Any

from services.blobs import BlobStore
from tests.images import png
from tests.submission.conftest import Api, docx_bytes, pdf_bytes
from tests.submission.test_bad_input import assert_problem
from tests.submission.test_mentoring_http import _session, mentors  # noqa: F401 (fixture)


def _ready(api: Api, mentors: dict[str, str], title: str) -> tuple[str, str]:  # noqa: F811
    iid = api.propose(title)["id"]
    url = f"/api/innovations/{iid}/mentoring"
    api.call("POST", f"{url}/mentors", as_="admin", json={"mentor_id": mentors["pendamping.unis"]})
    made = api.call("POST", f"{url}/sessions", as_="pendamping.unis", json=_session(mode="bimtek"))
    assert made.status_code == 201, made.text
    return url, made.json()["sessions"][0]["id"]


def _attach(api: Api, url: str, name: str, content: bytes, as_: str, **data: Any) -> Any:
    files = {"file": (name, content, "application/octet-stream")}
    return api.call("POST", url, as_=as_, data=data, files=files)


def test_mentor_and_operator_attach_and_both_see_it(
    api: Api,
    mentors: dict[str, str],  # noqa: F811
) -> None:
    url, session = _ready(api, mentors, "Adminduk Berlampiran")
    target = f"{url}/sessions/{session}/attachments"
    invitation = pdf_bytes("undangan")
    first = _attach(api, target, "undangan bimtek.pdf", invitation, "pendamping.unis")
    assert first.status_code == 201, first.text
    photo = _attach(api, target, "suasana", png(), "op.dukcapil", caption="Peserta bimtek")
    assert photo.status_code == 201, photo.text
    files = photo.json()["sessions"][0]["attachments"]
    assert [(f["name"], f["content_type"]) for f in files] == [
        ("undangan bimtek.pdf", "application/pdf"),
        ("suasana.png", "image/png"),
    ]
    assert files[1]["caption"] == "Peserta bimtek"
    download = f"{url}/attachments/{files[0]['id']}"
    for who in ("op.dukcapil", "pendamping.unis", "admin", "rev.satu"):
        got = api.call("GET", download, as_=who)
        assert got.status_code == 200 and got.content == invitation, who
    for who in ("op.dinkes", "pendamping.lain"):
        assert_problem(api.call("GET", download, as_=who), 404)
    assert_problem(api.call("GET", download, as_=None), 401)


def test_bad_attachments_are_problems_that_keep_nothing(
    api: Api,
    mentors: dict[str, str],  # noqa: F811
) -> None:
    url, session = _ready(api, mentors, "Adminduk Lampiran Buruk")
    target = f"{url}/sessions/{session}/attachments"
    blobs = BlobStore(api.runtime.settings.blob_path)
    keys = set(blobs.keys())
    before = api.max_notification_id()
    assert_problem(_attach(api, target, "a.txt", b"teks biasa " * 20, "admin"), 415)
    assert_problem(_attach(api, target, "a.png", png(), "admin"), 422)  # a photo needs a caption
    assert_problem(_attach(api, target, "a.pdf", pdf_bytes(), "pendamping.lain"), 404)
    assert_problem(_attach(api, target, "a.pdf", pdf_bytes(), "op.dinkes"), 404)
    assert_problem(_attach(api, target, "a.pdf", pdf_bytes(), "rev.satu"), 403)  # not its mentor
    assert_problem(_attach(api, target, "../../a.pdf", pdf_bytes(), "admin"), 400)
    other = f"{url}/sessions/{'0' * 8}-0000-4000-8000-{'0' * 12}/attachments"
    assert (
        "tidak ditemukan"
        in assert_problem(_attach(api, other, "a.docx", docx_bytes(), "admin"), 422)["detail"]
    )
    assert set(blobs.keys()) == keys
    assert api.max_notification_id() == before

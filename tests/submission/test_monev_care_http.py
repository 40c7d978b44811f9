"""Monev visits rescheduled and cancelled, and photos of visits and reports, over HTTP on real
PostgreSQL: the organisation is told, refusals are problem JSON that record and keep nothing,
and a photo is served only to whoever sees the monev record."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from services.blobs import BlobStore
from services.domain.call import jakarta_today
from tests.images import png, webp
from tests.submission.conftest import Api, pdf_bytes
from tests.submission.test_bad_input import assert_problem
from tests.submission.test_monev_http import _established, _report

SOON = (jakarta_today() + timedelta(days=7)).isoformat()
LATER = (jakarta_today() + timedelta(days=21)).isoformat()


def _visit(api: Api, iid: str) -> str:
    made = api.call(
        "POST",
        f"/api/innovations/{iid}/monev/visits",
        as_="rev.satu",
        json={"due_on": SOON, "kind": "kunjungan"},
    )
    assert made.status_code == 201, made.text
    return str(made.json()["visits"][-1]["id"])


def _photo(api: Api, url: str, content: bytes, as_: str = "rev.satu", **data: Any) -> Any:
    fields = {"caption": "Loket layanan saat kunjungan", **data}
    files = {"file": ("foto.png", content, "image/png")}
    return api.call("POST", url, as_=as_, data=fields, files=files)


def test_reschedule_then_cancel_tells_the_organisation(api: Api) -> None:
    iid = _established(api, "Adminduk Dijadwal Ulang")
    url = f"/api/innovations/{iid}/monev/visits"
    visit = _visit(api, iid)
    before = api.max_notification_id()
    moved = api.call(
        "POST",
        f"{url}/{visit}/reschedule",
        as_="rev.satu",
        json={"due_on": LATER, "reason": "Kepala dinas dinas luar"},
    )
    assert moved.status_code == 201, moved.text
    row = moved.json()["visits"][0]
    assert row["due_on"] == LATER and row["first_due_on"] == SOON
    assert row["reason"] == "Kepala dinas dinas luar" and row["status"] == "planned"
    assert api.max_notification_id() > before
    cancelled = api.call(
        "POST", f"{url}/{visit}/cancel", as_="admin", json={"reason": "Inovasi direlokasi"}
    )
    assert cancelled.status_code == 201, cancelled.text
    row = cancelled.json()["visits"][0]
    assert row["status"] == "cancelled" and row["status_label"] == "Dibatalkan"
    assert row["commands"] == [] and cancelled.json()["open_visits"] == 0
    # A cancelled visit can be neither moved nor reported on.
    again = api.call(
        "POST", f"{url}/{visit}/reschedule", as_="admin", json={"due_on": LATER, "reason": "x"}
    )
    assert "Dibatalkan" in assert_problem(again, 422, "invalid-value")["detail"]
    report = api.call(
        "POST", f"/api/innovations/{iid}/monev/reports", as_="admin", json=_report(visit_id=visit)
    )
    assert_problem(report, 422, "invalid-value")


def test_bad_reschedules_and_cancels_are_problems(api: Api) -> None:
    iid = _established(api, "Adminduk Jadwal Buruk")
    url = f"/api/innovations/{iid}/monev/visits"
    visit = _visit(api, iid)
    before = api.max_notification_id()
    cases: list[tuple[str, str, dict[str, Any], int]] = [
        ("admin", "reschedule", {"due_on": "2020-01-01", "reason": "x"}, 422),
        ("admin", "reschedule", {"due_on": SOON, "reason": "sama"}, 422),
        ("admin", "reschedule", {"due_on": LATER, "reason": ""}, 400),
        ("admin", "reschedule", {"due_on": LATER}, 400),
        ("admin", "cancel", {"reason": "x" * 3000}, 400),
        ("admin", "cancel", {"reason": "ok", "extra": 1}, 400),
        ("op.dukcapil", "cancel", {"reason": "kami batalkan"}, 403),
        ("op.dinkes", "cancel", {"reason": "bukan milik kami"}, 404),
    ]
    for who, verb, body, status in cases:
        assert_problem(api.call("POST", f"{url}/{visit}/{verb}", as_=who, json=body), status)
    unknown = api.call(
        "POST",
        f"{url}/{'0' * 8}-0000-4000-8000-{'0' * 12}/cancel",
        as_="admin",
        json={"reason": "x"},
    )
    assert "tidak ditemukan" in assert_problem(unknown, 422)["detail"]
    assert api.max_notification_id() == before


def test_photos_of_a_visit_and_a_report_are_served_to_who_sees_monev(api: Api) -> None:
    iid = _established(api, "Adminduk Berfoto")
    visit = _visit(api, iid)
    base = f"/api/innovations/{iid}/monev"
    content = png("kunjungan")
    added = _photo(api, f"{base}/visits/{visit}/photos", content)
    assert added.status_code == 201, added.text
    photo = added.json()["visits"][0]["photos"][0]
    assert photo["content_type"] == "image/png" and photo["size"] == len(content)
    assert photo["caption"] == "Loket layanan saat kunjungan" and len(photo["sha256"]) == 64
    assert photo["name"] == "foto.png"
    report = api.call("POST", f"{base}/reports", as_="admin", json=_report(visit_id=visit))
    report_id = report.json()["reports"][0]["id"]
    with_webp = _photo(api, f"{base}/reports/{report_id}/photos", webp(), as_="admin")
    assert with_webp.status_code == 201, with_webp.text
    assert with_webp.json()["reports"][0]["photos"][0]["content_type"] == "image/webp"
    # The operator downloads it; another organisation and a signed-out caller do not.
    got = api.call("GET", f"{base}/photos/{photo['id']}")
    assert got.status_code == 200 and got.content == content
    assert got.headers["content-type"] == "image/png"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert_problem(api.call("GET", f"{base}/photos/{photo['id']}", as_="op.dinkes"), 404)
    assert_problem(api.call("GET", f"{base}/photos/{photo['id']}", as_=None), 401)


def test_bad_photos_are_problems_that_keep_nothing(api: Api) -> None:
    iid = _established(api, "Adminduk Foto Buruk")
    visit = _visit(api, iid)
    url = f"/api/innovations/{iid}/monev/visits/{visit}/photos"
    blobs = BlobStore(api.runtime.settings.blob_path)
    keys = set(blobs.keys())
    before = api.max_notification_id()
    assert_problem(_photo(api, url, pdf_bytes()), 415, "unsupported-media-type")
    assert_problem(_photo(api, url, b"GIF89a" + b"\x00" * 40), 415)
    assert_problem(_photo(api, url, png(), caption=""), 422, "invalid-value")
    assert_problem(_photo(api, url, png(), caption="x" * 300), 422, "invalid-value")
    assert_problem(_photo(api, url, png(), foo="sk"), 400)  # an unknown form field
    assert_problem(_photo(api, url, png(), as_="op.dukcapil"), 403)
    assert_problem(_photo(api, url, png(), as_="op.dinkes"), 404)
    big = png() + b"\x00" * (5 * 1024 * 1024 + 1)
    assert_problem(_photo(api, url, big), 413, "too-large")
    no_file = api.call("POST", url, as_="admin", files={"caption": (None, "Tanpa berkas")})
    assert "Pilih berkas" in assert_problem(no_file, 422, "invalid-value")["detail"]
    twice = api.call(
        "POST", url, as_="admin", data={"caption": "x"}, files={"caption": (None, "y")}
    )
    assert "lebih dari sekali" in assert_problem(twice, 400)["detail"]
    assert_problem(api.call("POST", url, as_="admin", data={"caption": "x"}), 415)
    other = f"/api/innovations/{iid}/monev/reports/{visit}/photos"
    assert "Laporan tidak ditemukan" in assert_problem(_photo(api, other, png()), 422)["detail"]
    assert set(blobs.keys()) == keys
    assert api.max_notification_id() == before


def test_photo_count_is_limited(api: Api) -> None:
    from services.domain.care_files import MAX_PHOTOS

    iid = _established(api, "Adminduk Banyak Foto")
    visit = _visit(api, iid)
    url = f"/api/innovations/{iid}/monev/visits/{visit}/photos"
    for _ in range(MAX_PHOTOS):
        assert _photo(api, url, png()).status_code == 201
    refused = assert_problem(_photo(api, url, png()), 422, "invalid-value")
    assert f"Paling banyak {MAX_PHOTOS}" in refused["detail"]


def test_reports_and_bimtek_are_offered_as_indicator_evidence(api: Api) -> None:
    iid = _established(api, "Adminduk Bukti Monev")
    base = f"/api/innovations/{iid}"
    empty = {o["indicator"]: o for o in api.call("GET", f"{base}/care-evidence").json()}
    assert set(empty) == {5, 19} and empty[19]["level"] == 0
    made = api.call("POST", f"{base}/monev/reports", as_="admin", json=_report(kind="eksternal"))
    report_id = made.json()["reports"][0]["id"]
    _photo(api, f"{base}/monev/reports/{report_id}/photos", png(), as_="admin")
    offered = {o["indicator"]: o for o in api.call("GET", f"{base}/care-evidence").json()}
    assert offered[19]["level"] == 3 and offered[19]["source"] == "monev"
    assert offered[19]["records"][0]["files"][0]["caption"] == "Loket layanan saat kunjungan"
    assert_problem(api.call("GET", f"{base}/care-evidence", as_="op.dinkes"), 404)

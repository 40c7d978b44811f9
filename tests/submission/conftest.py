"""HTTP fixtures for the submission tests: the served app on real PostgreSQL over a seeded world.

One database and one app per test module (seeding and argon2 hashing are the expensive part);
each test creates its own innovations, so tests do not see each other's records. Accounts log in
through ``POST /api/auth/login`` like a real client; tokens are cached per module.
"""

from __future__ import annotations

import hashlib
import io
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from services.app import create_app
from services.audit.keys import generate as generate_signing_key
from services.commands import account_id_for
from services.config import load_settings
from services.domain.actor import Actor, Role
from services.domain.aggregate import Context
from services.domain.values import CallKind
from services.identity.passwords import hash_password
from services.runtime import Runtime
from services.startup import start_runtime
from tests.factories import MANDATORY, World, complete_profile

PASSWORD = "sandi-uji-2025"


def pdf_bytes(tag: str = "") -> bytes:
    """A small, real PDF whose content differs per ``tag`` (so blobs differ)."""
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        + f"% {tag or uuid.uuid4().hex}\n".encode()
        + b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def png_bytes() -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + uuid.uuid4().bytes + b"\x00" * 16


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("_rels/.rels", "<Relationships/>")
        z.writestr("word/document.xml", f"<w:document>{uuid.uuid4().hex}</w:document>")
    return buffer.getvalue()


def profile_json(title: str = "Si Cepat Adminduk") -> dict[str, Any]:
    import msgspec

    return msgspec.to_builtins(complete_profile(title))  # type: ignore[no-any-return]


@dataclass
class Api:
    client: TestClient[Litestar]
    runtime: Runtime
    world: World
    krenova_call_id: str = ""
    tokens: dict[str, str] = field(default_factory=dict)

    # -- callers -------------------------------------------------------------------------

    def auth(self, username: str | None, password: str = PASSWORD) -> dict[str, str]:
        if username is None:
            return {}
        if username not in self.tokens:
            response = self.client.post(
                "/api/auth/login", json={"username": username, "password": password}
            )
            assert response.status_code == 200, response.text
            self.tokens[username] = response.json()["token"]
            self.client.cookies.clear()  # API callers use the bearer token, not the cookie
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def call(self, method: str, url: str, as_: str | None = "op.dukcapil", **kwargs: Any) -> Any:
        headers = {**self.auth(as_), **kwargs.pop("headers", {})}
        return self.client.request(method, url, headers=headers, **kwargs)

    # -- the log -------------------------------------------------------------------------

    def max_notification_id(self) -> int:
        return self.runtime.store.max_notification_id()

    # -- building blocks -----------------------------------------------------------------

    def propose(self, title: str = "Si Cepat Adminduk", as_: str = "op.dukcapil") -> dict:
        response = self.call(
            "POST", "/api/innovations", as_=as_, json={"profile": profile_json(title)}
        )
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def upload(
        self,
        iid: str,
        kind: str = "sk",
        content: bytes | None = None,
        filename: str = "sk-kepala-daerah.pdf",
        as_: str = "op.dukcapil",
        **fields: Any,
    ) -> Any:
        data = {"kind": kind, **{k: str(v) for k, v in fields.items()}}
        files = {"file": (filename, content if content is not None else pdf_bytes(), "x/y")}
        return self.call(
            "POST", f"/api/innovations/{iid}/documents", as_=as_, data=data, files=files
        )

    def complete(self, iid: str, as_: str = "op.dukcapil") -> dict:
        """Attach evidence for every mandatory indicator and claim level 3 on each."""
        body: dict = {}
        for no in MANDATORY:
            up = self.upload(iid, kind="sk" if no == 1 else "report", indicator=no, as_=as_)
            assert up.status_code == 201, up.text
            doc_id = up.json()["document"]["doc_id"]
            claim = self.call(
                "PUT",
                f"/api/innovations/{iid}/indicators/{no}",
                as_=as_,
                json={"level": 3, "evidence": [doc_id], "note": "bukti terlampir"},
            )
            assert claim.status_code == 200, claim.text
            body = claim.json()
        return body


@pytest.fixture(scope="module")
def api(postgres_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    postgres_server.ensure_running()
    name = f"test_sub_{uuid.uuid4().hex[:12]}"
    url = postgres_server.create_database(name)
    data_dir = tmp_path_factory.mktemp("submission")
    key_file = data_dir / "audit-signing.pem"  # a server has its audit key (issue 17)
    generate_signing_key(key_file)
    settings = load_settings(
        env={"SIRISMA_SIGNING_KEY_FILE": str(key_file)},
        data_dir=str(data_dir),
        database_url=url,
        max_upload_mb=1,
    )
    runtime = start_runtime(settings)
    served = False
    try:
        world = World(runtime.commands)
        system = Context(actor=Actor.system())
        world._account(system, "auditor", Role.AUDITOR, None)
        hashed = hash_password(PASSWORD)
        for username in (
            "op.dukcapil",
            "op.dinkes",
            "rev.satu",
            "rev.dukcapil",
            "admin",
            "auditor",
        ):
            runtime.commands.reset_password(system, account_id_for(username), hashed)
        krenova = runtime.commands.open_call(
            Context(actor=world.admin),
            kind=CallKind.KRENOVA,
            title="Krenova 2025",
            budget_year=2025,
            opens_at=world.now - timedelta(days=10),
            deadline=world.now + timedelta(days=20),
            eligible_kinds=("masyarakat",),
            rubric_year=2025,
        )
        served = True  # from here the app's shutdown hook closes the runtime
        with TestClient(create_app(runtime=runtime)) as client:
            yield Api(
                client=client,
                runtime=runtime,
                world=world,
                krenova_call_id=str(krenova.id),
            )
    finally:
        if not served:
            runtime.close()
        postgres_server.drop_database(name)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

"""Settings from ``SIRISMA_*`` environment variables; the defaults give the embedded mode.

One object, read once per process, so every service and the CLI agree on what they run against.
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

PREFIX = "SIRISMA_"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str = ""  # empty → SQLite files under data_dir (embedded mode)
    data_dir: str = "data"
    blob_dir: str = ""  # empty → <data_dir>/blobs
    redis_url: str = ""  # empty → notification tasks run in-process
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = "dev-only-change-me-0123456789abcdef"
    https: bool = False
    max_upload_mb: int = 20
    token_ttl_hours: int = 12
    sla_working_days: int = 5
    score_margin: int = 10
    pool_size: int = 10
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_tls: bool = False
    smtp_user: str = ""
    smtp_password: str = ""
    mail_from: str = "SI-RISMA <no-reply@sirisma.local>"
    smtp_timeout: int = 30  # seconds per SMTP conversation; also bounds the "sending" lease
    task_redispatch_seconds: int = 300  # re-send a dispatched task not done after this long
    log_json: bool = False
    demo: bool = False
    service: str = "all"  # which HTTP routes this process serves: all | submission | review

    @property
    def embedded(self) -> bool:
        return not self.database_url

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).resolve()

    @property
    def blob_path(self) -> Path:
        return Path(self.blob_dir).resolve() if self.blob_dir else self.data_path / "blobs"

    @property
    def event_db_path(self) -> Path:
        return self.data_path / "events.sqlite3"

    @property
    def read_db_path(self) -> Path:
        return self.data_path / "readmodels.sqlite3"


def load_settings(env: dict[str, str] | None = None, **overrides: object) -> Settings:
    """Read ``SIRISMA_<FIELD>`` for every field; unknown or malformed values fail loudly."""
    source = os.environ if env is None else env
    raw: dict[str, object] = {}
    for name in Settings.__struct_fields__:
        value = source.get(PREFIX + name.upper())
        if value is not None:
            raw[name] = value
    raw.update(overrides)
    return msgspec.convert(raw, Settings, strict=False)


def documented_settings() -> list[tuple[str, str]]:
    """(variable, default) pairs, used by the README table and `sirisma config`."""
    defaults = Settings()
    return [
        (PREFIX + name.upper(), str(getattr(defaults, name))) for name in Settings.__struct_fields__
    ]

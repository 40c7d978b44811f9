"""Settings from ``SIRISMA_*`` environment variables; the defaults give the embedded mode.

One object, read once per process, so every service and the CLI agree on what they run against.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import msgspec

PREFIX = "SIRISMA_"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str = ""  # empty → SQLite files under data_dir (embedded mode)
    migrate_database_url: str = ""  # owner role for `sirisma migrate`; empty → database_url
    data_dir: str = "data"
    blob_dir: str = ""  # empty → <data_dir>/blobs
    redis_url: str = ""  # empty → notification tasks run in-process
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = "dev-only-change-me-0123456789abcdef"
    # Ed25519 key that signs the audit day roots, checkpoints and bundles (never the session
    # key): a PEM file (empty → <data_dir>/audit-signing-key.pem, created on first use in
    # embedded/demo mode), or the PEM itself in SIRISMA_SIGNING_SECRET_KEY.
    signing_key_file: str = ""
    signing_secret_key: str = ""
    https: bool = False
    # Addresses (IPs or CIDR networks, comma-separated) of the reverse proxy whose
    # X-Forwarded-For/-Proto uvicorn believes; empty → none (the address is the connection's).
    trusted_proxies: str = ""
    max_upload_mb: int = 20
    token_ttl_hours: int = 12
    sla_working_days: int = 5
    score_margin: int = 10
    pool_size: int = 10
    group_commit: bool = True  # PostgreSQL: concurrent saves share one commit (group_commit.py)
    stream_cache_events: int = 50_000  # decoded events kept per process for loads; 0 = off
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
    metrics_port: int = 0  # Celery workers serve /metrics (task counts) on this port; 0 = off

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


class ConfigError(ValueError):
    """A malformed ``SIRISMA_*`` value; the message names the variable so it can be fixed."""


_BOOL_WORDS = {"yes": "true", "on": "true", "no": "false", "off": "false"}
_DEFAULTS = Settings()


def load_settings(env: dict[str, str] | None = None, **overrides: object) -> Settings:
    """Read ``SIRISMA_<FIELD>`` for every field; malformed values fail loudly, naming the
    variable. An empty value for a number or a flag means "use the default", as compose files
    write ``SIRISMA_SMTP_PORT: ${SIRISMA_SMTP_PORT:-}``."""
    source = os.environ if env is None else env
    raw: dict[str, object] = {}
    for name in Settings.__struct_fields__:
        value = source.get(PREFIX + name.upper())
        if value is None:
            continue
        default = getattr(_DEFAULTS, name)
        if not isinstance(default, str):
            value = value.strip()
            if not value:
                continue
        if isinstance(default, bool):
            value = _BOOL_WORDS.get(value.lower(), value)
        raw[name] = value
    raw.update(overrides)
    try:
        return msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        detail, _, path = str(exc).partition(" - at `$.")
        name = path.rstrip("`")
        raise ConfigError(f"{PREFIX}{name.upper()}={raw.get(name)!r}: {detail}") from None


def shown_value(name: str, value: object) -> str:
    """A setting as it may be printed or logged: secrets masked, and URL passwords too."""
    text = "" if value is None else str(value)
    if "password" in name or "secret" in name:
        return "***" if text else ""
    if name.endswith("_url") and "@" in text:
        parts = urlsplit(text)
        userinfo, _, hostport = parts.netloc.rpartition("@")
        if ":" in userinfo:
            netloc = f"{userinfo.split(':', 1)[0]}:***@{hostport}"
            return urlunsplit(parts._replace(netloc=netloc))
    return text


def documented_settings() -> list[tuple[str, str]]:
    """(variable, default) pairs, used by the README table and `sirisma config`."""
    defaults = Settings()
    return [
        (PREFIX + name.upper(), str(getattr(defaults, name))) for name in Settings.__struct_fields__
    ]

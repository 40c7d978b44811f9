"""Settings from SIRISMA_* variables: defaults give the embedded mode, bad values say which
variable is wrong, and secrets never reach a screen or a log."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.config import (
    PREFIX,
    ConfigError,
    Settings,
    documented_settings,
    load_settings,
    shown_value,
)
from services.eventstore.store import persistence_env


def test_no_configuration_is_the_embedded_mode(tmp_path: Path) -> None:
    settings = load_settings(env={})
    assert settings == Settings()
    assert settings.embedded and not settings.is_postgres
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    local = load_settings(env={"SIRISMA_DATA_DIR": str(tmp_path / "d")})
    assert local.event_db_path == tmp_path / "d" / "events.sqlite3"
    assert local.blob_path == tmp_path / "d" / "blobs"
    env = persistence_env(local)
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite"
    assert env["SQLITE_DBNAME"] == str(tmp_path / "d" / "events.sqlite3")


def test_variables_are_read_and_converted() -> None:
    settings = load_settings(
        env={
            "SIRISMA_PORT": "9001",
            "SIRISMA_HTTPS": "true",
            "SIRISMA_SMTP_TLS": "1",
            "SIRISMA_LOG_JSON": "Yes",
            "SIRISMA_DEMO": "off",
            "SIRISMA_POOL_SIZE": " 4 ",
            "SIRISMA_DATABASE_URL": "postgresql://sirisma:rahasia@db:5433/sirisma",
            "SIRISMA_BLOB_DIR": "/srv/blobs",
            "OTHER_PORT": "1",  # not ours
        }
    )
    assert (settings.port, settings.pool_size) == (9001, 4)
    assert (settings.https, settings.smtp_tls, settings.log_json, settings.demo) == (
        True,
        True,
        True,
        False,
    )
    assert settings.is_postgres and not settings.embedded
    assert settings.blob_path == Path("/srv/blobs")
    env = persistence_env(settings)
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_PASSWORD"]) == (
        "db",
        "5433",
        "rahasia",
    )
    assert env["POSTGRES_POOL_SIZE"] == "4"


def test_empty_numbers_and_flags_mean_the_default() -> None:
    settings = load_settings(
        env={"SIRISMA_SMTP_PORT": "", "SIRISMA_HTTPS": " ", "SIRISMA_DATABASE_URL": ""}
    )
    assert (settings.smtp_port, settings.https, settings.embedded) == (25, False, True)


def test_overrides_win_over_the_environment() -> None:
    settings = load_settings(env={"SIRISMA_PORT": "9001"}, port=9002, data_dir="x")
    assert (settings.port, settings.data_dir) == (9002, "x")


@pytest.mark.parametrize(
    ("variable", "value"),
    [("SIRISMA_PORT", "delapan ribu"), ("SIRISMA_HTTPS", "mungkin"), ("SIRISMA_POOL_SIZE", "1.5")],
)
def test_malformed_values_fail_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(env={variable: value})
    assert str(info.value).startswith(f"{variable}={value!r}: Expected")
    assert isinstance(info.value, ValueError)


def test_other_database_schemes_are_refused() -> None:
    with pytest.raises(ValueError, match="postgresql"):
        persistence_env(load_settings(env={"SIRISMA_DATABASE_URL": "mysql://u:p@h/db"}))


def test_every_setting_is_documented_with_the_prefix() -> None:
    documented = dict(documented_settings())
    assert list(documented) == [PREFIX + f.upper() for f in Settings.__struct_fields__]
    assert documented["SIRISMA_PORT"] == "8000"
    assert documented["SIRISMA_DATABASE_URL"] == ""


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        ("secret_key", "s3cr3t-production-key", "***"),
        ("smtp_password", "surat-rahasia", "***"),
        ("smtp_password", "", ""),
        (
            "database_url",
            "postgresql://sirisma:p%40ss@db:5432/sirisma?sslmode=require",
            "postgresql://sirisma:***@db:5432/sirisma?sslmode=require",
        ),
        ("database_url", "postgresql://sirisma@db/sirisma", "postgresql://sirisma@db/sirisma"),
        ("redis_url", "redis://:kunci@redis:6379/0", "redis://:***@redis:6379/0"),
        ("redis_url", "redis://redis:6379/0", "redis://redis:6379/0"),
        ("port", 8000, "8000"),
    ],
)
def test_shown_values_mask_secrets_and_url_passwords(name: str, value: object, shown: str) -> None:
    assert shown_value(name, value) == shown

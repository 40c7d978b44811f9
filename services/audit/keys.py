"""The server's Ed25519 audit signing key, its public fingerprint, and its activation events.

The key signs the day roots, checkpoints and bundles. It is NOT the session secret: whoever
verifies holds only the public key, so verifying never lets anyone forge sessions or CSRF
tokens. The private key is a PEM file (``SIRISMA_SIGNING_KEY_FILE``, 0600, made by
``sirisma audit keygen`` or, in embedded/demo mode, on first use) or the PEM in
``SIRISMA_SIGNING_SECRET_KEY``. The key id is the fingerprint auditors pin::

    key_id = hex( sha256( raw 32-byte Ed25519 public key ) )

Each key is recorded in the log once, as ``audit.SigningKeyActivated`` (key id, public key,
valid from), before its first signature: a rotation is simply the next activation.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid5

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.audit.verify_bundle import key_id_of
from services.config import Settings
from services.domain.actor import Actor
from services.domain.aggregate import Aggregate, Context, applies
from services.domain.events import SigningKeyActivated
from services.eventstore.store import ConcurrencyConflict, EventStore, NotFound

KEY_FILE_NAME = "audit-signing-key.pem"
KEYS_STREAM = uuid5(UUID("6f1d3c1e-9a43-4c55-a8c8-0f3b7c3b2a11"), "sirisma-audit-signing-keys")


class SigningKeyMissing(Exception):
    """The signing key is missing or unreadable; the message says how to fix it."""


def raw_public(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


class Signer:
    """The private key, and what is published about it."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self.private = private
        self.public = private.public_key()
        self.public_raw = raw_public(self.public)
        self.key_id = key_id_of(self.public_raw)

    def sign(self, data: bytes) -> str:
        return self.private.sign(data).hex()

    def public_pem(self) -> str:
        return public_pem(self.public_raw)


def public_pem(public_raw: bytes) -> str:
    return (
        Ed25519PublicKey.from_public_bytes(public_raw)
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def key_path(settings: Settings) -> Path:
    return (
        Path(settings.signing_key_file)
        if settings.signing_key_file
        else (settings.data_path / KEY_FILE_NAME)
    )


def generate(path: Path) -> Signer:
    """Write a new private key (PEM, mode 0600); refuses to overwrite an existing file."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return Signer(private)


def _from_pem(pem: bytes, where: str) -> Signer:
    try:
        private = serialization.load_pem_private_key(pem, password=None)
    except ValueError as exc:
        raise SigningKeyMissing(f"Kunci penanda tangan di {where} tidak terbaca: {exc}") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise SigningKeyMissing(f"Kunci penanda tangan di {where} bukan kunci Ed25519.")
    return Signer(private)


def load_signer(settings: Settings) -> Signer:
    """The configured key; in embedded or demo mode a missing default file is created."""
    if settings.signing_secret_key:
        return _from_pem(settings.signing_secret_key.encode(), "SIRISMA_SIGNING_SECRET_KEY")
    path = key_path(settings)
    if path.exists():
        return _from_pem(path.read_bytes(), str(path))
    if (settings.embedded or settings.demo) and not settings.signing_key_file:
        try:
            return generate(path)
        except FileExistsError:  # another process made it first
            return _from_pem(path.read_bytes(), str(path))
    raise SigningKeyMissing(
        f"Kunci penanda tangan audit tidak ada di {path}: buat dengan "
        f"`sirisma audit keygen --out {path}` lalu set SIRISMA_SIGNING_KEY_FILE."
    )


class SigningKeys(Aggregate):
    """The keys the server has signed with, in activation order."""

    def __init__(self, id: UUID) -> None:
        super().__init__(id)
        self.keys: list[SigningKeyActivated] = []

    def activate(self, ctx: Context, signer: Signer) -> None:
        if self.keys and self.keys[-1].key_id == signer.key_id:
            return
        self._record(
            ctx,
            SigningKeyActivated,
            key_id=signer.key_id,
            public_key=signer.public_raw.hex(),
            valid_from=ctx.timestamp(),
        )

    @applies(SigningKeyActivated)
    def _activated(self, e: SigningKeyActivated) -> None:
        self.keys.append(e)


def key_history(store: EventStore) -> list[SigningKeyActivated]:
    try:
        return store.load(SigningKeys, KEYS_STREAM).keys
    except NotFound:
        return []


def record_activation(store: EventStore, signer: Signer, now: datetime | None = None) -> None:
    """Record the key in the log before it signs anything (no event if it is already current)."""
    try:
        keys = store.load(SigningKeys, KEYS_STREAM)
    except NotFound:
        keys = SigningKeys(KEYS_STREAM)
    keys.activate(Context(actor=Actor.system(), now=now or datetime.now(UTC)), signer)
    if keys.pending_events:
        try:
            store.save(keys)
        except ConcurrencyConflict:  # another process recorded an activation at the same time
            record_activation(store, signer, now)


def signer_of(settings: Settings, cache: dict[str, object]) -> Signer:
    """The process's signer, loaded once (``cache``: the runtime's extensions)."""
    signer = cache.get("audit.signer")
    if signer is None:
        signer = cache.setdefault("audit.signer", load_signer(settings))
    assert isinstance(signer, Signer)
    return signer

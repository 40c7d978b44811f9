"""`sirisma blobs orphans|gc`: find and remove stored documents that no event references.

An upload whose command lost a race (a concurrent change) keeps its blob but records no event;
such blobs are found by comparing the blob folder with every ``DocumentAttached`` in the log.
Removing a document never deletes its blob (history still serves it), so only blobs that were
never referenced are collected, and only after a grace period that covers uploads in flight.
"""

from __future__ import annotations

from datetime import timedelta

import click

from services.blobs import BlobStore
from services.domain.events import DocumentAttached, SpdEvidenceAttached
from services.eventstore.store import EventStore


def referenced_keys(store: EventStore) -> set[str]:
    """Every storage key any ``DocumentAttached`` or ``SpdEvidenceAttached`` in the log names
    (removed ones included)."""
    keys: set[str] = set()
    start = 1
    topics = [DocumentAttached.TOPIC, SpdEvidenceAttached.TOPIC]
    while True:
        page = store.notifications(start, 1000, topics=topics)
        for notification in page:
            event = store.app.mapper.to_domain_event(notification)
            assert isinstance(event, DocumentAttached | SpdEvidenceAttached)  # the topic filter
            if event.document.storage_key:
                keys.add(event.document.storage_key)
        if len(page) < 1000:
            return keys
        start = page[-1].id + 1


@click.group("blobs")
def blobs() -> None:
    """Stored documents (the blob folder, SIRISMA_BLOB_DIR)."""


@blobs.command("orphans")
def orphans() -> None:
    """List blobs that no event references (nothing is deleted)."""
    from services.config import load_settings

    settings = load_settings()
    store = EventStore(settings)
    try:
        for key in BlobStore(settings.blob_path).orphans(referenced_keys(store)):
            click.echo(key)
    finally:
        store.close()


@blobs.command("gc")
@click.option("--grace-hours", default=24, show_default=True, help="Keep younger blobs.")
def gc(grace_hours: int) -> None:
    """Delete unreferenced blobs older than the grace period (and stale temp files)."""
    from services.config import load_settings

    settings = load_settings()
    store = EventStore(settings)
    try:
        removed = BlobStore(settings.blob_path).collect_garbage(
            referenced_keys(store), grace=timedelta(hours=grace_hours)
        )
    finally:
        store.close()
    click.echo(f"{len(removed)} blob dihapus.")

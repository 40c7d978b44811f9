"""Queries over the read models, one module per screen: ``innovations`` (list and search),
``board`` (status board), ``queue`` (review queue), ``compliance``, ``index`` (leaderboard and
regency index), ``catalogue`` (public), ``directory`` (organisations, accounts, calls); what
they share is in ``common``. Used by the JSON routes and the web pages alike."""

from projections.queries import (
    board,
    catalogue,
    common,
    compliance,
    directory,
    index,
    innovations,
    queue,
)

__all__ = [
    "board",
    "catalogue",
    "common",
    "compliance",
    "directory",
    "index",
    "innovations",
    "queue",
]

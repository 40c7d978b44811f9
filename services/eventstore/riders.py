"""A one-row read that rides in the statement of a load (issue 19).

A command's load is one statement (``EventStore.load_with``: what the innovation and its call
gained since the versions held in memory). Another read the request needs before it may act,
such as its session lookup, can travel in that statement instead of a round trip of its own:
the caller hands the store a ``Rider``, and the recorder answers it in the same statement (or
leaves it unanswered when the load takes another path; the caller then reads it itself).
"""

from __future__ import annotations

from typing import Any


class Rider:
    """``sql``: a SELECT of ``width`` columns (``%s`` placeholders, ``params``) giving at most
    one row. After the load, ``answered`` says whether it was read and ``row`` holds the row
    (None: the SELECT found none)."""

    __slots__ = ("answered", "params", "row", "sql", "width")

    def __init__(self, sql: str, params: tuple[Any, ...], width: int) -> None:
        self.sql = sql
        self.params = params
        self.width = width
        self.answered = False
        self.row: tuple[Any, ...] | None = None

    def answer(self, row: tuple[Any, ...] | None) -> None:
        self.row = row
        self.answered = True

"""Text for full-text search, folded the same way on both dialects.

Indonesian has no stemmer in PostgreSQL or SQLite, and words carry no diacritics, but names and
borrowed words sometimes do ("Café", "Sragèn"). So text is folded in Python before indexing and
before querying: Unicode compatibility decomposition, combining marks dropped, lower case. That is
what PostgreSQL's ``unaccent`` would do, without needing the extension, and it makes SQLite (FTS5)
and PostgreSQL (``tsvector`` with the ``simple`` configuration) agree on what matches. Queries
match word prefixes ("adminduk" finds "Adminduk", "admin" finds both), all words required.
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 8


_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold(text: str) -> str:
    if text.isascii():  # nearly all Indonesian text: nothing to decompose
        return text.lower()
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text)).lower()


_ASCII_SEPARATORS = str.maketrans(
    {chr(i): " " for i in range(128) if not (chr(i).isalnum() or chr(i) == "_")}
)


def words(text: str) -> list[str]:
    """``\\w+`` words of ``text``; ASCII text takes a C-speed path (translate + split)."""
    if text.isascii():
        return text.translate(_ASCII_SEPARATORS).split()
    return _WORD.findall(text)


def terms(query: str) -> list[str]:
    """The query's words, folded, de-duplicated, at most ``MAX_TERMS``."""
    return list(dict.fromkeys(words(fold(query))))[:MAX_TERMS]


MAX_WORD = 200  # characters (PostgreSQL refuses lexemes over 2047 bytes)
TITLE_WORDS = 64


def tsvector(title: str, body: str) -> str:
    """A PostgreSQL ``tsvector`` literal: folded ``title`` words with positions and weight A,
    the body's distinct words without positions (weight D).

    Built here rather than with ``to_tsvector('simple', …)``: the words are exactly the ones
    queries are split into (``\\w+`` of folded text, as on SQLite), and it costs a fraction of
    the server's parser on long design narratives (the body is reduced to a set in C). Ranking
    keeps what matters: a title match outranks a body match. Words are ``\\w+`` only, so they
    need no escaping inside the quotes.
    """
    positions: dict[str, list[str]] = {}
    for position, word in enumerate(words(title)[:TITLE_WORDS], start=1):
        if len(word) <= MAX_WORD:
            positions.setdefault(word, []).append(f"{position}A")
    head = [f"'{w}':{','.join(p)}" for w, p in positions.items()]
    rest = [f"'{w}'" for w in set(words(body)) - positions.keys() if len(w) <= MAX_WORD]
    return " ".join(head + rest)


def pg_tsquery(words: list[str]) -> str:
    """``a:* & b:*`` — safe, because words are ``\\w+`` only."""
    return " & ".join(f"{w}:*" for w in words)


def fts5_query(words: list[str]) -> str:
    """``"a"* "b"*`` — every word quoted, so FTS5 operators in user input mean nothing."""
    return " ".join(f'"{w}"*' for w in words)

"""Every bound on what a client may send, in one place (the README's security section lists them).

Text: every string a client sends is at most a stated length and holds no C0/C1 control
character other than tab and newline, and no lone surrogate. PostgreSQL ``text`` cannot hold NUL,
so one NUL in the log would stop every follower (projector, relay) for good; the other control
characters only ever arrive by mistake or by attack. JSON bodies are checked by msgspec through
the annotated types below; form fields, multipart fields, file names and query strings by
``bad_text``/``check_text`` (services/http/input_guard.py calls them for every request).

Numbers: every numeric query parameter has bounds (``Parameter(ge=, le=)`` through the
annotated types below), so an out-of-range value is a 400, never a database overflow.
"""

from __future__ import annotations

import re
from typing import Annotated

from litestar.params import Parameter
from msgspec import Meta

# ---- lengths (characters) -------------------------------------------------------------------
TITLE_MAX = 300  # an innovation's, call's or report's title
NAME_MAX = 200  # a person's, organisation's or initiator's name; an SK number
CODE_MAX = 100  # usernames, codes, keys, document kinds, enum-like strings
NOTE_MAX = 4_000  # a note, a reason, a short description
TEXT_MAX = 20_000  # a long narrative field (a design section, goals, benefits, an abstract)
URL_MAX = 2_048
PASSWORD_MAX = 256
QUERY_TEXT_MAX = 200  # any text query parameter (search, filters)
FORM_FIELD_MAX = TEXT_MAX  # any one HTML form field

# ---- list sizes -----------------------------------------------------------------------------
LIST_MAX = 50  # affairs, members, evidence ids, reviewers, scores, winners…
IDS_MAX = 1_000  # innovation ids in one bulk request (assignment, IGA selection)

# ---- numbers --------------------------------------------------------------------------------
YEAR_MIN, YEAR_MAX = 2000, 2100
OFFSET_MAX = 1_000_000  # paging offset
POSITION_MAX = 2**53 - 1  # notification ids and cursors (``after``): an exact JSON number
AMOUNT_MAX = 10**15  # rupiah (a thousand trillion)
PAGE_MAX = 100_000  # ``halaman`` on the catalogue page

# ---- nesting and size -----------------------------------------------------------------------
# JSON nested deeper than the decoder's recursion limit (about 1,000 levels; no body of the API
# needs more than 5) is refused with 400; JSON bodies are at most 1 MB and uploads at most
# ``SIRISMA_MAX_UPLOAD_MB`` (services/http/security.py).

# C0 and C1 controls except tab (\x09) and newline (\x0a), and lone surrogates; written as regex
# escapes so the pattern is ASCII (the OpenAPI document is UTF-8 and cannot hold a surrogate).
FORBIDDEN_CHARS = r"\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff"
CLEAN_PATTERN = f"^[^{FORBIDDEN_CHARS}]*$"
_FORBIDDEN = re.compile(f"[{FORBIDDEN_CHARS}]")


def _text(max_length: int, min_length: int | None = None) -> Meta:
    return Meta(min_length=min_length, max_length=max_length, pattern=CLEAN_PATTERN)


# ---- JSON field types -----------------------------------------------------------------------
Title = Annotated[str, _text(TITLE_MAX)]
Name = Annotated[str, _text(NAME_MAX)]
Code = Annotated[str, _text(CODE_MAX)]
Note = Annotated[str, _text(NOTE_MAX)]
LongText = Annotated[str, _text(TEXT_MAX)]
Url = Annotated[str, _text(URL_MAX)]
RequiredTitle = Annotated[str, _text(TITLE_MAX, 1)]
RequiredName = Annotated[str, _text(NAME_MAX, 1)]
RequiredCode = Annotated[str, _text(CODE_MAX, 1)]
Reason = Annotated[str, _text(NOTE_MAX, 1)]
Password = Annotated[str, _text(PASSWORD_MAX)]
Year = Annotated[int, Meta(ge=YEAR_MIN, le=YEAR_MAX)]

# ---- query parameter types ------------------------------------------------------------------
QueryYear = Parameter(ge=YEAR_MIN, le=YEAR_MAX)


def bad_text(value: str) -> str | None:
    """Why ``value`` is refused (Indonesian, for the problem's detail), or None if it is fine."""
    match = _FORBIDDEN.search(value)
    if match is None:
        return None
    char = match.group()
    if "\ud800" <= char <= "\udfff":
        return "memuat karakter Unicode yang tidak utuh (surrogate tunggal)"
    return f"memuat karakter kendali U+{ord(char):04X} yang tidak diizinkan"


def limits_text(max_length: int) -> str:
    return f"paling panjang {max_length:,} karakter".replace(",", ".")


def page_int(raw: str | None, low: int, high: int) -> int | None:
    """A page's number from a query string, or None when it is not a whole number within
    [low, high]: pages ignore a filter they cannot use instead of failing."""
    text = (raw or "").strip()
    if not text.isdigit() or len(text) > len(str(high)):
        return None
    value = int(text)
    return value if low <= value <= high else None

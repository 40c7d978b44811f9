"""services.spreadsheet: the one rule that keeps exported text from running as a formula."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from services.spreadsheet import csv_cell, dangerous, xlsx_row


@pytest.mark.parametrize(
    "text", ["=1+1", "+62 812", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", '=HYPERLINK("x")']
)
def test_formula_starts_are_dangerous_and_prefixed_in_csv(text: str) -> None:
    assert dangerous(text)
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["Si Cepat", "", " =1", "1+1", "'=1", "Rp 1.000"])
def test_ordinary_text_is_written_as_it_is(text: str) -> None:
    assert not dangerous(text)
    assert csv_cell(text) == text


def test_csv_cells_of_other_types() -> None:
    assert csv_cell(None) == ""
    assert csv_cell(-5) == "-5"  # a number is not text: never prefixed
    assert csv_cell(Decimal("-2500.50")) == "-2500.50"
    assert csv_cell(date(2025, 1, 2)) == "2025-01-02"


def test_xlsx_row_keeps_text_as_text_even_error_codes() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(xlsx_row(sheet, ["=1+1", "#N/A", "+1", 7, None, "biasa"]))
    buffer = io.BytesIO()
    book.save(buffer)
    row = next(openpyxl.load_workbook(buffer).active.iter_rows())
    assert [c.value for c in row] == ["=1+1", "#N/A", "+1", 7, None, "biasa"]
    assert [c.data_type for c in row] == ["s", "s", "s", "n", "n", "s"]
    assert [bool(c.quotePrefix) for c in row] == [True, False, True, False, False, False]

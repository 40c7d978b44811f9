"""The layout every SI-RISMA PDF shares: A4, a running header and "Halaman N dari M", and the
few building blocks the documents use (headings, label/value pairs, tables).

DejaVu Sans is vendored next to this module (its licence in ``fonts/``): the core PDF fonts
hold only Latin-1, and names, notes and titles carry any Unicode text. fpdf2 embeds only the
glyphs a document uses, so a PDF stays small.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

FONTS = Path(__file__).resolve().parent / "fonts"
FAMILY = "DejaVu"


class Sheet(FPDF):
    def __init__(self, title: str, subtitle: str, made_at: datetime) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.doc_title = title
        self.doc_subtitle = subtitle
        self.add_font(FAMILY, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FAMILY, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_title(title)
        self.set_author("SI-RISMA · Bappeda Litbang")
        self.set_creator("SI-RISMA")
        self.set_creation_date(made_at)
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(True, margin=18)
        self.alias_nb_pages()
        self.add_page()

    # -- running header and footer -------------------------------------------------------------

    def header(self) -> None:
        self.set_font(FAMILY, "", 8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, "SI-RISMA · Bappeda Litbang", new_x="LMARGIN", new_y="NEXT")
        if self.page_no() == 1:
            self.set_text_color(0, 0, 0)
            self.set_font(FAMILY, "B", 14)
            self.multi_cell(0, 7, self.doc_title, new_x="LMARGIN", new_y="NEXT")
            self.set_font(FAMILY, "", 10)
            self.multi_cell(0, 5, self.doc_subtitle, new_x="LMARGIN", new_y="NEXT")
            self.ln(2)
            self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
            self.ln(3)
        else:
            self.ln(2)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, "", 8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, f"{self.doc_title} · Halaman {self.page_no()} dari {{nb}}", align="C")

    # -- blocks --------------------------------------------------------------------------------

    def heading(self, text: str) -> None:
        self.ln(2)
        self.set_font(FAMILY, "B", 11)
        self.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FAMILY, "", 10)

    def paragraph(self, text: str) -> None:
        self.set_font(FAMILY, "", 10)
        self.multi_cell(0, 5, text or "—", new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def fields(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Label and value side by side, as the ministry's form lays them out."""
        with self.table(
            col_widths=(55, 119),
            first_row_as_headings=False,
            line_height=5,
            borders_layout="HORIZONTAL_LINES",
        ) as table:
            for label, value in pairs:
                row = table.row()
                self.set_font(FAMILY, "B", 9)
                row.cell(label)
                self.set_font(FAMILY, "", 9)
                row.cell(value or "—")
        self.set_font(FAMILY, "", 10)
        self.ln(2)

    def grid(
        self, header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[int]
    ) -> None:
        self.set_font(FAMILY, "", 8)
        with self.table(
            col_widths=tuple(widths),
            line_height=4.5,
            headings_style=FontFace(emphasis="BOLD", fill_color=(230, 234, 240)),
        ) as table:
            top = table.row()
            for text in header:
                top.cell(text)
            for values in rows:
                row = table.row()
                for text in values:
                    row.cell(text)
        self.set_font(FAMILY, "", 10)
        self.ln(2)

    def bytes(self) -> bytes:
        return bytes(self.output())

"""Rupiah amounts read the Indonesian way, and the form's money field reads them back."""

from __future__ import annotations

from decimal import Decimal

from services.domain.values import Profile
from services.web.pages import forms
from services.web.pages.rendering import rupiah, rupiah_digits


def test_rupiah_text() -> None:
    assert rupiah(1250000) == "Rp 1.250.000"
    assert rupiah(Decimal("0")) == "Rp 0"
    assert rupiah(None) == "—"
    assert rupiah_digits(Decimal("1250000.50")) == "1.250.000,5"


def test_the_form_reads_its_own_text_back() -> None:
    budget = next(s for s in forms.ANNUAL_SECTIONS if s.key == "anggaran")
    for amount in (Decimal("1250000"), Decimal("1250000.5")):
        text = rupiah_digits(amount)
        patch, errors, _ = forms.parse(budget, {"budget.apbd_t0": text}, Profile())
        assert not errors and patch is not None
        assert patch.changed()["budget"].apbd_t0 == amount
        assert forms.parse(budget, {"budget.apbd_t0": f"Rp {text}"}, Profile())[0] is not None

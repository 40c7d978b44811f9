"""The rubric files: the IID facts they must encode, for every year we ship."""

import pytest

from services.domain.rubric import (
    DOCUMENT_KINDS,
    UnknownRubricYear,
    available_years,
    load_rubric,
)

YEARS = available_years()


def test_seed_years_are_discovered_from_files():
    assert {2023, 2024, 2025} <= set(YEARS)
    assert sorted(YEARS) == YEARS


@pytest.mark.parametrize("year", YEARS)
def test_weights_sum_to_37_and_maximum_is_111(year):
    rubric = load_rubric(year)
    assert rubric.year == year
    assert [ind.no for ind in rubric.indicators] == list(range(1, 21))
    assert rubric.total_weight == 37
    assert sum(ind.weight for ind in rubric.indicators) == 37
    assert rubric.max_score == 111


@pytest.mark.parametrize("year", YEARS)
def test_mandatory_indicators(year):
    assert load_rubric(year).mandatory == (1, 2, 17, 18, 20)


@pytest.mark.parametrize("year", YEARS)
def test_every_indicator_has_three_levels_evidence_and_known_document_kinds(year):
    for ind in load_rubric(year).indicators:
        assert [lv.level for lv in ind.levels] == [1, 2, 3]
        assert all(lv.description for lv in ind.levels)
        assert ind.evidence
        assert ind.document_kinds
        assert set(ind.document_kinds) <= DOCUMENT_KINDS


def test_indicator_1_levels_in_bahasa_indonesia():
    ind = load_rubric(2023).indicator(1)
    assert ind.name == "Regulasi inovasi daerah"
    assert ind.weight == 3
    assert [lv.description for lv in ind.levels] == [
        "SK Kepala Perangkat Daerah",
        "SK Kepala Daerah",
        "Peraturan Kepala Daerah / Perda",
    ]


def test_later_years_rename_indicators_4_and_15():
    assert load_rubric(2023).indicator(4).name == "Penggunaan IT"
    assert load_rubric(2023).indicator(15).name == "Online sistem"
    for year in (2024, 2025):
        assert load_rubric(year).indicator(4).name == "Alat kerja"
        assert load_rubric(year).indicator(15).name == "Layanan terintegrasi"


@pytest.mark.parametrize("year", YEARS)
def test_krenova_criteria(year):
    criteria = {c.key: c.weight for c in load_rubric(year).krenova_criteria}
    assert criteria == {
        "kebaharuan": 30,
        "kemanfaatan": 25,
        "replikasi_aplikatif": 20,
        "kewenangan_kolaborasi": 15,
        "penguasaan_materi": 10,
    }


def test_unknown_year_error_names_available_years():
    with pytest.raises(UnknownRubricYear) as info:
        load_rubric(1999)
    assert isinstance(info.value, ValueError)
    assert info.value.year == 1999
    assert info.value.available == YEARS
    assert "2023" in str(info.value)


def test_unknown_indicator():
    with pytest.raises(ValueError):
        load_rubric(2023).indicator(21)


def test_load_is_cached():
    assert load_rubric(2024) is load_rubric(2024)

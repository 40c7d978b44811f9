"""The one working-day calendar (the review queue's SLA and the escalation reminders)."""

from __future__ import annotations

from datetime import date

from services.domain.workdays import add_working_days, working_days


def test_working_days_count_monday_to_friday() -> None:
    monday = date(2025, 6, 2)
    assert working_days(monday, monday) == 0
    assert working_days(monday, date(2025, 6, 4)) == 2  # Wednesday
    assert working_days(date(2025, 6, 6), date(2025, 6, 9)) == 1  # Friday → Monday
    assert working_days(monday, date(2025, 6, 16)) == 10  # two weeks
    assert working_days(date(2025, 6, 7), date(2025, 6, 8)) == 0  # Saturday → Sunday
    assert working_days(date(2025, 3, 3), date(2025, 3, 11)) == 6
    assert working_days(date(2025, 3, 1), date(2025, 3, 31)) == 21  # March 2025
    assert working_days(date(2025, 6, 9), date(2025, 6, 2)) == 0  # end before start


def test_add_working_days_skips_weekends() -> None:
    monday = date(2025, 6, 2)
    assert add_working_days(date(2025, 6, 6), 1) == date(2025, 6, 9)
    assert add_working_days(monday, 5) == date(2025, 6, 9)
    assert add_working_days(monday, 0) == monday


def test_working_days_and_add_working_days_agree() -> None:
    start = date(2025, 1, 1)
    for n in range(0, 40):
        assert working_days(start, add_working_days(start, n)) == n

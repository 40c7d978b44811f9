"""The working-day calendar, one for the whole system: the review queue's age and SLA, and the
reminder that escalates a waiting review, count days the same way.

Working days are Monday to Friday. National holidays are not known yet; when they are, they
belong in a data file by year read here, not in the callers.
"""

from __future__ import annotations

from datetime import date, timedelta


def is_working_day(day: date) -> bool:
    return day.weekday() < 5


def working_days(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end``: the age of something that
    arrived on ``start`` as seen on ``end`` (0 if ``end`` is not later)."""
    if end <= start:
        return 0
    weeks, rest = divmod((end - start).days, 7)
    count = weeks * 5
    for offset in range(1, rest + 1):
        if is_working_day(start + timedelta(days=weeks * 7 + offset)):
            count += 1
    return count


def add_working_days(start: date, days: int) -> date:
    """The day ``days`` working days after ``start``."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            days -= 1
    return current

"""Per-student deadline extensions in course.yaml:

    extensions:
      s2026001: {exercise03: 2026-03-20}             # a new deadline: a date (end of day) or a date-time
      s2026007: {exercise03: 3, exercise04: 2}        # days added to the item's deadline

An extension moves one student's deadline for one item; the grace period and penalties stay the
course's. Mistakes stop the batch with ``course.yaml:LINE: extensions.STUDENT.ITEM: ...`` (exit 2):
a number that is not a count of days, a date that does not exist, days for an item without a
deadline, a student or an item the course does not know.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

MAX_DAYS = 366
ISO = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)?)?")


def parse(value: object) -> int | date | datetime:
    """An extension's value: a whole number of days (1 to 366), or an ISO 8601 date or date-time."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number of days or a date")
    if isinstance(value, int):
        if not 1 <= value <= MAX_DAYS:
            raise ValueError(
                f"{value} days: an extension is 1 to {MAX_DAYS} days, or a date such as 2026-03-20 "
                "(20260320 is a number, not a date)"
            )
        return value
    if isinstance(value, (datetime, date)):
        return value
    if isinstance(value, str) and ISO.fullmatch(value.strip()):
        text = value.strip()
        try:
            return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"'{text}' is not a valid date or time ({exc})") from None
    raise ValueError(f"{value!r} is not a number of days or an ISO 8601 date (2026-03-20, 2026-03-20T18:00:00)")


def extended(base: datetime | None, value: int | date | datetime, aware) -> datetime:
    """The new deadline: ``base`` plus days, or the extension's own date made aware in the course's zone."""
    if isinstance(value, int) and not isinstance(value, bool):
        if base is None:
            raise ValueError("no deadline to extend")
        return base + timedelta(days=value)
    return aware(value)

"""Calendar arithmetic the standard library does not offer."""

import calendar
from datetime import date, datetime


def add_months(moment: date | datetime, months: int) -> date | datetime:
    """The same day `months` later (or earlier), clamped to the end of a shorter month."""
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)

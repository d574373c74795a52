"""Query counts that must not grow with the data.

Measure a page at a small size, grow the data, and assert the same count with Django's
`assertNumQueries` (pytest-django's `django_assert_num_queries`). Measuring rather than
hard-coding the first number keeps each app's tests independent of the panels and navigation
other apps add to every page; the second assertion is what fails when a count grows.
"""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def count_queries(action) -> int:
    with CaptureQueriesContext(connection) as context:
        action()
    return len(context)


def assert_queries_do_not_grow(django_assert_num_queries, action, grow) -> int:
    """Run `action` (warm), count its queries, call `grow()`, and run it again expecting the
    same count. Returns the count."""
    action()  # warm per-process caches (site root paths, content types)
    baseline = count_queries(action)
    grow()
    action()
    with django_assert_num_queries(baseline):
        action()
    return baseline

"""The shortlist benchmark: it measures only on a temporary database of its own."""

import pytest
from django.core.management import CommandError, call_command

from lms.models import Organisation
from mentoring.management.commands import bench_shortlist

pytestmark = pytest.mark.django_db


def test_measuring_refuses_any_database_but_a_temporary_one():
    with pytest.raises(CommandError, match="only on a temporary SQLite database"):
        call_command("bench_shortlist", "--measure", "5", "--repeat", "1")

    assert not Organisation.objects.filter(slug=bench_shortlist.ORGANISATION).exists()


def test_measuring_reports_time_queries_and_suggestions():
    result = bench_shortlist._measure(30, 2)

    assert set(result) == {"median_ms", "min_ms", "queries", "suggested"}
    assert result["suggested"] > 0
    assert result["queries"] == bench_shortlist._measure(120, 2)["queries"]

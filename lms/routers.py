"""Reports read from a replica when there is one.

With `REPORTS_DATABASE_URL` set, `lms.settings` adds a `reports` database alias, the router and
the middleware below. The views named in `settings.REPORT_VIEWS` (the readiness page, learner
records and their exports) then read from the replica, so that a coordinator's large report does
not compete with everyone's pages on the primary. Nothing else reads from it and nothing ever
writes to it.

Reads stay on the primary wherever freshness matters more than load:
- outside a report view or a `reports_reads()` block (every other page, every task);
- inside a transaction on the primary, so a view that writes and then reads sees its own write;
- before the view runs: the middleware that loads the session and the signed-in person, and
  checks for "sign out everywhere", has already read them from the primary.

Who may see the report (people, roles, organisations, history shares, sessions) is always read
from the primary (`DECIDES_ACCESS`): only the report's figures may be as old as the replica's lag
(usually under a second).
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPORTS_DB_ALIAS = "reports"
# Who may see a report is decided on the primary, never on a copy that may lag: a role ended a
# moment ago must close the report at once.
DECIDES_ACCESS = frozenset(
    {"lms.User", "lms.Membership", "lms.Organisation", "lms.HistoryShare", "sessions.Session"}
)
# Read where they were just written: a second click on "XLSX" must find the first one's job.
READ_WHERE_WRITTEN = frozenset({"lms.ReportExport"})

_END = object()
_reading_reports: ContextVar[bool] = ContextVar("reading_reports", default=False)


@contextmanager
def reports_reads():
    """Inside this block, reads outside a transaction go to the reports replica (if any).
    For report work outside a view, e.g. a task that builds an export."""
    token = _reading_reports.set(True)
    try:
        yield
    finally:
        _reading_reports.reset(token)


def reports_database_for_read() -> str | None:
    """The alias a read should use now, or None for the default (the primary)."""
    if not _reading_reports.get() or REPORTS_DB_ALIAS not in settings.DATABASES:
        return None
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return None
    return REPORTS_DB_ALIAS


class ReportsReplicaRouter:
    """Reads in a report go to the replica; writes and migrations only ever to the primary."""

    def db_for_read(self, model, **hints):
        if model._meta.label in DECIDES_ACCESS | READ_WHERE_WRITTEN:
            return None
        return reports_database_for_read()

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica is a copy of the primary: a row read from either is the same row.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica gets its schema from the primary's replication, never from migrate.
        return db != REPORTS_DB_ALIAS


class ReportsReplicaMiddleware:
    """Turns on `reports_reads()` for the views in `settings.REPORT_VIEWS`: while the view runs,
    while its response renders and while a streamed response (a CSV export) is sent."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.report_views = frozenset(settings.REPORT_VIEWS)

    def __call__(self, request):
        token = None
        try:
            response = self.get_response(request)
        finally:
            token = getattr(request, "_reports_reads_token", None)
            if token is not None:
                _reading_reports.reset(token)
        if token is not None and response.streaming:
            response.streaming_content = _chunks_read_from_reports(response.streaming_content)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        # The view is known only once the URL is resolved, which is after the middleware before
        # this one has loaded the session and the person from the primary.
        if request.resolver_match.view_name in self.report_views:
            request._reports_reads_token = _reading_reports.set(True)
        return None


def _chunks_read_from_reports(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Produce each chunk of a streamed report with replica reads on. The flag is set and reset
    around each step, never across a `yield`, so it cannot leak into other work."""
    iterator = iter(chunks)
    while True:
        with reports_reads():
            chunk = next(iterator, _END)
        if chunk is _END:
            return
        yield chunk

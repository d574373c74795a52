"""The production profile's settings: gunicorn's configuration, media on S3-compatible storage,
and reports read from a replica (docs/deploy.md)."""

import json
import os
import runpy
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.http import HttpResponse, StreamingHttpResponse
from django.test import RequestFactory, override_settings
from django.urls import resolve

from lms.management.commands import serve_production
from lms.models import AuditEvent, HistoryShare, Membership, Organisation, SideEffect, User
from lms.queue import enqueue
from lms.routers import (
    ReportsReplicaMiddleware,
    ReportsReplicaRouter,
    reports_database_for_read,
    reports_reads,
)

# The replica is added to the settings only, never connected to.
pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
PROJECT_ROOT = Path(__file__).resolve().parents[2]
_CONFIG_VARIABLES = (
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "REPORTS_DATABASE_URL",
    "REDIS_URL",
    "TASK_BROKER",
    "MEDIA_S3_BUCKET",
    "MEDIA_S3_ENDPOINT_URL",
)


def _run_python(code: str, **overrides) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter with Django set up from the given environment."""
    env = {key: value for key, value in os.environ.items() if key not in _CONFIG_VARIABLES}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update({"DEBUG": "true", **overrides})
    prelude = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='lms.settings'; "
    prelude += "django.setup()\n"
    return subprocess.run(  # noqa: S603 - this interpreter, our code
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _last_json(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- gunicorn.conf.py ---------------------------------------------------------------------------


def _gunicorn_config(monkeypatch, **env) -> dict:
    for name in ("WEB_CONCURRENCY", "WEB_THREADS", "WEB_TIMEOUT_SECONDS", "WEB_BIND"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))


def test_gunicorn_config_reads_workers_threads_timeout_and_address_from_the_environment(
    monkeypatch,
):
    config = _gunicorn_config(
        monkeypatch,
        WEB_CONCURRENCY="4",
        WEB_THREADS="3",
        WEB_TIMEOUT_SECONDS="15",
        WEB_BIND="0.0.0.0:9000",
    )

    assert (config["workers"], config["threads"], config["timeout"]) == (4, 3, 15)
    assert config["bind"] == ["0.0.0.0:9000"]
    assert config["worker_class"] == "gthread"  # threads need the threaded worker


def test_gunicorn_config_defaults_suit_a_node_behind_a_load_balancer(monkeypatch):
    config = _gunicorn_config(monkeypatch)

    assert config["workers"] == 2 * os.cpu_count() + 1
    assert config["worker_class"] == "sync"  # so the timeout limits every request
    assert config["timeout"] < 60  # kills a stuck request before the balancer gives up
    assert config["keepalive"] > 60  # the balancer closes idle connections, not gunicorn
    assert config["max_requests"] > 0 and config["max_requests_jitter"] > 0
    assert config["accesslog"] == "-"
    assert config["wsgi_app"] == "lms.wsgi:application"


def test_gunicorn_config_refuses_a_bad_number_naming_the_variable(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="WEB_CONCURRENCY"):
        _gunicorn_config(monkeypatch, WEB_CONCURRENCY="many")


def test_gunicorn_accepts_the_config_and_loads_the_app():
    env = {k: v for k, v in os.environ.items() if k not in _CONFIG_VARIABLES}
    env["DEBUG"] = "true"
    result = subprocess.run(  # noqa: S603 - gunicorn from this environment
        [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "--check-config"],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr


# --- Media on S3-compatible storage ------------------------------------------------------------

_STORAGES = """
from django.core.files.storage import storages
import json
out = {}
for alias in ("default", "private"):
    storage = storages[alias]
    out[alias] = {
        "class": type(storage).__module__ + "." + type(storage).__name__,
        "location": getattr(storage, "location", ""),
        "url": storage.url("people/7/evidence.pdf") if alias == "private" else "",
        "expiry": getattr(storage, "querystring_expire", None),
        "acl": getattr(storage, "default_acl", "unset"),
    }
print(json.dumps(out))
"""


def test_media_stays_on_the_file_system_without_a_bucket():
    storages = _last_json(_run_python(_STORAGES))

    assert storages["default"]["class"] == "django.core.files.storage.filesystem.FileSystemStorage"
    assert storages["private"]["class"] == "django.core.files.storage.filesystem.FileSystemStorage"


def test_a_bucket_puts_media_on_s3_with_private_files_signed_briefly_and_nothing_public():
    # The endpoint is a closed local port: making a signed URL must not touch the network.
    storages = _last_json(
        _run_python(
            _STORAGES,
            MEDIA_S3_BUCKET="peer-pathways-media",
            MEDIA_S3_ENDPOINT_URL="http://127.0.0.1:9",
            AWS_ACCESS_KEY_ID="test-key-id",
            AWS_SECRET_ACCESS_KEY="test-secret",  # noqa: S106
        )
    )

    default, private = storages["default"], storages["private"]
    assert default["class"] == private["class"] == "storages.backends.s3.S3Storage"
    assert (default["location"], private["location"]) == ("media", "private")
    assert default["acl"] is None and private["acl"] is None  # the bucket's own, private
    assert private["expiry"] == 60
    assert private["url"].startswith("http://127.0.0.1:9/peer-pathways-media/private/people/7/")
    assert "X-Amz-Signature=" in private["url"] and "X-Amz-Expires=60" in private["url"]


# --- Reports from a replica ---------------------------------------------------------------------

_TWO_DATABASES = """
import json
from django.db import connections, transaction
from django.test import RequestFactory
from django.urls import resolve
from lms.management.commands import serve_production
from lms.models import Organisation, SideEffect
from lms.queue import enqueue
from lms.routers import ReportsReplicaMiddleware, reports_reads

# A table of report figures (not one that decides who may see them: those stay on the primary).
for alias in ("default", "reports"):
    with connections[alias].schema_editor() as editor:
        editor.create_model(SideEffect)
SideEffect.objects.using("default").create(key="On the primary")
SideEffect.objects.using("reports").create(key="On the replica")

def names():
    return sorted(SideEffect.objects.values_list("key", flat=True))

out = {"outside": names()}
with reports_reads():
    out["in_report"] = names()
    with transaction.atomic():
        out["in_transaction"] = names()
    SideEffect.objects.create(key="Written in a report")
out["primary_after_write"] = sorted(
    SideEffect.objects.using("default").values_list("key", flat=True))
out["replica_after_write"] = sorted(
    SideEffect.objects.using("reports").values_list("key", flat=True))

from django.core.management import CommandError, call_command
from django.http import HttpResponse

def page(request):
    out["page_read"] = names()
    return HttpResponse()

def handler(request):
    # What Django's handler does: resolve, run process_view, then the view.
    middleware.process_view(request, page, (), {})
    return page(request)

middleware = ReportsReplicaMiddleware(handler)
for path, key in (("/organisations/x/readiness/", "readiness"), ("/pathway/", "my_pathway")):
    request = RequestFactory().get(path)
    request.resolver_match = resolve(path)
    middleware(request)
    out[key] = out.pop("page_read")
out["after_requests"] = names()
from django.conf import settings
out["middleware"] = "lms.routers.ReportsReplicaMiddleware" in settings.MIDDLEWARE
print(json.dumps(out))
"""


def test_with_a_reports_database_reports_read_the_replica_and_all_else_the_primary(tmp_path):
    result = _last_json(
        _run_python(
            _TWO_DATABASES,
            DATABASE_URL=f"sqlite:///{tmp_path / 'primary.sqlite3'}",
            REPORTS_DATABASE_URL=f"sqlite:///{tmp_path / 'replica.sqlite3'}",
        )
    )

    assert result["middleware"] is True
    assert result["outside"] == ["On the primary"]
    assert result["in_report"] == ["On the replica"]
    assert result["in_transaction"] == ["On the primary"]  # sees the transaction's own writes
    assert result["primary_after_write"] == ["On the primary", "Written in a report"]
    assert result["replica_after_write"] == ["On the replica"]  # nothing writes to it
    assert result["readiness"] == ["On the replica"]
    assert result["my_pathway"] == ["On the primary", "Written in a report"]
    assert result["after_requests"] == result["my_pathway"]  # the flag does not leak


REPLICA = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}


def _databases_with_replica():
    from django.conf import settings

    return {**settings.DATABASES, "reports": REPLICA}


def test_without_a_reports_database_everything_reads_the_primary():
    with reports_reads():
        assert reports_database_for_read() is None


def test_router_sends_report_reads_to_the_replica_and_every_write_to_the_primary():
    router = ReportsReplicaRouter()
    with override_settings(DATABASES=_databases_with_replica()):
        assert router.db_for_read(AuditEvent) is None
        with reports_reads():
            assert router.db_for_read(AuditEvent) == "reports"
            assert router.db_for_write(AuditEvent) == "default"
        assert router.allow_migrate("reports", "lms") is False
        assert router.allow_migrate("default", "lms") is True


def test_who_may_see_a_report_is_always_read_from_the_primary():
    """A role ended a moment ago closes the report at once, whatever the replica's lag."""
    router = ReportsReplicaRouter()
    with override_settings(DATABASES=_databases_with_replica()), reports_reads():
        for model in (User, Membership, Organisation, HistoryShare, Session):
            assert router.db_for_read(model) is None, model


@override_settings(REPORT_VIEWS=["pathways:readiness"])
def test_a_streamed_report_reads_the_replica_while_each_chunk_is_made():
    seen = []

    def chunks():
        for number in range(3):
            seen.append(reports_database_for_read())
            yield f"{number}\n".encode()

    request = RequestFactory().get("/organisations/x/readiness/?export=csv")
    request.resolver_match = resolve("/organisations/x/readiness/")

    def view(request):
        middleware.process_view(request, view, (), {})
        return StreamingHttpResponse(chunks())

    middleware = ReportsReplicaMiddleware(view)
    with override_settings(DATABASES=_databases_with_replica()):
        response = middleware(request)
        assert reports_database_for_read() is None  # the view has returned
        body = b"".join(response.streaming_content)
        assert reports_database_for_read() is None

    assert body == b"0\n1\n2\n"
    assert seen == ["reports", "reports", "reports"]


@override_settings(REPORT_VIEWS=["pathways:readiness"])
def test_other_pages_read_the_primary():
    reads = []
    request = RequestFactory().get("/pathway/")
    request.resolver_match = resolve("/pathway/")

    def view(request):
        middleware.process_view(request, view, (), {})
        reads.append(reports_database_for_read())
        return HttpResponse()

    middleware = ReportsReplicaMiddleware(view)
    with override_settings(DATABASES=_databases_with_replica()):
        middleware(request)

    assert reads == [None]


# --- serve_production ---------------------------------------------------------------------------


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def _alive(process: subprocess.Popen) -> bool:
    return process.poll() is None


def test_serve_production_refuses_to_start_nothing():
    with pytest.raises(CommandError, match="would start nothing"):
        call_command("serve_production", no_web=True, no_worker=True)


def test_serve_production_refuses_to_start_with_unapplied_migrations(monkeypatch):
    started = []

    def fake_call_command(name, **options):
        if name == "migrate" and options.get("check_unapplied"):
            raise SystemExit(1)  # what `migrate --check` does when a migration is unapplied

    monkeypatch.setattr(serve_production, "call_command", fake_call_command)
    monkeypatch.setattr(serve_production, "_start", lambda command: started.append(command))

    with pytest.raises(CommandError, match="unapplied migrations"):
        call_command("serve_production", skip_collectstatic=True)
    assert started == []


def test_when_one_process_stops_the_other_is_stopped_and_its_status_returned():
    survivor = serve_production._start(_python("import time; time.sleep(60)"))
    failing = serve_production._start(_python("import sys, time; time.sleep(0.5); sys.exit(3)"))
    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    try:
        status = serve_production.Command()._supervise({"web": failing, "worker": survivor})
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        for process in (survivor, failing):
            if _alive(process):
                process.kill()

    assert status == 3
    assert not _alive(survivor)


def test_sigterm_stops_both_processes_and_exits_cleanly():
    children = {
        "web": serve_production._start(_python("import time; time.sleep(60)")),
        "worker": serve_production._start(_python("import time; time.sleep(60)")),
    }
    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    threading.Timer(0.5, os.kill, args=(os.getpid(), signal.SIGTERM)).start()
    try:
        status = serve_production.Command()._supervise(children)
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        for process in children.values():
            if _alive(process):
                process.kill()

    assert status == 0
    assert not any(_alive(process) for process in children.values())


# --- The probe task -----------------------------------------------------------------------------


def test_a_probe_task_writes_one_row_naming_its_node(
    db, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setenv("NODE_NAME", "node-a")

    with django_capture_on_commit_callbacks(execute=True):
        enqueue("lms.tasks.record_probe", "check-1")  # runs inline in tests

    keys = list(SideEffect.objects.filter(key__startswith="probe:").values_list("key", flat=True))
    assert len(keys) == 1
    assert keys[0].startswith(f"probe:check-1:node-a:{os.getpid()}:")


# --- Behind the load balancer ------------------------------------------------------------------

_REDIRECTS = """
import json
from django.middleware.security import SecurityMiddleware
from django.test import RequestFactory

middleware = SecurityMiddleware(lambda request: None)
answers = {}
for path in ("/healthz/", "/accounts/login/"):
    answer = middleware.process_request(RequestFactory().get(path, HTTP_HOST="peers.example.org"))
    answers[path] = answer.status_code if answer else "served"
print(json.dumps(answers))
"""


def test_the_health_check_is_answered_over_plain_http_and_pages_are_redirected_to_https():
    answers = _last_json(
        _run_python(
            _REDIRECTS,
            DEBUG="false",
            SECRET_KEY="k7Qw2-Zp9xLm4Rt8Vb1Nc6Hj3Fg5Ds0Ae_Yu7Io2Pl9Mk4Jn8Bh1Gv6Cx3Zs5Wq0Er",
            ALLOWED_HOSTS="peers.example.org",
        )
    )

    assert answers == {"/healthz/": "served", "/accounts/login/": 301}


def test_a_bucket_without_django_storages_stops_start_up_saying_what_to_install():
    hide_storages = (
        "import importlib.util; real = importlib.util.find_spec; "
        "importlib.util.find_spec = lambda name, *a: None if name == 'storages' else real(name, *a)"
        "\n"
    )
    env = {key: value for key, value in os.environ.items() if key not in _CONFIG_VARIABLES}
    env.update(DEBUG="true", MEDIA_S3_BUCKET="peer-pathways-media")
    result = subprocess.run(  # noqa: S603 - this interpreter, our code
        [sys.executable, "-c", hide_storages + "import lms.settings"],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "MEDIA_S3_BUCKET is set but django-storages is not installed" in result.stderr
    assert 'pip install -e ".[s3]"' in result.stderr

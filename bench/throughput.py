"""Page throughput under gunicorn, as a ratio against a trivial view of the same project.

One gunicorn worker (sync) serves the benchmark database. A small client asks, in turn, for
`/healthz/` (no database, nothing cached) and for a module page as a signed-in peer (the session
is made in the benchmark database and its cookie sent), a fixed number of times each, keeping the
connection open where the server allows. Requests per second for each page are the count over
the time spent on that page's requests; the module page's figure over the trivial view's is the
result. Because both are served by the same process on the same machine in the same seconds,
load from elsewhere on the machine slows both alike and cancels out of the ratio.
"""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import time
from contextlib import contextmanager

from bench.databases import ROOT, Target

TRIVIAL_URL = "/healthz/"
START_TIMEOUT_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(target: Target):
    """One sync worker serving the target's database on a free loopback port."""
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "lms.wsgi:application",
        "--workers=1",
        "--worker-class=sync",
        f"--bind=127.0.0.1:{port}",
        "--timeout=120",
        "--log-level=warning",
    ]
    server = subprocess.Popen(  # noqa: S603 - our own project, arguments we built
        command, cwd=ROOT, env=target.env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        _wait_until_serving(port, server)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_serving(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped:\n{server.stderr.read().decode()[-2000:]}")
        try:
            status, _ = _get(http.client.HTTPConnection("127.0.0.1", port, timeout=5), TRIVIAL_URL)
            if status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on port {port} within {START_TIMEOUT_SECONDS} s.")


def _get(connection: http.client.HTTPConnection, url: str, cookie: str = "") -> tuple[int, int]:
    headers = {"Host": "127.0.0.1", "Connection": "keep-alive"}
    if cookie:
        headers["Cookie"] = cookie
    connection.request("GET", url, headers=headers)
    response = connection.getresponse()
    body = response.read()
    return response.status, len(body)


def measure(port: int, *, module_url: str, cookie: str, count: int, warm_up: int = 5) -> dict:
    """Ask for each page `count` times, in turn; requests per second for each, and the ratio."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    pages = {"healthz": (TRIVIAL_URL, ""), "module_page": (module_url, cookie)}
    spent = dict.fromkeys(pages, 0.0)
    for turn in range(warm_up + count):
        for name, (url, page_cookie) in pages.items():
            started = time.perf_counter()
            status, _ = _get(connection, url, page_cookie)
            if status != 200:
                raise RuntimeError(f"GET {url} answered {status} under gunicorn.")
            if turn >= warm_up:
                spent[name] += time.perf_counter() - started
    connection.close()
    rates = {name: count / seconds for name, seconds in spent.items()}
    return {
        "requests_each": count,
        "healthz_rps": rates["healthz"],
        "module_page_rps": rates["module_page"],
        "ratio": rates["module_page"] / rates["healthz"],
    }

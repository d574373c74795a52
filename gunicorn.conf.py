"""Gunicorn's settings for Peer Pathways, read from environment variables (docs/deploy.md).

Start it through `python manage.py serve_production` (or `make serve`), which also starts the
django-q2 cluster; `gunicorn -c gunicorn.conf.py lms.wsgi:application` starts the web part alone.
"""

import multiprocessing
import os

from lms.env import env_int, env_str

wsgi_app = "lms.wsgi:application"
bind = [env_str("WEB_BIND", "127.0.0.1:8000")]

# Sync workers by default: each request has a process to itself, so `timeout` below is a limit
# on every request (with gthread it only catches a worker that stops answering altogether), and
# the database connections are as many as the workers. WEB_THREADS above 1 switches to gthread,
# which overlaps waiting for the database and keeps idle connections alive in a poller.
workers = env_int("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1)
threads = env_int("WEB_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"

# Every page answers in well under a second and exports are built by tasks, never in a request,
# so a request still running after this is stuck: its worker is killed and restarted, well
# before a load balancer's usual 60 s gives up on it.
timeout = env_int("WEB_TIMEOUT_SECONDS", 20)
graceful_timeout = env_int("WEB_GRACEFUL_TIMEOUT_SECONDS", 20)  # to finish requests on SIGTERM
# gthread only (a sync worker closes the connection after each response, so there is no idle
# connection to race). Longer than the load balancer's idle timeout (60 s on most), so the
# balancer, not gunicorn, closes an idle connection: otherwise a request can race the close and
# get a 502.
keepalive = env_int("WEB_KEEPALIVE_SECONDS", 75)

# Restart each worker after this many requests (spread by the jitter so that they do not all
# restart at once), which bounds any slow growth in memory.
max_requests = env_int("WEB_MAX_REQUESTS", 1000)
max_requests_jitter = env_int("WEB_MAX_REQUESTS_JITTER", 100)

# Logs to stdout and stderr for the platform to collect. The access log leaves out query strings
# (searches and filters can hold names); paths can still hold one-time tokens (invitations,
# password resets), so keep access logs as briefly as any personal data (docs/privacy.md).
accesslog = env_str("WEB_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = env_str("WEB_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'

# The load balancer's address(es), whose X-Forwarded-Proto gunicorn and Django may trust.
forwarded_allow_ips = env_str("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Worker heartbeats in memory, not on a disk that a container may have slow or read-only. Only
# gunicorn's own heartbeat files go there, no request data.
SHARED_MEMORY = "/dev/shm"  # noqa: S108
worker_tmp_dir = (
    env_str("WEB_WORKER_TMP_DIR", SHARED_MEMORY if os.path.isdir(SHARED_MEMORY) else "") or None
)
# Gunicorn's run-time control socket is not used (stopping and restarting go through signals);
# without it, two servers on one machine (`make two-nodes`) do not contend for one socket path.
control_socket_disable = True

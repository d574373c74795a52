"""An email backend for the cluster tests (tests/lms/test_cluster.py), used by a real
`manage.py qcluster` started as a subprocess: each email is a file in CLUSTER_TEST_EMAIL_DIR.

With CLUSTER_TEST_SLOW=after-send, the first send writes its file (the mail server took the
email) and then hangs, as if the server's reply never came, so the test can kill the worker
there. With CLUSTER_TEST_SLOW=before-send, the first connection hangs before anything is sent.
Either happens once: a marker file remembers it across processes."""

import os
import time
import uuid
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend

HANG_SECONDS = 60


def _directory() -> Path:
    return Path(os.environ["CLUSTER_TEST_EMAIL_DIR"])


def _hang_once(stage: str) -> None:
    if os.environ.get("CLUSTER_TEST_SLOW") != stage:
        return
    marker = _directory() / f"hung-{stage}"
    if marker.exists():
        return
    marker.touch()
    time.sleep(HANG_SECONDS)


class SlowFileBackend(BaseEmailBackend):
    def open(self):
        _hang_once("before-send")
        return True

    def send_messages(self, messages):
        for message in messages:
            path = _directory() / f"{uuid.uuid4().hex}.eml"
            path.write_bytes(message.message().as_bytes())
        _hang_once("after-send")
        return len(messages)

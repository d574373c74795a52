import pytest
from django_q.conf import Conf

from tests.base import make_personas


@pytest.fixture(autouse=True)
def _fast_and_synchronous(settings, monkeypatch):
    """Run django-q2 tasks inline, and hash passwords quickly."""
    monkeypatch.setattr(Conf, "SYNC", True)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def personas(db):
    return make_personas()

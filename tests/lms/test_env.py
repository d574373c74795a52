"""Settings come from environment variables; a bad value stops start-up and names the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from lms.env import env_bool, env_int, env_list, env_str, secret_key_problem

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VARIABLE = "PEER_PATHWAYS_TEST_SETTING"
STRONG_KEY = "k7Qw2-Zp9xLm4Rt8Vb1Nc6Hj3Fg5Ds0Ae_Yu7Io2Pl9Mk4Jn8Bh1Gv6Cx3Zs5Wq0Er"  # 66 characters


@pytest.fixture(autouse=True)
def _unset(monkeypatch):
    monkeypatch.delenv(VARIABLE, raising=False)


# --- env_str -----------------------------------------------------------------------------------


def test_env_str_gives_default_when_unset():
    assert env_str(VARIABLE, "laptop") == "laptop"


def test_env_str_gives_the_value_when_set(monkeypatch):
    monkeypatch.setenv(VARIABLE, "production")

    assert env_str(VARIABLE, "laptop") == "production"


# --- env_bool ----------------------------------------------------------------------------------


@pytest.mark.parametrize("default", [True, False])
def test_env_bool_gives_default_when_unset(default):
    assert env_bool(VARIABLE, default) is default


@pytest.mark.parametrize("default", [True, False])
def test_env_bool_gives_default_when_empty(monkeypatch, default):
    monkeypatch.setenv(VARIABLE, "")

    assert env_bool(VARIABLE, default) is default


@pytest.mark.parametrize("raw", ["1", "true", "True", "YES", "on", " true "])
def test_env_bool_reads_true(monkeypatch, raw):
    monkeypatch.setenv(VARIABLE, raw)

    assert env_bool(VARIABLE, False) is True


@pytest.mark.parametrize("raw", ["0", "false", "FALSE", "no", "Off", " false "])
def test_env_bool_reads_false(monkeypatch, raw):
    monkeypatch.setenv(VARIABLE, raw)

    assert env_bool(VARIABLE, True) is False


@pytest.mark.parametrize("raw", ["maybe", "2", "y", "tru"])
def test_env_bool_refuses_other_words_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv(VARIABLE, raw)

    with pytest.raises(ImproperlyConfigured) as error:
        env_bool(VARIABLE, True)

    assert VARIABLE in str(error.value)
    assert raw in str(error.value)


# --- env_int -----------------------------------------------------------------------------------


def test_env_int_gives_default_when_unset():
    assert env_int(VARIABLE, 7) == 7


def test_env_int_gives_default_when_empty(monkeypatch):
    monkeypatch.setenv(VARIABLE, "")

    assert env_int(VARIABLE, 7) == 7


@pytest.mark.parametrize(("raw", "expected"), [("14", 14), ("0", 0), ("-3", -3), (" 30 ", 30)])
def test_env_int_reads_whole_numbers(monkeypatch, raw, expected):
    monkeypatch.setenv(VARIABLE, raw)

    assert env_int(VARIABLE, 7) == expected


@pytest.mark.parametrize("raw", ["seven", "1.5", "10days"])
def test_env_int_refuses_other_values_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv(VARIABLE, raw)

    with pytest.raises(ImproperlyConfigured) as error:
        env_int(VARIABLE, 7)

    assert VARIABLE in str(error.value)
    assert raw in str(error.value)


# --- env_list ----------------------------------------------------------------------------------


def test_env_list_gives_default_when_unset():
    assert env_list(VARIABLE, ["localhost"]) == ["localhost"]


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv(VARIABLE, " a.example , b.example,, ,c.example ")

    assert env_list(VARIABLE, ["localhost"]) == ["a.example", "b.example", "c.example"]


# --- Settings at start-up ----------------------------------------------------------------------

_CONFIG_VARIABLES = ("DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "TASK_BROKER")


def _start_django(**overrides) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter with the given environment."""
    env = {key: value for key, value in os.environ.items() if key not in _CONFIG_VARIABLES}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(overrides)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='lms.settings'; "
            "django.setup()",
        ],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_settings_start_with_laptop_defaults():
    result = _start_django()

    assert result.returncode == 0, result.stderr


def test_debug_off_without_secret_key_stops_start_up_naming_secret_key():
    result = _start_django(DEBUG="false")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_debug_off_with_secret_key_starts():
    result = _start_django(DEBUG="false", SECRET_KEY=STRONG_KEY)

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("a-real-secret-for-this-test-only", "needs at least 50"),
        ("ab" * 40, "fewer than 5 different characters"),
        ("django-insecure-" + "x1y2z3w4v5" * 6, "django-insecure"),
    ],
)
def test_debug_off_with_a_weak_secret_key_stops_start_up_naming_secret_key(key, reason):
    result = _start_django(DEBUG="false", SECRET_KEY=key)

    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr
    assert reason in result.stderr


def test_a_weak_secret_key_is_allowed_on_a_laptop():
    result = _start_django(DEBUG="true", SECRET_KEY="short")

    assert result.returncode == 0, result.stderr


def test_secret_key_problem_accepts_a_generated_key():
    assert secret_key_problem(STRONG_KEY) is None
    assert secret_key_problem(STRONG_KEY[:49]) is not None


def test_unreadable_debug_stops_start_up_naming_debug():
    result = _start_django(DEBUG="maybe")

    assert result.returncode != 0
    assert "DEBUG must be true or false, not 'maybe'" in result.stderr


def test_nonsense_database_url_stops_start_up_naming_database_url():
    result = _start_django(DATABASE_URL="nonsense")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DATABASE_URL" in result.stderr


def test_env_list_gives_default_when_set_but_empty(monkeypatch):
    monkeypatch.setenv(VARIABLE, "  ")
    assert env_list(VARIABLE, ["localhost"]) == ["localhost"]

"""A Redis cache that fails open: Redis is optional in fact, not only on paper.

Nothing in Peer Pathways keeps state in the cache that it cannot rebuild (sessions, sign-in
counts and rate limits live in the database), so when Redis cannot be reached a read is a miss
and a write is dropped, with a warning in the log, and the page is served as if there were no
cache.
"""

import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
WARN_EVERY_SECONDS = 60


class FailOpenRedisCache(RedisCache):
    _last_warning = 0.0

    def _fail_open(self, operation: str, error: Exception, default):
        now = time.monotonic()
        if now - FailOpenRedisCache._last_warning >= WARN_EVERY_SECONDS:
            FailOpenRedisCache._last_warning = now
            log.warning(
                "The cache (Redis) cannot be reached (%s during %s); serving without it.",
                type(error).__name__,
                operation,
            )
        return default

    def _guard(self, operation: str, default, call, *args, **kwargs):
        try:
            return call(*args, **kwargs)
        except UNREACHABLE as error:
            return self._fail_open(operation, error, default)

    def add(self, *args, **kwargs):
        return self._guard("add", False, super().add, *args, **kwargs)

    def get(self, key, default=None, version=None):
        return self._guard("get", default, super().get, key, default, version)

    def set(self, *args, **kwargs):
        return self._guard("set", None, super().set, *args, **kwargs)

    def touch(self, *args, **kwargs):
        return self._guard("touch", False, super().touch, *args, **kwargs)

    def delete(self, *args, **kwargs):
        return self._guard("delete", False, super().delete, *args, **kwargs)

    def get_many(self, *args, **kwargs):
        return self._guard("get_many", {}, super().get_many, *args, **kwargs)

    def has_key(self, *args, **kwargs):
        return self._guard("has_key", False, super().has_key, *args, **kwargs)

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except UNREACHABLE as error:
            self._fail_open("incr", error, None)
            raise ValueError(f"Key '{key}' not found (the cache cannot be reached).") from None

    def set_many(self, data, *args, **kwargs):
        return self._guard("set_many", list(data), super().set_many, data, *args, **kwargs)

    def delete_many(self, *args, **kwargs):
        return self._guard("delete_many", None, super().delete_many, *args, **kwargs)

    def clear(self):
        return self._guard("clear", False, super().clear)

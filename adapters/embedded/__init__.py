"""Real Postgres and Redis servers run from pip-installed binaries (``cap-portal dev``, tests)."""

from adapters.embedded._process import EmbeddedServerError
from adapters.embedded.postgres import EmbeddedPostgres
from adapters.embedded.redis import EmbeddedRedis

__all__ = ["EmbeddedPostgres", "EmbeddedRedis", "EmbeddedServerError"]
